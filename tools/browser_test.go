package tools_test

// A real browser on the confirmation page: headless Chromium (the Debian
// package chromium; .ci/run installs it) driven through the DevTools
// protocol, with a virtual authenticator (CTAP2, internal transport, user
// verification) as the person's device, against the real binary in stdio
// mode. The passkey is enrolled on the page `qualys-cs-mcp passkey add`
// serves.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/internal/realparts"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

// pageState reads what the browser shows now: the state line (or the
// confirmation's), and whether the page still offers its controls.
func pageState(t *testing.T, ctx context.Context) (string, bool) {
	t.Helper()
	realparts.Do(t, ctx, chromedp.WaitReady(chromedp.CSS("main")))
	var got struct {
		State    string
		Controls bool
	}
	realparts.EvalJSON(t, ctx, `(() => { const s = document.querySelector("#done, #state");
  return {state: s ? s.textContent : "", controls: !!document.getElementById("passkey") || !!document.querySelector("form")}; })()`, &got)
	return got.State, got.Controls
}

// enrolInBrowser runs `qualys-cs-mcp passkey add --name NAME` with env and
// creates the passkey on its page, in the tab (with its authenticator).
func enrolInBrowser(t *testing.T, tab context.Context, name string, env []string) {
	t.Helper()
	link, wait := passkeyAdd(t, env, "--name", name)
	if done, msg := realparts.PressPasskey(t, tab, link); done != "ok" || !strings.Contains(msg, name+" is enrolled") {
		t.Fatalf("enrolling %s in the browser: %s %q", name, done, msg)
	}
	if out, err := wait(); err != nil {
		t.Fatalf("passkey add: %v: %s", err, out)
	}
}

// stepsByHand runs a page's passkey steps in the tab by the page's own
// script functions, for begin (with csrf) and finish (with csrf2): the
// answer of the finish step and the credential it posted.
func stepsByHand(t *testing.T, ctx context.Context, begin, csrf, finish, csrf2 string) (string, json.RawMessage) {
	t.Helper()
	args, _ := json.Marshal([]string{begin, csrf, finish, csrf2})
	var out struct {
		Message    string
		Credential json.RawMessage
	}
	realparts.EvalJSON(t, ctx, `(async ([begin, csrf, finish, csrf2]) => {
  const p = window.qualysPasskey;
  const r = await p.post(begin, {csrf});
  if (!r.assert) return {message: "no options: " + r.message};
  const credential = p.credentialJSON(await navigator.credentials.get({publicKey: p.requestOptions(r.assert.publicKey)}));
  const done = await p.post(finish, {csrf: csrf2, credential});
  return {message: done.message, credential};
})(`+string(args)+`)`, &out)
	return out.Message, out.Credential
}

// pageCSRF is a confirmation page's CSRF token (what its script sends).
func pageCSRF(t *testing.T, link string) string {
	t.Helper()
	_, _, csrf := getPage(t, link)
	if csrf == "" {
		t.Fatalf("%s offers no controls", link)
	}
	return csrf
}

func approvalID(link string) string { return link[strings.LastIndex(link, "/")+1:] }

