package telemetry

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
)

// BenchmarkHooks is the telemetry of one tool call alone, without the call:
// ToolCall, one upstream request, Result and the ends, off, with metrics,
// and with metrics and traces (sampled, exported to a loopback receiver
// that drops them):
//
//	go test ./tools/telemetry -run '^$' -bench Hooks -count 5
func BenchmarkHooks(b *testing.B) {
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) }))
	defer sink.Close()
	for _, mode := range []struct {
		name            string
		metrics, traces bool
	}{{"off", false, false}, {"metrics", true, false}, {"metrics+traces", true, true}} {
		b.Run(mode.name, func(b *testing.B) {
			endpoint := ""
			if mode.traces {
				endpoint = sink.URL
			}
			b.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
			ctx := context.Background()
			tel, err := New(ctx, Options{Metrics: mode.metrics})
			if err != nil {
				b.Fatal(err)
			}
			defer tel.Shutdown(ctx)
			obs := tel.Observer()
			call := Call{Tool: "list_sensors", Toolset: "sensors", Tier: "read"}
			up := client.Upstream{Method: "GET", Class: "other", Template: "/sensors"}
			b.ReportAllocs()
			for b.Loop() {
				cctx, end := tel.ToolCall(ctx, call)
				if obs != nil {
					_, done := obs.Upstream(cctx, up)
					done(client.Answer{Status: 200})
				}
				end(Result(cctx, false))
			}
		})
	}
}
