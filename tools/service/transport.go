// Package service serves MCP over streamable HTTP as a service: the
// bearer token, origins, body limits, sessions (in process or shared by
// replicas), rate limits, the connection cap, the event store, /healthz,
// and the confirmation pages beside /mcp.
package service

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	json "github.com/segmentio/encoding/json"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/jsonlimit"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/secret"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/consent"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tasks"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/telemetry"
)

// HTTPOptions configure streamable HTTP. Zero values take the defaults.
type HTTPOptions struct {
	Addr      string // loopback by default
	Stateless bool
	Token     string // bearer token; required off loopback
	MaxBody   int64  // request body cap; 0 means 4 MiB
	// RatePerSecond limits each session's requests (burst: twice that); 0
	// means DefaultRate. What no session carries (initialize, --stateless,
	// 2026-07-28 clients) is limited per client address at AddrRateFactor
	// times that, as one address may be several clients (burst: twice
	// that again).
	RatePerSecond  float64
	AllowedOrigins []string // besides loopback origins
	// PublicURL, when set, is the base of every confirmation link (the
	// address users reach through a reverse proxy, e.g.
	// https://mcp.example.com); its origin is the page's own.
	PublicURL string

	MaxSessions int           // live sessions (stateful); 0 means DefaultMaxSessions
	SessionIdle time.Duration // a session without a request this long ends; 0 means DefaultSessionIdle
	MaxConns    int           // open connections; 0 means DefaultMaxConns

	// RefusalDelay holds a refusal of a client that is over its address's
	// rate, unauthenticated, or finds no room for a session, before it is
	// answered (at most refusalSlots at once); 0 means one second, negative
	// none.
	RefusalDelay time.Duration

	ReadTimeout  time.Duration // to read a request's body (its header: at most 10s); 0 means 30s
	WriteTimeout time.Duration // for each write of an answer (a live SSE stream is not cut); 0 means 30s
	IdleTimeout  time.Duration // a kept-alive connection between requests; 0 means 2 minutes
	// DrainTimeout is how long the calls in flight have to finish when
	// the service stops; 0 means 20s.
	DrainTimeout time.Duration
}

// Defaults of HTTPOptions (and of the flags that set them).
const (
	DefaultRate        = 50
	DefaultMaxSessions = 1000
	DefaultSessionIdle = 30 * time.Minute
	DefaultMaxConns    = 1024
	// AddrRateFactor scales RatePerSecond for a client address: at the
	// default, 200 requests per second with a burst of 400. The MCP
	// conformance suite, run whole from one address, sends 214 requests in
	// 1.3 s; a 200/s bucket needs a burst of 50 for it, so one honest client
	// at that pace is never refused, with room to spare.
	AddrRateFactor = 4
	// addrBuckets is how many client addresses the rate limiter remembers.
	addrBuckets = 4096
	// refusalSlots is how many refusals are held at once (RefusalDelay);
	// past that they are answered at once. Well under DefaultMaxConns, so
	// held refusals never fill the connection cap.
	refusalSlots = 256
)

func (o *HTTPOptions) defaults() {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 4 << 20
	}
	if o.RatePerSecond <= 0 {
		o.RatePerSecond = DefaultRate
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = DefaultMaxSessions
	}
	if o.MaxConns <= 0 {
		o.MaxConns = DefaultMaxConns
	}
	def(&o.SessionIdle, DefaultSessionIdle)
	if o.RefusalDelay == 0 {
		o.RefusalDelay = time.Second
	}
	def(&o.ReadTimeout, 30*time.Second)
	def(&o.WriteTimeout, 30*time.Second)
	def(&o.IdleTimeout, 2*time.Minute)
	def(&o.DrainTimeout, 20*time.Second)
}

// Deps are what the service serves: the MCP server, the confirmation
// pages, and the shared sessions when --state shares them.
type Deps struct {
	MCP       *server.MCPServer
	Guard     *consent.Guard
	Shared    *SharedSessions // nil: sessions in this process
	Tasks     *tasks.Store    // MCP tasks: another replica's are answered from the shared store
	Log       *slog.Logger
	Secrets   *secret.Registry
	Telemetry *telemetry.Telemetry // the sessions live; nil: off
}

