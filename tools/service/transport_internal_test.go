package service

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/server"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/secret"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/consent"
)

// testDeps is an MCP server with no tools, and a guard for its pages.
func testDeps(t testing.TB) Deps {
	t.Helper()
	log, secrets := slog.New(slog.NewTextHandler(io.Discard, nil)), secret.New()
	g, err := consent.New(consent.Options{Log: log, Secrets: secrets})
	if err != nil {
		t.Fatal(err)
	}
	return Deps{MCP: server.NewMCPServer("test", "1"), Guard: g, Log: log, Secrets: secrets}
}

// httpServer serves the whole HTTP stack (listener, connection cap,
// timeouts, mux, guard) on a loopback port.
func httpServer(t *testing.T, o HTTPOptions) string {
	t.Helper()
	d := testDeps(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	addr := make(chan string, 1)
	errc := make(chan error, 1)
	go func() { errc <- Serve(ctx, o, d, func(a string) { addr <- a }) }()
	select {
	case a := <-addr:
		return "http://" + a
	case err := <-errc:
		t.Fatal(err)
	case <-time.After(10 * time.Second):
		t.Fatal("no address")
	}
	return ""
}

// guardServer serves only /mcp behind the guard, which the test can look
// into.
func guardServer(t *testing.T, o HTTPOptions) (*httpGuard, string) {
	t.Helper()
	o.defaults()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	g := testDeps(t).mcpHandler(ctx, o).(*httpGuard)
	hs := httptest.NewServer(g)
	t.Cleanup(hs.Close)
	return g, hs.URL
}

const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

// exchange sends one request to /mcp and answers the status, the headers
// and the body.
func exchange(t *testing.T, method, base string, hdr map[string]string, body string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(method, base+"/mcp", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	if method == http.MethodGet { // an SSE stream stays open: read what came first
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		req = req.WithContext(ctx)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func post(t *testing.T, base string, hdr map[string]string, body string) int {
	t.Helper()
	status, _, _ := exchange(t, http.MethodPost, base, hdr, body)
	return status
}

// initSession initializes a session and returns its ID.
func initSession(t *testing.T, base string, hdr map[string]string) string {
	t.Helper()
	status, h, body := exchange(t, http.MethodPost, base, hdr, initBody)
	id := h.Get("Mcp-Session-Id")
	if status != 200 || id == "" {
		t.Fatalf("initialize: %d %q %s", status, id, body)
	}
	return id
}

func withSession(hdr map[string]string, id string) map[string]string {
	out := map[string]string{"Mcp-Session-Id": id, "MCP-Protocol-Version": "2025-11-25"}
	for k, v := range hdr {
		out[k] = v
	}
	return out
}

func randomSessionID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "mcp-session-" + hex.EncodeToString(b)
}

func rpc(id int, method string) string {
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":%q,"params":{}}`, id, method)
}

const callBody = `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"list_sensors","arguments":{}}}`

func TestHTTPTransportChecks(t *testing.T) {
	base := httpServer(t, HTTPOptions{Addr: "127.0.0.1:0", Token: "bearer-secret", MaxBody: 4096, RatePerSecond: 5, RefusalDelay: -1})
	if r, err := http.Get(base + "/healthz"); err != nil || r.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", r, err)
	}
	auth := map[string]string{"Authorization": "Bearer bearer-secret"}
	if r := post(t, base, nil, initBody); r != 401 {
		t.Fatalf("no token: %d", r)
	}
	if r := post(t, base, map[string]string{"Authorization": "Bearer wrong"}, initBody); r != 401 {
		t.Fatalf("wrong token: %d", r)
	}
	id := initSession(t, base, auth)
	if r := post(t, base, map[string]string{"Authorization": "Bearer bearer-secret", "Origin": "https://evil.example"}, initBody); r != 403 {
		t.Fatalf("foreign origin: %d", r)
	}
	if r := post(t, base, map[string]string{"Authorization": "Bearer bearer-secret", "Origin": "http://localhost:6274"}, initBody); r != 200 {
		t.Fatalf("loopback origin: %d", r)
	}
	if r := post(t, base, map[string]string{"Authorization": "Bearer bearer-secret", "Host": "evil.example"}, initBody); r != 403 {
		t.Fatalf("rebinding Host: %d", r)
	}
	if r := post(t, base, withSession(auth, id), `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"`+strings.Repeat("x", 5000)+`"}}`); r != 413 {
		t.Fatalf("oversized body: %d", r)
	}
	// one session's burst (10 at 5/s) runs out; another session has its own
	limited := 0
	for i := 0; i < 30; i++ {
		if post(t, base, withSession(auth, id), rpc(i, "ping")) == 429 {
			limited++
		}
	}
	if limited == 0 || limited > 25 {
		t.Fatalf("%d of 30 pings on one session were refused", limited)
	}
	other := initSession(t, base, auth)
	if r := post(t, base, withSession(auth, other), rpc(1, "ping")); r != 200 {
		t.Fatalf("another session: %d", r)
	}
	// initialize is limited per client address (20/s, burst 40)
	limited = 0
	for i := 0; i < 60; i++ {
		if post(t, base, auth, initBody) == 429 {
			limited++
		}
	}
	if limited == 0 {
		t.Fatal("no initialize was rate limited")
	}
	if r, err := http.Get(base + "/healthz"); err != nil || r.StatusCode != 200 {
		t.Fatalf("healthz after the limits: %v %v", r, err)
	}
}

// A session ID the server did not issue, or one that was deleted, is
// unknown to every method; one is required after initialize.
func TestHTTPSessionLifecycle(t *testing.T) {
	base := httpServer(t, HTTPOptions{Addr: "127.0.0.1:0"})
	id := initSession(t, base, nil)
	if r := post(t, base, withSession(nil, id), `{"jsonrpc":"2.0","method":"notifications/initialized"}`); r != 202 {
		t.Fatalf("initialized: %d", r)
	}
	for _, m := range []string{"ping", "tools/list"} {
		if r := post(t, base, withSession(nil, id), rpc(2, m)); r != 200 {
			t.Fatalf("%s on a live session: %d", m, r)
		}
	}
	if status, h, _ := exchange(t, http.MethodGet, base, withSession(nil, id), ""); status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("GET on a live session: %d %v", status, h)
	}
	// without an ID: 400
	for _, m := range []string{http.MethodPost, http.MethodGet, http.MethodDelete} {
		if status, _, body := exchange(t, m, base, map[string]string{"MCP-Protocol-Version": "2025-11-25"}, rpc(3, "tools/list")); status != 400 || !strings.Contains(body, "Mcp-Session-Id") {
			t.Fatalf("%s without a session ID: %d %s", m, status, body)
		}
	}
	unknown := func(sid, when string) {
		t.Helper()
		for _, r := range []struct{ method, body string }{
			{http.MethodPost, rpc(4, "ping")}, {http.MethodPost, rpc(5, "tools/list")}, {http.MethodPost, callBody},
			{http.MethodPost, `{"jsonrpc":"2.0","method":"notifications/initialized"}`},
			{http.MethodGet, ""}, {http.MethodDelete, ""},
		} {
			if status, _, body := exchange(t, r.method, base, withSession(nil, sid), r.body); status != 404 {
				t.Fatalf("%s: %s %s answered %d: %s", when, r.method, r.body, status, body)
			}
		}
	}
	unknown(randomSessionID(), "an ID never issued")
	unknown("mcp-session-8e5c4d72-1b1a-4c43-9f0a-3c8c2f1b9d10", "an ID in mcp-go's own format")
	if status, _, _ := exchange(t, http.MethodDelete, base, withSession(nil, id), ""); status != 200 {
		t.Fatalf("DELETE: %d", status)
	}
	unknown(id, "after DELETE")
	// a new initialize still works
	initSession(t, base, nil)
}

// Made-up session IDs count against the sender's address rate, as any
// request no session carries does: past the address's burst a flood of
// them is refused 429 before its bodies are read, while an honest
// session's calls, on their own rate, are served throughout.
func TestUnknownSessionsCountAgainstTheAddress(t *testing.T) {
	g, base := guardServer(t, HTTPOptions{Addr: "127.0.0.1:0", RatePerSecond: 10, RefusalDelay: -1})
	honest := withSession(nil, initSession(t, base, nil))
	burst := int(2 * AddrRateFactor * g.opts.RatePerSecond)
	counts := map[int]int{}
	began := time.Now()
	for i := range 3 * burst {
		counts[post(t, base, withSession(nil, randomSessionID()), callBody)]++
		if i%burst == 0 {
			if r := post(t, base, honest, rpc(100+i, "ping")); r != 200 {
				t.Fatalf("the honest session during the flood: %d", r)
			}
		}
	}
	refill := int(AddrRateFactor*g.opts.RatePerSecond*time.Since(began).Seconds()) + 1 // what the bucket regained meanwhile
	if counts[http.StatusNotFound] > burst+refill || counts[http.StatusTooManyRequests] < burst-refill || counts[http.StatusNotFound]+counts[http.StatusTooManyRequests] != 3*burst {
		t.Fatalf("a flood of %d made-up IDs (burst %d): %v", 3*burst, burst, counts)
	}
}

// mcp-go's hardening, where it applies: behind --public-url a Host that is
// neither loopback nor the public one is refused (DNS rebinding); with
// --allowed-origins a browser there may send the MCP headers and read the
// session ID (CORS), an origin not allowed may not.
func TestHostAllowlistAndCORS(t *testing.T) {
	base := httpServer(t, HTTPOptions{Addr: "127.0.0.1:0", PublicURL: "https://mcp.example.com", AllowedOrigins: []string{"https://app.example.com/"}, Token: "tok", RefusalDelay: -1})
	auth := map[string]string{"Authorization": "Bearer tok"}
	if status, _, _ := exchange(t, http.MethodPost, base, map[string]string{"Authorization": "Bearer tok", "Host": "evil.example"}, initBody); status != http.StatusForbidden {
		t.Fatalf("a foreign Host: %d", status)
	}
	if status, _, _ := exchange(t, http.MethodPost, base, map[string]string{"Authorization": "Bearer tok", "Host": "mcp.example.com"}, initBody); status != http.StatusOK {
		t.Fatalf("the public Host: %d", status)
	}
	if status, _, _ := exchange(t, http.MethodPost, base, auth, initBody); status != http.StatusOK {
		t.Fatalf("a loopback Host: %d", status)
	}
	preflight := func(origin string) http.Header {
		req, _ := http.NewRequest(http.MethodOptions, base+"/mcp", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "mcp-method, mcp-name, mcp-session-id, authorization")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header
	}
	h := preflight("https://app.example.com")
	if h.Get("Access-Control-Allow-Origin") != "https://app.example.com" || !strings.Contains(h.Get("Access-Control-Allow-Headers"), "Mcp-Method") || !strings.Contains(h.Get("Access-Control-Allow-Headers"), "Mcp-Name") {
		t.Fatalf("preflight from an allowed origin: %v", h)
	}
	if h := preflight("https://other.example.com"); h.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight from another origin: %v", h)
	}
	_, h, _ = exchange(t, http.MethodPost, base, map[string]string{"Authorization": "Bearer tok", "Origin": "https://app.example.com"}, initBody)
	if h.Get("Access-Control-Allow-Origin") != "https://app.example.com" || !strings.Contains(h.Get("Access-Control-Expose-Headers"), "Mcp-Session-Id") {
		t.Fatalf("an allowed origin's POST: %v", h)
	}
}

