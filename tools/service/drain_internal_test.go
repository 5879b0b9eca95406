package service

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// serveWithTool serves d with one tool, "slow", whose handler is h; it
// answers the base URL and the channel Serve's error comes on.
func serveWithTool(t *testing.T, ctx context.Context, o HTTPOptions, h server.ToolHandlerFunc) (string, chan error) {
	t.Helper()
	d := testDeps(t)
	d.MCP.AddTool(mcp.NewTool("slow"), h)
	addr, errc := make(chan string, 1), make(chan error, 1)
	go func() { errc <- Serve(ctx, o, d, func(a string) { addr <- a }) }()
	select {
	case a := <-addr:
		return "http://" + a, errc
	case err := <-errc:
		t.Fatal(err)
	}
	return "", nil
}

const slowCall = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"slow","arguments":{}}}`

// On a stop, a call in flight finishes and its answer arrives whole; an
// open SSE stream is ended; no new connection is taken; Serve returns nil.
func TestStopDrainsCallsInFlight(t *testing.T) {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	started, release := make(chan struct{}), make(chan struct{})
	base, errc := serveWithTool(t, ctx, HTTPOptions{Addr: "127.0.0.1:0", RefusalDelay: -1}, func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		close(started)
		<-release
		return mcp.NewToolResultText("finished after the stop"), nil
	})
	sess := withSession(nil, initSession(t, base, nil))
	post(t, base, sess, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)

	stream, _ := http.NewRequest(http.MethodGet, base+"/mcp", nil) // the session's SSE stream, open until the stop
	stream.Header.Set("Accept", "text/event-stream")
	for k, v := range sess {
		stream.Header.Set(k, v)
	}
	streamResp, err := http.DefaultClient.Do(stream)
	if err != nil || streamResp.StatusCode != http.StatusOK {
		t.Fatalf("GET stream: %v %v", streamResp, err)
	}
	streamEnded := make(chan struct{})
	go func() { io.Copy(io.Discard, streamResp.Body); close(streamEnded) }()

	answer := make(chan string, 1)
	go func() { answer <- send(base, sess, slowCall) }()
	<-started
	stop()
	time.Sleep(100 * time.Millisecond) // the stop has begun: the listener is closed
	if c, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), time.Second); err == nil {
		c.Close()
		t.Error("a new connection was taken while stopping")
	}
	select {
	case err := <-errc:
		t.Fatalf("Serve returned (%v) while a call was in flight", err)
	default:
	}
	close(release)
	if body := <-answer; !strings.Contains(body, "finished after the stop") {
		t.Fatalf("the call in flight was cut: %q", body)
	}
	if err := <-errc; err != nil {
		t.Fatalf("Serve after the drain: %v", err)
	}
	<-streamEnded
}

// A call that outlives the grace is cancelled, and the stop completes.
func TestStopIsBounded(t *testing.T) {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	started, cancelled := make(chan struct{}), make(chan struct{})
	base, errc := serveWithTool(t, ctx, HTTPOptions{Addr: "127.0.0.1:0", Stateless: true, RefusalDelay: -1, DrainTimeout: 300 * time.Millisecond},
		func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			close(started)
			<-ctx.Done()
			close(cancelled)
			return nil, ctx.Err()
		})
	go send(base, nil, slowCall)
	<-started
	stop()
	if err := <-errc; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	<-cancelled
}

// send posts body to /mcp from any goroutine: the answer's body, or the
// transport's error.
func send(base string, hdr map[string]string, body string) string {
	req, _ := http.NewRequest(http.MethodPost, base+"/mcp", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
