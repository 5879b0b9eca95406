package telemetry_test

import (
	"context"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/telemetry"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/telemetry/telemetrytest"
)

// BenchmarkHooks is the telemetry of one tool call alone, without the call:
// ToolCall, one upstream request, Result and the ends, in each mode:
//
//	go test ./tools/telemetry -run '^$' -bench Hooks -count 5
func BenchmarkHooks(b *testing.B) {
	call := telemetry.Call{Tool: "list_sensors", Toolset: "sensors", Tier: "read"}
	up := client.Upstream{Method: "GET", Class: "other", Template: "/sensors"}
	telemetrytest.Each(b, func(b *testing.B, tel *telemetry.Telemetry) {
		ctx, obs := context.Background(), tel.Observer()
		for b.Loop() {
			cctx, end := tel.ToolCall(ctx, call)
			if obs != nil {
				_, done := obs.Upstream(cctx, up)
				done(client.Answer{Status: 200})
			}
			end(telemetry.Result(cctx, false))
		}
	})
}
