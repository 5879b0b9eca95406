package client

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// Exchange is one request sent to Qualys and how it was answered.
type Exchange struct {
	Method string
	Path   string // under the base path, IDs filled in, no query
	Status int    // 0: no answer (a transport error)
}

func (x Exchange) String() string {
	if x.Status == 0 {
		return fmt.Sprintf("%s %s: no answer", x.Method, x.Path)
	}
	return fmt.Sprintf("%s %s: HTTP %d", x.Method, x.Path, x.Status)
}

// Trace records the exchanges of the calls made with its context, for an
// audit line that says what was sent and how Qualys answered.
type Trace struct {
	mu   sync.Mutex
	list []Exchange
}

type traceKey struct{}

// WithTrace returns a context whose calls are recorded in the trace.
func WithTrace(ctx context.Context) (context.Context, *Trace) {
	t := &Trace{}
	return context.WithValue(ctx, traceKey{}, t), t
}

func traceOf(ctx context.Context) *Trace {
	t, _ := ctx.Value(traceKey{}).(*Trace)
	return t
}

func (t *Trace) add(method, path string, resp *Response, err error) {
	if t == nil {
		return
	}
	x := Exchange{Method: method, Path: path}
	if err == nil && resp != nil {
		x.Status = resp.Status
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.list = append(t.list, x)
}

// Changes are the exchanges that may change something (all but GET),
// in order.
func (t *Trace) Changes() []Exchange {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Exchange
	for _, x := range t.list {
		if x.Method != http.MethodGet {
			out = append(out, x)
		}
	}
	return out
}

// Summary lists the changes, e.g. "PUT /sensorProfile/1a2b: HTTP 200".
func (t *Trace) Summary() string {
	var parts []string
	for _, x := range t.Changes() {
		parts = append(parts, x.String())
	}
	return strings.Join(parts, ", ")
}