func TestConfirmPageInBrowser(t *testing.T) {
	browser := realparts.Chromium(t)
	ctx := realparts.Tab(t, browser)
	auth := realparts.Authenticator(t, ctx, true)
	dir := t.TempDir()
	env, audit := []string{"QUALYS_MCP_PASSKEYS=" + filepath.Join(dir, "passkeys.json")}, filepath.Join(dir, "audit.jsonl")
	enrolInBrowser(t, ctx, "alice", env)
	e := NewEnv(t, EnvOptions{EnvVars: env, Flags: []string{"--audit-log", audit}}) // stdio, a client without elicitation
	deletes := func() int { return e.SB.Count("DELETE", "") }

	// Confirm: the page shows the preview; the passkey confirms; the next
	// call deletes exactly it, once.
	args := map[string]any{"sensorProfileId": north}
	link := pageLink(t, e.OK("delete_sensor_profile", args))
	if !strings.HasPrefix(link, "http://localhost:") {
		t.Fatalf("stdio mode's page is not on http://localhost:PORT: %s", link)
	}
	realparts.Do(t, ctx, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("passkey")))
	summary := realparts.Run(t, ctx, chromedp.Text(chromedp.ID("summary")))
	argsShown := realparts.Run(t, ctx, chromedp.Text(chromedp.ID("args")))
	title := realparts.Run(t, ctx, chromedp.Title())
	for _, want := range []string{`Delete sensor profile "North"`, `"ip-10-82-11-73"`, "fall back to the Default profile"} {
		if !strings.Contains(summary, want) {
			t.Fatalf("the page's preview lacks %q: %s", want, summary)
		}
	}
	if !strings.Contains(argsShown, `"`+north+`"`) || !strings.Contains(title, "Delete sensor profile") {
		t.Fatalf("arguments %q, title %q", argsShown, title)
	}
	if n := realparts.Run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('button[value="confirm"], input[value="confirm"]').length`)); n != 0 {
		t.Fatalf("the page has %d form controls that confirm", n)
	}
	if path := os.Getenv("CONFIRM_PAGE_SCREENSHOT"); path != "" { // docs/confirm-page.png
		png := realparts.Run(t, ctx, chromedp.FullScreenshot(100))
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if deletes() != 0 {
		t.Fatal("deleted before anyone confirmed")
	}
	if done, msg := realparts.PressPasskey(t, ctx, link); done != "ok" {
		t.Fatalf("alice's passkey: %s %q", done, msg)
	}
	if state, controls := pageState(t, ctx); !strings.HasPrefix(state, "Confirmed with the passkey alice") || controls {
		t.Fatalf("after the passkey: %q, controls %v", state, controls)
	}
	if deletes() != 0 {
		t.Fatal("the page itself deleted: the tool call must")
	}
	res := e.OK("delete_sensor_profile", args)
	if res["deleted"] != true || profileExists(e, north) || deletes() != 1 || e.SB.Count("DELETE", "/sensorProfile/"+north) != 1 {
		t.Fatalf("the confirmed call: %v, %d deletes", res, deletes())
	}
	if lines, _ := os.ReadFile(audit); !strings.Contains(string(lines), `"detail":"human/passkey:alice","event":"guard","outcome":"consented"`) {
		t.Fatalf("the audit log does not name alice's passkey: %s", lines)
	}
	// A visit after use: nothing more happens.
	realparts.Do(t, ctx, chromedp.Navigate(link))
	if state, controls := pageState(t, ctx); controls || !strings.Contains(state, "was used") {
		t.Fatalf("visit after use: %q, controls %v", state, controls)
	}
	if msg := e.Fail("delete_sensor_profile", args); !strings.Contains(msg, "not found") || deletes() != 1 {
		t.Fatalf("a call after use: %s", msg)
	}

	// Every way below confirms nothing: the call keeps answering the same
	// page, and nothing is deleted.
	other := map[string]any{"sensorProfileId": general}
	link = pageLink(t, e.OK("delete_sensor_profile", other))
	deleted := 1 // so far
	pending := func(why string) {
		t.Helper()
		if res := e.OK("delete_sensor_profile", other); res["confirmUrl"] != link || !profileExists(e, general) || deletes() != deleted {
			t.Fatalf("after %s the approval must still wait: %v", why, res)
		}
	}

	// User verification failing on the authenticator.
	realparts.Run(t, ctx, realparts.Call(webauthn.SetUserVerified, webauthn.SetUserVerifiedParams{AuthenticatorID: auth, IsUserVerified: false}))
	if done, msg := realparts.PressPasskey(t, ctx, link); done != "refused" {
		t.Fatalf("without user verification: %s %q", done, msg)
	}
	realparts.Run(t, ctx, realparts.Call(webauthn.SetUserVerified, webauthn.SetUserVerifiedParams{AuthenticatorID: auth, IsUserVerified: true}))
	bad := true // an answer whose UV flag is off reaches the server
	realparts.Run(t, ctx, realparts.Call(webauthn.SetResponseOverrideBits, webauthn.SetResponseOverrideBitsParams{AuthenticatorID: auth, IsBadUV: &bad}))
	if done, msg := realparts.PressPasskey(t, ctx, link); done != "refused" || !strings.Contains(msg, "did not verify the user") {
		t.Fatalf("an assertion without the UV flag: %s %q", done, msg)
	}
	realparts.Run(t, ctx, realparts.Call(webauthn.SetResponseOverrideBits, webauthn.SetResponseOverrideBitsParams{AuthenticatorID: auth}))
	pending("user verification failed")

	// An authenticator holding no enrolled passkey: one with none, and one
	// with a passkey for localhost that was never enrolled.
	stranger := realparts.Tab(t, browser)
	realparts.Authenticator(t, stranger, true)
	if done, msg := realparts.PressPasskey(t, stranger, link); done != "refused" {
		t.Fatalf("an empty authenticator: %s %q", done, msg)
	}
	realparts.Run(t, stranger, chromedp.Evaluate[bool](`(async () => {
  const c = await navigator.credentials.create({publicKey: {rp: {id: "localhost", name: "x"}, user: {id: crypto.getRandomValues(new Uint8Array(16)), name: "mallory", displayName: "mallory"},
    challenge: crypto.getRandomValues(new Uint8Array(32)), pubKeyCredParams: [{type: "public-key", alg: -7}], authenticatorSelection: {residentKey: "required", userVerification: "required"}}});
  return !!c; })()`, chromedp.EvalAwaitPromise))
	if done, msg := realparts.PressPasskey(t, stranger, link); done != "refused" || !strings.Contains(msg, "not enrolled") {
		t.Fatalf("an authenticator whose passkey is not enrolled: %s %q", done, msg)
	}
	pending("an unenrolled authenticator")

	// An assertion made for another approval: on this page, alice's
	// passkey answers the options of another pending approval (its page's
	// token is readable), posted to this one's step.
	sample := map[string]any{"sensorProfileId": sandbox.SampleProfileID}
	link2 := pageLink(t, e.OK("delete_sensor_profile", sample))
	csrf, csrf2 := pageCSRF(t, link), pageCSRF(t, link2)
	realparts.Do(t, ctx, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("passkey")))
	if msg, _ := stepsByHand(t, ctx, "/confirm/"+approvalID(link2)+"/passkey/begin", csrf2, approvalID(link)+"/passkey/finish", csrf); !strings.Contains(msg, "made for another approval") {
		t.Fatalf("another approval's assertion: %q", msg)
	}
	pending("another approval's assertion")

	// A replayed assertion: alice confirms the second approval; the
	// assertion she gave is posted again, to it and to the first one.
	realparts.Do(t, ctx, chromedp.Navigate(link2), chromedp.WaitVisible(chromedp.ID("passkey")))
	msg, cred := stepsByHand(t, ctx, approvalID(link2)+"/passkey/begin", csrf2, approvalID(link2)+"/passkey/finish", csrf2)
	if !strings.HasPrefix(msg, "Confirmed with the passkey alice") {
		t.Fatalf("alice on the second page: %q", msg)
	}
	for page, token := range map[string]string{link2: csrf2, link: csrf} {
		body, _ := json.Marshal(map[string]any{"csrf": token, "credential": cred})
		var r struct{ Message string }
		realparts.EvalJSON(t, ctx, `window.qualysPasskey.post(`+strconvQuote(page+"/passkey/finish")+`, `+string(body)+`)`, &r)
		if !strings.Contains(r.Message, "already") && !strings.Contains(r.Message, "another approval") {
			t.Fatalf("a replayed assertion to %s: %q", page, r.Message)
		}
	}
	if res := e.OK("delete_sensor_profile", sample); res["deleted"] != true || deletes() != 2 || e.SB.Count("DELETE", "/sensorProfile/"+sandbox.SampleProfileID) != 1 {
		t.Fatalf("the second approval, confirmed once: %v", res)
	}
	deleted = 2
	pending("a replayed assertion")

	// The page driven by something else than the person: a form added to
	// it that posts decision=confirm with its token and Origin (what an
	// agent driving the browser can do), and a form on another origin.
	realparts.Do(t, ctx, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("passkey")))
	realparts.Run(t, ctx, chromedp.Evaluate[bool](`(() => { document.querySelector("main").insertAdjacentHTML("beforeend",
  '<form method="post"><input type="hidden" name="csrf" value="`+csrf+`"><button id="forged" name="decision" value="confirm">Confirm</button></form>'); return true; })()`))
	realparts.Do(t, ctx, chromedp.Click(chromedp.ID("forged")), chromedp.WaitNotPresent(chromedp.ID("forged")))
	if body := realparts.Run(t, ctx, chromedp.Text(chromedp.CSS("body"))); !strings.Contains(body, "confirming takes a passkey") {
		t.Fatalf("a form's confirm on the page: %s", body)
	}
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		template.Must(template.New("").Parse(`<form method="post" action="{{.Link}}"><input type="hidden" name="csrf" value="{{.CSRF}}">
<button id="go" name="decision" value="confirm">Win a prize</button></form>`)).Execute(w, map[string]string{"Link": link, "CSRF": csrf})
	}))
	defer evil.Close()
	realparts.Do(t, ctx, chromedp.Navigate(evil.URL), chromedp.Click(chromedp.ID("go")), chromedp.WaitNotPresent(chromedp.ID("go")))
	if body := realparts.Run(t, ctx, chromedp.Text(chromedp.CSS("body"))); !strings.Contains(body, "only from its own page") {
		t.Fatalf("cross-origin POST answered: %s", body)
	}
	pending("forms that post confirm")

	// Cancel, a plain form: the next call runs nothing.
	realparts.Do(t, ctx, chromedp.Navigate(link), chromedp.Click(chromedp.ID("cancel")), chromedp.WaitNotPresent(chromedp.ID("cancel")))
	if state, _ := pageState(t, ctx); !strings.HasPrefix(state, "You cancelled") {
		t.Fatalf("after Cancel: %q", state)
	}
	if res := e.OK("delete_sensor_profile", other); res["cancelled"] != true || !profileExists(e, general) || deletes() != 2 {
		t.Fatalf("after Cancel: %v", res)
	}
}

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }

// An expired page: loaded in time, the passkey pressed late, confirms
// nothing, and the call says it expired.
func TestConfirmPageExpiresInBrowser(t *testing.T) {
	browser := realparts.Chromium(t)
	ctx := realparts.Tab(t, browser)
	realparts.Authenticator(t, ctx, true)
	env := []string{"QUALYS_MCP_PASSKEYS=" + filepath.Join(t.TempDir(), "passkeys.json")}
	enrolInBrowser(t, ctx, "alice", env)
	ttl := 2 * time.Second
	e := NewEnv(t, EnvOptions{EnvVars: env, Flags: []string{"--confirm-ttl", ttl.String()}})
	args := map[string]any{"sensorProfileId": north}
	link := pageLink(t, e.OK("delete_sensor_profile", args))
	realparts.Do(t, ctx, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("passkey")))
	time.Sleep(ttl + time.Second) // past the expiry (a second is the store's resolution)
	realparts.Do(t, ctx, chromedp.Click(chromedp.ID("passkey")), chromedp.WaitVisible(chromedp.CSS(`#state[data-done]`)))
	if state, _ := pageState(t, ctx); !strings.Contains(state, "expired") {
		t.Fatalf("a late passkey: %q", state)
	}
	if msg := e.Fail("delete_sensor_profile", args); !strings.Contains(msg, "expired") {
		t.Fatalf("a call after the expiry: %s", msg)
	}
	if !profileExists(e, north) || e.SB.Count("DELETE", "") != 0 {
		t.Fatal("an expired page deleted")
	}
}

