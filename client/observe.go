package client

import (
	"context"
	"errors"
	"net"
	"time"
)

// Observer watches the client's traffic to Qualys, for metrics and traces
// (tools/telemetry implements it; the client knows neither Prometheus nor
// OpenTelemetry). It sees no IDs, no query and no secret: a path is its
// template, e.g. /registry/{registryId}. Its methods must be safe for
// concurrent use and quick.
type Observer interface {
	// Upstream is called as one HTTP request to Qualys starts (each
	// attempt of a retried call is one); the returned context carries the
	// request (a trace span), and end is called once, when the answer is
	// read or the request failed.
	Upstream(ctx context.Context, r Upstream) (_ context.Context, end func(Answer))
	// ThrottleWait is called after the client held a request for its
	// endpoint class's rate limit (Limits) for d.
	ThrottleWait(ctx context.Context, class string, d time.Duration)
	// RateLimited is called when Qualys answered 429 Too Many Requests.
	RateLimited(ctx context.Context, class string)
}

// Upstream is one request to Qualys as an Observer sees it.
type Upstream struct {
	Method   string
	Class    string // EndpointClass of the path, or "auth" for the login
	Template string // the path under the base path before its IDs are filled in
}

// Answer is how Qualys answered one request.
type Answer struct {
	Status int    // 0: no answer
	Error  string // "" when answered, else one of the ErrorKind words
}

// The kinds of failure an Answer names: a bounded set.
const (
	ErrCancelled = "cancelled" // the caller gave up (context ended)
	ErrTimeout   = "timeout"   // no answer in time
	ErrTooLarge  = "too_large" // the answer passed MaxBody
	ErrTransport = "transport" // the connection failed (refused, reset, TLS)
)

// ErrorKind names the kind of a transport failure, for an Answer.
func ErrorKind(ctx context.Context, err error) string {
	var ne net.Error
	switch {
	case err == nil:
		return ""
	case ctx.Err() != nil:
		return ErrCancelled
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return ErrTimeout
	}
	return ErrTransport
}

// observe starts watching one request; without an Observer it costs a
// nil check.
func (c *Client) observe(ctx context.Context, method, class, template string) (context.Context, func(Answer)) {
	if c.cfg.Observer == nil {
		return ctx, noAnswer
	}
	return c.cfg.Observer.Upstream(ctx, Upstream{Method: method, Class: class, Template: template})
}

func noAnswer(Answer) {}

// answered is the Answer of a send.
func answered(ctx context.Context, resp *Response, err error) Answer {
	switch {
	case err != nil:
		return Answer{Error: ErrorKind(ctx, err)}
	case resp.tooLarge != nil:
		return Answer{Status: resp.Status, Error: ErrTooLarge}
	}
	return Answer{Status: resp.Status}
}