// Serve serves streamable HTTP on /mcp, and /healthz, until ctx ends.
// ready, if set, receives the bound address.
func Serve(ctx context.Context, o HTTPOptions, d Deps, ready func(addr string)) error {
	host, _, err := net.SplitHostPort(o.Addr)
	if err != nil {
		return fmt.Errorf("--http %q: %w", o.Addr, err)
	}
	if !client.IsLoopback(host) && o.Token == "" {
		return errors.New("--http on a non-loopback address needs a bearer token: set QUALYS_MCP_HTTP_TOKEN")
	}
	if o.PublicURL != "" {
		if err := consent.CheckPublicURL(o.PublicURL, d.Log); err != nil {
			return err
		}
	}
	o.defaults()
	d.Secrets.Add(o.Token)
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return err
	}
	dr := newDrain()
	o.Addr = ln.Addr().String() // as bound: the confirmation pages' links are on its port
	srv := d.httpServer(ctx, o, dr)
	if ready != nil {
		ready(ln.Addr().String())
	}
	d.Log.Info("serving streamable HTTP", "addr", "http://"+ln.Addr().String()+"/mcp", "stateless", o.Stateless,
		"max_sessions", o.MaxSessions, "max_conns", o.MaxConns)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	dr.stop(srv, o.DrainTimeout, d.Log)
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// httpServer assembles the mux (/healthz ahead of every limit but the
// connection cap, /mcp behind the guard, the confirmation pages) and the
// server's timeouts.
func (d Deps) httpServer(ctx context.Context, o HTTPOptions, dr *drain) *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.Handle("/mcp", dr.track(d.mcpHandler(ctx, o)))
	d.Guard.Mount(mux, consent.PageOptions{Addr: o.Addr, AllowedOrigins: o.AllowedOrigins, PublicURL: o.PublicURL, Stateless: o.Stateless}) // under consent.ConfirmPath (and passkey.Path)
	conns := newConnLimit(o.MaxConns)
	return &http.Server{
		Handler:           withWriteDeadlines(mux, o.WriteTimeout),
		ReadHeaderTimeout: min(o.ReadTimeout, 10*time.Second), // the body has its own deadline (readBody); no ReadTimeout, which would end SSE streams
		IdleTimeout:       o.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ConnState:         conns.state,
		ErrorLog:          slog.NewLogLogger(d.Log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return dr.base },
		ConnContext:       conns.connContext,
	}
}

// mcpHandler is mcp-go's streamable HTTP behind the guard. Stateful, the
// sessions are ours (sessions: capped, expiring) with a bounded event store.
func (d Deps) mcpHandler(ctx context.Context, o HTTPOptions) http.Handler {
	g := &httpGuard{opts: o, secrets: d.Secrets, held: make(chan struct{}, refusalSlots),
		addrs: newAddrLimiter(rate{AddrRateFactor * o.RatePerSecond, 2 * AddrRateFactor * o.RatePerSecond}, addrBuckets)}
	opts := []server.StreamableHTTPOption{server.WithEndpointPath("/mcp"), server.WithStreamableHTTPLogger(d.Log)}
	if o.PublicURL != "" { // behind a proxy: mcp-go refuses a Host that is neither loopback nor the public one (DNS rebinding)
		if u, err := url.Parse(o.PublicURL); err == nil {
			opts = append(opts, server.WithAllowedHosts(u.Hostname()))
		}
	}
	if len(o.AllowedOrigins) > 0 { // browsers at those origins may read the answers (Mcp-Session-Id, and send Mcp-Method, Mcp-Name)
		origins := make([]string, len(o.AllowedOrigins))
		for i, a := range o.AllowedOrigins {
			origins[i] = strings.TrimRight(strings.TrimSpace(a), "/")
		}
		opts = append(opts, server.WithStreamableHTTPCORS(server.WithCORSAllowedOrigins(origins...)))
	}
	var contextFunc server.HTTPContextFunc
	switch {
	case o.Stateless:
		opts = append(opts, server.WithStateLess(true))
	case d.Shared != nil:
		// Sessions in the shared store (--state): known to every replica,
		// their settings and event streams with them; the rate is then kept
		// per client address, and the store's expiry (DefaultSessionIdle)
		// ends an idle session rather than --session-idle and --max-sessions.
		opts = append(opts, d.Shared.options()...)
		// mcp-go forgets locally what a session idle here holds; the store
		// keeps it for the other replicas until its own expiry.
		opts = append(opts, server.WithSessionIdleTTL(o.SessionIdle))
		contextFunc = func(ctx context.Context, r *http.Request) context.Context {
			return d.Shared.restore(ctx, r)
		}
	default:
		g.sessions = newSessions(o.MaxSessions, o.SessionIdle, rate{o.RatePerSecond, 2 * o.RatePerSecond})
		opts = append(opts, server.WithSessionIdManager(g.sessions),
			server.WithEventStore(newEventStore(eventStoreSessionBytes, eventStoreTotalBytes)))
	}
	mcpHTTP := server.NewStreamableHTTPServer(d.MCP, append(opts, server.WithHTTPContextFunc(contextFunc))...)
	if g.sessions != nil {
		d.Telemetry.SessionsLive(g.sessions.live)
		g.sessions.end = func(id string) { endSession(mcpHTTP, id) }
		go g.sessions.run(ctx)
	}
	g.next = d.Tasks.Handler(mcpHTTP, o.MaxBody)
	return g
}

