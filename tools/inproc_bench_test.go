package tools_test

import (
	"context"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools"
)

// BenchmarkInProcess profiles one read tool's whole path in this process:
// go test ./tools -run '^$' -bench InProcess -cpuprofile cpu.out
func BenchmarkInProcess(b *testing.B) {
	sb := sandbox.New(sandbox.Options{ // a benchmark: not judged by the documents (tests are)
		Username: "tester", Password: "canary-pass-7f3a"})
	endpoint, stop := inProcess(b, sb, tools.Options{})
	defer stop()
	sess, err := mcp.NewClient(&mcp.Implementation{Name: "b", Version: "1"}, nil).Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: endpoint, MaxRetries: -1}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer sess.Close()
	args := map[string]any{"pageSize": 5}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if res, err := sess.CallTool(context.Background(), &mcp.CallToolParams{Name: "list_sensors", Arguments: args}); err != nil || res.IsError {
				b.Fatal(err, res)
			}
		}
	})
}