func TestHTTPStatelessNeedsNoSession(t *testing.T) {
	base := httpServer(t, HTTPOptions{Addr: "127.0.0.1:0", Stateless: true})
	status, h, _ := exchange(t, http.MethodPost, base, nil, initBody)
	if status != 200 || h.Get("Mcp-Session-Id") != "" {
		t.Fatalf("stateless initialize: %d %v", status, h)
	}
	for _, hdr := range []map[string]string{{"MCP-Protocol-Version": "2025-11-25"}, withSession(nil, randomSessionID())} {
		if r := post(t, base, hdr, rpc(1, "tools/list")); r != 200 {
			t.Fatalf("stateless tools/list %v: %d", hdr, r)
		}
	}
}

// Past MaxSessions a new session gets 503 while the others keep working;
// a deleted or idle session makes room.
func TestHTTPSessionCapAndExpiry(t *testing.T) {
	g, base := guardServer(t, HTTPOptions{Addr: "127.0.0.1:0", MaxSessions: 3, SessionIdle: 400 * time.Millisecond, RefusalDelay: -1})
	ids := []string{initSession(t, base, nil), initSession(t, base, nil), initSession(t, base, nil)}
	status, h, body := exchange(t, http.MethodPost, base, nil, initBody)
	if status != 503 || h.Get("Retry-After") == "" || !strings.Contains(body, "maximum of 3 sessions") {
		t.Fatalf("over the cap: %d %v %s", status, h, body)
	}
	for _, id := range ids {
		if r := post(t, base, withSession(nil, id), rpc(1, "ping")); r != 200 {
			t.Fatalf("an existing session over the cap: %d", r)
		}
	}
	exchange(t, http.MethodDelete, base, withSession(nil, ids[0]), "")
	ids[0] = initSession(t, base, nil)
	if g.sessions.live() != 3 {
		t.Fatalf("%d sessions held", g.sessions.live())
	}
	// an open SSE stream keeps its session busy, hence alive
	streamCtx, closeStream := context.WithCancel(context.Background())
	defer closeStream()
	req, _ := http.NewRequestWithContext(streamCtx, http.MethodGet, base+"/mcp", nil)
	req.Header.Set("Mcp-Session-Id", ids[2])
	req.Header.Set("Accept", "text/event-stream")
	stream, err := http.DefaultClient.Do(req)
	if err != nil || stream.StatusCode != 200 {
		t.Fatalf("stream: %v %v", stream, err)
	}
	time.Sleep(600 * time.Millisecond) // past the idle time
	for _, id := range ids[:2] {
		if r := post(t, base, withSession(nil, id), rpc(2, "ping")); r != 404 {
			t.Fatalf("an idle session answered %d", r)
		}
	}
	if r := post(t, base, withSession(nil, ids[2]), rpc(2, "ping")); r != 200 {
		t.Fatalf("the session with an open stream answered %d", r)
	}
	initSession(t, base, nil)
	initSession(t, base, nil)
	if g.sessions.live() != 3 {
		t.Fatalf("%d sessions held", g.sessions.live())
	}
	stream.Body.Close()
}

