package telemetry

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
)

// ServiceName is the trace resource's service.name unless OTEL_SERVICE_NAME
// says otherwise.
const ServiceName = "qualys-cs-mcp"

type traces struct {
	tp     *sdktrace.TracerProvider
	tracer trace.Tracer
}

// W3C trace context: traceparent and tracestate, read from a request's
// _meta as MCP clients send them.
var propagator = propagation.TraceContext{}

// tracesFromEnv starts the OTLP/HTTP exporter when the environment names a
// collector, as every OpenTelemetry SDK reads it (OTEL_EXPORTER_OTLP_*,
// OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER, the
// batch processor's OTEL_BSP_*); nil when it names none.
func tracesFromEnv(ctx context.Context, o Options) (*traces, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	env := func(name string) string { return strings.TrimSpace(getenv(name)) }
	if env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" && env("OTEL_EXPORTER_OTLP_ENDPOINT") == "" ||
		strings.EqualFold(env("OTEL_SDK_DISABLED"), "true") || strings.EqualFold(env("OTEL_TRACES_EXPORTER"), "none") {
		return nil, nil
	}
	if e := env("OTEL_TRACES_EXPORTER"); e != "" && !strings.EqualFold(e, "otlp") {
		return nil, fmt.Errorf("OTEL_TRACES_EXPORTER=%s: this server exports traces over OTLP only (otlp, or none)", e)
	}
	for _, name := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if p := env(name); p != "" {
			if p != "http/protobuf" && p != "http/json" {
				return nil, fmt.Errorf("%s=%s: this server exports traces over OTLP/HTTP (http/protobuf or http/json), not gRPC", name, p)
			}
			break
		}
	}
	if o.Secrets != nil {
		for _, name := range []string{"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"} {
			for _, v := range headerValues(getenv(name)) {
				o.Secrets.Add(v)
			}
		}
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("the OTLP trace exporter: %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", ServiceName), attribute.String("service.version", o.Version)),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win
	)
	if err != nil {
		o.Logger.Warn("trace resource from the environment", "error", err.Error())
	}
	if res == nil {
		res = resource.Default()
	}
	otel.SetErrorHandler(exportErrors(o))
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	o.Logger.Info("exporting traces over OTLP/HTTP")
	return &traces{tp: tp, tracer: tp.Tracer("github.com/qualys-cs-mcp/qualys-cs-mcp/tools")}, nil
}

// headerValues are the values of an OTEL_EXPORTER_OTLP_HEADERS list
// (key=value,... with values URL-encoded), as given and decoded.
func headerValues(list string) []string {
	var out []string
	for _, kv := range strings.Split(list, ",") {
		if _, v, ok := strings.Cut(kv, "="); ok && strings.TrimSpace(v) != "" {
			v = strings.TrimSpace(v)
			out = append(out, v)
			if d, err := url.QueryUnescape(v); err == nil && d != v {
				out = append(out, d)
			}
		}
	}
	return out
}

// exportErrors logs the SDK's errors (a collector that does not answer) at
// most once a minute: the batch processor would repeat them every few
// seconds.
func exportErrors(o Options) otel.ErrorHandler {
	var mu sync.Mutex
	var last time.Time
	return otel.ErrorHandlerFunc(func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(last) < time.Minute {
			return
		}
		last = time.Now()
		o.Logger.Warn("OpenTelemetry: exporting traces failed (further failures are logged once a minute)", "error", err.Error())
	})
}

func (tr *traces) shutdown(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return tr.tp.Shutdown(ctx)
}

// metaCarrier reads traceparent and tracestate from a request's _meta.
type metaCarrier map[string]any

func (m metaCarrier) Get(key string) string {
	s, _ := m[key].(string)
	if len(s) > 512 { // tracestate's own limit is 512 characters
		return ""
	}
	return s
}
func (metaCarrier) Set(string, string) {}
func (m metaCarrier) Keys() []string   { return []string{"traceparent", "tracestate"} }

// toolSpan starts a tool call's span, a child of the caller's when its
// _meta carries a traceparent: named as OpenTelemetry's MCP conventions
// name it ("tools/call list_sensors"), with the tool, its toolset and tier.
func (tr *traces) toolSpan(ctx context.Context, c Call) (context.Context, trace.Span) {
	if c.Meta != nil && c.Meta.AdditionalFields != nil {
		ctx = propagator.Extract(ctx, metaCarrier(c.Meta.AdditionalFields))
	}
	return tr.tracer.Start(ctx, "tools/call "+c.Tool, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(
		attribute.String("mcp.method.name", "tools/call"),
		attribute.String("gen_ai.operation.name", "execute_tool"),
		attribute.String("gen_ai.tool.name", c.Tool),
		attribute.String("qualys_cs_mcp.toolset", c.Toolset),
		attribute.String("qualys_cs_mcp.tier", c.Tier),
	))
}

// upstreamSpan starts a request to Qualys' span, named as HTTP client
// spans are ("GET /registry/{registryId}"): the template, never the IDs.
func (tr *traces) upstreamSpan(ctx context.Context, u client.Upstream) (context.Context, trace.Span) {
	tmpl := Template(u.Template)
	return tr.tracer.Start(ctx, u.Method+" "+tmpl, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("http.request.method", u.Method),
		attribute.String("url.template", tmpl),
		attribute.String("qualys.endpoint_class", u.Class),
	))
}

func endUpstreamSpan(span trace.Span, a client.Answer, status string) {
	if a.Status != 0 {
		span.SetAttributes(attribute.Int("http.response.status_code", a.Status))
	}
	if a.Error != "" || a.Status >= 400 {
		span.SetAttributes(attribute.String("error.type", status))
		span.SetStatus(codes.Error, status)
	}
	span.End()
}
