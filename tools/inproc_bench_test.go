package tools_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
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

// BenchmarkListSensorsHandler profiles what the fair benchmark measures
// of ours, without a transport: mcp-go's handling of one tools/call,
// validation, the API call to the fake gateway over loopback, projection
// and encoding:
// go test ./tools -run '^$' -bench ListSensorsHandler -cpuprofile cpu.out
func BenchmarkListSensorsHandler(b *testing.B) {
	gw := newFakeGateway(b)
	u, _ := url.Parse(gw.URL)
	s, err := tools.NewServer(client.New(client.Config{Gateway: u, Username: "bench", Password: "bench", Unthrottled: true}),
		tools.Options{Toolsets: []string{"sensors"}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	msg := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_sensors","arguments":{"pageSize":5}}}`)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp := s.MCP.HandleMessage(context.Background(), msg)
			if _, err := json.Marshal(resp); err != nil {
				b.Fatal(err)
			}
		}
	})
}