// With a bearer token, a flood of wrong-token requests is refused before
// anything is kept for it: no session, no rate bucket.
func TestHTTPBearerFirst(t *testing.T) {
	g, base := guardServer(t, HTTPOptions{Addr: "127.0.0.1:0", Token: "the-right-token", RefusalDelay: -1})
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				hdr := withSession(map[string]string{"Authorization": "Bearer wrong-token"}, randomSessionID())
				body := map[bool]string{true: initBody, false: callBody}[i%2 == 0]
				if r := post(t, base, hdr, body); r != 401 {
					t.Errorf("wrong token: %d", r)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n, m := g.addrs.lru.Len(), g.sessions.live(); n != 0 || m != 0 {
		t.Fatalf("after refused requests: %d rate buckets, %d sessions", n, m)
	}
}

// Random session IDs are served nothing when stateful (404 each); when
// stateless they are ignored and the client address's rate holds.
func TestHTTPRandomSessionIDs(t *testing.T) {
	_, base := guardServer(t, HTTPOptions{Addr: "127.0.0.1:0"})
	for i := 0; i < 100; i++ {
		if r := post(t, base, withSession(nil, randomSessionID()), callBody); r != 404 {
			t.Fatalf("random ID %d: %d", i, r)
		}
	}
	g, base := guardServer(t, HTTPOptions{Addr: "127.0.0.1:0", Stateless: true, RatePerSecond: 10, RefusalDelay: -1})
	served, start := 0, time.Now()
	for i := 0; i < 300; i++ {
		if post(t, base, withSession(nil, randomSessionID()), rpc(i, "tools/list")) == 200 {
			served++
		}
	}
	r := g.addrs.rate
	if allowed := int(r.burst + r.perSecond*time.Since(start).Seconds()); served > allowed+1 || served < int(r.burst) {
		t.Fatalf("%d of 300 served; the address allows %d", served, allowed)
	}
}

// A refusal of a client over its address's rate, or without the token, is
// held for RefusalDelay (a flood over a few connections slows itself); at
// most refusalSlots at once, past that it goes at once. A session's own
// limit answers at once.
func TestHTTPRefusalsAreHeld(t *testing.T) {
	g, base := guardServer(t, HTTPOptions{Addr: "127.0.0.1:0", Token: "tok-1234", RatePerSecond: 1, RefusalDelay: 1500 * time.Millisecond})
	start := time.Now()
	if r := post(t, base, map[string]string{"Authorization": "Bearer nope"}, initBody); r != 401 || time.Since(start) < 1500*time.Millisecond {
		t.Fatalf("wrong token: %d after %s", r, time.Since(start))
	}
	auth := map[string]string{"Authorization": "Bearer tok-1234"}
	id := initSession(t, base, auth)
	for i := 0; i < 2; i++ { // the session's burst
		post(t, base, withSession(auth, id), rpc(i, "ping"))
	}
	start = time.Now()
	if r := post(t, base, withSession(auth, id), rpc(3, "ping")); r != 429 || time.Since(start) >= 1500*time.Millisecond {
		t.Fatalf("over the session's rate: %d after %s", r, time.Since(start))
	}
	// fill the slots: the next refusal goes at once
	for i := 0; i < refusalSlots; i++ {
		g.held <- struct{}{}
	}
	start = time.Now()
	if r := post(t, base, map[string]string{"Authorization": "Bearer nope"}, initBody); r != 401 || time.Since(start) >= 1500*time.Millisecond {
		t.Fatalf("with every slot taken: %d after %s", r, time.Since(start))
	}
}

// A body trickled in a byte at a time is cut off after ReadTimeout.
func TestHTTPSlowBodyIsCut(t *testing.T) {
	base := httpServer(t, HTTPOptions{Addr: "127.0.0.1:0", ReadTimeout: 500 * time.Millisecond})
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second)) // the test's own guard against a hang
	fmt.Fprintf(conn, "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(initBody))
	answered := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(conn).ReadString('\n')
		answered <- line
	}()
	for i := 0; i < len(initBody); i++ {
		select {
		case line := <-answered:
			if !strings.Contains(line, "408") {
				t.Fatalf("answer: %q", line)
			}
			return
		case <-time.After(200 * time.Millisecond):
			conn.Write([]byte{initBody[i]})
		}
	}
	t.Fatal("the whole trickled body was read")
}

