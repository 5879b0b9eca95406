package state

import (
	"context"
	"testing"
	"time"
)

func TestMemory(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	clock := time.Unix(1000, 0)
	m.now = func() time.Time { return clock }

	if ok, _ := m.Claim(ctx, "a", time.Minute); !ok {
		t.Fatal("first claim refused")
	}
	if ok, _ := m.Claim(ctx, "a", time.Minute); ok {
		t.Fatal("second claim accepted")
	}
	clock = clock.Add(2 * time.Minute)
	if ok, _ := m.Claim(ctx, "a", time.Minute); !ok {
		t.Fatal("claim after expiry refused")
	}

	m.Put(ctx, "k", []byte("v"), time.Second)
	if v, ok, _ := m.Get(ctx, "k"); !ok || string(v) != "v" {
		t.Fatalf("get = %q %v", v, ok)
	}
	clock = clock.Add(time.Second)
	if _, ok, _ := m.Get(ctx, "k"); ok {
		t.Fatal("expired value still read")
	}

	for i := 0; i < 3; i++ {
		if w, _ := m.Take(ctx, "w", 3, time.Minute); w != 0 {
			t.Fatalf("take %d waited %s", i, w)
		}
		clock = clock.Add(10 * time.Second)
	}
	if w, _ := m.Take(ctx, "w", 3, time.Minute); w != 30*time.Second {
		t.Fatalf("4th take in the window: wait %s, want 30s", w)
	}
	clock = clock.Add(30 * time.Second)
	if w, _ := m.Take(ctx, "w", 3, time.Minute); w != 0 {
		t.Fatalf("take after the window moved: wait %s", w)
	}

	unlock, ok, _ := m.Lock(ctx, "l", time.Second)
	if !ok {
		t.Fatal("lock refused")
	}
	if _, ok, _ := m.Lock(ctx, "l", time.Second); ok {
		t.Fatal("second lock granted")
	}
	unlock()
	if _, ok, _ := m.Lock(ctx, "l", time.Second); !ok {
		t.Fatal("lock after unlock refused")
	}
}
