package main

// `qualys-cs-mcp passkey`: the real binary, its enrolment page in headless
// Chromium with a virtual authenticator, the passkeys file, and the shared
// store on a real redis-server.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/redis/go-redis/v9"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/internal/realparts"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/consent/passkey"
)

// adding is a running `passkey add`: the link it printed, and its end.
type adding struct {
	cmd    *exec.Cmd
	link   string
	errOut *bytes.Buffer
	done   chan error
}

// startAdd starts `qualys-cs-mcp passkey add` with env and reads the one
// line it prints on stdout.
func startAdd(t *testing.T, env []string, args ...string) *adding {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"passkey", "add"}, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "QUALYS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	a := &adding{cmd: cmd, errOut: &bytes.Buffer{}, done: make(chan error, 1)}
	cmd.Stderr = a.errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	lines := make(chan string, 1)
	rest := &bytes.Buffer{}
	go func() {
		r := bufio.NewReader(out)
		line, _ := r.ReadString('\n')
		lines <- line
		io.Copy(rest, r)
		a.done <- cmd.Wait()
		if rest.Len() > 0 {
			a.done <- errors.New("more on stdout than one line: " + rest.String())
		}
	}()
	select {
	case line := <-lines:
		a.link = strings.TrimSuffix(line, "\n")
	case <-time.After(30 * time.Second):
		t.Fatalf("passkey add printed no link: %s", a.errOut)
	}
	return a
}

// wait waits for the command's end and answers its exit code.
func (a *adding) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-a.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("passkey add did not end: %s", a.errOut)
	}
	select {
	case err := <-a.done:
		t.Fatal(err)
	default:
	}
	return a.cmd.ProcessState.ExitCode()
}

func TestPasskeyAddInBrowser(t *testing.T) {
	browser := realparts.Chromium(t)
	file := filepath.Join(t.TempDir(), "config", "qualys-cs-mcp", "passkeys.json")
	env := []string{"QUALYS_MCP_PASSKEYS=" + file}

	// The first passkey: enrolled on the page, stored, exit 0.
	add := startAdd(t, env, "--name", "alice")
	if !strings.HasPrefix(add.link, "http://localhost:") || !strings.Contains(add.link, "/passkey/enrol/") {
		t.Fatalf("the link: %q", add.link)
	}
	alice := realparts.Tab(t, browser)
	realparts.Authenticator(t, alice, true)
	if done, msg := realparts.PressPasskey(t, alice, add.link); done != "ok" || !strings.Contains(msg, "alice is enrolled") {
		t.Fatalf("enrolling alice: %s %q", done, msg)
	}
	if code := add.wait(t); code != 0 {
		t.Fatalf("passkey add: exit %d: %s", code, add.errOut)
	}
	fi, err := os.Stat(file)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the passkeys file: %v %v", fi, err)
	}
	if di, _ := os.Stat(filepath.Dir(file)); di.Mode().Perm() != 0o700 {
		t.Fatalf("its folder: %v", di.Mode())
	}
	list := runBin(t, "", env, "passkey", "list")
	if list.code != 0 || !strings.Contains(list.out, "alice") || !strings.Contains(list.out, "localhost") || strings.Contains(list.out, "publicKey") {
		t.Fatalf("passkey list: %d %q %q", list.code, list.out, list.errOut)
	}

	// A second one from an authenticator without alice's passkey: the page
	// asks for her confirmation first, and nothing is enrolled; Ctrl-C
	// ends the command with nothing stored.
	add = startAdd(t, env, "--name", "bob")
	bob := realparts.Tab(t, browser)
	realparts.Authenticator(t, bob, true)
	if done, msg := realparts.PressPasskey(t, bob, add.link); done != "refused" {
		t.Fatalf("bob without alice: %s %q", done, msg)
	}
	add.cmd.Process.Signal(syscall.SIGINT)
	if code := add.wait(t); code == 0 || !strings.Contains(add.errOut.String(), "no passkey was enrolled") {
		t.Fatalf("interrupted: exit %d: %s", code, add.errOut)
	}
	if list := runBin(t, "", env, "passkey", "list"); strings.Contains(list.out, "bob") {
		t.Fatalf("bob was enrolled: %s", list.out)
	}
	// With alice's confirmation first (on her device), bob's passkey is
	// created on his and enrolled, approved by her.
	add = startAdd(t, env, "--name", "bob")
	var created json.RawMessage
	realparts.Do(t, alice, chromedp.Navigate(add.link), chromedp.WaitVisible(chromedp.ID("passkey")))
	realparts.EvalJSON(t, alice, `(async () => {
  const p = window.qualysPasskey, begin = new URL(document.getElementById("passkey").dataset.begin, location.href);
  const r = await p.post(begin, {});
  const cred = await navigator.credentials.get({publicKey: p.requestOptions(r.assert.publicKey)});
  const next = await p.post(new URL(r.next, begin), {credential: p.credentialJSON(cred)});
  return {create: next.create, finish: new URL(next.next, begin).href};
})()`, &created)
	realparts.Do(t, bob, chromedp.Navigate(add.link), chromedp.WaitVisible(chromedp.ID("passkey")))
	var finished struct {
		OK      bool
		Message string
	}
	realparts.EvalJSON(t, bob, `(async (step) => {
  const p = window.qualysPasskey;
  const cred = await navigator.credentials.create({publicKey: p.creationOptions(step.create.publicKey)});
  return await p.post(step.finish, {credential: p.credentialJSON(cred)});
})(`+string(created)+`)`, &finished)
	if !finished.OK {
		t.Fatalf("bob with alice's confirmation: %q", finished.Message)
	}
	if code := add.wait(t); code != 0 {
		t.Fatalf("passkey add bob: exit %d: %s", code, add.errOut)
	}
	if list := runBin(t, "", env, "passkey", "list"); !regexp.MustCompile(`(?m)^bob\s.*passkey:alice$`).MatchString(list.out) {
		t.Fatalf("bob approved by alice: %q", list.out)
	}

	if r := runBin(t, "", env, "passkey", "remove", "nobody"); r.code == 0 || !strings.Contains(r.errOut, "no passkey has this name") {
		t.Fatalf("removing an unknown name: %d %s", r.code, r.errOut)
	}
	if r := runBin(t, "", env, "passkey", "remove", "alice"); r.code != 0 {
		t.Fatalf("remove: %d %s", r.code, r.errOut)
	}
	if list := runBin(t, "", env, "passkey", "list"); list.code != 0 || regexp.MustCompile(`(?m)^alice\s`).MatchString(list.out) || !strings.Contains(list.out, "bob") {
		t.Fatalf("after remove: %q", list.out)
	}
	if r := runBin(t, "", env, "passkey", "add", "--name", "<b>"); r.code != exitUsage {
		t.Fatalf("a bad name: %d %s", r.code, r.errOut)
	}
}

