package extras

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/toolsets"
	json "github.com/segmentio/encoding/json"
)

// Toolsets on demand (--dynamic-toolsets): tools/list starts with the
// three tools below, and enable_toolset adds one toolset's tools for the
// session that asked, then notifies it (notifications/tools/list_changed).
// What can be enabled is what the other flags offer: --read-only, --tools
// and --toolsets choose the tools, and an enabled tool has the same
// handler, guard included, as when it is listed from the start.
//
// Streamable HTTP keeps the enabled tools per session. Stdio has one
// session, whose tools are the server's. Stateless HTTP has no session to
// keep them in, so ServeHTTP refuses the combination; nor has a client
// that speaks the sessionless protocol (2026-07-28) over HTTP, and
// enable_toolset tells it so.

// DynamicNote is what the server instructions add with --dynamic-toolsets.
const DynamicNote = `
- Tools come in toolsets: list_toolsets shows them, get_toolset_tools what one holds, enable_toolset adds its tools to this session.`

// ErrDynamicStateless is why stateless HTTP refuses --dynamic-toolsets.
var ErrDynamicStateless = errors.New("--dynamic-toolsets needs a session to keep the enabled toolsets in, and --stateless has none: use --toolsets (or --tools) to choose the tools, or drop --stateless")

var errSessionless = errors.New("this client has no session to add tools to (over HTTP, protocol 2026-07-28 is sessionless); the server's operator can offer the tools with --toolsets instead of --dynamic-toolsets")

// toolsetTools is what the flags offer of each toolset, in catalogue order.
func toolsetTools(offered []tool.Tool) (names []string, by map[string][]*tool.Tool) {
	by = map[string][]*tool.Tool{}
	for i := range offered {
		t := &offered[i]
		by[t.Toolset] = append(by[t.Toolset], t)
	}
	for _, s := range toolsets.Sets() {
		if len(by[s.Name]) > 0 {
			names = append(names, s.Name)
		}
	}
	return names, by
}

// DynamicTools are the three tools of --dynamic-toolsets over the offered
// tools.
func DynamicTools(s *server.MCPServer, offered []tool.Tool, env *Env) []server.ServerTool {
	names, by := toolsetTools(offered)
	about := map[string]string{}
	for _, t := range toolsets.Sets() {
		about[t.Name] = t.About
	}
	arg, _ := json.Marshal(map[string]any{"type": "object", "required": []string{"toolset"},
		"properties": map[string]any{"toolset": map[string]any{"type": "string", "enum": names}}})
	noArgs := json.RawMessage(`{"type":"object","properties":{}}`)
	yes, no := true, false
	local := mcp.ToolAnnotation{ReadOnlyHint: &yes, OpenWorldHint: &no} // they change no Qualys state, and reach nothing outside

	enabled := func(ctx context.Context, set string) bool {
		first := by[set][0].Name
		if st, ok := server.ClientSessionFromContext(ctx).(server.SessionWithTools); ok {
			_, on := st.GetSessionTools()[first]
			return on
		}
		return s.GetTool(first) != nil
	}
	toolset := func(req mcp.CallToolRequest) (string, error) {
		set := req.GetString("toolset", "")
		if !slices.Contains(names, set) {
			return "", tool.Invalid("toolset", "%q is not a toolset offered here; they are %s", set, strings.Join(names, ", "))
		}
		return set, nil
	}
	answer := func(v any, err error) (*mcp.CallToolResult, error) { return env.Result(v, err), nil }
	return []server.ServerTool{
		{Tool: mcp.Tool{Name: "list_toolsets", Description: "List the toolsets, their tools' count and whether this session has them.", RawInputSchema: noArgs, Annotations: local},
			Handler: func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
				rows := make([]map[string]any, 0, len(names))
				for _, n := range names {
					rows = append(rows, map[string]any{"name": n, "about": about[n], "tools": len(by[n]), "enabled": enabled(ctx, n)})
				}
				return answer(map[string]any{"toolsets": rows}, nil)
			}},
		{Tool: mcp.Tool{Name: "get_toolset_tools", Description: "List a toolset's tools: name, tier (read, write, destructive), what each does.", RawInputSchema: arg, Annotations: local},
			Handler: func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
				set, err := toolset(req)
				if err != nil {
					return answer(nil, err)
				}
				rows := make([]map[string]any, 0, len(by[set]))
				for _, t := range by[set] {
					rows = append(rows, map[string]any{"name": t.Name, "tier": t.Tier.Word(), "description": t.Description})
				}
				return answer(map[string]any{"toolset": set, "enabled": enabled(ctx, set), "tools": rows}, nil)
			}},
		{Tool: mcp.Tool{Name: "enable_toolset", Description: "Add a toolset's tools to this session (list_toolsets names them).", RawInputSchema: arg, Annotations: local},
			Handler: func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
				set, err := toolset(req)
				if err != nil {
					return answer(nil, err)
				}
				if enabled(ctx, set) {
					return answer(map[string]any{"toolset": set, "added": []string{}, "note": "Already enabled in this session."}, nil)
				}
				add := make([]server.ServerTool, 0, len(by[set]))
				added := make([]string, 0, len(by[set]))
				for _, t := range by[set] {
					add = append(add, server.ServerTool{Tool: t.MCP(), Handler: env.Handler(t)})
					added = append(added, t.Name)
				}
				sess := server.ClientSessionFromContext(ctx)
				if _, ok := sess.(server.SessionWithTools); ok {
					err := s.AddSessionTools(sess.SessionID(), add...)
					if errors.Is(err, server.ErrSessionNotFound) {
						err = errSessionless
					}
					if err != nil {
						return answer(nil, fmt.Errorf("enabling %s: %w", set, err))
					}
				} else {
					s.AddTools(add...) // stdio: the one session's tools are the server's
				}
				env.Log.Info("toolset enabled", "toolset", set, "tools", len(add))
				return answer(map[string]any{"toolset": set, "added": added}, nil)
			}},
	}
}
