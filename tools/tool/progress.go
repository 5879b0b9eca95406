package tool

import (
	"context"
	"fmt"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// Progress notifications (notifications/progress): a call whose request
// carries _meta.progressToken hears how a long call advances, one
// notification per page a walk reads or per status a wait polls. Without
// a token nothing is sent.

type progressKey struct{}

// progress is one call's reporter. Its count only grows, across every
// walk and wait of the call (a guarded call previews, then re-reads).
type progress struct {
	token  mcp.ProgressToken
	redact func(string) string // last, on every message
	mu     sync.Mutex
	n      float64
}

// WithProgress gives the call's context a reporter when the request asked
// for progress; its messages go through redact.
func WithProgress(ctx context.Context, req mcp.CallToolRequest, redact func(string) string) context.Context {
	if m := req.Params.Meta; m != nil && m.ProgressToken != nil {
		return context.WithValue(ctx, progressKey{}, &progress{token: m.ProgressToken, redact: redact})
	}
	return ctx
}

// Progress tells the client that one more step was made, and what;
// last marks the final step (progress equals total). In a task, the
// message is also the task's status message (tasks/get).
func Progress(ctx context.Context, last bool, format string, a ...any) {
	p, _ := ctx.Value(progressKey{}).(*progress)
	status, _ := ctx.Value(taskKey{}).(func(string))
	srv := server.ServerFromContext(ctx)
	if status != nil {
		status(fmt.Sprintf(format, a...))
	}
	if p == nil || srv == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	params := map[string]any{"progressToken": p.token, "progress": p.n, "message": p.redact(fmt.Sprintf(format, a...))}
	if last {
		params["total"] = p.n
	}
	// A closed or busy session only loses the notice.
	_ = srv.SendNotificationToClient(ctx, string(mcp.MethodNotificationProgress), params)
}

// ProgressPage reports one page of a page-numbered walk over path: page of
// size records, of count records in all when the answer says.
func ProgressPage(ctx context.Context, path string, page, size int, count *int) {
	if count != nil && size > 0 {
		Progress(ctx, false, "read page %d of %d of %s", page, max(1, (*count+size-1)/size), path)
		return
	}
	Progress(ctx, false, "read page %d of %s", page, path)
}

// HasProgress reports whether the call asked to hear its progress.
func HasProgress(ctx context.Context) bool { return ctx.Value(progressKey{}) != nil }

type taskKey struct{}

// AsTask marks ctx as the context of a call that runs as an MCP task:
// every progress message of the call is also given to status (which
// redacts it and makes it the task's status message).
func AsTask(ctx context.Context, status func(message string)) context.Context {
	return context.WithValue(ctx, taskKey{}, status)
}

// InTask reports whether the call runs as an MCP task: it answered the
// client at once, and its handler follows the work to its end.
func InTask(ctx context.Context) bool { return ctx.Value(taskKey{}) != nil }
