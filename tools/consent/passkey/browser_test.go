package passkey_test

// The ceremonies in a real browser: headless Chromium with the DevTools
// virtual authenticator (CTAP2, internal transport, user verification)
// on the package's own pages and script, served on http://localhost:PORT.
// An approval page of the test's, shaped as the confirmation page will
// be, uses the package's assertion steps.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/internal/realparts"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/consent/passkey"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/consent/passkey/passkeytest"
)

// approvals is the test's confirmation page: approvals by id, each with
// its CSRF token "csrf-ID"; what confirmed each; the assertions posted.
type approvals struct {
	mu        sync.Mutex
	confirmed map[string]string // id: passkey name
	finishes  [][]byte          // the bodies posted to .../finish
}

func binding(id string) passkey.Binding {
	return passkey.Binding{Approval: id, Tool: "delete_sensor_profile", Args: "args-" + id, Target: "fp-" + id}
}

func (a *approvals) Bind(r *http.Request, csrf string) (passkey.Binding, error) {
	id, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/approve/"), "/")
	if csrf != "csrf-"+id {
		return passkey.Binding{}, fmt.Errorf("%w: not this page's token", passkey.ErrRefused)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.confirmed[id] != "" {
		return passkey.Binding{}, fmt.Errorf("%w: already confirmed", passkey.ErrRefused)
	}
	return binding(id), nil
}

func (a *approvals) Confirmed(r *http.Request, b passkey.Binding, who passkey.Result) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.confirmed[b.Approval] = who.Name
	return "Confirmed by passkey " + who.Name + ".", nil
}

func (a *approvals) by(id string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.confirmed[id]
}

const approveStyle = `body{font:16px system-ui}`

var approveTpl = template.Must(template.New("").Parse(`<!doctype html><html><head><meta charset="utf-8"><title>Approve</title>
<style>` + approveStyle + `</style><script src="/passkey/passkey.js" defer></script></head><body><main>
{{if .By}}<p id="done">Confirmed by {{.By}}</p>{{else}}<button id="passkey" data-begin="{{.ID}}/passkey/begin" data-csrf="csrf-{{.ID}}">Confirm</button><p id="state"></p>{{end}}
</main></body></html>`))

type site struct {
	svc  *passkey.Service
	rp   passkey.RP
	apps *approvals
}

