// Package tools is the factory: it joins the client, the schemas and the
// declared tools (package toolsets) into one MCP server, where every call
// goes through the same wrapper: decode and validate, the guard (package
// consent), the handler, the result's shape (package shape), error
// mapping and redaction. Stdio is served here, HTTP by package service.
package tools

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	json "github.com/segmentio/encoding/json"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/jsonlimit"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/secret"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/prompts"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/consent"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/consent/passkey"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/extras"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/service"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/shape"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tasks"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/telemetry"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/toolsets"
)

// Options configure the MCP server.
type Options struct {
	Version      string
	ReadOnly     bool             // only read tools
	Toolsets     []string         // nil or "all": every toolset
	Tools        []string         // if set, only these tools
	NoConfirm    bool             // the guard is off (unattended automation)
	Fallback     consent.Fallback // for clients without form elicitation; "" means url
	ConfirmWith  string           // who may confirm: consent.WithForm ("" too) or consent.WithPasskey
	Passkeys     *passkey.Service // the passkeys that confirm on the page; nil: none until enrolled in State
	ConfirmTTL   time.Duration    // how long a confirmation lives; 0 means TokenTTL
	StateKeys    [][]byte         // seal confirmation state; nil: random per process
	ResultBudget int              // bytes of one tool result; 0 means DefaultResultBudget
	Logger       *slog.Logger
	AuditPath    string      // JSON lines per write, destructive call and guard decision
	State        state.Store // shared by replicas; nil: in memory, this process only
	// DynamicToolsets lists only list_toolsets, get_toolset_tools and
	// enable_toolset at first; the offered tools come by toolset.
	DynamicToolsets bool
	// Secrets is the process's registry of secrets, which every text the
	// server writes is redacted with last. Nil: the client's.
	Secrets   *secret.Registry
	Telemetry *telemetry.Telemetry // metrics and traces; nil: off
}

// DefaultResultBudget keeps one result well under Claude Code's
// 25,000-token limit.
const DefaultResultBudget = 60000

// Instructions are what every tool shares, said once here rather than in
// each tool's definition (tools/list stays small).
const Instructions = `Qualys Container Security: sensor profiles, sensors, registries and their scan schedules, registry connectors, images, containers, their vulnerabilities and compliance, and reports.
- IDs are the uuid (the sha for images and containers) a list or get tool answered.
- filter is Qualys QQL: field:value or field:` + "`exact value`" + `, ranges [a .. b], dates now-7d, joined with and, or, not. E.g. status:` + "`Running`" + ` and created:[now-7d .. now].
- sort is field:asc or field:desc, e.g. created:desc.
- Lists with pageNumber (from 1) and pageSize (1-1000, default 50) reach the first 10,000 records and answer nextPage. A list that answers a cursor continues with that cursor alone; the _with_details lists take limit (1-250, default 50).
- fields asks for more fields than the compact default, or * for all.
- Times of day are HH:MM in UTC. update_ tools change only the fields given.
- Destructive tools (delete, detach, cancel) ask the user to confirm; nothing changes until they do. If one answers confirmationRequired with a confirmUrl, show the user the preview and that link: they confirm with their passkey or cancel on the page, and then you call the tool again with exactly the same arguments (it runs once). You cannot confirm for them. Only a server run with --confirm-fallback token answers a confirmation_token instead: show the preview and, only if they agree, call again with the same arguments plus confirmation_token.`

// factory turns declarations into MCP tools and runs their calls.
type factory struct {
	client  *client.Client
	opts    Options
	guard   *consent.Guard
	log     *slog.Logger
	secrets *secret.Registry
	shared  *service.SharedSessions // stateful HTTP sessions in a shared store; nil: in process
	tasks   *tasks.Store            // MCP tasks: their progress, and (shared store) every replica's
}

// Server is the assembled MCP server and what it serves.
type Server struct {
	MCP   *server.MCPServer
	Tools []tool.Tool // offered: listed, or with DynamicToolsets enabled by toolset
	f     *factory
}