// Past MaxConns the longest idle connections are closed for newcomers:
// /healthz and a session keep answering under a flood of idle ones.
func TestHTTPIdleConnectionFlood(t *testing.T) {
	base := httpServer(t, HTTPOptions{Addr: "127.0.0.1:0", MaxConns: 20})
	id := initSession(t, base, nil)
	var idle []net.Conn
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	for i := 0; i < 200; i++ {
		c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	probe := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	r, err := probe.Get(base + "/healthz")
	if err != nil || r.StatusCode != 200 {
		t.Fatalf("healthz under the flood: %v %v", r, err)
	}
	if r := post(t, base, withSession(nil, id), rpc(1, "ping")); r != 200 {
		t.Fatalf("a session under the flood: %d", r)
	}
	closed := 0
	for _, c := range idle {
		c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if _, err := c.Read(make([]byte, 1)); err == io.EOF {
			closed++
		}
	}
	if closed < 200-20 {
		t.Fatalf("the server closed %d of 200 idle connections; it may keep 20", closed)
	}
}

// Each write has its own deadline: an SSE stream that writes now and then
// lives far longer than the write timeout, which http.Server's own
// WriteTimeout (the control) would cut.
func TestWriteDeadlinesDoNotCutLiveStreams(t *testing.T) {
	stream := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := 0; i < 8; i++ {
			fmt.Fprintf(w, "data: %d\n\n", i)
			w.(http.Flusher).Flush()
			time.Sleep(100 * time.Millisecond)
		}
	})
	events := func(h http.Handler, serverTimeout time.Duration) int {
		hs := httptest.NewUnstartedServer(h)
		hs.Config.WriteTimeout = serverTimeout
		hs.Start()
		defer hs.Close()
		resp, err := http.Get(hs.URL)
		if err != nil {
			return 0
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.Count(string(b), "data:")
	}
	if n := events(withWriteDeadlines(stream, 250*time.Millisecond), 0); n != 8 {
		t.Fatalf("with per-write deadlines: %d of 8 events", n)
	}
	if n := events(stream, 250*time.Millisecond); n == 8 {
		t.Fatal("control: http.Server's WriteTimeout did not cut the stream")
	}
}

func TestHTTPOffLoopbackNeedsToken(t *testing.T) {
	err := Serve(context.Background(), HTTPOptions{Addr: "0.0.0.0:0"}, testDeps(t), nil)
	if err == nil || !strings.Contains(err.Error(), "QUALYS_MCP_HTTP_TOKEN") {
		t.Fatalf("%v", err)
	}
}
