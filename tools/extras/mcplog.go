package extras

import (
	"context"
	"strings"
	"time"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/secret"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/shape"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
	json "github.com/segmentio/encoding/json"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// mcpLogger is the name MCP log notifications carry.
const mcpLogger = "qualys-cs-mcp"

// LogCall runs one tool call and tells the client about it in MCP log
// notifications (notifications/message): before, debug with the arguments
// (secrets masked); after, one message: info with the outcome and duration,
// or warning with a failed call's message. mcp-go filters them by the level
// the client chose with logging/setLevel (by default only error and above,
// so a client that never asked gets none), or, for 2026-07-28 requests, by
// the level the request declares.
func LogCall(ctx context.Context, req mcp.CallToolRequest, t *tool.Tool, secrets *secret.Registry,
	call func(context.Context, mcp.CallToolRequest, *tool.Tool) *mcp.CallToolResult) *mcp.CallToolResult {
	srv := server.ServerFromContext(ctx)
	send := func(level mcp.LoggingLevel, data map[string]any) {
		if srv != nil {
			// A closed or blocked session only loses its log line.
			_ = srv.SendLogMessageToClient(ctx, mcp.NewLoggingMessageNotification(level, mcpLogger, data))
		}
	}
	args := req.GetArguments()
	own := shape.SecretValues(args)
	if args != nil && logs(ctx, mcp.LoggingLevelDebug) {
		b, _ := json.Marshal(shape.MaskArgs(args))
		send(mcp.LoggingLevelDebug, map[string]any{"tool": t.Name, "arguments": json.RawMessage(shape.RedactJSON(secrets, b, own))})
	}
	start := time.Now()
	res := call(ctx, req, t)
	data := map[string]any{"tool": t.Name, "tier": t.Tier.String(), "outcome": "ok", "ms": time.Since(start).Milliseconds()}
	switch {
	case res.IsError:
		data["outcome"], data["error"] = "error", secrets.Cut(ResultText(res), 500, own...)
		send(mcp.LoggingLevelWarning, data)
		return res
	case res.NeedsInput():
		data["outcome"] = "asking the user"
	}
	send(mcp.LoggingLevelInfo, data)
	return res
}

// logs reports whether a message at level would reach the client, as
// SendLogMessageToClient decides it, so that a call builds the debug
// message of its arguments only when the client reads it.
func logs(ctx context.Context, level mcp.LoggingLevel) bool {
	session := server.ClientSessionFromContext(ctx)
	if session == nil || !session.Initialized() {
		return false
	}
	if info := server.RequestProtocolInfoFromContext(ctx); info != nil && info.Modern {
		return info.LogLevel != "" && level.ShouldSendTo(info.LogLevel)
	}
	sl, ok := session.(server.SessionWithLogging)
	return ok && level.ShouldSendTo(sl.GetLogLevel())
}

// ResultText is a result's text content.
func ResultText(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}
