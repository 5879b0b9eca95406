package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestResolveGateway(t *testing.T) {
	for _, c := range []struct{ pod, raw, want, err string }{
		{pod: "US2", want: "https://gateway.qg2.apps.qualys.com"},
		{pod: "eu3", want: "https://gateway.qg3.apps.qualys.it"},
		{pod: "GOV1", want: "https://gateway.gov1.qualys.us"},
		{pod: "US2", raw: "https://gw.example.com/some/path", want: "https://gw.example.com"},
		{raw: "http://127.0.0.1:9999", want: "http://127.0.0.1:9999"},
		{raw: "http://gateway.qg2.apps.qualys.com", err: "plain http"},
		{raw: "https://user:pw@gw.example.com", err: "must not carry credentials"},
		{pod: "MARS1", err: "not a known platform"},
		{err: "no Qualys platform"},
	} {
		u, err := ResolveGateway(c.pod, c.raw)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%v: err %v, want %q", c, err, c.err)
			}
			continue
		}
		if err != nil || u.String() != c.want {
			t.Errorf("%v: got %v %v", c, u, err)
		}
	}
}

func TestConfigFromEnvPasswordFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(f, []byte("s3cret\n"), 0o600)
	env := map[string]string{"QUALYS_USERNAME": "u", "QUALYS_PASSWORD_FILE": f, "QUALYS_POD": "US1"}
	c, err := ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil || c.Password != "s3cret" || c.Gateway.Host != "gateway.qg1.apps.qualys.com" {
		t.Fatalf("%+v %v", c, err)
	}
	delete(env, "QUALYS_PASSWORD_FILE")
	if _, err := ConfigFromEnv(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "--sandbox") {
		t.Fatalf("missing password: %v", err)
	}
}

// gateway is a minimal fake: /auth, then answers from a script.
func gateway(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) (*Client, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/auth" {
			w.Write([]byte("a.eyJleHAiOjQxMDI0NDQ4MDB9.c"))
			return
		}
		answer(int(n.Add(1)), w, r)
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return New(Config{Gateway: u, Username: "u", Password: "p", MaxBackoff: 2 * time.Second}), &n
}

func TestRetryAfterBeyondCapIsAnErrorSayingWhen(t *testing.T) {
	c, n := gateway(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(429)
	})
	_, err := c.Do(context.Background(), Call{Method: "GET", Path: "/images"})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 429 || !strings.Contains(err.Error(), "retry after 2m0s") || n.Load() != 1 {
		t.Fatalf("%v (requests %d)", err, n.Load())
	}
}

func TestRateLimitHeadersAreHonoured(t *testing.T) {
	c, n := gateway(t, func(i int, w http.ResponseWriter, _ *http.Request) {
		if i == 1 {
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Window-Sec", "1")
			w.WriteHeader(429)
			return
		}
		w.Write([]byte(`{"data":[],"count":0}`))
	})
	if _, err := c.Do(context.Background(), Call{Method: "GET", Path: "/images"}); err != nil || n.Load() != 2 {
		t.Fatalf("%v (requests %d)", err, n.Load())
	}
}

func TestCancellationStopsRetries(t *testing.T) {
	c, _ := gateway(t, func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.Do(ctx, Call{Method: "GET", Path: "/images"}); err == nil {
		t.Fatal("want an error")
	}
}

func TestPathParamsAreValidated(t *testing.T) {
	c, n := gateway(t, func(_ int, w http.ResponseWriter, _ *http.Request) { w.Write([]byte("{}")) })
	for _, bad := range []string{"../auth", "a/b", "a b", "x`or`", ""} {
		if _, err := c.Do(context.Background(), Call{Method: "GET", Path: "/images/{imageSha}", Params: map[string]string{"imageSha": bad}}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if n.Load() != 0 {
		t.Fatalf("%d requests sent", n.Load())
	}
}

func TestUserAgentAndBodyCap(t *testing.T) {
	var ua string
	c, _ := gateway(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		ua = r.Header.Get("User-Agent")
		w.Write([]byte(`{"data":"` + strings.Repeat("x", 2000) + `"}`))
	})
	c.cfg.MaxBody = 1000
	c.cfg.UserAgent = "qualys-cs-mcp/test"
	c.http.SetHeader("User-Agent", c.cfg.UserAgent)
	_, err := c.Do(context.Background(), Call{Method: "GET", Path: "/images"})
	if err == nil || !strings.Contains(err.Error(), "1000-byte cap") {
		t.Fatalf("oversized answer: %v", err)
	}
	if ua != "qualys-cs-mcp/test" {
		t.Fatalf("User-Agent %q", ua)
	}
}

func TestExpiryFromJWT(t *testing.T) {
	if got := expiry("a.eyJleHAiOjQxMDI0NDQ4MDB9.c"); got.Unix() != 4102444800 {
		t.Fatalf("exp: %v", got)
	}
	if got := time.Until(expiry("opaque-token")); got < 3*time.Hour || got > 5*time.Hour {
		t.Fatalf("default life: %v", got)
	}
}
