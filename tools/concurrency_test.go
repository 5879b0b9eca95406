package tools_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/server"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools"
)

// inProcess serves the tools in this process over streamable HTTP, so that
// the race detector and the goroutine count see the server.
func inProcess(t testing.TB, sb *sandbox.Server, o tools.Options) (endpoint string, stop func()) {
	base, closeSB, err := sb.Start()
	if err != nil {
		t.Fatal(err)
	}
	gw, _ := url.Parse(base)
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := tools.NewServer(client.New(client.Config{Gateway: gw, Username: "tester", Password: "canary-pass-7f3a", Unthrottled: true}), o)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(server.NewStreamableHTTPServer(s.MCP))
	return hs.URL + "/mcp", func() { hs.Close(); closeSB() }
}

func TestConcurrentCallsLeaveNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	sb := NewSandbox(t, sandbox.Options{Username: "tester", Password: "canary-pass-7f3a", Latency: 5 * time.Millisecond})
	endpoint, stop := inProcess(t, sb, tools.Options{})
	cl := mcp.NewClient(&mcp.Implementation{Name: "load", Version: "1"}, nil)
	sess, err := cl.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: endpoint, MaxRetries: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			name, args := "list_sensors", map[string]any{"pageSize": 1 + i%5}
			if i%2 == 1 {
				name, args = "get_sensor_profile", map[string]any{"sensorProfileId": general}
			}
			res, err := sess.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
			if err != nil || res.IsError {
				mu.Lock()
				failed++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	if failed > 0 {
		t.Fatalf("%d of 200 calls failed", failed)
	}
	if sb.AuthCalls() != 1 {
		t.Fatalf("/auth calls: %d", sb.AuthCalls())
	}
	if m := sb.MaxInFlight(); m > 16 {
		t.Fatalf("%d requests in flight to Qualys at once; the bound is 16", m)
	}
	sess.Close()
	stop()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+2 {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines left behind (before %d):\n%s", n-before, before, buf[:runtime.Stack(buf, true)])
	}
}
