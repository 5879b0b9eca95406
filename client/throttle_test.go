package client

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
)

func TestEndpointClasses(t *testing.T) {
	for path, want := range map[string]string{
		"/images/list": "bulk-list", "/containers/list": "bulk-list", "/images/abc/vuln": "inventory",
		"/containers": "inventory", "/registry/x/schedule": "other", "/sensors": "other", "/sensorProfile": "other",
	} {
		if got := EndpointClass(path); got != want {
			t.Errorf("%s: %s, want %s", path, got, want)
		}
	}
	if l := PublishedLimits(); l["bulk-list"] != 120 || l["inventory"] != 5000 || l["other"] != 1000 {
		t.Fatalf("published limits: %v", l)
	}
	PublishedLimits()["other"] = 1 // a copy: changing it changes nothing
	if th := newThrottle(nil, nil, "a", nil); th.limits["other"] != 1000 || PublishedLimits()["other"] != 1000 {
		t.Fatal("the published limits changed through a copy")
	}
	if h, ok := PodGateway(" us2 "); !ok || h != "gateway.qg2.apps.qualys.com" {
		t.Fatalf("US2: %q %v", h, ok)
	}
}

func TestParseRateLimits(t *testing.T) {
	got, err := ParseRateLimits(" other=20, bulk-list=5 ")
	if err != nil || got["other"] != 20 || got["bulk-list"] != 5 || len(got) != 2 {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []string{"other", "other=0", "other=x", "images=3", "=4"} {
		if _, err := ParseRateLimits(bad); err == nil || !strings.Contains(err.Error(), "--rate-limits") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	th := newThrottle(nil, got, "acct", nil)
	if th.limits["other"] != 20 || th.limits["inventory"] != 5000 {
		t.Fatalf("limits: %v", th.limits)
	}
}

// Once a class's window is spent, the next request waits (here: until the
// caller gives up) instead of provoking a 429; a fresh window passes only
// its limit (no bucket that starts full).
func TestThrottleWaitsWhenTheWindowIsSpent(t *testing.T) {
	th := newThrottle(nil, map[string]int{"bulk-list": 2}, "acct", nil)
	for i := 0; i < 2; i++ {
		if err := th.wait(context.Background(), "/images/list"); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := th.wait(ctx, "/images/list"); err == nil || !strings.Contains(err.Error(), "bulk-list rate limit (2 requests per 60 s)") {
		t.Fatalf("a third request in a spent window: %v", err)
	}
	// other classes are not held up
	if err := th.wait(ctx, "/sensors"); err != nil {
		t.Fatal(err)
	}
}

type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *logBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func sharedRedis(t *testing.T) (*miniredis.Miniredis, func() *state.Redis) {
	mr := miniredis.RunT(t)
	addr := mr.Addr()
	return mr, func() *state.Redis {
		r := state.NewRedis(&redis.Options{Addr: addr})
		t.Cleanup(func() { r.Close() })
		return r
	}
}

// Two replicas on one store share one budget per account and class; when
// the store fails they keep working on their own count, with a warning,
// and go back to the shared one when it returns.
func TestThrottleSharedAndFallback(t *testing.T) {
	mr, open := sharedRedis(t)
	var logs logBuffer
	health := &storeHealth{log: slog.New(slog.NewTextHandler(&logs, nil))}
	a := newThrottle(open(), map[string]int{"other": 3}, "acct", health)
	b := newThrottle(open(), map[string]int{"other": 3}, "acct", health)
	ctx := context.Background()
	for _, th := range []*throttle{a, b, a} {
		if err := th.wait(ctx, "/sensors"); err != nil {
			t.Fatal(err)
		}
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := b.wait(short, "/sensors"); err == nil {
		t.Fatal("a 4th request across two replicas went through")
	}
	if other := newThrottle(open(), map[string]int{"other": 3}, "another-account", health); other.wait(ctx, "/sensors") != nil {
		t.Fatal("another account's budget was spent")
	}

	mr.Close()
	if err := b.wait(ctx, "/sensors"); err != nil {
		t.Fatalf("with the store down, a read was held: %v", err)
	}
	if !strings.Contains(logs.String(), "shared state store unavailable: rate limits counted on this replica alone") {
		t.Fatalf("no warning: %s", logs.String())
	}
	if strings.Count(logs.String(), "level=WARN") != 1 {
		t.Fatalf("warned more than once: %s", logs.String())
	}
	if err := mr.Restart(); err != nil {
		t.Fatal(err)
	}
	if b.wait(ctx, "/sensors"); strings.Count(logs.String(), "level=WARN") != 1 {
		t.Fatal("the store was tried again at once while resting")
	}
	health.mu.Lock()
	health.failedAt = time.Time{} // its rest after the failure is over
	health.mu.Unlock()
	// back on the shared count, which Redis kept (3 in the window): held,
	// where this replica's own count (1) would have let it through
	short2, cancel2 := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel2()
	if err := b.wait(short2, "/sensors"); err == nil {
		t.Fatal("after the store returned, the replica still counted alone")
	}
	if !strings.Contains(logs.String(), "reachable again") {
		t.Fatalf("return not logged: %s", logs.String())
	}
}

// The replicas log in once for the whole service, and the store holds the
// JWT only encrypted. A refused token is renewed once, and the others take
// the renewed one.
func TestSharedLogin(t *testing.T) {
	mr, open := sharedRedis(t)
	var auths atomic.Int32
	var current atomic.Value
	current.Store("")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/auth" {
			time.Sleep(20 * time.Millisecond) // a slow login: the others must wait for it
			tok := fmt.Sprintf("hdr.eyJleHAiOjQxMDI0NDQ4MDB9.sig%d", auths.Add(1))
			current.Store(tok)
			w.Write([]byte(tok))
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+current.Load().(string) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	key := bytes.Repeat([]byte{7}, 32)
	var replicas []*Client
	for i := 0; i < 3; i++ {
		replicas = append(replicas, New(Config{Gateway: u, Username: "u", Password: "p", State: open(), StateKey: key}))
	}
	callAll := func() {
		var wg sync.WaitGroup
		for _, c := range replicas {
			for j := 0; j < 3; j++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := c.Do(context.Background(), Call{Method: "GET", Path: "/sensors"}); err != nil {
						t.Error(err)
					}
				}()
			}
		}
		wg.Wait()
	}
	callAll()
	if auths.Load() != 1 {
		t.Fatalf("%d logins for three replicas, want 1", auths.Load())
	}
	for _, k := range mr.Keys() {
		v, _ := mr.Get(k)
		if strings.Contains(v, "sig1") || strings.Contains(v, "eyJleHAi") {
			t.Fatalf("the JWT is in the store in clear under %s", k)
		}
		if strings.Contains(k, "user:u") {
			t.Fatalf("the user name is in a key: %s", k)
		}
	}
	current.Store("revoked") // Qualys refuses the token: one replica logs in again, the others adopt it
	callAll()
	if auths.Load() != 2 {
		t.Fatalf("%d logins after a refusal, want 2", auths.Load())
	}

	// another state key cannot read the stored token: it logs in itself
	other := New(Config{Gateway: u, Username: "u", Password: "p", State: open(), StateKey: bytes.Repeat([]byte{8}, 32)})
	before := auths.Load()
	if _, err := other.Do(context.Background(), Call{Method: "GET", Path: "/sensors"}); err != nil {
		t.Fatal(err)
	}
	if auths.Load() != before+1 {
		t.Fatalf("a replica with another key adopted a token it cannot have decrypted")
	}

	// the store down: a new replica logs in by itself, and works
	mr.Close()
	alone := New(Config{Gateway: u, Username: "u", Password: "p", State: open(), StateKey: key})
	if _, err := alone.Do(context.Background(), Call{Method: "GET", Path: "/sensors"}); err != nil {
		t.Fatalf("with the store down: %v", err)
	}
}

// failingStore is a shared store whose every Take fails, counting them.
type failingStore struct {
	state.Store
	takes atomic.Int32
}

func (f *failingStore) Take(context.Context, string, int, time.Duration) (time.Duration, error) {
	f.takes.Add(1)
	return 0, state.ErrUnavailable
}

// After a failure the store rests: a slow or dead store costs one read its
// timeout, not every read.
func TestThrottleRestsAFailedStore(t *testing.T) {
	f := &failingStore{Store: state.NewRedis(&redis.Options{Addr: "127.0.0.1:1"})}
	defer f.Close()
	health := &storeHealth{log: slog.New(slog.DiscardHandler)}
	th := newThrottle(f, nil, "acct", health) // Shared, as the Redis it wraps
	for i := 0; i < 5; i++ {
		if err := th.wait(context.Background(), "/sensors"); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.takes.Load(); n != 1 {
		t.Fatalf("the failed store was asked %d times in its rest, want 1", n)
	}
}
