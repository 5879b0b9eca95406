package tools_test

// The passkey behind the confirmation page, end to end: what a call
// answers when no passkey can confirm, what an assistant with plain HTTP
// (or a shell) can and cannot do, and --confirm-with passkey for every
// client, the command line's call included.

import (
	"bufio"
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/consent/passkey/passkeytest"
)

// needsPasskey checks a call's answer when no passkey can confirm: the
// preview, one instruction that says want, no link, no token.
func needsPasskey(t *testing.T, res map[string]any, want string) {
	t.Helper()
	instr, _ := res["instructions"].(string)
	preview, _ := res["preview"].(string)
	if res["confirmationRequired"] != true || !strings.Contains(preview, `Delete sensor profile "North"`) || !strings.Contains(instr, want) ||
		!strings.Contains(instr, "Nothing was changed") || res["confirmUrl"] != nil || res["confirmation_token"] != nil || strings.Contains(instr, "/confirm/") {
		t.Fatalf("want the preview and %q: %v", want, res)
	}
}

// With no passkey enrolled, a destructive call of a client without form
// elicitation (none at all, or URL mode) answers the preview and one
// instruction, to enrol a passkey; no page is offered, and nothing the
// model calls completes it.
func TestNoPasskeyEnrolled(t *testing.T) {
	for _, url := range []bool{false, true} {
		e := NewEnv(t, EnvOptions{Client: func(o *mcp.ClientOptions) {
			if url {
				o.Capabilities = &mcp.ClientCapabilities{Elicitation: &mcp.ElicitationCapabilities{URL: &mcp.URLElicitationCapabilities{}}}
				o.ElicitationHandler = func(context.Context, *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
					t.Error("a page was offered with no passkey to confirm on it")
					return &mcp.ElicitResult{Action: "accept"}, nil
				}
			}
		}})
		args := map[string]any{"sensorProfileId": north}
		res := e.OK("delete_sensor_profile", args)
		needsPasskey(t, res, "run `qualys-cs-mcp passkey add --name NAME` in a terminal")
		var values []string
		collectStrings(res, &values)
		for _, v := range append(values, "true", "confirm") {
			e.Call("delete_sensor_profile", with(args, "confirmation_token", v))
		}
		needsPasskey(t, e.OK("delete_sensor_profile", args), "passkey add")
		if e.SB.Count("DELETE", "") != 0 || !profileExists(e, north) {
			t.Fatal("deleted without a passkey")
		}
	}
}

// bearer adds the bearer token to every request.
type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

// --http off loopback without --public-url: no passkey can confirm on a
// page there, so a client without form elicitation hears that the
// operator must set --public-url and enrol passkeys; a client with form
// elicitation still confirms in its form.
func TestOffLoopbackNeedsPublicURL(t *testing.T) {
	sb := NewSandbox(t, sandbox.Options{Username: "tester", Password: "canary-pass-7f3a"})
	base, closeSB, err := sb.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeSB)
	cmd := exec.Command(binary, "--toolsets", "all", "--http", "0.0.0.0:0", "--log-level", "info")
	cmd.Env = append(os.Environ(), "QUALYS_GATEWAY_URL="+base, "QUALYS_USERNAME=tester", "QUALYS_PASSWORD=canary-pass-7f3a", "QUALYS_POD=", "QUALYS_MCP_HTTP_TOKEN=off-loopback-token")
	logs := &syncBuffer{}
	endpoint := startHTTP(t, cmd, logs)
	endpoint = regexp.MustCompile(`//[^/]+:`).ReplaceAllString(endpoint, "//127.0.0.1:")
	if !strings.Contains(logs.String(), "--http off loopback without --public-url") {
		t.Fatalf("no start-up warning: %s", logs)
	}
	client := &http.Client{Transport: bearer{"off-loopback-token"}}
	dial := func(o EnvOptions) *Env {
		e := &Env{T: t, SB: sb, URL: base, Stderr: logs, Endpoint: endpoint}
		e.connect(t.Context(), o, &mcp.StreamableClientTransport{Endpoint: endpoint, HTTPClient: client, MaxRetries: -1})
		return e
	}
	args := map[string]any{"sensorProfileId": north}
	needsPasskey(t, dial(EnvOptions{}).OK("delete_sensor_profile", args), "must set --public-url")
	if sb.Count("DELETE", "") != 0 {
		t.Fatal("deleted")
	}
	form := dial(EnvOptions{Elicit: Accept})
	if res := form.OK("delete_sensor_profile", args); res["deleted"] != true || len(form.Elicited) != 1 || sb.Count("DELETE", "") != 1 {
		t.Fatalf("a form client: %v", res)
	}
}

// An assistant with plain HTTP and a shell, under the default flags, with
// the user's passkey enrolled: it reads the page as a browser would and
// posts its form exactly as a browser would (the fields, the CSRF token,
// the page's Origin), takes the passkey steps with answers of its own, and
// runs `passkey add` to enrol a passkey of its own. Nothing is confirmed,
// enrolled or deleted; the call keeps waiting for the person.
func TestAssistantCannotConfirmOverHTTP(t *testing.T) {
	user := alice(t)
	e := NewEnv(t, EnvOptions{EnvVars: user.Env})
	args := map[string]any{"sensorProfileId": north}
	link := pageLink(t, e.OK("delete_sensor_profile", args))
	code, body, csrf := getPage(t, link)
	if code != http.StatusOK || csrf == "" {
		t.Fatalf("the page: %d %s", code, body)
	}
	if m := regexp.MustCompile(`data-csrf="([^"]+)"`).FindStringSubmatch(body); m == nil || html.UnescapeString(m[1]) != csrf {
		t.Fatalf("the passkey button does not carry the page's token: %s", body)
	}
	origin := originOf(link)

	// the form, as a browser posts it: confirm is refused, saying why
	form := strings.NewReader("csrf=" + csrf + "&decision=confirm")
	req, _ := http.NewRequest(http.MethodPost, link, form)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", origin)
	req.Header.Set("Referer", link)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	msg := string(b)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(msg, "takes a passkey") {
		t.Fatalf("the form's confirm: %d %s", resp.StatusCode, msg)
	}

	// the passkey steps, answered without alice's authenticator
	begin, finish := link+"/passkey/begin", link+"/passkey/finish"
	if st := passkeytest.Post(t, finish, origin, map[string]any{"csrf": csrf}); st.Code != http.StatusForbidden || !strings.Contains(st.Message, "not a passkey assertion") {
		t.Fatalf("a finish without a credential: %d %s", st.Code, st.Message)
	}
	own := passkeytest.NewKey(t, origin, "localhost") // a key of the assistant's own, never enrolled
	own.Handle = user.Key.Handle                      // claiming to be alice
	own.ID = user.Key.ID
	for _, k := range []*passkeytest.Key{own, passkeytest.NewKey(t, origin, "localhost")} {
		st := passkeytest.Post(t, begin, origin, map[string]any{"csrf": csrf})
		if st.Assert == nil {
			t.Fatalf("begin: %d %s", st.Code, st.Message)
		}
		st = passkeytest.Post(t, finish, origin, map[string]any{"csrf": csrf, "credential": json.RawMessage(k.Get(t, st.Assert))})
		if st.OK || st.Code != http.StatusForbidden {
			t.Fatalf("an assertion of the assistant's own key: %d %s", st.Code, st.Message)
		}
		t.Logf("the assistant's assertion: %s", st.Message)
	}

	// a passkey of its own: `passkey add` with the user's passkeys file
	// asks for an assertion of an enrolled passkey first
	enrolLink, _ := passkeyAdd(t, user.Env, "--name", "assistant")
	mallory := &person{Name: "assistant", Key: passkeytest.NewKey(t, "", "localhost")}
	if st := mallory.press(t, enrolLink, ""); st.OK || !strings.Contains(st.Message, "not enrolled") {
		t.Fatalf("the assistant enrolling a passkey of its own: %d %s", st.Code, st.Message)
	}
	list := exec.Command(binary, "passkey", "list")
	list.Env = append(os.Environ(), user.Env...)
	if out, err := list.Output(); err != nil || strings.Contains(string(out), "assistant") || !strings.Contains(string(out), "alice") {
		t.Fatalf("passkey list: %v %s", err, out)
	}

	if res := e.OK("delete_sensor_profile", args); res["confirmUrl"] != link || e.SB.Count("DELETE", "") != 0 || !profileExists(e, north) {
		t.Fatalf("after the assistant's tries: %v", res)
	}
	user.confirm(t, link) // the person, at last
	if res := e.OK("delete_sensor_profile", args); res["deleted"] != true || e.SB.Count("DELETE", "") != 1 {
		t.Fatalf("after alice confirmed: %v", res)
	}
}

