package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
)

// Namespace starts every metric's name of this server's own.
const Namespace = "qualys_cs_mcp"

// Buckets of the duration histograms, in seconds: a tool call may wait
// minutes (a report, a person's confirmation); one request to Qualys has
// a timeout of its own (60 s by default).
var (
	toolBuckets     = []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120}
	taskBuckets     = []float64{1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600} // a task may run its ttl: at most an hour
	upstreamBuckets = []float64{0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}
)

// Caps on the distinct values of a label; past one, a value is counted as
// "other". The catalogue, the code's path templates and the statuses stay
// well under them: they bound what a change of code could add.
const (
	maxTools     = 256
	maxEndpoints = 256
	maxSmall     = 32 // classes, methods, store operations
)

type metrics struct {
	reg *prometheus.Registry

	calls    *prometheus.CounterVec   // tool, toolset, tier, outcome
	callTime *prometheus.HistogramVec // tool, toolset
	inFlight prometheus.Gauge
	upCalls  *prometheus.CounterVec   // method, class, endpoint, status
	upTime   *prometheus.HistogramVec // method, class
	guard    *prometheus.CounterVec   // decision, by
	waiting  prometheus.Gauge
	tasks    *prometheus.CounterVec   // tool, status
	taskTime *prometheus.HistogramVec // tool
	running  prometheus.Gauge
	sessions atomic.Pointer[func() int]
	stateErrors,
	throttleWaits, throttleSeconds, rateLimited *prometheus.CounterVec

	tools                         sync.Map // tool name: *toolMetrics
	toolNames, endpoints          *bounded
	classes, methods, ops, bySome *bounded
}

func newMetrics(version string) *metrics {
	m := &metrics{reg: prometheus.NewRegistry(),
		toolNames: newBounded(maxTools), endpoints: newBounded(maxEndpoints),
		classes: newBounded(maxSmall), methods: newBounded(maxSmall), ops: newBounded(maxSmall), bySome: newBounded(maxSmall)}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, labels)
		m.reg.MustRegister(c)
		return c
	}
	gauge := func(name, help string) prometheus.Gauge {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help})
		m.reg.MustRegister(g)
		return g
	}
	histogram := func(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
		h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: name, Help: help, Buckets: buckets}, labels)
		m.reg.MustRegister(h)
		return h
	}
	m.calls = counter("tool_calls_total", "Tool calls by tool and outcome (ok, tool_error, refused by validation, cancelled).", "tool", "toolset", "tier", "outcome")
	m.callTime = histogram("tool_call_duration_seconds", "How long tool calls took, from the request to the result (a person's confirmation included).", toolBuckets, "tool", "toolset")
	m.inFlight = gauge("tool_calls_in_flight", "Tool calls being served.")
	m.upCalls = counter("upstream_requests_total", "Requests to Qualys (each attempt of a retried call) by method, endpoint class, path template and status (an HTTP status, or cancelled, timeout, transport).", "method", "class", "endpoint", "status")
	m.upTime = histogram("upstream_request_duration_seconds", "How long Qualys took to answer one request, by method and endpoint class.", upstreamBuckets, "method", "class")
	m.throttleWaits = counter("upstream_throttle_waits_total", "Requests held to keep an endpoint class under its Qualys rate limit.", "class")
	m.throttleSeconds = counter("upstream_throttle_wait_seconds_total", "Time requests were held for the Qualys rate limits.", "class")
	m.rateLimited = counter("upstream_rate_limited_total", "429 Too Many Requests answers from Qualys.", "class")
	m.guard = counter("guard_decisions_total", "Confirmation guard decisions: previewed, confirmed, declined, expired, refused; by who was asked or answered (human/form, human/page, human/passkey, model/token, none).", "decision", "by")
	m.waiting = gauge("confirmations_waiting", "Tool calls waiting for a person to confirm on the confirmation page.")
	m.tasks = counter("tasks_total", "MCP tasks (task-augmented tool calls) of this replica that ended, by tool and status (completed, failed, cancelled).", "tool", "status")
	m.taskTime = histogram("task_duration_seconds", "How long MCP tasks ran, from the call to their end, by tool.", taskBuckets, "tool")
	m.running = gauge("tasks_running", "MCP tasks running on this replica.")
	m.stateErrors = counter("state_store_errors_total", "Failed operations of the shared state store, by operation.", "op")
	for class := range client.PublishedLimits() { // present from the start, at 0: a rate over them is 0, not absent
		m.classes.bound(class)
		m.throttleWaits.WithLabelValues(class)
		m.throttleSeconds.WithLabelValues(class)
		m.rateLimited.WithLabelValues(class)
	}
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: Namespace, Name: "sessions_live", Help: "Live stateful MCP sessions (streamable HTTP) on this replica."},
		func() float64 {
			if n := m.sessions.Load(); n != nil {
				return float64((*n)())
			}
			return 0
		}))
	build := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "build_info", Help: "Always 1; the server's version.", ConstLabels: prometheus.Labels{"version": version}})
	build.Set(1)
	m.reg.MustRegister(build, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// toolMetrics are one tool's series, found once (a map lookup per call
// instead of hashing its labels); outcome series are made when first used.
type toolMetrics struct {
	m        *metrics
	labels   [3]string // tool, toolset, tier
	calls    [len(outcomes)]atomic.Pointer[prometheus.Counter]
	duration prometheus.Observer
}

func (m *metrics) tool(c Call) *toolMetrics {
	if m == nil {
		return nil
	}
	var tm *toolMetrics
	if v, ok := m.tools.Load(c.Tool); ok {
		tm = v.(*toolMetrics)
	} else {
		tm = m.newTool(c)
	}
	m.inFlight.Inc()
	return tm
}

func (m *metrics) newTool(c Call) *toolMetrics {
	name := m.toolNames.bound(c.Tool)
	tm := &toolMetrics{m: m, labels: [3]string{name, bounded1(c.Toolset), bounded1(c.Tier)}}
	if name == other {
		tm.labels = [3]string{other, other, other}
	}
	tm.duration = m.callTime.WithLabelValues(tm.labels[0], tm.labels[1])
	if name == other {
		return tm
	}
	if prev, loaded := m.tools.LoadOrStore(c.Tool, tm); loaded {
		return prev.(*toolMetrics)
	}
	return tm
}

func (tm *toolMetrics) done(o Outcome, d time.Duration) {
	if tm == nil {
		return
	}
	tm.m.inFlight.Dec()
	tm.duration.Observe(d.Seconds())
	i := outcomeIndex(o)
	c := tm.calls[i].Load()
	if c == nil {
		v := tm.m.calls.WithLabelValues(tm.labels[0], tm.labels[1], tm.labels[2], string(outcomes[i]))
		tm.calls[i].Store(&v)
		c = &v
	}
	(*c).Inc()
}

func outcomeIndex(o Outcome) int {
	for i, x := range outcomes {
		if x == o {
			return i
		}
	}
	return 1 // an outcome this package does not know: a tool error
}

func (m *metrics) upstream(u client.Upstream, status string, d time.Duration) {
	method, class := m.methods.bound(u.Method), m.classes.bound(u.Class)
	m.upCalls.WithLabelValues(method, class, m.endpoints.bound(Template(u.Template)), status).Inc()
	m.upTime.WithLabelValues(method, class).Observe(d.Seconds())
}

// other is the value of a label past its cap, or of a value this package
// does not take.
const other = "other"

// bounded admits at most max distinct values of a label.
type bounded struct {
	max  int
	mu   sync.Mutex
	seen sync.Map
	n    int
}

func newBounded(max int) *bounded { return &bounded{max: max} }

func (b *bounded) bound(v string) string {
	if _, ok := b.seen.Load(v); ok {
		return v
	}
	if len(v) > 128 {
		return other
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.seen.Load(v); ok {
		return v
	}
	if b.n >= b.max {
		return other
	}
	b.n++
	b.seen.Store(v, true)
	return v
}

// bounded1 keeps a word of the code (toolset, tier) as it is, and anything
// longer or stranger as other.
func bounded1(v string) string {
	if len(v) > 64 || strings.IndexFunc(v, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r == '_' || r == '/') }) >= 0 {
		return other
	}
	return v
}

// Template keeps a Qualys path to its template: a segment that is neither
// a {parameter} nor a word of the API is an ID filled in by mistake and
// becomes {id}. The client always reports templates; this makes sure no
// ID ever becomes a label.
func Template(path string) string {
	if path == "" {
		return other
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if s != "" && !(strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") && len(s) <= 40) && !apiWord(s) {
			segs[i] = "{id}"
		}
	}
	return strings.Join(segs, "/")
}

// apiWord: letters, digits, '-' and '_', at most 32, a letter among them,
// no run of 4 digits, and not 8 or more hex digits alone (which is an ID).
func apiWord(s string) bool {
	if len(s) > 32 {
		return false
	}
	letter, hex, run := false, true, 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			if run++; run >= 4 {
				return false
			}
			continue
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
			letter = true
			hex = hex && (r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F')
		case r == '-' || r == '_':
			hex = false
		default:
			return false
		}
		run = 0
	}
	return letter && !(hex && len(s) >= 8)
}

// statusLabel is an answer's status: the HTTP code for the ones the API
// uses, else its class (2xx ... 5xx); without an answer, the failure.
func statusLabel(a client.Answer) string {
	switch a.Error {
	case "":
	case client.ErrCancelled, client.ErrTimeout, client.ErrTooLarge, client.ErrTransport:
		return a.Error
	default:
		return client.ErrTransport
	}
	switch s := a.Status; s {
	case 200, 201, 202, 204, 207, 400, 401, 403, 404, 405, 409, 410, 412, 413, 415, 422, 429, 500, 501, 502, 503, 504:
		return strconv.Itoa(s)
	default:
		if s >= 100 && s < 600 {
			return strconv.Itoa(s/100) + "xx"
		}
		return other
	}
}

// Handler serves the registry in Prometheus' text format (or OpenMetrics
// when asked), nil when metrics are off.
func (t *Telemetry) Handler() http.Handler {
	if t == nil || t.m == nil {
		return nil
	}
	return promhttp.HandlerFor(t.m.reg, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(t.log.Handler(), slog.LevelWarn),
		EnableOpenMetrics:   true,
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	})
}

// Listen serves /metrics on addr, a listener of its own, until ctx ends.
// It returns once the address is bound (the bound address, for :0).
// Anyone who reaches the address reads the metrics (they carry no secret
// and no ID, but say what the service does): bind it to loopback unless
// Prometheus scrapes from elsewhere.
func (t *Telemetry) Listen(ctx context.Context, addr string) (string, error) {
	h := t.Handler()
	if h == nil {
		return "", errNoListener
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("--metrics %q: %w", addr, err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("--metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 16 << 10, ErrorLog: slog.NewLogLogger(t.log.Handler(), slog.LevelWarn)}
	bound := ln.Addr().String()
	if !client.IsLoopback(host) {
		t.log.Warn("--metrics listens beyond loopback: whoever reaches it reads the metrics (no secrets or IDs, but what the service does)", "addr", bound)
	}
	t.log.Info("serving metrics", "addr", "http://"+bound+"/metrics")
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.log.Error("metrics listener stopped", "error", err.Error())
		}
	}()
	return bound, nil
}