// BenchmarkConfirmInBrowser measures what a person's confirmation costs on
// the server and at the page: from the first destructive call (its
// preview, in the audit log) to the deletion (the call's line), server
// side, with the person's passkey pressed in Chromium as soon as the link
// is there; and how many destructive calls a person confirms per minute
// that way (each: call, open the page, press the passkey, call again).
func BenchmarkConfirmInBrowser(b *testing.B) {
	browser := realparts.Chromium(b)
	ctx := realparts.Tab(b, browser)
	realparts.Authenticator(b, ctx, true)
	dir := b.TempDir()
	env, audit := []string{"QUALYS_MCP_PASSKEYS=" + filepath.Join(dir, "passkeys.json")}, filepath.Join(dir, "audit.jsonl")
	link, wait := passkeyAdd(b, env, "--name", "alice")
	if done, msg := realparts.PressPasskey(b, ctx, link); done != "ok" {
		b.Fatalf("enrolling: %s %q", done, msg)
	}
	if out, err := wait(); err != nil {
		b.Fatalf("passkey add: %v %s", err, out)
	}
	e := NewEnv(b, EnvOptions{EnvVars: env, Flags: []string{"--audit-log", audit}})
	ids := make([]string, b.N)
	for i := range ids {
		res := e.OK("create_registry", map[string]any{"registryType": "JFrog", "registryUri": fmt.Sprintf("https://bench-%d.jfrog.io", i),
			"credentialType": "Token", "credential": map[string]any{"accessToken": "bench-token"}})
		ids[i], _ = res["registryUuid"].(string)
	}
	b.ResetTimer()
	start := time.Now()
	for _, id := range ids {
		args := map[string]any{"registryId": id}
		res := e.OK("delete_registry", args)
		link, _ := res["confirmUrl"].(string)
		if done, msg := realparts.PressPasskey(b, ctx, link); done != "ok" {
			b.Fatalf("confirming %s: %s %q", id, done, msg)
		}
		if res := e.OK("delete_registry", args); res["deleted"] != true {
			b.Fatalf("deleting %s: %v", id, res)
		}
	}
	took := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/took.Minutes(), "confirmed/min")
	var spans []time.Duration
	f, err := os.Open(audit)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	shown := map[string]time.Time{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l struct {
			Time, Event, Outcome string
			Args                 map[string]any
		}
		json.Unmarshal(sc.Bytes(), &l)
		at, _ := time.Parse(time.RFC3339Nano, l.Time)
		id, _ := l.Args["registryId"].(string)
		switch {
		case l.Event == "guard" && l.Outcome == "preview shown":
			shown[id] = at
		case l.Event == "call" && l.Outcome == "ok" && !shown[id].IsZero():
			spans = append(spans, at.Sub(shown[id]))
		}
	}
	if len(spans) != b.N {
		b.Fatalf("%d deletions in the audit log, want %d", len(spans), b.N)
	}
	slices.Sort(spans)
	b.ReportMetric(float64(spans[len(spans)/2].Milliseconds()), "call-to-delete-p50-ms")
}
