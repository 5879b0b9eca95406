package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// jwt is a pre-issued token good until 2100: no /auth call before the first request.
const jwt = "a.eyJleHAiOjQxMDI0NDQ4MDB9.c"

// fake is an httptest gateway that answers the API with a script, one
// step per request that reaches it, and counts those requests and /auth's.
type fake struct {
	srv     *httptest.Server
	api     atomic.Int32
	auths   atomic.Int32
	dials   atomic.Int32
	release chan struct{} // ends the handlers that wait out a timeout
}

// step is how the fake answers one request: a status (with headers), or
// a failure of the connection.
type step struct {
	status  int
	header  map[string]string
	reset   bool // read the request, then drop the connection (RST)
	stall   bool // read the request, then answer nothing until the client gives up
	noWrite bool // the client's connection fails on its first write: the request never arrives
}

// newFake starts the gateway and a client of it. A noWrite step may only
// come first: it fails the first connection's first write.
func newFake(t *testing.T, steps ...step) (*fake, *Client) {
	f := &fake{release: make(chan struct{})}
	var failNext atomic.Bool
	if len(steps) > 0 && steps[0].noWrite {
		failNext.Store(true)
		steps = steps[1:] // it never reaches the handler
	}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/auth" {
			f.auths.Add(1)
			w.Write([]byte(jwt))
			return
		}
		s := step{status: 200}
		if n := int(f.api.Add(1)); n <= len(steps) {
			s = steps[n-1]
		}
		switch {
		case s.reset:
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
		case s.stall:
			select {
			case <-r.Context().Done():
			case <-f.release:
			}
		default:
			for k, v := range s.header {
				w.Header().Set(k, v)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(s.status)
			if s.status < 300 {
				w.Write([]byte(`{"data":[]}`))
			} else {
				fmt.Fprintf(w, `{"errorCode":"%d","message":"scripted"}`, s.status)
			}
		}
	}))
	t.Cleanup(func() { close(f.release); f.srv.Close() })
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		f.dials.Add(1)
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil && failNext.CompareAndSwap(true, false) {
			return &unwritable{Conn: c}, nil
		}
		return c, err
	}}
	t.Cleanup(tr.CloseIdleConnections)
	u, _ := url.Parse(f.srv.URL)
	c := New(Config{Gateway: u, Token: jwt, Username: "u", Password: "p", Transport: tr, Unthrottled: true,
		MaxRetries: 2, MaxBackoff: 5 * time.Millisecond, Timeout: 300 * time.Millisecond})
	return f, c
}

// unwritable is a connection reset by the peer before the request could
// be written on it.
type unwritable struct{ net.Conn }

func (c *unwritable) Write([]byte) (int, error) {
	c.Conn.Close()
	return 0, &net.OpError{Op: "write", Net: "tcp", Err: syscall.ECONNRESET}
}

var methods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch}

