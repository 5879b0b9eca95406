package client

import (
	"context"
	"testing"
	"time"
)

func TestEndpointClasses(t *testing.T) {
	for path, want := range map[string]string{
		"/images/list": "bulk-list", "/containers/list": "bulk-list", "/images/abc/vuln": "inventory",
		"/containers": "inventory", "/registry/x/schedule": "other", "/sensors": "other", "/sensorProfile": "other",
	} {
		if got := endpointClass(path); got != want {
			t.Errorf("%s: %s, want %s", path, got, want)
		}
	}
	if Limits["bulk-list"] != 120 || Limits["inventory"] != 5000 || Limits["other"] != 1000 {
		t.Fatalf("published limits: %v", Limits)
	}
}

// Once a class's window is spent, the next request waits (here: until the
// caller gives up) instead of provoking a 429.
func TestThrottleWaitsWhenTheWindowIsSpent(t *testing.T) {
	th := newThrottle()
	th.buckets["bulk-list"] = &bucket{tokens: 2, limit: 120, last: time.Now()}
	for i := 0; i < 2; i++ {
		if err := th.wait(context.Background(), "/images/list"); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := th.wait(ctx, "/images/list"); err == nil {
		t.Fatal("a third request in a spent window went through at once")
	}
	// other classes are not held up
	if err := th.wait(ctx, "/sensors"); err != nil {
		t.Fatal(err)
	}
}
