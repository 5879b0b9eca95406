// Package telemetrytest runs benchmarks under each telemetry mode.
package telemetrytest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/telemetry"
)

// Each runs f as one sub-benchmark per mode: off (a nil Telemetry),
// metrics, and metrics and traces (every call sampled, exported over
// OTLP/HTTP to a receiver on loopback that drops them).
func Each(b *testing.B, f func(b *testing.B, tel *telemetry.Telemetry)) {
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
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
			tel, err := telemetry.New(ctx, telemetry.Options{Metrics: mode.metrics, Logger: slog.New(slog.DiscardHandler)})
			if err != nil || tel.Traces() != mode.traces || tel.Metrics() != mode.metrics {
				b.Fatalf("telemetry %v: %v", tel, err)
			}
			defer tel.Shutdown(ctx)
			b.ReportAllocs()
			f(b, tel)
		})
	}
}
