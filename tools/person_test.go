package tools_test

// The person: the user at the confirmation page with their passkey. Their
// passkey is enrolled through the binary's own `qualys-cs-mcp passkey
// add`, and they confirm by pressing the page's passkey button: the steps
// the page's script takes, answered by a software authenticator
// (passkeytest) exactly as a browser's authenticator would, with user
// verification. The browser tests do the same in Chromium.

import (
	"bufio"
	"html"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/consent/passkey/passkeytest"
)

type person struct {
	Name string
	Key  *passkeytest.Key
	Env  []string // where the server finds the passkey: QUALYS_MCP_PASSKEYS, or the shared store and its key
}

// alice is a person whose passkeys file is in the test's temporary folder.
func alice(t testing.TB) *person {
	t.Helper()
	return enrol(t, "alice", []string{"QUALYS_MCP_PASSKEYS=" + filepath.Join(t.TempDir(), "passkeys.json")})
}

// enrol runs `qualys-cs-mcp passkey add --name NAME` (args: its other
// flags) with env, and answers the page whose link it prints with a new
// passkey; it must exit 0.
func enrol(t testing.TB, name string, env []string, args ...string) *person {
	t.Helper()
	p := &person{Name: name, Key: passkeytest.NewKey(t, "", "localhost"), Env: env}
	link, wait := passkeyAdd(t, env, append([]string{"--name", name}, args...)...)
	if st := p.press(t, link, ""); !st.OK {
		t.Fatalf("enrolling %s at %s: %d %s", name, link, st.Code, st.Message)
	}
	if out, err := wait(); err != nil {
		t.Fatalf("passkey add: %v: %s", err, out)
	}
	return p
}

// passkeyAdd starts `qualys-cs-mcp passkey add ARGS` with env and answers
// the link it prints and a wait for its end (its stderr, and its error).
func passkeyAdd(t testing.TB, env []string, args ...string) (string, func() (string, error)) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"passkey", "add"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	stdout, _ := cmd.StdoutPipe()
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- strings.TrimSpace(l)
		io.Copy(io.Discard, stdout)
	}()
	select {
	case l := <-line:
		if !strings.Contains(l, "/passkey/enrol/") {
			t.Fatalf("passkey add printed %q: %s", l, stderr.String())
		}
		return l, func() (string, error) {
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				return stderr.String(), err
			case <-time.After(20 * time.Second):
				return stderr.String(), os.ErrDeadlineExceeded
			}
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("passkey add printed no link: %s", stderr.String())
	}
	return "", nil
}

var (
	passkeyButtonRE = regexp.MustCompile(`<button[^>]*id="passkey"[^>]*>`)
	dataRE          = regexp.MustCompile(`data-(begin|csrf)="([^"]*)"`)
)

// press opens a page (following redirects, as a browser does) and presses
// its passkey button with the person's authenticator; origin "" is the
// page's own (a proxy's public one otherwise). It answers the last step.
func (p *person) press(t testing.TB, link, origin string) passkeytest.Step {
	t.Helper()
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	button := passkeyButtonRE.FindString(string(body))
	if resp.StatusCode != http.StatusOK || button == "" {
		t.Fatalf("%s has no passkey button: %d %s", link, resp.StatusCode, body)
	}
	data := map[string]string{}
	for _, m := range dataRE.FindAllStringSubmatch(button, -1) {
		data[m[1]] = html.UnescapeString(m[2])
	}
	page := resp.Request.URL.String()
	if p.Key.Origin = origin; origin == "" {
		p.Key.Origin = originOf(page)
	}
	return p.Key.Run(t, page, data["begin"], data["csrf"])
}

// confirm confirms a confirmation page with the person's passkey.
func (p *person) confirm(t testing.TB, link string) {
	t.Helper()
	if st := p.press(t, link, ""); !st.OK || !strings.Contains(st.Message, "Confirmed with the passkey "+p.Name) {
		t.Fatalf("%s confirming %s: %d %s", p.Name, link, st.Code, st.Message)
	}
}
