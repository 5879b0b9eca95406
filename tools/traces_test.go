package tools_test

// Traces as an operator's collector gets them: the real binary exports
// over OTLP/HTTP to a receiver in the test, which decodes the protobuf
// export requests.

import (
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// otlpReceiver is an OTLP/HTTP trace receiver: it keeps every span and
// the attributes of the resources that sent them.
type otlpReceiver struct {
	URL       string
	mu        sync.Mutex
	spans     []*tracepb.Span
	resources [][]*commonpb.KeyValue
}

func newOTLPReceiver(t testing.TB) *otlpReceiver {
	r := &otlpReceiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var body io.Reader = req.Body
		if req.Header.Get("Content-Encoding") == "gzip" {
			gz, err := gzip.NewReader(req.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = gz
		}
		raw, _ := io.ReadAll(body)
		var export coltracepb.ExportTraceServiceRequest
		if req.URL.Path != "/v1/traces" || req.Header.Get("Content-Type") != "application/x-protobuf" || proto.Unmarshal(raw, &export) != nil {
			t.Errorf("not an OTLP/HTTP protobuf export: %s %s %q", req.URL.Path, req.Header.Get("Content-Type"), raw)
			http.Error(w, "bad export", http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		for _, rs := range export.ResourceSpans {
			r.resources = append(r.resources, rs.GetResource().GetAttributes())
			for _, ss := range rs.ScopeSpans {
				r.spans = append(r.spans, ss.Spans...)
			}
		}
		r.mu.Unlock()
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(out)
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

// waitSpans waits until n spans whose names start with prefix arrived,
// then a moment more for any that should not.
func (r *otlpReceiver) waitSpans(t testing.TB, prefix string, n int) []*tracepb.Span {
	t.Helper()
	count := func() int {
		r.mu.Lock()
		defer r.mu.Unlock()
		c := 0
		for _, s := range r.spans {
			if strings.HasPrefix(s.Name, prefix) {
				c++
			}
		}
		return c
	}
	for deadline := time.Now().Add(20 * time.Second); count() < n && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // five export periods: a span too many would be here by now
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.spans)
}

func attr(s *tracepb.Span, key string) string {
	for _, kv := range s.Attributes {
		if kv.Key == key {
			if v := kv.Value.GetStringValue(); v != "" {
				return v
			}
			return kv.Value.String()
		}
	}
	return ""
}

// One span per tool call, each request to Qualys a child span of its
// call, a traceparent in _meta continued, and no ID or secret in any
// name or attribute.
func TestTracesOverOTLP(t *testing.T) {
	rcv := newOTLPReceiver(t)
	e := NewEnv(t, EnvOptions{EnvVars: []string{"OTEL_EXPORTER_OTLP_ENDPOINT=" + rcv.URL, "OTEL_BSP_SCHEDULE_DELAY=100"}})
	const callerTrace, callerSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	res, err := e.S.CallTool(t.Context(), &mcp.CallToolParams{Name: "list_sensors", Arguments: map[string]any{"pageSize": 2},
		Meta: mcp.Meta{"traceparent": "00-" + callerTrace + "-" + callerSpan + "-01"}})
	if err != nil || res.IsError {
		t.Fatalf("list_sensors: %v %v", err, res)
	}
	e.OK("get_sensor", map[string]any{"sensorId": freeGen})
	e.Fail("get_sensor", map[string]any{"sensorId": "not an id"})

	spans := rcv.waitSpans(t, "tools/call ", 3)
	var calls []*tracepb.Span
	byID := map[string]*tracepb.Span{}
	for _, s := range spans {
		byID[hex.EncodeToString(s.SpanId)] = s
		if strings.HasPrefix(s.Name, "tools/call ") {
			calls = append(calls, s)
		}
	}
	if len(calls) != 3 {
		t.Fatalf("%d tool call spans, want 3 (one per call): %v", len(calls), names(spans))
	}
	list, got, refused := calls[0], calls[1], calls[2]
	if list.Name != "tools/call list_sensors" || got.Name != "tools/call get_sensor" || refused.Name != "tools/call get_sensor" {
		t.Fatalf("tool spans %v", names(calls))
	}
	if hex.EncodeToString(list.TraceId) != callerTrace || hex.EncodeToString(list.ParentSpanId) != callerSpan {
		t.Errorf("the caller's traceparent was not continued: trace %x parent %x", list.TraceId, list.ParentSpanId)
	}
	if hex.EncodeToString(got.TraceId) == callerTrace || len(got.ParentSpanId) != 0 {
		t.Errorf("a call without traceparent joined a trace: %x parent %x", got.TraceId, got.ParentSpanId)
	}
	for _, s := range calls {
		if s.Kind != tracepb.Span_SPAN_KIND_SERVER || attr(s, "gen_ai.tool.name") == "" || attr(s, "qualys_cs_mcp.toolset") != "sensors" || attr(s, "qualys_cs_mcp.tier") != "read" {
			t.Errorf("tool span %s: kind %v, attributes %v", s.Name, s.Kind, s.Attributes)
		}
	}
	if refused.Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR || attr(refused, "qualys_cs_mcp.outcome") != "refused" || attr(list, "qualys_cs_mcp.outcome") != "ok" {
		t.Errorf("outcomes: list %v %s, refused %v %s", list.Status, attr(list, "qualys_cs_mcp.outcome"), refused.Status, attr(refused, "qualys_cs_mcp.outcome"))
	}

	children := map[*tracepb.Span][]string{}
	for _, s := range spans {
		if strings.HasPrefix(s.Name, "tools/call ") {
			continue
		}
		parent := byID[hex.EncodeToString(s.ParentSpanId)]
		if parent == nil || !strings.HasPrefix(parent.Name, "tools/call ") || !bytes.Equal(parent.TraceId, s.TraceId) || s.Kind != tracepb.Span_SPAN_KIND_CLIENT {
			t.Errorf("upstream span %s is not a child of a tool call's span (parent %x)", s.Name, s.ParentSpanId)
			continue
		}
		children[parent] = append(children[parent], s.Name)
	}
	if !slices.Contains(children[list], "GET /sensors") || !slices.Contains(children[got], "GET /sensors/{sensorId}") || len(children[refused]) != 0 {
		t.Errorf("upstream spans by call: list_sensors %v, get_sensor %v, refused %v", children[list], children[got], children[refused])
	}
	for _, s := range spans {
		if s.Name == "GET /sensors/{sensorId}" && (attr(s, "url.template") != "/sensors/{sensorId}" || attr(s, "http.response.status_code") == "" || attr(s, "qualys.endpoint_class") != "other") {
			t.Errorf("upstream span attributes: %v", s.Attributes)
		}
	}

	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	seen := []string{}
	for _, s := range spans {
		seen = append(seen, s.Name)
		for _, kv := range s.Attributes {
			seen = append(seen, kv.Value.String())
		}
		for _, ev := range s.Events {
			for _, kv := range ev.Attributes {
				seen = append(seen, kv.Value.String())
			}
		}
	}
	service := ""
	for _, res := range rcv.resources {
		for _, kv := range res {
			seen = append(seen, kv.Value.String())
			if kv.Key == "service.name" {
				service = kv.Value.GetStringValue()
			}
		}
	}
	if service != "qualys-cs-mcp" {
		t.Errorf("service.name %q", service)
	}
	for _, v := range seen {
		if strings.Contains(v, freeGen) || strings.Contains(v, "not an id") || strings.Contains(v, canaryQualysPass) {
			t.Errorf("a span carries an argument value or a secret: %s", v)
		}
	}
}

func names(spans []*tracepb.Span) []string {
	var n []string
	for _, s := range spans {
		n = append(n, s.Name)
	}
	return n
}
