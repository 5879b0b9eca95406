package consent

// The confirmation page: where a human confirms a destructive call for a
// client that cannot ask them in a form (the default --confirm-fallback
// url, and URL-mode elicitation). The approval lives in the shared state
// store (tools.Options.State): the page records the human's decision, the
// guard spends it once, for exactly the arguments and target previewed.
//
// Served on the --http listener under /confirm/, or in stdio mode on a
// loopback listener started on first need and closed when idle. A GET
// only shows; the form's POST decides, and needs the one-time id in the
// path, the CSRF token of the form, a loopback Host on a loopback listener
// and an Origin of this page (or an allowed one).

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	json "github.com/segmentio/encoding/json"

	"github.com/mark3labs/mcp-go/server"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/shape"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/telemetry"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
)

// ConfirmPath is where the confirmation pages are served.
const ConfirmPath = "/confirm/"

// approvalGrace keeps a record past its expiry, so that a late visit or
// call hears "expired" rather than "unknown".
const approvalGrace = time.Minute

// Approval states.
const (
	pagePending   = "pending"
	pageConfirmed = "confirmed"
	pageCancelled = "cancelled"
	pageUsed      = "used"
)

// approval is one page confirmation: what the human is shown, what it is
// bound to, and what they decided.
type approval struct {
	ID      string          `json:"id"`
	CSRF    string          `json:"csrf"`
	Tool    string          `json:"tool"`
	Title   string          `json:"title"`
	Args    string          `json:"args"` // hashArgs of the call
	FP      string          `json:"fp"`   // the target's fingerprint at preview time
	Summary string          `json:"summary"`
	Details json.RawMessage `json:"details,omitempty"`
	Shown   []shape.ArgLine `json:"shown"` // the arguments, quoted, secrets masked
	Undo    string          `json:"undo"`
	URL     string          `json:"url"`
	Exp     int64           `json:"exp"` // unix seconds: decide (then use) before
	Status  string          `json:"status"`
	Why     string          `json:"why,omitempty"`     // why it was cancelled, when not on the page
	ByArgs  bool            `json:"byArgs,omitempty"`  // a later call with the same arguments finds it
	Session string          `json:"session,omitempty"` // the MCP session that asked, when there is one (callSession)
}

func (a *approval) expired(now time.Time) bool {
	return a.Status != pageUsed && a.Status != pageCancelled && now.Unix() > a.Exp
}

// pages keeps the approvals and serves their page.
type pages struct {
	store   state.Store
	ttl     time.Duration
	now     func() time.Time
	log     *slog.Logger
	allowed []string // browser origins allowed besides loopback and the page's own
	public  string   // --public-url: the base of every link, when set
	origin  string   // the public URL's origin, taken as the page's own
	noSess  bool     // --stateless: calls carry no session to bind an approval to
	waiting waiting  // the calls waiting for a decision

	mu        sync.Mutex
	srv       *http.Server // the stdio mode's loopback listener, while it runs
	base      string
	idle      *time.Timer
	idleAfter time.Duration // with no new approval for this long, the listener closes
}

func newPages(store state.Store, ttl time.Duration, log *slog.Logger) *pages {
	return &pages{store: store, ttl: ttl, now: time.Now, log: log, idleAfter: ttl + approvalGrace}
}

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

type pageBaseKey struct{}

// PageContext is an --http request's context func: links point at the
// host the client reached.
func PageContext(ctx context.Context, r *http.Request) context.Context {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return context.WithValue(ctx, pageBaseKey{}, scheme+"://"+r.Host)
}

// PageOptions say how the pages are reached over --http.
type PageOptions struct {
	AllowedOrigins []string // browser origins allowed besides loopback and the page's own
	PublicURL      string   // the base of every link, when set (checked by CheckPublicURL)
	Stateless      bool     // calls carry no session to bind an approval to
}

// Mount serves the confirmation pages on an --http listener's mux.
func (g *Guard) Mount(mux *http.ServeMux, o PageOptions) { g.pages.mount(mux, o) }