// endSession frees what mcp-go holds for a session that idled out, the way
// a client's DELETE does (the registry has already forgotten it).
func endSession(h http.Handler, id string) {
	r, _ := http.NewRequest(http.MethodDelete, "/mcp", nil)
	r.Header.Set(server.HeaderKeySessionID, id)
	h.ServeHTTP(discardResponse{http.Header{}}, r)
}

type discardResponse struct{ h http.Header }

func (d discardResponse) Header() http.Header         { return d.h }
func (d discardResponse) Write(p []byte) (int, error) { return len(p), nil }
func (d discardResponse) WriteHeader(int)             {}

// httpGuard checks, in this order, what a request to /mcp must pass: its
// Origin (DNS-rebinding protection; mcp-go checks the Host), the bearer
// token (in constant time, before anything is kept for the request), its
// body (size and time), its session (issued by us and live; room for a new
// one) and the rate of the session, or of the client address for what no
// session carries.
type httpGuard struct {
	opts     HTTPOptions
	secrets  *secret.Registry
	sessions *sessions // nil when stateless
	addrs    *addrLimiter
	held     chan struct{} // refusals being held
	next     http.Handler
}

// holdRefusal delays the refusal of a client that is over its address's
// rate, unauthenticated or finds no room, by RefusalDelay (what Retry-After
// asks of it anyway): a flood sent over a few connections then slows
// itself down instead of taking the CPU that honest clients need. At most
// refusalSlots are held at once; past that the refusal goes at once.
func (g *httpGuard) holdRefusal(r *http.Request) {
	if g.opts.RefusalDelay <= 0 {
		return
	}
	select {
	case g.held <- struct{}{}:
		defer func() { <-g.held }()
		t := time.NewTimer(g.opts.RefusalDelay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
		}
	default:
	}
}

func (g *httpGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if origin := r.Header.Get("Origin"); origin != "" && !consent.AllowedOrigin(origin, g.opts.AllowedOrigins) {
		http.Error(w, "Forbidden: origin not allowed", http.StatusForbidden)
		return
	}
	if r.Method == http.MethodOptions && len(g.opts.AllowedOrigins) > 0 && r.Header.Get("Origin") != "" {
		g.next.ServeHTTP(w, r) // a CORS preflight carries no credentials; it is answered, nothing runs
		return
	}
	if !g.authorized(r) {
		g.holdRefusal(r)
		w.Header().Set("WWW-Authenticate", "Bearer")
		http.Error(w, "Unauthorized: a valid bearer token is required", http.StatusUnauthorized)
		return
	}
	if g.unknownSession(w, r) {
		return
	}
	body, ok := g.readBody(w, r)
	if !ok {
		return
	}
	done, ok := g.admit(w, r, body)
	if !ok {
		return
	}
	defer done()
	g.next.ServeHTTP(w, r)
}

// unknownSession answers a request naming a session this server does not
// hold, before its body is read: 404, counted against the sender's
// address rate like any request no session carries, so that made-up IDs
// cost a flood its rate (and held refusals) rather than honest clients
// their latency.
func (g *httpGuard) unknownSession(w http.ResponseWriter, r *http.Request) bool {
	if g.sessions == nil || !sessionMethod(r) {
		return false
	}
	id := r.Header.Get(server.HeaderKeySessionID)
	if id == "" || g.sessions.known(id) {
		return false
	}
	if _, ok := g.byAddress(w, r); ok {
		notFound(w)
	}
	return true
}

func notFound(w http.ResponseWriter) {
	http.Error(w, "Not Found: no such session (it was never issued, was deleted, or expired); initialize a new one", http.StatusNotFound)
}

func (g *httpGuard) authorized(r *http.Request) bool {
	if g.opts.Token == "" {
		return true
	}
	got, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return subtle.ConstantTimeCompare([]byte(got), []byte(g.opts.Token)) == 1
}

// readBody reads the body whole, within MaxBody and ReadTimeout (a body
// trickled in a byte at a time is cut off), and hands the rest of the
// chain a copy.
func (g *httpGuard) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, true
	}
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(g.opts.ReadTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, g.opts.MaxBody))
	rc.SetReadDeadline(time.Time{})
	var tooLarge *http.MaxBytesError
	var ne net.Error
	switch {
	case errors.As(err, &tooLarge):
		http.Error(w, fmt.Sprintf("Request Entity Too Large: the body is limited to %d bytes", g.opts.MaxBody), http.StatusRequestEntityTooLarge)
		return nil, false
	case errors.As(err, &ne) && ne.Timeout():
		w.Header().Set("Connection", "close")
		http.Error(w, "Request Timeout: the body did not arrive in time", http.StatusRequestTimeout)
		return nil, false
	case err != nil:
		http.Error(w, "Bad Request: the body could not be read", http.StatusBadRequest)
		return nil, false
	}
	if err := jsonlimit.Check(body, jsonlimit.Limits{Bytes: g.opts.MaxBody}); err != nil {
		parseError(w, err)
		return nil, false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, true
}