// With --state: the passkey is stored in the shared store (a real
// redis-server), sealed with the state key; with --public-url, the command
// prints a one-time link that the service's handler serves.
func TestPasskeySharedStore(t *testing.T) {
	browser := realparts.Chromium(t)
	rdb := realparts.StartRedis(t)
	const key = "passkey-test-state-key-0123456789"
	env := []string{"QUALYS_MCP_STATE_KEY=" + key, "QUALYS_MCP_PASSKEYS=" + filepath.Join(t.TempDir(), "unused.json")}

	if r := runBin(t, "", []string{"QUALYS_MCP_PASSKEYS=" + filepath.Join(t.TempDir(), "p.json")}, "passkey", "list", "--state", rdb.URL()); r.code == 0 || !strings.Contains(r.errOut, "QUALYS_MCP_STATE_KEY") {
		t.Fatalf("--state without the key: %d %s", r.code, r.errOut)
	}

	add := startAdd(t, env, "--name", "alice", "--state", rdb.URL())
	tab := realparts.Tab(t, browser)
	realparts.Authenticator(t, tab, true)
	if done, msg := realparts.PressPasskey(t, tab, add.link); done != "ok" {
		t.Fatalf("enrolling alice: %s %q", done, msg)
	}
	if code := add.wait(t); code != 0 {
		t.Fatalf("exit %d: %s", code, add.errOut)
	}
	if _, err := os.Stat(filepath.Join(t.TempDir(), "unused.json")); err == nil {
		t.Fatal("with --state, the file was written")
	}
	list := runBin(t, "", env, "passkey", "list", "--state", rdb.URL())
	if list.code != 0 || !strings.Contains(list.out, "alice") {
		t.Fatalf("list --state: %d %q %q", list.code, list.out, list.errOut)
	}
	opts, _ := redis.ParseURL(rdb.URL())
	raw, err := redis.NewClient(opts).Get(context.Background(), state.Prefix+"passkeys").Bytes()
	if err != nil || bytes.Contains(raw, []byte("alice")) {
		t.Fatalf("the record in Redis is not sealed: %q %v", raw, err)
	}
	other := runBin(t, "", []string{"QUALYS_MCP_STATE_KEY=another-key"}, "passkey", "list", "--state", rdb.URL())
	if other.code == 0 || !strings.Contains(other.errOut, "sealed with another QUALYS_MCP_STATE_KEY") {
		t.Fatalf("list with another state key: %d %q %q", other.code, other.out, other.errOut)
	}

	// An operator's link for bob on the service at https://mcp.example.com.
	link := runBin(t, "", env, "passkey", "add", "--name", "bob", "--state", rdb.URL(), "--public-url", "https://mcp.example.com")
	lines := strings.Split(strings.TrimSpace(link.out), "\n")
	if link.code != 0 || len(lines) != 1 || !strings.HasPrefix(lines[0], "https://mcp.example.com/passkey/enrol/") {
		t.Fatalf("the link: %d %q %q", link.code, link.out, link.errOut)
	}
	// The service (its handler, mounted as the HTTP service will) serves
	// it: bob is offered to create a passkey at once, for mcp.example.com.
	store := state.NewRedis(opts)
	defer store.Close()
	svc, err := passkey.New(passkey.Options{State: store, Keys: state.KeysFromEnv(key)})
	if err != nil {
		t.Fatal(err)
	}
	rp, _ := passkey.PublicRP("https://mcp.example.com")
	mux := http.NewServeMux()
	svc.Mount(mux, rp)
	path := strings.TrimPrefix(lines[0], "https://mcp.example.com")
	req := httpRequest(t, http.MethodPost, path+"/begin", rp.Origin)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, req)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"create"`) || !strings.Contains(w.Body.String(), `"id":"mcp.example.com"`) {
		t.Fatalf("the link on the service: %d %s", w.Code, w.Body.String())
	}
	if list := runBin(t, "", env, "passkey", "list", "--state", rdb.URL()); strings.Contains(list.out, "bob") {
		t.Fatalf("bob is listed before enrolling: %s", list.out)
	}
	// --public-url without --state is a usage error: the link must be
	// where the service reads it.
	if r := runBin(t, "", env, "passkey", "add", "--name", "carol", "--public-url", "https://mcp.example.com"); r.code != exitUsage {
		t.Fatalf("--public-url without --state: %d %s", r.code, r.errOut)
	}
}

func httpRequest(t *testing.T, method, path, origin string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, "https://mcp.example.com"+path, strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", origin)
	return req
}