// TestRetryPolicy: per method and per status or failure, how many
// requests reach the gateway, whether the call succeeds, and what its
// error says of the change. Reads are retried; a write is sent again only
// when the gateway refused it before any processing (401 once, 429) or
// it never arrived.
func TestRetryPolicy(t *testing.T) {
	ok := step{status: 200}
	st := func(code int, hdr ...string) step {
		s := step{status: code, header: map[string]string{}}
		for i := 0; i+1 < len(hdr); i += 2 {
			s.header[hdr[i]] = hdr[i+1]
		}
		return s
	}
	const all = 3 // MaxRetries 2: three attempts
	type want struct {
		requests int    // that reach the gateway
		ok       bool   // the call succeeds
		applied  string // a write's APIError.Applied when it fails
	}
	for _, c := range []struct {
		name        string
		steps       []step
		read, write want
	}{
		{"200", []step{ok}, want{1, true, ""}, want{1, true, ""}},
		{"400", []step{st(400)}, want{1, false, ""}, want{1, false, "no"}},
		{"403", []step{st(403)}, want{1, false, ""}, want{1, false, "no"}},
		{"404", []step{st(404)}, want{1, false, ""}, want{1, false, "no"}},
		{"409", []step{st(409)}, want{1, false, ""}, want{1, false, "no"}},
		{"401 then 200", []step{st(401), ok}, want{2, true, ""}, want{2, true, ""}},
		{"401 twice", []step{st(401), st(401)}, want{2, false, ""}, want{2, false, "no"}},
		{"429 Retry-After then 200", []step{st(429, "Retry-After", "0"), ok}, want{2, true, ""}, want{2, true, ""}},
		{"429 then 200", []step{st(429), ok}, want{2, true, ""}, want{2, true, ""}},
		{"429 always", []step{st(429), st(429), st(429)}, want{all, false, ""}, want{all, false, "no"}},
		{"500", []step{st(500), ok}, want{1, false, ""}, want{1, false, "unknown"}},
		{"502 then 200", []step{st(502), ok}, want{2, true, ""}, want{1, false, "unknown"}},
		{"503 then 200", []step{st(503), ok}, want{2, true, ""}, want{1, false, "unknown"}},
		{"504 then 200", []step{st(504), ok}, want{2, true, ""}, want{1, false, "unknown"}},
		{"504 always", []step{st(504), st(504), st(504)}, want{all, false, ""}, want{1, false, "unknown"}},
		{"reset before the request was written", []step{{noWrite: true}, ok}, want{1, true, ""}, want{1, true, ""}},
		{"reset after the request was written", []step{{reset: true}, ok}, want{2, true, ""}, want{1, false, "unknown"}},
		{"timeout", []step{{stall: true}, ok}, want{2, true, ""}, want{1, false, "unknown"}},
	} {
		for _, m := range methods {
			t.Run(c.name+"/"+m, func(t *testing.T) {
				t.Parallel()
				w := c.write
				if m == http.MethodGet {
					w = c.read
				}
				f, cl := newFake(t, c.steps...)
				call := Call{Method: m, Path: "/sensorProfile/{id}", Params: map[string]string{"id": "p1"}}
				if m != http.MethodGet {
					call.Body = map[string]any{"profileName": "p"}
				}
				_, err := cl.Do(context.Background(), call)
				if n := int(f.api.Load()); n != w.requests {
					t.Errorf("%d requests reached the gateway, want %d (%v)", n, w.requests, err)
				}
				if (err == nil) != w.ok {
					t.Fatalf("error %v, want success %v", err, w.ok)
				}
				if err == nil {
					return
				}
				var ae *APIError
				if !errors.As(err, &ae) || ae.Applied != w.applied {
					t.Errorf("Applied %q, want %q: %v", ae.Applied, w.applied, err)
				}
				checkMessage(t, err.Error(), m, w.applied)
			})
		}
	}
}

// checkMessage: a write's error says what became of the change, a read's
// says nothing of changes; no message has a formatting escape.
func checkMessage(t *testing.T, msg, method, applied string) {
	t.Helper()
	maybe := strings.Contains(msg, "may or may not have been applied")
	nothing := strings.Contains(msg, "nothing was changed") || strings.Contains(msg, "nothing deleted")
	switch {
	case strings.Contains(msg, "%!"):
		t.Errorf("formatting escape: %s", msg)
	case method == http.MethodGet && (maybe || nothing || strings.Contains(msg, "change")):
		t.Errorf("a read's error speaks of changes: %s", msg)
	case applied == "unknown" && !maybe, applied == "no" && !nothing:
		t.Errorf("Applied %q, but the message says: %s", applied, msg)
	}
}

// Retry-After beyond the cap on waiting is not waited for: the error says
// when to retry, and a write was refused, so nothing changed.
func TestRetryAfterBeyondCapForAWrite(t *testing.T) {
	f, c := newFake(t, step{status: 429, header: map[string]string{"Retry-After": "120"}})
	_, err := c.Do(context.Background(), Call{Method: http.MethodPost, Path: "/sensorProfile"})
	if err == nil || f.api.Load() != 1 || !strings.Contains(err.Error(), "retry after 2m0s") || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("%v (requests %d)", err, f.api.Load())
	}
}

// A 401 is answered by one renewal of the token at /auth.
func TestUnauthorizedRenewsOnce(t *testing.T) {
	f, c := newFake(t, step{status: 401}, step{status: 401})
	_, err := c.Do(context.Background(), Call{Method: http.MethodDelete, Path: "/sensorProfile/x"})
	if err == nil || f.auths.Load() != 1 || !strings.Contains(err.Error(), "authentication failed") {
		t.Fatalf("%v (logins %d)", err, f.auths.Load())
	}
}