// mount serves the pages on an --http listener.
func (p *pages) mount(mux *http.ServeMux, o PageOptions) {
	p.allowed, p.noSess = o.AllowedOrigins, o.Stateless
	if o.PublicURL != "" {
		u, _ := url.Parse(o.PublicURL) // checked by ServeHTTP
		p.public, p.origin = strings.TrimRight(o.PublicURL, "/"), u.Scheme+"://"+u.Host
	}
	mux.Handle(ConfirmPath, p)
	if o.Stateless && !p.store.Shared() {
		p.log.Warn("--stateless: page confirmations (--confirm-fallback url and URL-mode elicitation) are kept by this replica only; " +
			"behind a load balancer they need a shared state store (--state). Form elicitation works across replicas sharing QUALYS_MCP_STATE_KEY")
	}
}

// CheckPublicURL checks --public-url: an absolute http(s) URL without
// query or fragment (a path is kept: a proxy may serve us under one).
// Plain http off loopback is allowed, with a warning.
func CheckPublicURL(raw string, log *slog.Logger) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("--public-url: %w", err)
	case u.Scheme != "http" && u.Scheme != "https", u.Host == "", u.Opaque != "":
		return fmt.Errorf("--public-url %q: want an absolute http:// or https:// URL", raw)
	case u.User != nil, u.RawQuery != "", u.ForceQuery, u.Fragment != "", strings.Contains(raw, "#"):
		return fmt.Errorf("--public-url %q: no user, query or fragment", raw)
	case u.Scheme == "http" && !client.IsLoopback(u.Hostname()):
		log.Warn("--public-url is plain http off loopback: confirmation links and the page's CSRF token travel unencrypted", "url", raw)
	}
	return nil
}

// callSession is the MCP session a call belongs to, which an approval is
// bound to: the stateful --http session, or "stdio". Stateless --http and
// 2026-07-28 clients have none ("").
func (p *pages) callSession(ctx context.Context) string {
	if p.noSess {
		return "" // the header is the client's word: nothing validates it
	}
	if s := server.ClientSessionFromContext(ctx); s != nil {
		return s.SessionID()
	}
	return ""
}

