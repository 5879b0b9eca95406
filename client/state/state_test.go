package state

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// testStore is the behaviour every Store shares. advance moves the store's
// clock (values' expiry and budgets' windows) forward.
func testStore(t *testing.T, s Store, advance func(time.Duration)) {
	ctx := context.Background()

	if ok, err := s.Claim(ctx, "a", time.Minute); !ok || err != nil {
		t.Fatalf("first claim refused: %v", err)
	}
	if ok, _ := s.Claim(ctx, "a", time.Minute); ok {
		t.Fatal("second claim accepted")
	}
	advance(2 * time.Minute)
	if ok, _ := s.Claim(ctx, "a", time.Minute); !ok {
		t.Fatal("claim after expiry refused")
	}

	if err := s.Put(ctx, "k", []byte("v"), time.Second); err != nil {
		t.Fatal(err)
	}
	if v, ok, _ := s.Get(ctx, "k"); !ok || string(v) != "v" {
		t.Fatalf("get = %q %v", v, ok)
	}
	s.Put(ctx, "d", []byte("x"), time.Minute)
	s.Delete(ctx, "d")
	if _, ok, _ := s.Get(ctx, "d"); ok {
		t.Fatal("deleted value still read")
	}
	advance(time.Second)
	if _, ok, _ := s.Get(ctx, "k"); ok {
		t.Fatal("expired value still read")
	}

	for i := 0; i < 3; i++ {
		if w, _ := s.Take(ctx, "w", 3, time.Minute); w != 0 {
			t.Fatalf("take %d waited %s", i, w)
		}
		advance(10 * time.Second)
	}
	if w, _ := s.Take(ctx, "w", 3, time.Minute); w != 30*time.Second {
		t.Fatalf("4th take in the window: wait %s, want 30s", w)
	}
	advance(29 * time.Second)
	if w, _ := s.Take(ctx, "w", 3, time.Minute); w != time.Second {
		t.Fatalf("refused take counted: wait %s, want 1s", w)
	}
	advance(time.Second)
	if w, _ := s.Take(ctx, "w", 3, time.Minute); w != 0 {
		t.Fatalf("take after the window moved: wait %s", w)
	}
	// a window is a count, not a bucket that starts full and refills: in the
	// 60 s after a burst of 3, nothing more passes.
	if w, _ := s.Take(ctx, "w", 3, time.Minute); w != 10*time.Second {
		t.Fatalf("take right after: wait %s, want 10s", w)
	}

	unlock, ok, _ := s.Lock(ctx, "l", time.Second)
	if !ok {
		t.Fatal("lock refused")
	}
	if _, ok, _ := s.Lock(ctx, "l", time.Second); ok {
		t.Fatal("second lock granted")
	}
	unlock()
	unlock2, ok, _ := s.Lock(ctx, "l", time.Second)
	if !ok {
		t.Fatal("lock after unlock refused")
	}
	advance(2 * time.Second) // the holder overran its lock: another takes it
	unlock3, ok, _ := s.Lock(ctx, "l", time.Second)
	if !ok {
		t.Fatal("expired lock not granted")
	}
	unlock2() // the late holder's unlock must not release the new holder's lock
	if _, ok, _ := s.Lock(ctx, "l", time.Second); ok {
		t.Fatal("a stale unlock released another holder's lock")
	}
	unlock3()

	// concurrent callers: one claim wins; a window lets exactly its limit in
	var wins, passed atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, _ := s.Claim(ctx, "race", time.Minute); ok {
				wins.Add(1)
			}
			if w, err := s.Take(ctx, "race-window", 7, time.Minute); w == 0 && err == nil {
				passed.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 || passed.Load() != 7 {
		t.Fatalf("concurrent: %d claims won (want 1), %d takes passed (want 7)", wins.Load(), passed.Load())
	}
}

func TestMemory(t *testing.T) {
	m := NewMemory()
	clock := time.Unix(1000, 0)
	var mu sync.Mutex
	m.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	testStore(t, m, func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() })
	if m.Shared() {
		t.Fatal("memory says it is shared")
	}
}

func newMiniRedis(t *testing.T) (*miniredis.Miniredis, *Redis) {
	mr := miniredis.RunT(t)
	r := NewRedis(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { r.Close() })
	return mr, r
}

func TestRedis(t *testing.T) {
	mr, r := newMiniRedis(t)
	clock := time.Unix(1000, 0)
	var mu sync.Mutex
	r.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	testStore(t, r, func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock(); mr.FastForward(d) })
	if !r.Shared() {
		t.Fatal("redis says it is not shared")
	}
	for _, k := range mr.Keys() {
		if !strings.HasPrefix(k, Prefix) {
			t.Fatalf("key %q outside the prefix", k)
		}
	}
}

