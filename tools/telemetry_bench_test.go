package tools_test

import (
	"context"
	"log/slog"
	"net/url"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/telemetry"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/telemetry/telemetrytest"
)

// BenchmarkToolCallTelemetry is what telemetry costs one tool call: the
// call of BenchmarkListSensorsHandler (mcp-go's handling, validation, one
// request to a fake gateway on loopback, shaping) with telemetry off, with
// metrics, and with metrics and traces:
//
//	go test ./tools -run '^$' -bench ToolCallTelemetry -benchtime 3000x -count 5
func BenchmarkToolCallTelemetry(b *testing.B) {
	gw := newFakeGateway(b)
	u, _ := url.Parse(gw.URL)
	msg := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_sensors","arguments":{"pageSize":5}}}`)
	telemetrytest.Each(b, func(b *testing.B, tel *telemetry.Telemetry) {
		s, err := tools.NewServer(client.New(client.Config{Gateway: u, Username: "bench", Password: "bench", Unthrottled: true, Observer: tel.Observer()}),
			tools.Options{Toolsets: []string{"sensors"}, Logger: slog.New(slog.DiscardHandler), Telemetry: tel})
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			s.MCP.HandleMessage(context.Background(), msg)
		}
	})
}