// --confirm-with passkey: a client with form elicitation is not asked in
// its form; with URL mode it is sent to the page, else it answers the
// page's link; the command line's call, --yes or not, waits for the
// page. Only the person's passkey confirms, and the audit log names it.
func TestConfirmWithPasskey(t *testing.T) {
	user := alice(t)
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	flags := []string{"--confirm-with", "passkey", "--audit-log", audit}

	var mu sync.Mutex
	var modes []string
	both := NewEnv(t, EnvOptions{EnvVars: user.Env, Flags: flags, Protocol: "2025-11-25", Client: func(o *mcp.ClientOptions) {
		o.Capabilities = &mcp.ClientCapabilities{Elicitation: &mcp.ElicitationCapabilities{Form: &mcp.FormElicitationCapabilities{}, URL: &mcp.URLElicitationCapabilities{}}}
		o.ElicitationHandler = func(_ context.Context, req *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			mu.Lock()
			modes = append(modes, req.Params.Mode)
			mu.Unlock()
			if req.Params.Mode == "url" {
				user.confirm(t, req.Params.URL)
			}
			return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"confirm": true}}, nil
		}
	}})
	if res := both.OK("delete_sensor_profile", map[string]any{"sensorProfileId": north}); res["deleted"] != true || strings.Join(modes, ",") != "url" {
		t.Fatalf("a client with form and URL elicitation: %v, asked %v", res, modes)
	}

	formOnly := NewEnv(t, EnvOptions{EnvVars: user.Env, Flags: flags, Elicit: Accept, Sandbox: both.SB})
	args := map[string]any{"sensorProfileId": general}
	link := pageLink(t, formOnly.OK("delete_sensor_profile", args))
	if len(formOnly.Elicited) != 0 || both.SB.Count("DELETE", "") != 1 {
		t.Fatalf("a form client was asked in its form: %v", formOnly.Elicited)
	}
	user.confirm(t, link)
	if res := formOnly.OK("delete_sensor_profile", args); res["deleted"] != true || both.SB.Count("DELETE", "") != 2 {
		t.Fatalf("a form client after the passkey: %v", res)
	}
	lines, _ := os.ReadFile(audit)
	if strings.Count(string(lines), `"detail":"human/passkey:alice"`) != 2 || strings.Contains(string(lines), "human/form") {
		t.Fatalf("the audit log: %s", lines)
	}

	// the command line: --yes confirms nothing; the call shows the link
	// and waits for the passkey
	call := func(ttl string) (*exec.Cmd, *bufio.Scanner, *syncBuffer) {
		cmd := exec.Command(binary, "call", "--toolsets", "all", "--yes", "--confirm-with", "passkey", "--confirm-ttl", ttl,
			"delete_registry", `{"registryId":"`+sandbox.DockerRegistryID+`"}`)
		cmd.Env = append(os.Environ(), append([]string{"QUALYS_GATEWAY_URL=" + both.URL, "QUALYS_USERNAME=tester", "QUALYS_PASSWORD=canary-pass-7f3a", "QUALYS_POD="}, user.Env...)...)
		stdout := &syncBuffer{}
		cmd.Stdout = stdout
		stderr, _ := cmd.StderrPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd, bufio.NewScanner(stderr), stdout
	}
	cmd, stderr, _ := call("2s")
	for stderr.Scan() {
	}
	if err := cmd.Wait(); err == nil || both.SB.Count("DELETE", "") != 2 {
		t.Fatalf("call --yes without the person: %v", err)
	}
	cmd, stderr, stdout := call("1m")
	link = ""
	for link == "" && stderr.Scan() {
		link = linkRE.FindString(stderr.Text())
	}
	if link == "" || both.SB.Count("DELETE", "") != 2 {
		t.Fatal("call printed no link to wait on")
	}
	go func() {
		for stderr.Scan() {
		}
	}()
	user.confirm(t, link)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil || !strings.Contains(stdout.String(), `"deleted": true`) || both.SB.Count("DELETE", "") != 3 {
			t.Fatalf("call after the passkey: %v %s", err, stdout)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("call did not finish after the passkey")
	}

	out, err := exec.Command(binary, "call", "--sandbox", "--confirm-with", "passkey", "--confirm-fallback", "token", "list_sensor_profiles").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "contradict") {
		t.Fatalf("--confirm-with passkey --confirm-fallback token: %v %s", err, out)
	}
}
