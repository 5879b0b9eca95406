package state

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// OnError sees the commands that failed, and none of those that answered
// (an absent key included).
func TestRedisOnError(t *testing.T) {
	mr, r := newMiniRedis(t)
	var mu sync.Mutex
	var ops []string
	r.OnError(func(op string) { mu.Lock(); ops = append(ops, op); mu.Unlock() })
	ctx := context.Background()
	if _, ok, err := r.Get(ctx, "absent"); ok || err != nil {
		t.Fatalf("get of an absent key: %v %v", ok, err)
	}
	r.Claim(ctx, "x", time.Minute)
	r.Take(ctx, "w", 3, time.Minute)
	if len(ops) != 0 {
		t.Fatalf("errors counted while Redis answered: %v", ops)
	}
	mr.Close()
	r.Get(ctx, "k")
	r.Put(ctx, "k", []byte("v"), time.Minute)
	r.Take(ctx, "w", 3, time.Minute)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	r.Get(cancelled, "k") // given up by its caller: not the store's failure
	mu.Lock()
	defer mu.Unlock()
	if len(ops) != 3 || ops[0] != "get" || ops[1] != "set" || !slices.Contains([]string{"evalsha", "eval"}, ops[2]) {
		t.Fatalf("errors seen with Redis down: %v, want get, set and the take script", ops)
	}
}
