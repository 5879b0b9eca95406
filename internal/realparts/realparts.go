// Package realparts starts, for tests, the real parts a user would have:
// Debian's headless Chromium (driven through the DevTools protocol, with
// a virtual authenticator for passkeys) and redis-server, on loopback,
// stopped by process id when the test ends. A test is skipped, saying
// so, only when the program is not installed (.ci/run installs both).
package realparts

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// Chromium starts headless Chromium for the test, or skips it when
// Chromium is not installed; it stops when the test ends.
func Chromium(t testing.TB) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Skip("headless Chromium is not installed (Debian package chromium; .ci/run installs it)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.WindowSize(980, 860))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

// Tab opens a new tab of the browser, closed when the test ends.
func Tab(t testing.TB, browser context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // attaches it, for as long as ctx lives (no timeout here)
		t.Fatalf("opening a tab: %v", err)
	}
	return ctx
}

// Run runs browser steps, bounded so that a missing element fails the
// test rather than hanging it.
func Run[T any](t testing.TB, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Do runs steps that return nothing.
func Do(t testing.TB, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	Run(t, ctx, chromedp.Steps(steps...))
}

// EvalJSON runs a script in the page (awaiting its promise) and decodes
// what it returns into v.
func EvalJSON(t testing.TB, ctx context.Context, script string, v any) {
	t.Helper()
	raw := Run(t, ctx, chromedp.Evaluate[json.RawMessage](script, chromedp.EvalAwaitPromise))
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
}

// Call is one DevTools protocol command as a browser step.
func Call[P, R any](c cdp.Command[P, R], p P) chromedp.Action[R] {
	return func(ctx context.Context, t *chromedp.Target) (R, error) { return cdp.Call(ctx, t, c, p) }
}

// Raw is one DevTools protocol command with parameters of the test's own
// (for a field the generated types always send, and a browser refuses).
func Raw(method string, params any) chromedp.Action[json.RawMessage] {
	return func(ctx context.Context, t *chromedp.Target) (json.RawMessage, error) {
		var res json.RawMessage
		return res, t.Call(ctx, method, params, &res)
	}
}

// Authenticator adds a virtual platform authenticator to the browser's
// tab, as a phone or laptop has: CTAP2, internal transport, resident
// keys, user verification that succeeds when verified is true (and fails
// otherwise), presence simulated.
func Authenticator(t testing.TB, ctx context.Context, verified bool) webauthn.AuthenticatorID {
	t.Helper()
	Run(t, ctx, Call(webauthn.Enable, webauthn.EnableParams{}))
	res := Run(t, ctx, Call(webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
		Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21, Transport: webauthn.AuthenticatorTransportInternal,
		HasResidentKey: true, HasUserVerification: true, IsUserVerified: verified, AutomaticPresenceSimulation: true,
	}}))
	return res.AuthenticatorID
}

// PressPasskey opens a passkey page (tools/consent/passkey's script: a
// button id="passkey", a status id="state" whose data-done says "ok" or
// "refused" at the end; after a reload, an element id="done" means ok),
// presses its button, and answers what the page says at the end.
func PressPasskey(t testing.TB, ctx context.Context, url string) (done, message string) {
	t.Helper()
	Do(t, ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.ID("passkey")), chromedp.Click(chromedp.ID("passkey")),
		chromedp.WaitVisible(chromedp.CSS(`#state[data-done], #done`)))
	var got struct{ Done, Text string }
	EvalJSON(t, ctx, `(() => { const s = document.getElementById("state"), d = document.getElementById("done");
  return s ? {done: s.dataset.done, text: s.textContent} : {done: "ok", text: d.textContent}; })()`, &got)
	return got.Done, got.Text
}

// Redis is a redis-server on a loopback port, without persistence.
type Redis struct {
	t    testing.TB
	bin  string
	port int
	cmd  *exec.Cmd
	log  string // its output, read when it does not answer
}

// StartRedis starts redis-server, or skips the test when it is not
// installed; it is stopped by its pid when the test ends.
func StartRedis(t testing.TB) *Redis {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed (Debian package redis-server; .ci/run installs it): skipping the test on a real Redis")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	r := &Redis{t: t, bin: bin, port: port, log: filepath.Join(t.TempDir(), "redis.log")}
	r.Start()
	t.Cleanup(r.Stop)
	return r
}

// URL is the server's redis:// URL.
func (r *Redis) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

// Start starts the server (again, empty, on the same port) and waits
// until it answers.
func (r *Redis) Start() {
	r.t.Helper()
	r.cmd = exec.Command(r.bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(r.port),
		"--save", "", "--appendonly", "no", "--dir", r.t.TempDir())
	log, err := os.OpenFile(r.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		r.t.Fatal(err)
	}
	defer log.Close() // the process has its own copy
	r.cmd.Stdout, r.cmd.Stderr = log, log
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", r.port)); err == nil {
			c.Write([]byte("PING\r\n"))
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if strings.HasPrefix(line, "+PONG") {
				return
			}
		}
	}
	out, _ := os.ReadFile(r.log)
	r.t.Fatalf("redis-server did not answer: %s", out)
}

// Stop stops the server by its pid.
func (r *Redis) Stop() {
	if r.cmd != nil {
		r.cmd.Process.Kill()
		r.cmd.Wait()
		r.cmd = nil
	}
}