// NewServer builds the MCP server over a Qualys client.
func NewServer(c *client.Client, o Options) (*Server, error) {
	if o.ResultBudget <= 0 {
		o.ResultBudget = DefaultResultBudget
	}
	if o.Secrets == nil {
		o.Secrets = c.Secrets()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(o.Secrets.Writer(os.Stderr), nil))
	}
	all, err := toolsets.All()
	if err != nil {
		return nil, err
	}
	chosen, err := toolsets.Select(all, o.ReadOnly, o.Toolsets, o.Tools)
	if err != nil {
		return nil, err
	}
	g, err := consent.New(consent.Options{Off: o.NoConfirm, Fallback: o.Fallback, With: o.ConfirmWith, Passkeys: o.Passkeys, TTL: o.ConfirmTTL, Keys: o.StateKeys,
		Store: o.State, AuditPath: o.AuditPath, Log: o.Logger, Secrets: o.Secrets, Decided: o.Telemetry.GuardAudit})
	if err != nil {
		return nil, err
	}
	ts, err := newTaskStore(o)
	if err != nil {
		return nil, err
	}
	f := &factory{client: c, opts: o, guard: g, log: o.Logger, secrets: o.Secrets, shared: service.NewSharedSessions(o.State, o.Logger), tasks: ts}
	env := &extras.Env{Client: c, Secrets: o.Secrets, Log: o.Logger, Budget: o.ResultBudget, Handler: f.handler,
		Result: func(v any, err error) *mcp.CallToolResult {
			if err != nil {
				return f.errorResult(err, nil)
			}
			return f.result(v, nil)
		}}
	instructions := Instructions
	if o.DynamicToolsets {
		instructions += extras.DynamicNote
	}
	complete := extras.Completer(env)
	mcpOpts := []server.ServerOption{
		// Elicitation is a client capability: the guard asks clients that
		// declare it, and the server advertises nothing for it.
		server.WithToolCapabilities(o.DynamicToolsets), // the list changes only when toolsets are enabled
		server.WithLogging(),
		server.WithPromptCapabilities(false),
		server.WithCompletions(), // prompt arguments and resource IDs, from their values or a list call
		server.WithPromptCompletionProvider(complete),
		server.WithResourceCompletionProvider(complete),
		server.WithRecovery(),
		server.WithInstructions(instructions),
	}
	hooks, taskHooks := &server.Hooks{}, &server.TaskHooks{}
	if f.shared != nil {
		hooks = f.shared.Hooks()
	}
	o.Telemetry.TaskHooks(taskHooks)
	mcpOpts = append(mcpOpts, server.WithHooks(hooks))
	mcpOpts = append(mcpOpts, ts.Options(hooks, taskHooks)...) // tools whose work outlives a call run as tasks if the client asks
	s := server.NewMCPServer("qualys-cs-mcp", o.Version, mcpOpts...)
	ts.Attach(s)
	if o.DynamicToolsets {
		s.AddTools(extras.DynamicTools(s, chosen, env)...)
	} else {
		for i := range chosen {
			t := &chosen[i]
			s.AddTool(t.MCP(), f.handler(t))
		}
	}
	extras.AddResources(s, chosen, env)
	prompts.Register(s, func(name string) bool {
		return slices.ContainsFunc(chosen, func(t tool.Tool) bool { return t.Name == name })
	})
	return &Server{MCP: s, Tools: chosen, f: f}, nil
}

// Redact masks every secret the process holds in a text about to leave
// it (the command line's output).
func (s *Server) Redact(text string) string { return s.f.secrets.Redact(text) }

// ServeStdio serves MCP on stdin and stdout until stdin closes. A line
// outside the JSON limits is answered with a parse error (-32700), and
// the server reads on.
func (s *Server) ServeStdio(ctx context.Context, in io.Reader, out io.Writer) error {
	std := server.NewStdioServer(s.MCP)
	std.SetErrorLogger(log.New(s.f.secrets.Writer(os.Stderr), "", 0))
	in = jsonlimit.Lines(in, jsonlimit.Limits{}, func(err error) { s.f.log.Warn("stdio: a message was refused", "error", err.Error()) })
	return std.Listen(ctx, in, out)
}

// ServeHTTP serves streamable HTTP (package service) until ctx ends;
// ready, if set, receives the bound address.
func (s *Server) ServeHTTP(ctx context.Context, o service.HTTPOptions, ready func(addr string)) error {
	if o.Stateless && s.f.opts.DynamicToolsets {
		return extras.ErrDynamicStateless
	}
	return service.Serve(ctx, o, service.Deps{MCP: s.MCP, Guard: s.f.guard, Shared: s.f.shared, Tasks: s.f.tasks, Log: s.f.log, Secrets: s.f.secrets, Telemetry: s.f.opts.Telemetry}, ready)
}

// newTaskStore keeps the records of MCP tasks in the state store, sealed
// with the state keys as the guard's approvals are: the replicas that
// share the store read each other's tasks, and nothing else can.
func newTaskStore(o Options) (*tasks.Store, error) {
	st, raw := o.State, o.StateKeys
	if st == nil {
		st = state.NewMemory()
	}
	if len(raw) == 0 {
		raw = state.KeysFromEnv("")
	}
	keys, err := state.NewKeys(raw)
	if err != nil {
		return nil, err
	}
	return tasks.NewStore(state.Sealed(st, keys), randomReplica()), nil
}

