package client

import (
	"context"
	"strings"
	"sync"
	"time"
)

// throttle keeps each endpoint class under its published limit per 60 s, so
// that the server never provokes a 429 itself.
type throttle struct {
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	limit  float64
	last   time.Time
}

// Limits per 60 s, as Qualys publishes them.
var Limits = map[string]int{
	"bulk-list": 120,  // /images/list, /containers/list
	"inventory": 5000, // other /images and /containers paths
	"other":     1000, // /registry, /sensors and the rest
}

func endpointClass(path string) string {
	switch {
	case path == "/images/list" || path == "/containers/list":
		return "bulk-list"
	case strings.HasPrefix(path, "/images") || strings.HasPrefix(path, "/containers"):
		return "inventory"
	default:
		return "other"
	}
}

func newThrottle() *throttle { return &throttle{buckets: map[string]*bucket{}} }

// wait blocks until the path's class has a request left in its window.
func (t *throttle) wait(ctx context.Context, path string) error {
	class := endpointClass(path)
	for {
		t.mu.Lock()
		b := t.buckets[class]
		now := time.Now()
		if b == nil {
			l := float64(Limits[class])
			b = &bucket{tokens: l, limit: l, last: now}
			t.buckets[class] = b
		}
		b.tokens = min(b.limit, b.tokens+now.Sub(b.last).Seconds()*b.limit/60)
		b.last = now
		if b.tokens >= 1 {
			b.tokens--
			t.mu.Unlock()
			return nil
		}
		need := time.Duration((1 - b.tokens) * 60 / b.limit * float64(time.Second))
		t.mu.Unlock()
		if err := sleep(ctx, need); err != nil {
			return err
		}
	}
}