// A gateway that is not listening: every method is retried (the request
// never left), and the error names the network's failure, not Qualys.
func TestConnectionRefused(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	for _, m := range methods {
		f, c := newFake(t)
		c.cfg.Gateway, c.base = &url.URL{Scheme: "http", Host: addr}, "http://"+addr+BasePath
		_, err := c.Do(context.Background(), Call{Method: m, Path: "/sensors"})
		var ae *APIError
		if !errors.As(err, &ae) || f.dials.Load() != 3 || !strings.Contains(err.Error(), "could not reach Qualys: connection refused") || strings.Contains(err.Error(), "Qualys said") {
			t.Fatalf("%s: %v (dials %d)", m, err, f.dials.Load())
		}
		want := "no"
		if m == http.MethodGet {
			want = ""
		}
		if ae.Applied != want {
			t.Errorf("%s: Applied %q", m, ae.Applied)
		}
		checkMessage(t, err.Error(), m, want)
	}
}

// DNS and TLS failures are named as such, and not retried: they will not
// pass by themselves.
func TestTransportFailuresAreNamed(t *testing.T) {
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.Error("a request passed an untrusted certificate") }))
	defer tlsSrv.Close()
	for _, c := range []struct{ gateway, want string }{
		{"https://gateway.qg9.invalid", "could not reach Qualys: the DNS lookup of gateway.qg9.invalid failed (no such host)"},
		{tlsSrv.URL, "could not reach Qualys: the TLS connection failed"},
	} {
		u, _ := url.Parse(c.gateway)
		var dials atomic.Int32
		tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}}
		cl := New(Config{Gateway: u, Token: jwt, Transport: tr, Unthrottled: true, MaxBackoff: 5 * time.Millisecond})
		_, err := cl.Do(context.Background(), Call{Method: http.MethodPost, Path: "/sensorProfile"})
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "Qualys said") || !strings.Contains(err.Error(), "nothing was changed") {
			t.Errorf("%s: %v", c.gateway, err)
		}
		if dials.Load() != 1 {
			t.Errorf("%s: %d attempts", c.gateway, dials.Load())
		}
	}
}

// A DELETE answered 404 is an error that says nothing was deleted.
func TestDeleteNotFound(t *testing.T) {
	_, c := newFake(t, step{status: 404})
	_, err := c.Do(context.Background(), Call{Method: http.MethodDelete, Path: "/sensorProfile/{sensorProfileId}", Params: map[string]string{"sensorProfileId": "3f1c2a9e"}})
	if err == nil || !strings.HasPrefix(err.Error(), `not found, nothing deleted: Qualys has no sensorProfileId "3f1c2a9e"`) {
		t.Fatalf("%v", err)
	}
}

// An answer too deep to decode safely is refused with a clear error, for
// a typed decode and for a body the caller decodes itself.
func TestDeepAnswerIsRefused(t *testing.T) {
	deep := `{"data":` + strings.Repeat("[", 2_100_000)
	var status atomic.Int32
	status.Store(200)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(int(status.Load()))
		w.Write([]byte(deep))
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	c := New(Config{Gateway: u, Token: jwt, Unthrottled: true, MaxRetries: 1, MaxBackoff: 5 * time.Millisecond})
	var out struct{ Data any }
	for _, call := range []Call{{Method: http.MethodGet, Path: "/images", Out: &out}, {Method: http.MethodPost, Path: "/images"}} {
		_, err := c.Do(context.Background(), call)
		if err == nil || !strings.Contains(err.Error(), "could not be read: JSON nested deeper than 64 levels") {
			t.Fatalf("%s: %v", call.Method, err)
		}
	}
	// an error answer as deep is quoted as text, cut
	status.Store(400)
	_, err := c.Do(context.Background(), Call{Method: http.MethodGet, Path: "/images"})
	if err == nil || !strings.Contains(err.Error(), "HTTP 400") || len(err.Error()) > 800 {
		t.Fatalf("%.300v", err)
	}
}
