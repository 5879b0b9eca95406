// Package extras serves the MCP features beside the tools: completions,
// resources, toolsets on demand (--dynamic-toolsets), and the log
// notifications of each call.
package extras

import (
	"log/slog"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/secret"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
)

// Env is what the extras need of the server.
type Env struct {
	Client  *client.Client
	Secrets *secret.Registry
	Log     *slog.Logger
	Budget  int // bytes of one result
	// Handler is an offered tool's one handler, as the factory gives it
	// (guard, validation, shaping): what enable_toolset adds.
	Handler func(*tool.Tool) server.ToolHandlerFunc
	// Result shapes a local tool's answer as the factory shapes a tool's.
	Result func(v any, err error) *mcp.CallToolResult
}

// Completer answers completion/complete for prompts and resource templates.
func Completer(env *Env) interface {
	server.PromptCompletionProvider
	server.ResourceCompletionProvider
} {
	return completer{env}
}