// randomReplica names this process among the replicas (a task's owner).
func randomReplica() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// handler is the one wrapper every tool shares: decode and validate,
// guard, run, shape the result, map errors.
func (f *factory) handler(t *tool.Tool) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		start := time.Now()
		ctx, end := f.opts.Telemetry.ToolCall(ctx, telemetry.Call{Tool: t.Name, Toolset: t.Toolset, Tier: t.Tier.Word(), Meta: req.Params.Meta})
		res := extras.LogCall(ctx, req, t, f.secrets, f.call)
		end(telemetry.Result(ctx, res.IsError))
		if f.log.Enabled(ctx, slog.LevelDebug) {
			attrs := []any{"tool", t.Name, "ms", time.Since(start).Milliseconds(), "error", res.IsError}
			if res.IsError { // the logger's output is redacted as it is written
				attrs = append(attrs, "message", f.secrets.Cut(extras.ResultText(res), 500, shape.SecretValues(req.GetArguments())...))
			}
			f.log.Debug("tool call", attrs...)
		}
		return res, nil
	}
}

func (f *factory) call(ctx context.Context, req mcp.CallToolRequest, t *tool.Tool) *mcp.CallToolResult {
	raw, err := rawArgs(req)
	if err != nil {
		return f.errorResult(err, nil)
	}
	in, args, token, err := t.Decode(raw)
	if err == nil {
		err = toolsets.RefuseMaskedFields(args)
	}
	if err != nil {
		telemetry.MarkRefused(ctx)
		return f.errorResult(err, shape.SecretValues(req.GetArguments())) // a refusal may quote the value
	}
	c := &tool.Ctx{Client: f.client, Args: args, Tool: t, Budget: f.opts.ResultBudget, NoConfirm: f.guard.Off()}
	secrets := shape.SecretValues(args)
	redact := func(m string) string { return f.secrets.Redact(m, secrets...) }
	ctx = secret.With(tool.WithProgress(ctx, req, redact), secrets...)
	if t.Task && req.Params.Task != nil && f.tasks.ID(ctx) != "" { // a task: answered already, it follows the work to its end
		ctx = tool.AsTask(ctx, func(m string) { f.tasks.Progress(ctx, redact(m)) })
		ctx = consent.Parking(ctx, func() func() { return func() {} }) // it holds no connection a wait could park
	}
	ctx, trace := client.WithTrace(ctx)
	var out any
	if t.Guards(in) && !f.guard.Off() {
		var pending *mcp.CallToolResult
		out, pending, err = f.guard.Confirm(ctx, req, t, c, in, token)
		if pending != nil {
			return pending
		}
	} else {
		out, err = t.Run(ctx, c, in)
	}
	if t.Tier != tool.Read {
		if m, ok := out.(map[string]any); !ok || m["confirmationRequired"] != true {
			c.Answer = out
			f.guard.Audit(t, c, "call", outcomeOf(err), callDetail(trace, out, err))
		}
	}
	if err != nil {
		return f.errorResult(toolsets.WithQQLHelp(t.Name, args, err), secrets)
	}
	return f.result(tool.NoteIgnored(out, t.SetByQualys(args)), secrets)
}

func outcomeOf(err error) string {
	if err != nil {
		return "error"
	}
	return "ok"
}

// callDetail says what a write or destructive call sent and how Qualys
// answered, e.g. "PUT /sensorProfile/1a2b: HTTP 200", and why it failed.
func callDetail(trace *client.Trace, out any, err error) string {
	d := trace.Summary()
	if m, ok := out.(map[string]any); ok && m["cancelled"] == true {
		d = "cancelled by the user: no change sent to Qualys"
	} else if d == "" {
		d = "no change sent to Qualys"
	}
	if err != nil {
		d += "; " + err.Error()
	}
	return d
}

func rawArgs(req mcp.CallToolRequest) ([]byte, error) {
	switch a := req.GetRawArguments().(type) {
	case json.RawMessage:
		return a, nil
	case []byte:
		return a, nil
	case nil:
		return nil, nil
	default:
		return json.Marshal(a)
	}
}

// result encodes the handler's answer once, as structured content and as a
// compact JSON text, shaped to the result budget.
func (f *factory) result(v any, secrets []string) *mcp.CallToolResult {
	b, err := json.Marshal(v)
	if err != nil {
		return f.errorResult(fmt.Errorf("internal: encoding the result: %w", err), secrets)
	}
	if len(b) == 0 || b[0] != '{' {
		b, _ = json.Marshal(map[string]json.RawMessage{"result": b})
	}
	if _, ok := v.(shape.Revealed); !ok {
		b = shape.MaskActivationKeys(b)
	}
	if len(b) > f.opts.ResultBudget {
		b = shape.FitBudget(b, f.opts.ResultBudget)
	}
	text := shape.RedactJSON(f.secrets, b, secrets) // last: after the budget's cuts
	return &mcp.CallToolResult{
		Content:           []mcp.Content{mcp.NewTextContent(text)},
		StructuredContent: json.RawMessage(text),
	}
}

func (f *factory) errorResult(err error, secrets []string) *mcp.CallToolResult {
	return mcp.NewToolResultError(f.secrets.Redact(err.Error(), secrets...))
}

// NewLogger logs to stderr at the given level: debug, info, warn or error.
// Every line is redacted with the registry as it is written.
func NewLogger(level string, secrets *secret.Registry) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(secrets.Writer(os.Stderr), &slog.HandlerOptions{Level: l})), nil
}
