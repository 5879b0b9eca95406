// Package telemetry is how an operator sees the server work: Prometheus
// metrics on a registry of its own (served by --metrics at /metrics on a
// listener of its own) and OpenTelemetry traces exported over OTLP/HTTP
// when the standard OTEL_EXPORTER_OTLP_* variables name a collector.
//
// A nil *Telemetry is valid and does nothing: with both off, every call
// below is a nil check. No label and no span attribute carries an argument
// value, an ID or a secret: tools come from the catalogue, Qualys paths are
// templates (/registry/{registryId}), statuses a bounded set, and each
// label's values are capped.
package telemetry

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/secret"
)

// Telemetry holds the metrics and the tracer; either may be off.
type Telemetry struct {
	m      *metrics // nil: no metrics
	traces *traces  // nil: no traces
	log    *slog.Logger
}

// Options configure New.
type Options struct {
	Metrics bool   // keep Prometheus metrics (--metrics)
	Version string // the server's, in build info and the trace resource
	Logger  *slog.Logger
	// Secrets learns the values of OTEL_EXPORTER_OTLP_HEADERS (an API key
	// for the collector), so that no log line shows them.
	Secrets *secret.Registry
	// Getenv reads the OTEL_ variables; nil: os.Getenv. (The OTLP exporter
	// itself reads the process's environment.)
	Getenv func(string) string
}

// New returns the telemetry the options and the environment ask for, or
// nil when they ask for none: traces are on when OTEL_EXPORTER_OTLP_ENDPOINT
// or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set (and OTEL_SDK_DISABLED is
// not true, nor OTEL_TRACES_EXPORTER none).
func New(ctx context.Context, o Options) (*Telemetry, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	tr, err := tracesFromEnv(ctx, o)
	if err != nil {
		return nil, err
	}
	if !o.Metrics && tr == nil {
		return nil, nil
	}
	t := &Telemetry{traces: tr, log: o.Logger}
	if o.Metrics {
		t.m = newMetrics(o.Version)
	}
	return t, nil
}

// Metrics reports whether metrics are kept; Traces whether spans are
// exported.
func (t *Telemetry) Metrics() bool { return t != nil && t.m != nil }
func (t *Telemetry) Traces() bool  { return t != nil && t.traces != nil }

// Shutdown exports the spans not yet sent (for at most ctx's time).
func (t *Telemetry) Shutdown(ctx context.Context) error {
	if t == nil || t.traces == nil {
		return nil
	}
	return t.traces.shutdown(ctx)
}

// Outcome is how a tool call ended: a bounded set.
type Outcome string

const (
	OK        Outcome = "ok"         // a result (a preview waiting for consent counts)
	ToolError Outcome = "tool_error" // an error result: Qualys refused, or the call failed
	Refused   Outcome = "refused"    // the arguments did not pass validation; nothing was sent
	Cancelled Outcome = "cancelled"  // the client cancelled, or went away, before the answer
)

var outcomes = [...]Outcome{OK, ToolError, Refused, Cancelled}

// Call names one tool call.
type Call struct {
	Tool    string // from the catalogue
	Toolset string
	Tier    string // read, write or destructive
	// Meta is the request's _meta: a W3C traceparent (and tracestate) in
	// it continues the caller's trace. Nothing else of it is read.
	Meta *mcp.Meta
}

// record is what a call's context carries: which telemetry, and whether
// validation refused it.
type record struct {
	t       *Telemetry
	refused atomic.Bool
}

type recordKey struct{}

func noEnd(Outcome) {}

// ToolCall starts watching one tool call: the returned context carries it
// (its span, for the upstream requests; the mark of a refusal), and end
// is called once with its outcome (Result says which).
func (t *Telemetry) ToolCall(ctx context.Context, c Call) (_ context.Context, end func(Outcome)) {
	if t == nil {
		return ctx, noEnd
	}
	start := time.Now()
	rec := &record{t: t}
	ctx = context.WithValue(ctx, recordKey{}, rec)
	var span trace.Span
	if t.traces != nil {
		ctx, span = t.traces.toolSpan(ctx, c)
	}
	tm := t.m.tool(c)
	return ctx, func(o Outcome) {
		tm.done(o, time.Since(start))
		if span != nil {
			span.SetAttributes(attribute.String("qualys_cs_mcp.outcome", string(o)))
			if o != OK {
				span.SetStatus(codes.Error, string(o))
				span.SetAttributes(attribute.String("error.type", string(o)))
			}
			span.End()
		}
	}
}

