package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is an Observer that writes down what it is told.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(format string, a ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, fmt.Sprintf(format, a...))
}

func (r *recorder) Upstream(ctx context.Context, u Upstream) (context.Context, func(Answer)) {
	return ctx, func(a Answer) { r.add("%s %s %s: %d%s", u.Method, u.Class, u.Template, a.Status, a.Error) }
}

func (r *recorder) ThrottleWait(_ context.Context, class string, d time.Duration) {
	r.add("throttled %s %v", class, d >= 150*time.Millisecond)
}

func (r *recorder) RateLimited(_ context.Context, class string) { r.add("429 %s", class) }

// The observer sees every request to Qualys (each attempt, the login too)
// by its path template, Qualys' 429s, and the throttle's waits.
func TestObserverSeesEveryRequest(t *testing.T) {
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/auth" {
			w.Write([]byte("a.eyJleHAiOjQxMDI0NDQ4MDB9.c"))
			return
		}
		if n++; n == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(429)
			return
		}
		if strings.HasSuffix(r.URL.Path, "/slow") {
			time.Sleep(300 * time.Millisecond)
		}
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	rec := &recorder{}
	c := New(Config{Gateway: u, Username: "u", Password: "p", Observer: rec, RateLimits: map[string]int{"other": 2}})
	ctx := context.Background()
	if _, err := c.Do(ctx, Call{Method: "GET", Path: "/registry/{registryId}", Params: map[string]string{"registryId": "1ec46398-23be-40fc-8cde-8b4bd916d5fa"}}); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := c.Do(short, Call{Method: "GET", Path: "/sensors"}); err == nil {
		t.Fatal("a third request in the window passed the limit of 2")
	}
	short, cancel = context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	c.cfg.Unthrottled = true
	c.Do(short, Call{Method: "GET", Path: "/images/slow"})
	want := []string{
		"POST auth /auth: 200",
		"GET other /registry/{registryId}: 429", "429 other",
		"GET other /registry/{registryId}: 200",
		"throttled other true",
		"GET inventory /images/slow: 0cancelled",
	}
	if !slices.Equal(rec.events, want) {
		t.Fatalf("the observer saw\n%s\nwant\n%s", strings.Join(rec.events, "\n"), strings.Join(want, "\n"))
	}
}

func TestErrorKinds(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	bg := context.Background()
	for _, c := range []struct {
		ctx  context.Context
		err  error
		want string
	}{
		{bg, nil, ""},
		{cancelled, context.Canceled, ErrCancelled},
		{bg, context.DeadlineExceeded, ErrTimeout},
		{bg, &url.Error{Op: "Get", Err: timeoutErr{}}, ErrTimeout},
		{bg, fmt.Errorf("connection refused"), ErrTransport},
	} {
		if got := ErrorKind(c.ctx, c.err); got != c.want {
			t.Errorf("ErrorKind(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

// An answer cut at MaxBody is too large, with its status.
func TestAnsweredTooLarge(t *testing.T) {
	got := answered(context.Background(), &Response{Status: 200, tooLarge: errors.New("cut")}, nil)
	if got != (Answer{Status: 200, Error: ErrTooLarge}) {
		t.Fatalf("%+v", got)
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }
