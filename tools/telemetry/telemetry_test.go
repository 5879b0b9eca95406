package telemetry

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
)

// noEnv is an environment without OTEL_ variables.
func noEnv(string) string { return "" }

func TestOffIsNilAndEveryHookANoOp(t *testing.T) {
	before := runtime.NumGoroutine()
	tel, err := New(context.Background(), Options{Getenv: noEnv})
	if err != nil || tel != nil {
		t.Fatalf("New with nothing asked = %v, %v; want nil, nil", tel, err)
	}
	ctx, end := tel.ToolCall(context.Background(), Call{Tool: "list_sensors"})
	MarkRefused(ctx)
	end(Result(ctx, true))
	defer Wait(ctx)()
	tel.Waiting(1)
	tel.Guard(Confirmed, ByForm)
	tel.GuardAudit("consented", ByForm)
	tel.SessionsLive(func() int { return 1 })
	tel.StateError("get")
	if tel.Observer() != nil {
		t.Fatal("a nil Telemetry's observer must be a nil interface, so the client skips it")
	}
	if tel.Handler() != nil || tel.Metrics() || tel.Traces() || tel.Shutdown(ctx) != nil {
		t.Fatal("a nil Telemetry has no handler, no metrics, no traces")
	}
	if _, err := tel.Listen(ctx, "127.0.0.1:0"); err == nil {
		t.Fatal("Listen without metrics must fail")
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("telemetry off started %d goroutines", n-before)
	}
	tel.GuardAudit("consented", "human/form") // nil-safe
}

func newOn(t *testing.T) *Telemetry {
	t.Helper()
	tel, err := New(context.Background(), Options{Metrics: true, Version: "test", Getenv: noEnv})
	if err != nil || tel == nil || !tel.Metrics() || tel.Traces() {
		t.Fatalf("New(metrics) = %v, %v", tel, err)
	}
	return tel
}

func TestOutcomes(t *testing.T) {
	tel := newOn(t)
	call := func(ctx context.Context, isError, refuse bool) Outcome {
		ctx, end := tel.ToolCall(ctx, Call{Tool: "delete_images", Toolset: "images", Tier: "destructive"})
		if refuse {
			MarkRefused(ctx)
		}
		o := Result(ctx, isError)
		end(o)
		return o
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range []struct {
		ctx           context.Context
		isError, mark bool
		want          Outcome
	}{
		{context.Background(), false, false, OK},
		{context.Background(), true, false, ToolError},
		{context.Background(), true, true, Refused},
		{cancelled, true, false, Cancelled},
		{cancelled, false, false, OK}, // answered before it noticed
	} {
		if got := call(c.ctx, c.isError, c.mark); got != c.want {
			t.Errorf("isError %v, refused %v, ctx %v: %s, want %s", c.isError, c.mark, c.ctx.Err(), got, c.want)
		}
	}
	for o, want := range map[Outcome]float64{OK: 2, ToolError: 1, Refused: 1, Cancelled: 1} {
		if got := testutil.ToFloat64(tel.m.calls.WithLabelValues("delete_images", "images", "destructive", string(o))); got != want {
			t.Errorf("tool_calls_total{outcome=%s} = %v, want %v", o, got, want)
		}
	}
	if got := testutil.ToFloat64(tel.m.inFlight); got != 0 {
		t.Errorf("in flight after every call ended: %v", got)
	}
	if n := testutil.CollectAndCount(tel.m.callTime); n != 1 {
		t.Errorf("%d duration series for one tool, want 1", n)
	}
}

func TestNoIDBecomesALabel(t *testing.T) {
	for path, want := range map[string]string{
		"/registry/{registryId}/schedule/{scheduleId}":                                    "/registry/{registryId}/schedule/{scheduleId}",
		"/registry/aws-base":                                                              "/registry/aws-base",
		"/registry/1ec46398-23be-40fc-8cde-8b4bd916d5fa":                                  "/registry/{id}",
		"/images/sha256:9b2a0f3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8": "/images/{id}",
		"/images/9b2a0f3c4d5e6f70/vuln":                                                   "/images/{id}/vuln",
		"/controls/12345":                                                                 "/controls/{id}",
		"/reports/deadbeef/download":                                                      "/reports/{id}/download",
		"/registry/{registryId}?filter=x":                                                 "/registry/{id}",
		"":                                                                                "other",
	} {
		if got := Template(path); got != want {
			t.Errorf("Template(%q) = %q, want %q", path, got, want)
		}
	}
	b := newBounded(2)
	if b.bound("a") != "a" || b.bound("b") != "b" || b.bound("c") != other || b.bound("a") != "a" {
		t.Error("a bounded label admits its first values and counts the rest as other")
	}
	if b := newBounded(10); b.bound(strings.Repeat("x", 200)) != other {
		t.Error("a long value is other")
	}
	tel := newOn(t)
	for i := range maxEndpoints + 50 {
		_, end := tel.Upstream(context.Background(), client.Upstream{Method: "GET", Class: "other", Template: fmt.Sprintf("/x%c%c", 'a'+i%26, 'a'+i/26)})
		end(client.Answer{Status: 200})
	}
	if n := testutil.CollectAndCount(tel.m.upCalls); n > maxEndpoints+1 {
		t.Errorf("%d upstream series: the endpoint label is not capped", n)
	}
}

func TestStatusLabels(t *testing.T) {
	for a, want := range map[client.Answer]string{
		{Status: 200}: "200", {Status: 429}: "429", {Status: 418}: "4xx", {Status: 299}: "2xx", {Status: 999}: "other",
		{Error: client.ErrTimeout}: "timeout", {Error: client.ErrTooLarge, Status: 200}: "too_large", {Error: "weird"}: "transport",
	} {
		if got := statusLabel(a); got != want {
			t.Errorf("statusLabel(%+v) = %q, want %q", a, got, want)
		}
	}
}

func TestGuardDecisionsFromTheAudit(t *testing.T) {
	tel := newOn(t)
	for _, a := range [][2]string{
		{"preview shown", "form"}, {"preview shown", "url elicitation"}, {"preview shown", "page link"}, {"token issued", ""},
		{"consented", "human/form"}, {"consented", "human/page"}, {"consented", "human/passkey:alice@example.com"}, {"consented", "model/token"},
		{"declined", "decline"}, {"declined", "cancelled on the page"},
		{"refused", "the page expired"}, {"token refused", "the confirmation is not valid: it expired (confirmations last 5m0s)"},
		{"refused", "the confirmation belongs to another session"}, {"token refused", "the server does not take tokens"},
	} {
		tel.GuardAudit(a[0], a[1])
	}
	want := map[[2]string]float64{
		{Previewed, ByForm}: 1, {Previewed, ByPage}: 2, {Previewed, ByToken}: 1,
		{Confirmed, ByForm}: 1, {Confirmed, ByPage}: 1, {Confirmed, ByPasskey}: 1, {Confirmed, ByToken}: 1,
		{Declined, ByForm}: 1, {Declined, ByPage}: 1,
		{Expired, ByNone}: 1, {Expired, ByToken}: 1, {Rejected, ByNone}: 1, {Rejected, ByToken}: 1,
	}
	for k, v := range want {
		if got := testutil.ToFloat64(tel.m.guard.WithLabelValues(k[0], k[1])); got != v {
			t.Errorf("guard_decisions_total%v = %v, want %v", k, got, v)
		}
	}
	if n := testutil.CollectAndCount(tel.m.guard); n != len(want) {
		t.Errorf("%d guard series, want %d (a person's name became a label?)", n, len(want))
	}
}

func TestTheListenerServesTheRegistry(t *testing.T) {
	tel := newOn(t)
	tel.SessionsLive(func() int { return 7 })
	tel.StateError("evalsha")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, err := tel.Listen(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx2, end := tel.ToolCall(ctx, Call{Tool: "list_sensors", Toolset: "sensors", Tier: "read", Meta: &mcp.Meta{AdditionalFields: map[string]any{"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}})
	stop := Wait(ctx2)
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	stop()
	end(OK)
	text := string(body)
	for _, want := range []string{
		`qualys_cs_mcp_sessions_live 7`, `qualys_cs_mcp_state_store_errors_total{op="evalsha"} 1`, `qualys_cs_mcp_confirmations_waiting 1`,
		`qualys_cs_mcp_tool_calls_in_flight 1`, `qualys_cs_mcp_build_info{version="test"} 1`, "go_goroutines", "process_resident_memory_bytes",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if resp, err := http.Post("http://"+addr+"/metrics", "text/plain", nil); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /metrics: %v %v", resp, err)
	}
	cancel()
	time.Sleep(50 * time.Millisecond)
}

func TestTracesNeedACollector(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		on   bool
		fail string
	}{
		{env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"}, on: true},
		{env: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:1/v1/traces"}, on: true},
		{env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_SDK_DISABLED": "true"}},
		{env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_TRACES_EXPORTER": "none"}},
		{env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, fail: "not gRPC"},
		{env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_TRACES_EXPORTER": "zipkin"}, fail: "OTLP only"},
		{env: map[string]string{"OTEL_TRACES_SAMPLER": "always_on"}},
	} {
		tel, err := New(context.Background(), Options{Getenv: func(k string) string { return c.env[k] }})
		switch {
		case c.fail != "":
			if err == nil || !strings.Contains(err.Error(), c.fail) {
				t.Errorf("%v: error %v, want one saying %q", c.env, err, c.fail)
			}
		case err != nil:
			t.Errorf("%v: %v", c.env, err)
		case tel.Traces() != c.on:
			t.Errorf("%v: traces %v, want %v", c.env, tel.Traces(), c.on)
		}
		tel.Shutdown(context.Background())
	}
	if got := headerValues("api-key=s3cr%3Dt, x=1,broken"); strings.Join(got, " ") != "s3cr%3Dt s3cr=t 1" {
		t.Errorf("headerValues = %q", got)
	}
}

// docs/metrics.md documents every metric of this server's own, with its
// type and labels, and the Grafana dashboard uses no other.
func TestDocsAndDashboardNameEveryMetric(t *testing.T) {
	tel := newOn(t)
	ctx, end := tel.ToolCall(context.Background(), Call{Tool: "list_sensors", Toolset: "sensors", Tier: "read"})
	_, done := tel.Upstream(ctx, client.Upstream{Method: "GET", Class: "other", Template: "/sensors"})
	done(client.Answer{Status: 200})
	end(OK)
	tel.Guard(Confirmed, ByForm)
	tel.StateError("get")
	th := &server.TaskHooks{}
	tel.TaskHooks(th)
	for _, hook := range th.OnTaskCreated {
		hook(ctx, server.TaskMetrics{ToolName: "create_report", Status: mcp.TaskStatusWorking})
	}
	for _, hook := range th.OnTaskCompleted {
		hook(ctx, server.TaskMetrics{ToolName: "create_report", Status: mcp.TaskStatusCompleted, Duration: time.Minute})
	}
	fams, err := tel.m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	registered := map[string]string{}
	for _, f := range fams {
		if !strings.HasPrefix(f.GetName(), Namespace+"_") {
			continue
		}
		var labels []string
		for _, l := range f.Metric[0].Label {
			labels = append(labels, "`"+l.GetName()+"`")
		}
		registered[f.GetName()] = strings.ToLower(f.GetType().String()) + " | " + strings.Join(labels, ", ")
	}
	doc, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]string{}
	for _, m := range regexp.MustCompile("(?m)^\\| `("+Namespace+"_[a-z_]+)` \\| ([a-z]+) \\|([^|]*)\\|").FindAllStringSubmatch(string(doc), -1) {
		labels := strings.Split(strings.TrimSpace(m[3]), ", ")
		slices.Sort(labels)
		documented[m[1]] = m[2] + " | " + strings.Join(labels, ", ")
	}
	for name, want := range registered {
		if documented[name] != want {
			t.Errorf("docs/metrics.md: %s is %q, want %q", name, documented[name], want)
		}
	}
	for name := range documented {
		if _, ok := registered[name]; !ok {
			t.Errorf("docs/metrics.md documents %s, which the server does not have", name)
		}
	}
	board, err := os.ReadFile("../../docs/grafana-dashboard.json")
	if err != nil || !json.Valid(board) {
		t.Fatalf("docs/grafana-dashboard.json: %v", err)
	}
	used := map[string]bool{}
	for _, name := range regexp.MustCompile(Namespace+`_[a-z_]+`).FindAllString(string(board), -1) {
		name = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_count"), "_sum")
		if _, ok := registered[name]; !ok {
			t.Errorf("the dashboard queries %s, which the server does not have", name)
		}
		used[name] = true
	}
	for name := range registered {
		if !used[name] {
			t.Errorf("the dashboard shows nothing of %s", name)
		}
	}
}
