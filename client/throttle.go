package client

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
)

// throttle keeps each endpoint class under its limit in every 60 s window
// (a window count, never a bucket that starts full), so that the server
// never provokes a 429 itself. With a shared store the count is one per
// Qualys account for all replicas; when the store fails, this replica
// counts alone until it returns.
type throttle struct {
	shared  state.Store   // nil: this process only
	local   *state.Memory // the count when there is no shared store, or it fails
	limits  map[string]int
	account string // names the Qualys account in keys, without secrets
	health  *storeHealth
}

// Window is the period the published limits count over.
const Window = 60 * time.Second

// published are the limits per 60 s, as Qualys publishes them.
var published = map[string]int{
	"bulk-list": 120,  // /images/list, /containers/list
	"inventory": 5000, // other /images and /containers paths
	"other":     1000, // /registry, /sensors and the rest
}

// PublishedLimits are the limits per 60 s of each endpoint class, as
// Qualys publishes them (a copy).
func PublishedLimits() map[string]int { return maps.Clone(published) }

// EndpointClass is the class of a path under the base path whose limit it
// counts against.
func EndpointClass(path string) string {
	switch {
	case path == "/images/list" || path == "/containers/list":
		return "bulk-list"
	case strings.HasPrefix(path, "/images") || strings.HasPrefix(path, "/containers"):
		return "inventory"
	default:
		return "other"
	}
}

// ParseRateLimits reads --rate-limits: class=N,... for subscriptions whose
// limits differ from the published ones. Classes not named keep theirs.
func ParseRateLimits(s string) (map[string]int, error) {
	out := map[string]int{}
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		class, n, ok := strings.Cut(part, "=")
		class = strings.TrimSpace(class)
		if _, known := published[class]; !ok || !known {
			return nil, fmt.Errorf("--rate-limits: %q is not class=N with a class of %s", part, strings.Join(classNames(), ", "))
		}
		v, err := strconv.Atoi(strings.TrimSpace(n))
		if err != nil || v < 1 {
			return nil, fmt.Errorf("--rate-limits: %s=%s: want a whole number of requests per 60 s, at least 1", class, n)
		}
		out[class] = v
	}
	return out, nil
}

func classNames() []string {
	return slices.Sorted(maps.Keys(published))
}

func newThrottle(shared state.Store, overrides map[string]int, account string, health *storeHealth) *throttle {
	t := &throttle{local: state.NewMemory(), limits: map[string]int{}, account: account, health: health}
	if shared != nil && shared.Shared() {
		t.shared = shared
	}
	maps.Copy(t.limits, published)
	maps.Copy(t.limits, overrides)
	return t
}

// wait blocks until the path's class has a request left in its window.
func (t *throttle) wait(ctx context.Context, path string) error {
	_, err := t.waited(ctx, path)
	return err
}

// waited is wait, saying how long it slept.
func (t *throttle) waited(ctx context.Context, path string) (waited time.Duration, err error) {
	class := EndpointClass(path)
	key := "throttle:" + t.account + ":" + class
	for {
		w := t.take(ctx, key, t.limits[class])
		if w == 0 {
			return waited, nil
		}
		start := time.Now()
		err := sleep(ctx, w)
		waited += time.Since(start)
		if err != nil {
			return waited, fmt.Errorf("waiting for the %s rate limit (%d requests per 60 s): %w", class, t.limits[class], err)
		}
	}
}

func (t *throttle) take(ctx context.Context, key string, limit int) time.Duration {
	if t.shared != nil && !t.health.resting() {
		w, err := t.shared.Take(ctx, key, limit, Window)
		if err == nil {
			t.health.ok()
			return w
		}
		if ctx.Err() == nil {
			t.health.fail("rate limits counted on this replica alone until it returns", err)
		}
	}
	w, _ := t.local.Take(ctx, key, limit, Window)
	return w
}

// storeHealth logs a shared store's failures (at most once per half
// minute) and its return. After a failure the store rests a moment, so
// that a slow store does not make every read wait for its timeout.
type storeHealth struct {
	log      *slog.Logger
	mu       sync.Mutex
	down     bool
	warned   time.Time
	failedAt time.Time
}

// storeRest is how long a failed store is left alone before it is tried again.
const storeRest = 2 * time.Second

func (h *storeHealth) resting() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.down && time.Since(h.failedAt) < storeRest
}

func (h *storeHealth) fail(consequence string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failedAt = time.Now()
	if h.down && time.Since(h.warned) < 30*time.Second {
		return
	}
	h.down, h.warned = true, time.Now()
	h.log.Warn("shared state store unavailable: "+consequence, "error", err.Error())
}

func (h *storeHealth) ok() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down {
		h.down = false
		h.log.Info("shared state store reachable again")
	}
}
