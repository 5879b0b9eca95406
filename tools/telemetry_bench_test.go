package tools_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/telemetry"
)

// BenchmarkToolCallTelemetry is what telemetry costs one tool call: the
// call of BenchmarkListSensorsHandler (mcp-go's handling, validation, one
// request to a fake gateway on loopback, shaping) with telemetry off, with
// metrics, and with metrics and traces (every call sampled, exported over
// OTLP/HTTP to a receiver on loopback that drops them):
//
//	go test ./tools -run '^$' -bench ToolCallTelemetry -benchtime 3000x -count 5
func BenchmarkToolCallTelemetry(b *testing.B) {
	gw := newFakeGateway(b)
	u, _ := url.Parse(gw.URL)
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer sink.Close()
	discard := slog.New(slog.DiscardHandler)
	msg := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_sensors","arguments":{"pageSize":5}}}`)
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
			tel, err := telemetry.New(ctx, telemetry.Options{Metrics: mode.metrics, Logger: discard})
			if err != nil || tel.Traces() != mode.traces || tel.Metrics() != mode.metrics {
				b.Fatalf("telemetry %v: %v", tel, err)
			}
			defer tel.Shutdown(ctx)
			s, err := tools.NewServer(client.New(client.Config{Gateway: u, Username: "bench", Password: "bench", Unthrottled: true, Observer: tel.Observer()}),
				tools.Options{Toolsets: []string{"sensors"}, Logger: discard, Telemetry: tel})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				s.MCP.HandleMessage(ctx, msg)
			}
		})
	}
}