// serve starts the package's handlers and the approval page on
// localhost, for a service keeping its passkeys in a file.
func serve(t *testing.T) *site {
	t.Helper()
	svc, err := passkey.New(passkey.Options{State: state.NewMemory(), Keys: [][]byte{bytes.Repeat([]byte{7}, 32)}, File: filepath.Join(t.TempDir(), "passkeys.json")})
	if err != nil {
		t.Fatal(err)
	}
	lns, rp, err := passkey.ListenLocal()
	if err != nil {
		t.Fatal(err)
	}
	s := &site{svc: svc, rp: rp, apps: &approvals{confirmed: map[string]string{}}}
	assert := svc.AssertHandler(rp, s.apps, passkey.HandlerOptions{Loopback: true})
	mux := http.NewServeMux()
	mux.Handle(passkey.Path, svc.Handler(rp, passkey.HandlerOptions{Loopback: true}))
	mux.HandleFunc("/approve/", func(w http.ResponseWriter, r *http.Request) {
		id, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/approve/"), "/")
		if rest != "" {
			if strings.HasSuffix(rest, "/finish") {
				body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
				s.apps.mu.Lock()
				s.apps.finishes = append(s.apps.finishes, body)
				s.apps.mu.Unlock()
				r.Body = io.NopCloser(bytes.NewReader(body))
			}
			assert.ServeHTTP(w, r)
			return
		}
		passkey.PageHeaders(w.Header(), passkey.PageCSP(approveStyle))
		approveTpl.Execute(w, map[string]string{"ID": id, "By": s.apps.by(id)})
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	for _, ln := range lns {
		go srv.Serve(ln)
	}
	t.Cleanup(func() { srv.Close() })
	return s
}

// press opens a page and presses its passkey button.
func press(t *testing.T, ctx context.Context, url string) (string, string) {
	t.Helper()
	done, msg := realparts.PressPasskey(t, ctx, url)
	t.Logf("%s: %s: %s", url, done, msg)
	return done, msg
}

func (s *site) approve(id string) string { return s.rp.Origin + "/approve/" + id }

// enrolInBrowser enrols name through its enrolment page in the tab ctx.
func (s *site) enrol(t *testing.T, ctx context.Context, name string) (string, string) {
	t.Helper()
	e, err := s.svc.NewEnrolment(context.Background(), passkey.EnrolOptions{Name: name, RP: s.rp, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return press(t, ctx, e.URL)
}

func (s *site) names(t *testing.T) string {
	names, err := s.svc.Names(context.Background(), s.rp)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(names, ",")
}

// tab is a new tab of the browser, with a virtual authenticator of its own.
func tab(t *testing.T, browser context.Context, verified bool) (context.Context, webauthn.AuthenticatorID) {
	t.Helper()
	ctx := realparts.Tab(t, browser)
	return ctx, realparts.Authenticator(t, ctx, verified)
}

func TestAssertionInBrowser(t *testing.T) {
	browser := realparts.Chromium(t)
	s := serve(t)
	ctx, auth := tab(t, browser, true)

	if done, msg := s.enrol(t, ctx, "alice"); done != "ok" || !strings.Contains(msg, "alice is enrolled") || s.names(t) != "alice" {
		t.Fatalf("enrolling alice: %s %q; enrolled %q", done, msg, s.names(t))
	}

	// A good assertion confirms the approval, and names alice.
	if done, msg := press(t, ctx, s.approve("A1")); done != "ok" || s.apps.by("A1") != "alice" {
		t.Fatalf("alice's assertion: %s %q, confirmed by %q", done, msg, s.apps.by("A1"))
	}

	// User verification failing on the authenticator: nothing confirmed.
	realparts.Run(t, ctx, realparts.Call(webauthn.SetUserVerified, webauthn.SetUserVerifiedParams{AuthenticatorID: auth, IsUserVerified: false}))
	if done, msg := press(t, ctx, s.approve("A2")); done != "refused" || s.apps.by("A2") != "" {
		t.Fatalf("without user verification: %s %q", done, msg)
	}
	realparts.Run(t, ctx, realparts.Call(webauthn.SetUserVerified, webauthn.SetUserVerifiedParams{AuthenticatorID: auth, IsUserVerified: true}))
	// An answer whose UV flag is off reaches the server: refused there.
	bad := true
	realparts.Run(t, ctx, realparts.Call(webauthn.SetResponseOverrideBits, webauthn.SetResponseOverrideBitsParams{AuthenticatorID: auth, IsBadUV: &bad}))
	if done, msg := press(t, ctx, s.approve("A2")); done != "refused" || !strings.Contains(msg, "did not verify the user") || s.apps.by("A2") != "" {
		t.Fatalf("an assertion without the UV flag: %s %q", done, msg)
	}
	// A bogus signature: refused.
	realparts.Run(t, ctx, realparts.Call(webauthn.SetResponseOverrideBits, webauthn.SetResponseOverrideBitsParams{AuthenticatorID: auth, IsBogusSignature: &bad}))
	if done, msg := press(t, ctx, s.approve("A2")); done != "refused" || !strings.Contains(msg, "does not verify") || s.apps.by("A2") != "" {
		t.Fatalf("a bogus signature: %s %q", done, msg)
	}
	realparts.Run(t, ctx, realparts.Call(webauthn.SetResponseOverrideBits, webauthn.SetResponseOverrideBitsParams{AuthenticatorID: auth}))

	// An assertion made for another approval's challenge: the page of A3
	// fetches A4's options, and posts alice's answer to A3.
	var crossed struct{ Message string }
	realparts.Do(t, ctx, chromedp.Navigate(s.approve("A3")), chromedp.WaitVisible(chromedp.ID("passkey")))
	realparts.EvalJSON(t, ctx, `(async () => {
  const p = window.qualysPasskey;
  const r = await p.post("A4/passkey/begin", {csrf: "csrf-A4"});
  const cred = await navigator.credentials.get({publicKey: p.requestOptions(r.assert.publicKey)});
  return await p.post("A3/passkey/finish", {csrf: "csrf-A3", credential: p.credentialJSON(cred)});
})()`, &crossed)
	if !strings.Contains(crossed.Message, "made for another approval") || s.apps.by("A3") != "" || s.apps.by("A4") != "" {
		t.Fatalf("another approval's assertion: %q", crossed.Message)
	}

	// A replayed assertion: alice's answer that confirmed A1, posted again
	// to A1's step and to another approval's (each with its token).
	s.apps.mu.Lock()
	first := s.apps.finishes[0]
	delete(s.apps.confirmed, "A1") // as if A1 were pending again: only the assertion is judged
	s.apps.mu.Unlock()
	for id, want := range map[string]string{"A1": "already used", "A5": "made for another approval"} {
		var p struct {
			Credential json.RawMessage `json:"credential"`
		}
		json.Unmarshal(first, &p)
		st := passkeytest.Post(t, s.approve(id)+"/passkey/finish", s.rp.Origin, map[string]any{"csrf": "csrf-" + id, "credential": p.Credential})
		if st.Code != http.StatusForbidden || !strings.Contains(st.Message, want) || s.apps.by(id) != "" {
			t.Fatalf("a replayed assertion to %s: %d %s", id, st.Code, st.Message)
		}
	}

	// An authenticator holding no enrolled passkey: one with none at all,
	// and one holding a passkey for localhost that was never enrolled.
	empty, _ := tab(t, browser, true)
	if done, msg := press(t, empty, s.approve("A6")); done != "refused" || s.apps.by("A6") != "" {
		t.Fatalf("an empty authenticator: %s %q", done, msg)
	}
	realparts.Do(t, empty, chromedp.Navigate(s.approve("A6")), chromedp.WaitVisible(chromedp.ID("passkey")))
	realparts.Run(t, empty, chromedp.Evaluate[bool](`(async () => {
  const c = await navigator.credentials.create({publicKey: {rp: {id: "localhost", name: "x"}, user: {id: crypto.getRandomValues(new Uint8Array(16)), name: "mallory", displayName: "mallory"},
    challenge: crypto.getRandomValues(new Uint8Array(32)), pubKeyCredParams: [{type: "public-key", alg: -7}], authenticatorSelection: {residentKey: "required", userVerification: "required"}}});
  return !!c; })()`, chromedp.EvalAwaitPromise))
	if done, msg := press(t, empty, s.approve("A6")); done != "refused" || !strings.Contains(msg, "not enrolled") || s.apps.by("A6") != "" {
		t.Fatalf("an authenticator whose passkey is not enrolled: %s %q", done, msg)
	}

	// A clone of alice's key, taken before her last uses (a lower sign
	// counter), in another authenticator: refused.
	creds := realparts.Run(t, ctx, realparts.Call(webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: auth}))
	if len(creds.Credentials) != 1 || creds.Credentials[0].SignCount < 1 {
		t.Fatalf("alice's authenticator holds %+v", creds.Credentials)
	}
	c := creds.Credentials[0]
	cloneTab, cloneAuth := tab(t, browser, true)
	realparts.Run(t, cloneTab, realparts.Raw(webauthn.CommandAddCredential, map[string]any{"authenticatorId": cloneAuth, "credential": map[string]any{
		"credentialId": c.CredentialID, "isResidentCredential": true, "rpId": c.RpID, "privateKey": c.PrivateKey, "userHandle": c.UserHandle, "signCount": 0}}))
	if done, msg := press(t, cloneTab, s.approve("A7")); done != "refused" || !strings.Contains(msg, "went backwards") || s.apps.by("A7") != "" {
		t.Fatalf("a cloned key: %s %q", done, msg)
	}

	// alice still confirms, after all of it.
	if done, msg := press(t, ctx, s.approve("A8")); done != "ok" || s.apps.by("A8") != "alice" {
		t.Fatalf("alice at the end: %s %q", done, msg)
	}
}

// A second passkey is enrolled only after an assertion from alice's: an
// authenticator without hers gets nothing, and neither does a page that
// skips the assertion step.
func TestSecondEnrolmentInBrowser(t *testing.T) {
	browser := realparts.Chromium(t)
	s := serve(t)
	alice, _ := tab(t, browser, true)
	if done, msg := s.enrol(t, alice, "alice"); done != "ok" {
		t.Fatalf("alice: %s %q", done, msg)
	}

	bob, _ := tab(t, browser, true)
	e, err := s.svc.NewEnrolment(context.Background(), passkey.EnrolOptions{Name: "bob", RP: s.rp, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if done, msg := press(t, bob, e.URL); done != "refused" || s.names(t) != "alice" {
		t.Fatalf("bob without alice's assertion: %s %q; enrolled %q", done, msg, s.names(t))
	}
	// The page's script skipped: bob's authenticator creates a passkey
	// with options of its own and posts it to the last step.
	var skipped struct{ Message string }
	realparts.EvalJSON(t, bob, `(async () => {
  const p = window.qualysPasskey, id = location.pathname.split("/").pop();
  const r = await p.post(id + "/begin", {});
  if (r.create) return {message: "the server offered to create without an assertion"};
  const c = await navigator.credentials.create({publicKey: {rp: {id: "localhost", name: "qualys-cs-mcp"}, user: {id: crypto.getRandomValues(new Uint8Array(32)), name: "bob", displayName: "bob"},
    challenge: crypto.getRandomValues(new Uint8Array(32)), pubKeyCredParams: [{type: "public-key", alg: -7}], authenticatorSelection: {residentKey: "required", userVerification: "required"}}});
  return await p.post(id + "/finish", {credential: p.credentialJSON(c)});
})()`, &skipped)
	if !strings.Contains(skipped.Message, "not created for this enrolment") || s.names(t) != "alice" {
		t.Fatalf("bob skipping the assertion: %q; enrolled %q", skipped.Message, s.names(t))
	}
}