// linkBase is where the page of a new approval is: --public-url, the
// --http host the call came through, or the loopback listener (started
// now if needed).
func (p *pages) linkBase(ctx context.Context) (string, error) {
	if p.public != "" {
		return p.public, nil
	}
	if b, ok := ctx.Value(pageBaseKey{}).(string); ok {
		return b, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	idle := p.idleAfter
	if p.srv != nil {
		p.idle.Reset(idle)
		return p.base, nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("refused: the confirmation page could not be served, so nothing was changed: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle(ConfirmPath, p)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	p.srv, p.base = srv, "http://"+ln.Addr().String()
	p.idle = time.AfterFunc(idle, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.srv == srv {
			p.srv = nil
			srv.Close()
			p.log.Info("confirmation page listener closed (idle)")
		}
	})
	go srv.Serve(ln)
	p.log.Info("confirmation pages served on loopback", "addr", p.base+ConfirmPath)
	return p.base, nil
}

func (p *pages) key(id string) string { return "approval:" + id }

func (p *pages) get(ctx context.Context, id string) (*approval, error) {
	raw, ok, err := p.store.Get(ctx, p.key(id))
	if err != nil || !ok {
		return nil, err
	}
	var a approval
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

func (p *pages) put(ctx context.Context, a *approval) error {
	raw, _ := json.Marshal(a)
	return p.store.Put(ctx, p.key(a.ID), raw, time.Until(time.Unix(a.Exp, 0))+approvalGrace)
}

// create records a pending approval for the previewed call; byArgs also
// lets a later call with the same arguments find it.
func (p *pages) create(ctx context.Context, t *tool.Tool, c *tool.Ctx, pv *tool.Preview, fp string, byArgs bool) (*approval, error) {
	base, err := p.linkBase(ctx)
	if err != nil {
		return nil, err
	}
	details, _ := json.Marshal(pv.Details)
	a := &approval{ID: randomID(), CSRF: randomID(), Tool: t.Name, Title: t.Title(), Args: hashArgs(t.Name, c.Args), FP: fp,
		Summary: pv.Summary, Details: details, Shown: shape.ShownArgs(c.Args), Undo: undoNote(t),
		Exp: p.now().Add(p.ttl).Unix(), Status: pagePending, ByArgs: byArgs, Session: p.callSession(ctx)}
	a.URL = base + ConfirmPath + a.ID
	if err := p.put(ctx, a); err != nil {
		return nil, fmt.Errorf("refused: the confirmation could not be recorded, so nothing was changed: %w", err)
	}
	if err := p.link(ctx, a); err != nil {
		return nil, fmt.Errorf("refused: the confirmation could not be recorded, so nothing was changed: %w", err)
	}
	return a, nil
}

// forKey is where a later call of the same session with the same
// arguments finds an approval.
func forKey(args, session string) string { return "approval-for:" + args + "@" + session }

// link lets a later call of the same session with the same arguments find
// the approval, for as long as it lives.
func (p *pages) link(ctx context.Context, a *approval) error {
	if !a.ByArgs {
		return nil
	}
	return p.store.Put(ctx, forKey(a.Args, a.Session), []byte(a.ID), time.Until(time.Unix(a.Exp, 0))+approvalGrace)
}

// forArgs finds the approval an earlier call of this session with the
// same arguments made.
func (p *pages) forArgs(ctx context.Context, args string) (*approval, error) {
	key := forKey(args, p.callSession(ctx))
	id, ok, err := p.store.Get(ctx, key)
	if err != nil || !ok {
		return nil, err
	}
	a, err := p.get(ctx, string(id))
	if a == nil && err == nil {
		p.store.Delete(ctx, key)
	}
	return a, err
}

// forget drops the arguments' link to an approval that is settled.
func (p *pages) forget(ctx context.Context, a *approval) {
	p.store.Delete(ctx, forKey(a.Args, a.Session))
}

// decide records a decision once: the page's POST, or the guard's cancel
// when the user declined to open the page. It reports false when the
// approval was decided already.
func (p *pages) decide(ctx context.Context, a *approval, status, why string) (bool, error) {
	first, err := p.store.Claim(ctx, "approval-decided:"+a.ID, p.ttl+approvalGrace)
	if err != nil || !first {
		return false, err
	}
	a.Status, a.Why = status, why
	if status == pageConfirmed { // a confirmation lasts as long as a token: to be used
		a.Exp = p.now().Add(p.ttl).Unix()
		if err := p.link(ctx, a); err != nil {
			return true, err
		}
	}
	return true, p.put(ctx, a)
}

// spend marks a confirmed approval used, once across replicas.
func (p *pages) spend(ctx context.Context, a *approval) error {
	first, err := p.store.Claim(ctx, "approval-used:"+a.ID, time.Until(time.Unix(a.Exp, 0))+approvalGrace)
	if err != nil {
		return fmt.Errorf("refused: the confirmation could not be checked as unused, so nothing was changed: %w", err)
	}
	if !first {
		return errors.New("refused: this confirmation was already used; nothing was changed")
	}
	a.Status = pageUsed
	p.put(ctx, a)
	p.forget(ctx, a)
	return nil
}

// wait waits for the human's decision on the page, until the approval
// expires or ctx ends, reporting progress (when the call asked for it)
// every few seconds.
func (p *pages) wait(ctx context.Context, a *approval) (*approval, error) {
	release, err := p.waiting.acquire(a.Session)
	if err != nil {
		return a, err
	}
	defer release()
	defer park(ctx)()
	defer telemetry.Wait(ctx)()
	tool.Progress(ctx, false, "waiting for the user to confirm on %s (until %s): %s", a.URL, time.Unix(a.Exp, 0).UTC().Format(time.TimeOnly+" UTC"), a.Summary)
	poll := time.NewTicker(250 * time.Millisecond)
	defer poll.Stop()
	last := p.now()
	for {
		select {
		case <-ctx.Done():
			return a, ctx.Err()
		case <-poll.C:
		}
		cur, err := p.get(ctx, a.ID)
		switch {
		case err != nil:
			return a, fmt.Errorf("refused: the confirmation could not be read, so nothing was changed: %w", err)
		case cur == nil:
			return a, errUnknownApproval
		case cur.Status != pagePending || cur.expired(p.now()):
			return cur, nil
		}
		if now := p.now(); now.Sub(last) >= 10*time.Second {
			last = now
			tool.Progress(ctx, false, "still waiting for the user to confirm on %s (%s left)", a.URL, time.Unix(a.Exp, 0).Sub(now).Round(time.Second))
		}
	}
}

var errUnknownApproval = errors.New("refused: this server does not know the confirmation (it expired, or another replica without a shared state store made it); nothing was changed. Call again for a new preview")

// undoNote says what the call cannot undo.
func undoNote(t *tool.Tool) string {
	if t.Tier == tool.Destructive {
		return "This cannot be undone: what is deleted, detached or cancelled is gone, and this server cannot bring it back."
	}
	return "This cannot be undone: what is revealed in the conversation cannot be hidden again."
}

// The page. No script; the only style is this block, allowed by its hash.
const pageStyle = `body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
main{max-width:46rem;margin:2rem auto;background:#fff;border:1px solid #d5d9e0;border-radius:8px;padding:1.5rem 2rem}
h1{font-size:1.4rem;margin:0 0 .5rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:.4rem 1rem}
dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}table{border-collapse:collapse}th,td{text-align:left;padding:0 .8rem .2rem 0;vertical-align:top;font-family:ui-monospace,monospace;font-size:.9rem}
.undo{color:#9b1c1c;font-weight:600}.note{color:#5b6474;font-size:.9rem}.state{font-size:1.1rem;font-weight:600}
form{display:flex;gap:1rem;margin-top:1.2rem}button{font-size:1rem;padding:.6rem 1.4rem;border-radius:6px;border:1px solid #8a93a3;background:#fff;cursor:pointer}
button.confirm{background:#b42318;border-color:#b42318;color:#fff}`

var (
	pageCSP = "default-src 'none'; style-src 'sha256-" + styleHash() + "'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	pageTpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Heading}} · qualys-cs-mcp</title><style>` + pageStyle + `</style></head>
<body><main>
<h1>{{.Heading}}</h1>
{{if .A}}<p>An AI assistant asked the qualys-cs-mcp server to run a tool that changes your Qualys Container Security subscription. It runs only if you confirm here.</p>
<dl>
<dt>tool.Tool</dt><dd><code>{{.A.Tool}}</code> ({{.A.Title}})</dd>
<dt>What will happen</dt><dd id="summary">{{.A.Summary}}</dd>
<dt>Arguments</dt><dd><table id="args">{{range .A.Shown}}<tr><th>{{.Name}}</th><td>{{.Value}}</td></tr>{{end}}</table></dd>
<dt>Undo</dt><dd class="undo">{{.A.Undo}}</dd>
<dt>Expires</dt><dd>{{.Expires}}</dd>
</dl>
<p class="note">Text in "double quotes" was chosen by the assistant or by Qualys, not by this server; line breaks and control characters in it are shown as \n, \x1b, \u202e.</p>
{{end}}{{if .Form}}<form method="post"><input type="hidden" name="csrf" value="{{.A.CSRF}}">
<button class="confirm" id="confirm" type="submit" name="decision" value="confirm">Confirm</button>
<button id="cancel" type="submit" name="decision" value="cancel">Cancel</button></form>
{{else}}<p class="state" id="state">{{.State}}</p>{{end}}
</main></body></html>
`))
)

func styleHash() string {
	sum := sha256.Sum256([]byte(pageStyle))
	return base64.StdEncoding.EncodeToString(sum[:])
}

type pageView struct {
	Heading, State, Expires string
	A                       *approval
	Form                    bool
}

// ServeHTTP serves one approval's page and takes its form.
func (p *pages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin") // no-referrer would make the form's Origin "null"
	if local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && isLoopbackAddr(local.String()) && !isLoopbackAddr(r.Host) {
		http.Error(w, "Forbidden: invalid Host header", http.StatusForbidden) // DNS rebinding, as on /mcp
		return
	}
	origin := r.Header.Get("Origin")
	if origin != "" && !p.originOK(origin, r.Host) {
		http.Error(w, "Forbidden: origin not allowed", http.StatusForbidden)
		return
	}
	id := strings.TrimPrefix(r.URL.Path, ConfirmPath)
	if len(id) != 22 || strings.Trim(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		p.render(w, http.StatusNotFound, pageView{Heading: "No such confirmation", State: "This link is not a confirmation of this server."})
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		p.show(w, r, id)
	case http.MethodPost:
		if !p.sameOrigin(origin, r.Host) { // browsers send it with every form POST
			http.Error(w, "Forbidden: a confirmation is taken only from its own page", http.StatusForbidden)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 4096)
		p.post(w, r, id)
	default:
		h.Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func isLoopbackAddr(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	return client.IsLoopback(host)
}

// originOK accepts what /mcp accepts (loopback and the allowed origins)
// and the page's own origin.
func (p *pages) originOK(origin, host string) bool {
	return p.sameOrigin(origin, host) || AllowedOrigin(origin, p.allowed)
}

// sameOrigin: the origin is the page's own (or one --allowed-origins
// names, for a proxy that rewrites the Host); another loopback page is not.
func (p *pages) sameOrigin(origin, host string) bool {
	if p.origin != "" && strings.EqualFold(origin, p.origin) {
		return true // --public-url: the page's own, whatever Host the proxy sends
	}
	if u, err := url.Parse(origin); origin == "" || err != nil || !strings.EqualFold(u.Host, host) {
		return slices.ContainsFunc(p.allowed, func(a string) bool { return origin != "" && strings.EqualFold(strings.TrimRight(a, "/"), origin) })
	}
	return true
}

// load reads the approval of a request, or answers that it cannot.
func (p *pages) load(w http.ResponseWriter, r *http.Request, id string) *approval {
	a, err := p.get(r.Context(), id)
	switch {
	case err != nil:
		p.render(w, http.StatusServiceUnavailable, pageView{Heading: "Confirmation unavailable", State: "The confirmation could not be read; nothing was changed."})
	case a == nil:
		p.render(w, http.StatusNotFound, pageView{Heading: "No such confirmation", State: "This confirmation does not exist or expired; nothing was changed. Ask the assistant to try again."})
	}
	return a
}

func (p *pages) show(w http.ResponseWriter, r *http.Request, id string) {
	if a := p.load(w, r, id); a != nil {
		p.render(w, http.StatusOK, p.view(a))
	}
}

// view is the page of an approval in its current state.
func (p *pages) view(a *approval) pageView {
	v := pageView{A: a, Expires: time.Unix(a.Exp, 0).UTC().Format("15:04:05 UTC")}
	switch {
	case a.expired(p.now()):
		v.Heading, v.State = "Confirmation expired", "This confirmation expired; nothing was changed. Ask the assistant to try again if you still want it."
	case a.Status == pagePending:
		v.Heading, v.Form = "Confirm: "+a.Title, true
	case a.Status == pageConfirmed:
		v.Heading, v.State = "Confirmed", "Confirmed. Go back to your assistant: the tool runs once, when it calls again with the same arguments (or now, if it is waiting)."
	case a.Status == pageUsed:
		v.Heading, v.State = "Done", "This confirmation was used: the tool ran. It cannot be used again."
	default:
		why := "You cancelled it"
		if a.Why != "" {
			why = a.Why
		}
		v.Heading, v.State = "Cancelled", why+"; nothing was changed."
	}
	return v
}

func (p *pages) post(w http.ResponseWriter, r *http.Request, id string) {
	ctx := r.Context()
	a := p.load(w, r, id)
	if a == nil {
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(a.CSRF)) != 1 {
		p.log.Warn("confirmation page: a POST without the form's token was refused", "tool", a.Tool)
		http.Error(w, "Forbidden: this form is not the confirmation page's; nothing was changed", http.StatusForbidden)
		return
	}
	status := map[string]string{"confirm": pageConfirmed, "cancel": pageCancelled}[r.PostFormValue("decision")]
	if status == "" {
		http.Error(w, "the decision must be confirm or cancel", http.StatusBadRequest)
		return
	}
	if a.expired(p.now()) || a.Status != pagePending {
		p.render(w, http.StatusConflict, p.view(a))
		return
	}
	first, err := p.decide(ctx, a, status, "")
	if err != nil {
		p.render(w, http.StatusServiceUnavailable, pageView{Heading: "Confirmation unavailable", State: "The decision could not be recorded; nothing was changed."})
		return
	}
	if !first {
		if cur, _ := p.get(ctx, id); cur != nil {
			a = cur
		}
		p.render(w, http.StatusConflict, p.view(a))
		return
	}
	p.log.Info("confirmation page decision", "tool", a.Tool, "decision", status)
	p.render(w, http.StatusOK, p.view(a))
}

func (p *pages) render(w http.ResponseWriter, code int, v pageView) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	pageTpl.Execute(w, v)
}

// AllowedOrigin accepts loopback origins and the configured ones.
func AllowedOrigin(origin string, allowed []string) bool {
	for _, a := range allowed {
		if strings.EqualFold(strings.TrimRight(a, "/"), strings.TrimRight(origin, "/")) {
			return true
		}
	}
	u, err := url.Parse(origin)
	return err == nil && client.IsLoopback(u.Hostname())
}
