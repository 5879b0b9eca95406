package tools_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

// logSink collects the MCP log notifications a client receives.
type logSink struct {
	mu   sync.Mutex
	msgs []*mcp.LoggingMessageParams
}

func (l *logSink) handle(_ context.Context, req *mcp.LoggingMessageRequest) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, req.Params)
}

// take waits until n messages arrived (notifications may trail the
// answer they belong to) and returns them, emptying the sink.
func (l *logSink) take(n int) map[mcp.LoggingLevel]string {
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		l.mu.Lock()
		if len(l.msgs) >= n || time.Now().After(deadline) {
			out := map[mcp.LoggingLevel]string{}
			for _, m := range l.msgs {
				out[m.Level] += m.Logger + " " + string(mustMarshal(m.Data))
			}
			l.msgs = nil
			l.mu.Unlock()
			return out
		}
		l.mu.Unlock()
	}
}

// logSession connects a client that collects log notifications: on HTTP,
// a second client of a harness server; on stdio, its own server process.
func logSession(t *testing.T, http bool) (*mcp.ClientSession, *logSink) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var transport mcp.Transport
	if http {
		transport = &mcp.StreamableClientTransport{Endpoint: NewEnv(t, EnvOptions{HTTP: true}).Endpoint, MaxRetries: -1}
	} else {
		sb := NewSandbox(t, sandbox.Options{Username: "tester", Password: "canary-pass-7f3a"})
		base, closeSB, err := sb.Start()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(closeSB)
		cmd := exec.CommandContext(ctx, binary)
		cmd.Env = append(os.Environ(), "QUALYS_GATEWAY_URL="+base, "QUALYS_USERNAME=tester", "QUALYS_PASSWORD=canary-pass-7f3a", "QUALYS_POD=")
		transport = &mcp.CommandTransport{Command: cmd, TerminateDuration: time.Second}
	}
	sink := &logSink{}
	cl := mcp.NewClient(&mcp.Implementation{Name: "qcs-log-test", Version: "1"}, &mcp.ClientOptions{LoggingMessageHandler: sink.handle})
	sess, err := cl.Connect(ctx, transport, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sess.Close() })
	if sess.InitializeResult().Capabilities.Logging == nil {
		t.Fatal("the logging capability is not declared")
	}
	return sess, sink
}

func TestLogNotificationsFollowSetLevel(t *testing.T) {
	for _, http := range []bool{false, true} {
		sess, sink := logSession(t, http)
		ctx := context.Background()
		call := func(name string, args map[string]any) *mcp.CallToolResult {
			t.Helper()
			res, err := sess.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		setLevel := func(l mcp.LoggingLevel) {
			t.Helper()
			if err := sess.SetLoggingLevel(ctx, &mcp.SetLoggingLevelParams{Level: l}); err != nil {
				t.Fatal(err)
			}
		}

		// No level set: nothing below error is sent. The info call that
		// follows shows whether anything from this one arrived.
		call("list_sensors", map[string]any{"pageSize": 1})
		setLevel("info")
		call("get_sensor", map[string]any{"sensorId": "3a00f41d-8bb8-41d2-b2c2-54ed50131082"})
		got := sink.take(1)
		if len(got) != 1 || !strings.HasPrefix(got["info"], `qualys-cs-mcp {`) || strings.Contains(got["info"], "list_sensors") ||
			!strings.Contains(got["info"], `"tool":"get_sensor"`) || !strings.Contains(got["info"], `"outcome":"ok"`) || !strings.Contains(got["info"], `"tier":"R"`) {
			t.Fatalf("http=%v: at info after one call: %v", http, got)
		}

		// Debug: the arguments, with a secret masked; a failed call is one
		// warning with its message.
		setLevel("debug")
		if res := call("list_sensors", map[string]any{"pageSize": 1, "password": "canary-log-secret-42"}); !res.IsError {
			t.Fatal("an unknown argument was accepted")
		}
		got = sink.take(2)
		all := got["debug"] + "\n" + got["warning"]
		if len(got) != 2 || !strings.Contains(got["warning"], `"outcome":"error"`) || !strings.Contains(got["debug"], `"pageSize":1`) ||
			!strings.Contains(got["warning"], "password") || strings.Contains(all, "canary-log-secret-42") {
			t.Fatalf("http=%v: at debug after a failed call: %v", http, got)
		}

		// Warning: an ordinary call sends nothing.
		setLevel("warning")
		call("list_sensors", map[string]any{"pageSize": 1})
		setLevel("info")
		call("get_sensor", map[string]any{"sensorId": "3a00f41d-8bb8-41d2-b2c2-54ed50131082"})
		if got := sink.take(1); len(got) != 1 || strings.Contains(got["info"], "list_sensors") {
			t.Fatalf("http=%v: a call at warning level was logged: %v", http, got)
		}
	}
}
