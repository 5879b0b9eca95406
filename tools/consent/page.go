package consent

// The confirmation page: where a person confirms a destructive call for a
// client that cannot ask them in a form (the default --confirm-fallback
// url, URL-mode elicitation, and every client under --confirm-with
// passkey). The approval lives sealed in the state store
// (tools.Options.State): the page records the person's decision, the
// guard spends it once, for exactly the arguments and target previewed.
//
// Confirming takes a passkey assertion with user verification (package
// passkey), its challenge bound to this one approval: the page's button
// runs the passkey script, whose two JSON steps are
// /confirm/ID/passkey/begin and /finish. A form POST only cancels.
//
// Served on the --http listener under /confirm/ (links on
// http://localhost:PORT on loopback, or --public-url), or in stdio mode on
// a loopback listener (http://localhost:PORT) started on first need and
// closed when idle. A GET only shows; a step or the Cancel form needs the
// one-time id in the path, the page's CSRF token, the relying party's
// Host on a loopback listener and an Origin of this page.

import (
	"context"
	"crypto/rand"
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
	"strconv"
	"strings"
	"sync"
	"time"

	json "github.com/segmentio/encoding/json"

	"github.com/mark3labs/mcp-go/server"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/consent/passkey"
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
	By      string          `json:"by,omitempty"`      // who confirmed: "passkey:NAME"
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
	keys    *passkey.Service // the passkeys that confirm
	allowed []string         // browser origins allowed besides loopback and the page's own
	public  string           // --public-url: the base of every link, when set
	origin  string           // the public URL's origin, taken as the page's own
	noSess  bool             // --stateless: calls carry no session to bind an approval to
	waiting waiting          // the calls waiting for a decision
	rpID    string           // the relying party of the passkeys that confirm here
	noRP    string           // why no passkey can confirm here (then no page is offered)
	fixed   *site            // --http: where the pages are; nil: the stdio mode's listener

	mu        sync.Mutex
	srv       *http.Server // the stdio mode's loopback listener, while it runs
	local     *site        // and its site
	idle      *time.Timer
	idleAfter time.Duration // with no new approval for this long, the listener closes
}

// site is where the pages are served: the relying party whose passkeys
// confirm there, the base of their links, whether the listener is a
// loopback one (its Host is then the relying party's), and the passkey
// steps. A site without an assert handler offers no page.
type site struct {
	rp       passkey.RP
	base     string
	loopback bool
	assert   http.Handler
}

func newPages(store state.Store, keys *passkey.Service, ttl time.Duration, log *slog.Logger) *pages {
	return &pages{store: store, keys: keys, ttl: ttl, now: time.Now, log: log, idleAfter: ttl + approvalGrace, rpID: "localhost"}
}

// newSite is the site of rp, its links at base.
func (p *pages) newSite(rp passkey.RP, base string, loopback bool) *site {
	return &site{rp: rp, base: base, loopback: loopback, assert: p.keys.AssertHandler(rp, approvals{p}, passkey.HandlerOptions{Loopback: loopback})}
}

// serveOn serves s's pages on mux: the pages, their passkey steps and the
// passkey script.
func (p *pages) serveOn(mux *http.ServeMux, s *site) {
	mux.Handle(ConfirmPath, p.handler(s))
	if s.loopback { // --public-url: passkey.Mount serves it
		mux.HandleFunc(passkey.Path+"passkey.js", passkey.ServeScript)
	}
}

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// PageOptions say how the pages are reached over --http.
type PageOptions struct {
	Addr           string   // the listener's address (host:port, as bound)
	AllowedOrigins []string // browser origins allowed besides loopback and the page's own
	PublicURL      string   // the base of every link, when set (checked by CheckPublicURL)
	Stateless      bool     // calls carry no session to bind an approval to
}

// Mount serves the confirmation pages on an --http listener's mux: with
// --public-url its host is the passkeys' relying party, and the listener
// serves the enrolment links too (`qualys-cs-mcp passkey add --state …
// --public-url …`); on loopback the pages are on http://localhost:PORT;
// elsewhere no passkey can confirm, and no page is offered.
func (g *Guard) Mount(mux *http.ServeMux, o PageOptions) { g.pages.mount(mux, o) }