// parseError answers a body outside the JSON limits as JSON-RPC says:
// HTTP 400 with error -32700.
func parseError(w http.ResponseWriter, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(mcp.NewJSONRPCError(mcp.NewRequestId(nil), mcp.PARSE_ERROR, "Parse error: "+err.Error(), nil))
}

// admit applies the session rules and the rate limit; done is called when
// the request has been served.
func (g *httpGuard) admit(w http.ResponseWriter, r *http.Request, body []byte) (done func(), ok bool) {
	switch {
	case g.sessions == nil || !sessionMethod(r):
		return g.byAddress(w, r)
	case r.Method == http.MethodPost && isInitialize(body):
		return g.newSession(w, r)
	}
	id := r.Header.Get(server.HeaderKeySessionID)
	if id == "" {
		if _, ok := g.byAddress(w, r); ok { // as unauthenticated as an unknown session
			http.Error(w, "Bad Request: the Mcp-Session-Id header is required (initialize first)", http.StatusBadRequest)
		}
		return nil, false
	}
	sess, allowed := g.sessions.acquire(id)
	if sess == nil {
		notFound(w)
		return nil, false
	}
	if !allowed {
		g.sessions.release(sess)
		tooMany(w, "this session")
		return nil, false
	}
	return func() { g.sessions.release(sess) }, true
}

// sessionMethod reports whether a request belongs to a protocol session:
// POST, GET (its SSE stream) and DELETE of a client before protocol
// 2026-07-28, which has no sessions.
func sessionMethod(r *http.Request) bool {
	switch r.Method {
	case http.MethodPost, http.MethodGet, http.MethodDelete:
		return !mcp.IsModernProtocol(r.Header.Get(mcp.HeaderProtocolVersion))
	}
	return false
}

// newSession admits an initialize request if the address's rate allows it
// and there is room for one more session.
func (g *httpGuard) newSession(w http.ResponseWriter, r *http.Request) (func(), bool) {
	if _, ok := g.byAddress(w, r); !ok {
		return nil, false
	}
	release, ok := g.sessions.admit()
	if !ok {
		g.holdRefusal(r)
		w.Header().Set("Retry-After", "30")
		http.Error(w, fmt.Sprintf("Service Unavailable: the server holds its maximum of %d sessions; retry later (sessions end on DELETE or after %s without a request)",
			g.opts.MaxSessions, g.opts.SessionIdle), http.StatusServiceUnavailable)
		return nil, false
	}
	return release, true
}

func (g *httpGuard) byAddress(w http.ResponseWriter, r *http.Request) (func(), bool) {
	if !g.addrs.allow(clientAddr(r)) {
		g.holdRefusal(r)
		tooMany(w, "this client address")
		return nil, false
	}
	return func() {}, true
}

func tooMany(w http.ResponseWriter, whose string) {
	w.Header().Set("Retry-After", "1")
	http.Error(w, "Too Many Requests for "+whose, http.StatusTooManyRequests)
}

// isInitialize reports whether a body is an initialize request.
func isInitialize(body []byte) bool {
	if !bytes.Contains(body, []byte(`initialize`)) {
		return false
	}
	var m struct {
		Method string `json:"method"`
	}
	return jsonlimit.Unmarshal(body, &m, jsonlimit.Limits{Bytes: int64(len(body))}) == nil && m.Method == string(mcp.MethodInitialize)
}

// withWriteDeadlines bounds each write of an answer by d, so a client that
// stops reading cannot hold the server, while a live SSE stream, which
// writes now and then, is never cut (unlike http.Server's WriteTimeout,
// which bounds the whole answer).
func withWriteDeadlines(next http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dw := &deadlineWriter{ResponseWriter: w, rc: http.NewResponseController(w), d: d}
		dw.extend()
		next.ServeHTTP(dw, r)
		dw.extend() // what net/http writes after the handler
	})
}

type deadlineWriter struct {
	http.ResponseWriter
	rc *http.ResponseController
	d  time.Duration
}

func (w *deadlineWriter) extend() { w.rc.SetWriteDeadline(time.Now().Add(w.d)) }

func (w *deadlineWriter) Write(p []byte) (int, error) {
	w.extend()
	return w.ResponseWriter.Write(p)
}

func (w *deadlineWriter) Flush() {
	w.extend()
	w.rc.Flush()
}

func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