// Result is the outcome of a call that answered a result (isError: an
// error result) with ctx, the context ToolCall returned.
func Result(ctx context.Context, isError bool) Outcome {
	switch rec, _ := ctx.Value(recordKey{}).(*record); {
	case !isError:
		return OK
	case rec != nil && rec.refused.Load():
		return Refused
	case ctx.Err() != nil:
		return Cancelled
	}
	return ToolError
}

// MarkRefused marks the call of ctx as refused by validation.
func MarkRefused(ctx context.Context) {
	if rec, _ := ctx.Value(recordKey{}).(*record); rec != nil {
		rec.refused.Store(true)
	}
}

// FromContext is the telemetry of the tool call ctx belongs to (nil when
// none).
func FromContext(ctx context.Context) *Telemetry {
	if rec, _ := ctx.Value(recordKey{}).(*record); rec != nil {
		return rec.t
	}
	return nil
}

// Wait counts the call of ctx as waiting for a person's confirmation until
// the returned function is called: defer telemetry.Wait(ctx)().
func Wait(ctx context.Context) (done func()) {
	t := FromContext(ctx)
	if t == nil || t.m == nil {
		return func() {}
	}
	t.Waiting(+1)
	return func() { t.Waiting(-1) }
}

// Waiting adds delta to the confirmations waiting for a person.
func (t *Telemetry) Waiting(delta int) {
	if t == nil || t.m == nil {
		return
	}
	t.m.waiting.Add(float64(delta))
}

// TaskHooks counts the MCP tasks the server runs, from its task hooks:
// those running, and those that ended by tool and status, with how long
// they ran.
func (t *Telemetry) TaskHooks(h *server.TaskHooks) {
	if t == nil || t.m == nil {
		return
	}
	m := t.m
	h.AddOnTaskCreated(func(context.Context, server.TaskMetrics) { m.running.Inc() })
	ended := func(_ context.Context, tm server.TaskMetrics) {
		m.running.Dec()
		tool := m.toolNames.bound(tm.ToolName)
		m.tasks.WithLabelValues(tool, string(tm.Status)).Inc() // completed, failed or cancelled: mcp-go's
		m.taskTime.WithLabelValues(tool).Observe(tm.Duration.Seconds())
	}
	h.AddOnTaskCompleted(ended)
	h.AddOnTaskFailed(ended)
	h.AddOnTaskCancelled(ended)
}

// SessionsLive reports the live sessions with n (the last one given wins).
func (t *Telemetry) SessionsLive(n func() int) {
	if t == nil || t.m == nil {
		return
	}
	t.m.sessions.Store(&n)
}

// StateError counts one failed operation of the shared state store.
func (t *Telemetry) StateError(op string) {
	if t == nil || t.m == nil {
		return
	}
	t.m.stateErrors.WithLabelValues(t.m.ops.bound(op)).Inc()
}

// Observer is the client's observer: nil (no observer at all) when t is.
func (t *Telemetry) Observer() client.Observer {
	if t == nil {
		return nil
	}
	return t
}

// Upstream implements client.Observer.
func (t *Telemetry) Upstream(ctx context.Context, u client.Upstream) (context.Context, func(client.Answer)) {
	start := time.Now()
	var span trace.Span
	if t.traces != nil {
		ctx, span = t.traces.upstreamSpan(ctx, u)
	}
	return ctx, func(a client.Answer) {
		status := statusLabel(a)
		if t.m != nil {
			t.m.upstream(u, status, time.Since(start))
		}
		if span != nil {
			endUpstreamSpan(span, a, status)
		}
	}
}

// ThrottleWait implements client.Observer.
func (t *Telemetry) ThrottleWait(ctx context.Context, class string, d time.Duration) {
	if t.m != nil {
		class = t.m.classes.bound(class)
		t.m.throttleWaits.WithLabelValues(class).Inc()
		t.m.throttleSeconds.WithLabelValues(class).Add(d.Seconds())
	}
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.AddEvent("throttle wait", trace.WithAttributes(attribute.String("qualys.endpoint_class", class), attribute.Float64("wait_seconds", d.Seconds())))
	}
}

// RateLimited implements client.Observer.
func (t *Telemetry) RateLimited(ctx context.Context, class string) {
	if t.m != nil {
		t.m.rateLimited.WithLabelValues(t.m.classes.bound(class)).Inc()
	}
}

var _ client.Observer = (*Telemetry)(nil)

// errNoListener is Serve's answer when metrics are off.
var errNoListener = errors.New("metrics are off")