// mount serves the pages on an --http listener.
func (p *pages) mount(mux *http.ServeMux, o PageOptions) {
	p.allowed, p.noSess = o.AllowedOrigins, o.Stateless
	host, port, _ := net.SplitHostPort(o.Addr)
	n, _ := strconv.Atoi(port)
	s := &site{}
	switch {
	case o.PublicURL != "":
		u, _ := url.Parse(o.PublicURL) // checked by CheckPublicURL
		p.public, p.origin = strings.TrimRight(o.PublicURL, "/"), u.Scheme+"://"+u.Host
		rp, err := passkey.PublicRP(o.PublicURL)
		if err != nil {
			p.noRP = "Only a person can confirm this, with a passkey on the confirmation page, and this server cannot offer one: " + err.Error() +
				". Its operator must set --public-url to the https:// address (a domain name) users reach it by, and enrol passkeys (`qualys-cs-mcp passkey add --name NAME --state … --public-url …`)."
			p.log.Warn("no passkey can confirm on this server's pages, so destructive calls of clients without form elicitation cannot be confirmed", "error", err.Error())
			break
		}
		s, p.rpID = p.newSite(rp, p.public, false), rp.ID
		p.keys.Mount(mux, rp) // the script, and the operators' enrolment links
	case client.IsLoopback(host) && n > 0:
		rp := passkey.LocalRP(n)
		s = p.newSite(rp, rp.Origin, true)
	default:
		p.noRP = "Only a person can confirm this, with a passkey on the confirmation page, and this server cannot offer one: it serves HTTP off loopback without --public-url. " +
			"Its operator must set --public-url to the https:// address users reach it by, and enrol passkeys (`qualys-cs-mcp passkey add --name NAME --state … --public-url …`)."
		p.log.Warn("--http off loopback without --public-url: no passkey can confirm on a confirmation page, so destructive calls of clients without form elicitation cannot be confirmed; set --public-url")
	}
	p.fixed = s
	p.serveOn(mux, s)
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

// linkBase is where the page of a new approval is: the --http listener's
// site, or the stdio mode's loopback listener on http://localhost:PORT
// (started now if needed).
func (p *pages) linkBase(context.Context) (string, error) {
	if p.fixed != nil {
		return p.fixed.base, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	idle := p.idleAfter
	if p.srv != nil {
		p.idle.Reset(idle)
		return p.local.base, nil
	}
	lns, rp, err := passkey.ListenLocal()
	if err != nil {
		return "", fmt.Errorf("refused: the confirmation page could not be served, so nothing was changed: %w", err)
	}
	mux := http.NewServeMux()
	p.local = p.newSite(rp, rp.Origin, true)
	p.serveOn(mux, p.local)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	p.srv = srv
	p.idle = time.AfterFunc(idle, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.srv == srv {
			p.srv = nil
			srv.Close()
			p.log.Info("confirmation page listener closed (idle)")
		}
	})
	for _, ln := range lns {
		go srv.Serve(ln)
	}
	p.log.Info("confirmation pages served on loopback", "addr", rp.Origin+ConfirmPath)
	return rp.Origin, nil
}

// noPasskey says why no passkey can confirm a page approval now, for the
// user ("" when one can): this server offers no relying party, or none is
// enrolled for it.
func (p *pages) noPasskey(ctx context.Context, toolName string) (string, error) {
	if p.noRP != "" {
		return p.noRP, nil
	}
	names, err := p.keys.Names(ctx, passkey.RP{ID: p.rpID})
	switch {
	case err != nil:
		return "", fmt.Errorf("refused: the passkeys that confirm could not be read, so nothing was changed: %w", err)
	case len(names) > 0:
		return "", nil
	case p.public != "":
		return fmt.Sprintf("Only a person can confirm this, with a passkey on the confirmation page, and no passkey is enrolled for %s yet. "+
			"Ask the user to have this server's operator enrol one for them (`qualys-cs-mcp passkey add --name NAME --state … --public-url %s` prints a one-time link); then call %s again with the same arguments.", p.rpID, p.public, toolName), nil
	}
	return fmt.Sprintf("Only the user can confirm this, with a passkey on the confirmation page, and no passkey is enrolled for this server yet. "+
		"Ask the user to enrol one: run `qualys-cs-mcp passkey add --name NAME` in a terminal and open the link it prints. Then call %s again with the same arguments.", toolName), nil
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

// decide records a decision once: a passkey's confirmation (by names
// it), the page's Cancel, or the guard's cancel when the user declined to
// open the page. It reports false when the approval was decided already.
func (p *pages) decide(ctx context.Context, a *approval, status, why, by string) (bool, error) {
	first, err := p.store.Claim(ctx, "approval-decided:"+a.ID, p.ttl+approvalGrace)
	if err != nil || !first {
		return false, err
	}
	a.Status, a.Why, a.By = status, why, by
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
	switch {
	case t.Undo != "":
		return "It can be undone: " + t.Undo
	case t.Tier == tool.Destructive:
		return "This cannot be undone: what is deleted or cancelled is gone, and this server cannot bring it back."
	}
	return "This cannot be undone: what is revealed in the conversation cannot be hidden again."
}

// The page. Its one script is the passkey package's, from this server;
// its only style is this block, allowed by its hash (passkey.PageCSP).
const pageStyle = `body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
main{max-width:46rem;margin:2rem auto;background:#fff;border:1px solid #d5d9e0;border-radius:8px;padding:1.5rem 2rem}
h1{font-size:1.4rem;margin:0 0 .5rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:.4rem 1rem}
dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}table{border-collapse:collapse}th,td{text-align:left;padding:0 .8rem .2rem 0;vertical-align:top;font-family:ui-monospace,monospace;font-size:.9rem}
.undo{color:#9b1c1c;font-weight:600}.note{color:#5b6474;font-size:.9rem}.state{font-size:1.1rem;font-weight:600}
.actions{display:flex;gap:1rem;margin-top:1.2rem}form{margin:0}button{font-size:1rem;padding:.6rem 1.4rem;border-radius:6px;border:1px solid #8a93a3;background:#fff;cursor:pointer}
button.confirm{background:#b42318;border-color:#b42318;color:#fff}`

var (
	pageCSP = passkey.PageCSP(pageStyle)
	pageTpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Heading}} · qualys-cs-mcp</title><style>` + pageStyle + `</style>
{{if .Form}}<script src="../passkey/passkey.js" defer></script>{{end}}</head>
<body><main>
<h1>{{.Heading}}</h1>
{{if .A}}<p>An AI assistant asked the qualys-cs-mcp server to run a tool that changes your Qualys Container Security subscription. It runs only if you confirm here.</p>
<dl>
<dt>Tool</dt><dd><code>{{.A.Tool}}</code> ({{.A.Title}})</dd>
<dt>What will happen</dt><dd id="summary">{{.A.Summary}}</dd>
<dt>Arguments</dt><dd><table id="args">{{range .A.Shown}}<tr><th>{{.Name}}</th><td>{{.Value}}</td></tr>{{end}}</table></dd>
<dt>Undo</dt><dd class="undo">{{.A.Undo}}</dd>
<dt>Expires</dt><dd>{{.Expires}}</dd>
</dl>
<p class="note">Text in "double quotes" was chosen by the assistant or by Qualys, not by this server; line breaks and control characters in it are shown as \n, \x1b, \u202e.</p>
{{end}}{{if .Form}}<div class="actions">
<button class="confirm" id="passkey" type="button" data-begin="{{.A.ID}}/passkey/begin" data-csrf="{{.A.CSRF}}">Confirm with passkey</button>
<form method="post"><input type="hidden" name="csrf" value="{{.A.CSRF}}"><button id="cancel" type="submit" name="decision" value="cancel">Cancel</button></form>
</div>
<p class="state" id="state" role="status"></p>
<p class="note">Confirming asks your device to check that it is you (fingerprint, face, PIN or security key) with a passkey enrolled for this server: no assistant can do that for you.</p>
{{else}}<p class="state" id="{{if .Done}}done{{else}}state{{end}}">{{.State}}</p>{{end}}
</main></body></html>
`))
)

type pageView struct {
	Heading, State, Expires string
	A                       *approval
	Form                    bool // pending: the passkey button and Cancel
	Done                    bool // confirmed
}

// handler serves one site's pages: an approval's page, its Cancel form and
// its passkey steps.
func (p *pages) handler(s *site) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		passkey.PageHeaders(h, pageCSP)
		if s.loopback {
			if !passkey.CheckHost(w, r, s.rp, true) { // DNS rebinding; 127.0.0.1 is sent to localhost
				return
			}
		} else if local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && isLoopbackAddr(local.String()) && !isLoopbackAddr(r.Host) {
			http.Error(w, "Forbidden: invalid Host header", http.StatusForbidden) // DNS rebinding, as on /mcp
			return
		}
		origin := r.Header.Get("Origin")
		if origin != "" && !p.originOK(origin, r.Host) {
			http.Error(w, "Forbidden: origin not allowed", http.StatusForbidden)
			return
		}
		id, step, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, ConfirmPath), "/")
		if len(id) != 22 || strings.Trim(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			p.render(w, http.StatusNotFound, pageView{Heading: "No such confirmation", State: "This link is not a confirmation of this server."})
			return
		}
		if step != "" {
			if s.assert == nil || (step != "passkey/begin" && step != "passkey/finish") {
				http.NotFound(w, r)
				return
			}
			s.assert.ServeHTTP(w, r)
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
	})
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
		v.Heading, v.Done = "Confirmed", true
		v.State = "Confirmed with the passkey " + strings.TrimPrefix(a.By, "passkey:") + ". Go back to your assistant: the tool runs once, when it calls again with the same arguments (or now, if it is waiting)."
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

// post takes the page's form: Cancel. A confirmation is a passkey's
// (the steps under /passkey/), never a form's.
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
	switch r.PostFormValue("decision") {
	case "cancel":
	case "confirm":
		p.log.Warn("confirmation page: a form POST asked to confirm without a passkey; refused", "tool", a.Tool)
		http.Error(w, "Forbidden: confirming takes a passkey (press Confirm with passkey on the page; your device checks that it is you); a form confirms nothing. Nothing was changed", http.StatusForbidden)
		return
	default:
		http.Error(w, "the decision must be cancel (confirming takes a passkey)", http.StatusBadRequest)
		return
	}
	if a.expired(p.now()) || a.Status != pagePending {
		p.render(w, http.StatusConflict, p.view(a))
		return
	}
	first, err := p.decide(ctx, a, pageCancelled, "", "")
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
	p.log.Info("confirmation page decision", "tool", a.Tool, "decision", pageCancelled)
	p.render(w, http.StatusOK, p.view(a))
}

func (p *pages) render(w http.ResponseWriter, code int, v pageView) {
	w.WriteHeader(code)
	pageTpl.Execute(w, v)
}

// approvals are the pages' side of a passkey assertion (passkey.Approvals).
type approvals struct{ p *pages }

func refusal(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{passkey.ErrRefused}, a...)...)
}

// pending reads the approval a step is for, pending and unexpired.
func (x approvals) pending(r *http.Request, id string) (*approval, error) {
	a, err := x.p.get(r.Context(), id)
	switch {
	case errors.Is(err, state.ErrTampered):
		x.p.log.Warn("confirmation page: an approval record was refused", "error", err.Error())
		return nil, refusal("this confirmation's record was altered or moved; nothing was changed")
	case err != nil:
		return nil, err
	case a == nil:
		return nil, refusal("this confirmation does not exist or expired; nothing was changed. Ask the assistant to try again")
	case a.expired(x.p.now()):
		return nil, refusal("this confirmation expired; nothing was changed. Ask the assistant to try again")
	case a.Status != pagePending:
		return nil, refusal("this confirmation was already decided; reload the page")
	}
	return a, nil
}

// Bind checks a step's request: the approval in its path, pending, and
// the page's CSRF token.
func (x approvals) Bind(r *http.Request, csrf string) (passkey.Binding, error) {
	id, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, ConfirmPath), "/")
	a, err := x.pending(r, id)
	if err != nil {
		return passkey.Binding{}, err
	}
	if subtle.ConstantTimeCompare([]byte(csrf), []byte(a.CSRF)) != 1 {
		x.p.log.Warn("confirmation page: a passkey step without the page's token was refused", "tool", a.Tool)
		return passkey.Binding{}, refusal("this request is not the confirmation page's; nothing was changed")
	}
	return passkey.Binding{Approval: a.ID, Tool: a.Tool, Args: a.Args, Target: a.FP}, nil
}

// Confirmed records the confirmation of a verified assertion, once, and
// who gave it.
func (x approvals) Confirmed(r *http.Request, b passkey.Binding, who passkey.Result) (string, error) {
	a, err := x.pending(r, b.Approval)
	if err != nil {
		return "", err
	}
	if a.Tool != b.Tool || a.Args != b.Args || a.FP != b.Target {
		return "", refusal("this passkey assertion was made for another approval")
	}
	first, err := x.p.decide(r.Context(), a, pageConfirmed, "", "passkey:"+who.Name)
	switch {
	case err != nil:
		return "", err
	case !first:
		return "", refusal("this confirmation was already decided; reload the page")
	}
	x.p.log.Info("confirmation page decision", "tool", a.Tool, "decision", pageConfirmed, "passkey", who.Name)
	return "Confirmed with the passkey " + who.Name + ".", nil
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