// Two replicas (two clients) on one Redis see one state.
func TestRedisReplicasShareState(t *testing.T) {
	mr, a := newMiniRedis(t)
	b := NewRedis(&redis.Options{Addr: mr.Addr()})
	defer b.Close()
	ctx := context.Background()
	if ok, _ := a.Claim(ctx, "used:n1", time.Minute); !ok {
		t.Fatal("claim on a refused")
	}
	if ok, _ := b.Claim(ctx, "used:n1", time.Minute); ok {
		t.Fatal("b claimed what a had claimed")
	}
	for i := 0; i < 2; i++ {
		a.Take(ctx, "budget", 3, time.Minute)
	}
	if w, _ := b.Take(ctx, "budget", 3, time.Minute); w != 0 {
		t.Fatal("b's take refused with one left")
	}
	if w, _ := a.Take(ctx, "budget", 3, time.Minute); w == 0 {
		t.Fatal("a 4th take across replicas passed")
	}
	_, ok, _ := a.Lock(ctx, "auth", time.Second)
	if _, ok2, _ := b.Lock(ctx, "auth", time.Second); !ok || ok2 {
		t.Fatalf("lock: a %v, b %v", ok, ok2)
	}
}

// Redis down: every operation fails with ErrUnavailable (a Claim never
// answers "first"); Redis back: the same client works again by itself.
func TestRedisDownAndBack(t *testing.T) {
	mr, r := newMiniRedis(t)
	ctx := context.Background()
	mr.Close()
	ok, err := r.Claim(ctx, "x", time.Minute)
	if ok || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("claim with redis down: %v %v", ok, err)
	}
	if _, err := r.Take(ctx, "w", 1, time.Minute); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("take: %v", err)
	}
	if _, ok, err := r.Lock(ctx, "l", time.Second); ok || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("lock: %v %v", ok, err)
	}
	if _, _, err := r.Get(ctx, "k"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("get: %v", err)
	}
	if err := r.Put(ctx, "k", nil, time.Second); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("put: %v", err)
	}
	if err := mr.Restart(); err != nil {
		t.Fatal(err)
	}
	if ok, err := r.Claim(ctx, "x", time.Minute); !ok || err != nil {
		t.Fatalf("claim after redis came back: %v %v", ok, err)
	}
}

func TestOpen(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	mr := miniredis.RunT(t)
	mr.RequireAuth("s3cret-pass")

	if s, desc, err := Open(Config{}); err != nil || s.Shared() || !strings.Contains(desc, "memory") {
		t.Fatalf("default: %v %q %v", s, desc, err)
	}
	c, _ := ConfigFromEnv("", env(map[string]string{"QUALYS_MCP_STATE_URL": "redis://" + mr.Addr() + "/0", "QUALYS_MCP_STATE_PASSWORD": "s3cret-pass"}))
	s, desc, err := Open(c)
	if err != nil || strings.Contains(desc, "s3cret") {
		t.Fatalf("open: %q %v", desc, err)
	}
	defer s.Close()
	if ok, err := s.Claim(context.Background(), "k", time.Minute); !ok || err != nil {
		t.Fatalf("claim with the password from the environment: %v %v", ok, err)
	}

	dir := t.TempDir()
	os.WriteFile(dir+"/pw", []byte("s3cret-pass\n"), 0o600)
	c, _ = ConfigFromEnv("redis://"+mr.Addr()+"/1", env(map[string]string{"QUALYS_MCP_STATE_PASSWORD_FILE": dir + "/pw"}))
	if c.Password != "s3cret-pass" || !c.FromFlag {
		t.Fatalf("password file: %+v", c)
	}

	for _, bad := range []string{"http://x:1", "redis://", "redis://u:s3cret-pass@" + mr.Addr()} {
		_, _, err := Open(Config{URL: bad, FromFlag: true})
		if err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: %v", bad, err)
		}
	}
	if got := Redact("rediss://user:pw@h:6380/2?x=1"); got != "rediss://user@h:6380/2" {
		t.Errorf("redact: %s", got)
	}
	// a password in the environment's URL is used, and never shown
	s, desc, err = Open(Config{URL: "redis://:s3cret-pass@" + mr.Addr() + "/0"})
	if err != nil || strings.Contains(desc, "s3cret") {
		t.Fatalf("env URL with a password: %q %v", desc, err)
	}
	defer s.Close()
	if ok, err := s.Claim(context.Background(), "k2", time.Minute); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
}

// A Redis that accepts connections but never answers (overloaded, or
// paused) fails each operation with ErrUnavailable after its timeout,
// instead of holding the call.
func TestRedisSlow(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // read nothing, answer nothing
		}
	}()
	r := NewRedis(&redis.Options{Addr: ln.Addr().String()})
	defer r.Close()
	ok, err := r.Claim(context.Background(), "x", time.Minute)
	if ok || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("claim on a silent redis: %v %v", ok, err)
	}
}
