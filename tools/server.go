package tools

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	json "github.com/segmentio/encoding/json"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/secret"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/prompts"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/telemetry"
)

// Options configure the MCP server.
type Options struct {
	Version      string
	ReadOnly     bool          // only read tools
	Toolsets     []string      // nil or "all": every toolset
	Tools        []string      // if set, only these tools
	NoConfirm    bool          // the guard is off (unattended automation)
	Fallback     Fallback      // for clients without form elicitation; "" means url
	ConfirmTTL   time.Duration // how long a confirmation lives; 0 means TokenTTL
	StateKeys    [][]byte      // seal confirmation state; nil: random per process
	ResultBudget int           // bytes of one tool result; 0 means DefaultResultBudget
	Logger       *slog.Logger
	AuditPath    string      // JSON lines per write, destructive call and guard decision
	State        state.Store // shared by replicas; nil: in memory, this process only
	// DynamicToolsets lists only list_toolsets, get_toolset_tools and
	// enable_toolset at first; the offered tools come by toolset.
	DynamicToolsets bool
	// Secrets is the process's registry of secrets, which every text the
	// server writes is redacted with last. Nil: the client's.
	Secrets   *secret.Registry
	Telemetry *telemetry.Telemetry // telemetry: metrics and traces; nil: off
}

// DefaultResultBudget keeps one result well under Claude Code's
// 25,000-token limit.
const DefaultResultBudget = 60000

// Toolsets in catalogue order, with what each covers.
var Toolsets = []struct{ Name, About string }{
	{"sensor_profiles", "sensor profiles and which sensors and registries they hold"},
	{"sensors", "sensors, their deletion, and activation keys"},
	{"registries", "registries and their repositories"},
	{"connectors", "ACR, AWS and GCP registry connectors"},
	{"schedules", "registry scan schedules"},
	{"images", "images, their vulnerabilities, software and compliance"},
	{"containers", "containers, their vulnerabilities, software and compliance"},
	{"controls", "compliance controls"},
	{"reports", "reports"},
}

// Instructions are what every tool shares, said once here rather than in
// each tool's definition (tools/list stays small).
const Instructions = `Qualys Container Security: sensor profiles, sensors, registries and their scan schedules, registry connectors, images, containers, their vulnerabilities and compliance, and reports.
- IDs are the uuid (the sha for images and containers) a list or get tool answered.
- filter is Qualys QQL: field:value or field:` + "`exact value`" + `, ranges [a .. b], dates now-7d, joined with and, or, not. E.g. status:` + "`Running`" + ` and created:[now-7d .. now].
- sort is field:asc or field:desc, e.g. created:desc.
- Lists with pageNumber (from 1) and pageSize (1-1000, default 50) reach the first 10,000 records and answer nextPage. A list that answers a cursor continues with that cursor alone; the _with_details lists take limit (1-250, default 50).
- fields asks for more fields than the compact default, or * for all.
- Times of day are HH:MM in UTC. update_ tools change only the fields given.
- Destructive tools (delete, detach, cancel) ask the user to confirm; nothing changes until they do. If one answers confirmationRequired with a confirmUrl, show the user the preview and that link: they confirm or cancel on the page, and then you call the tool again with exactly the same arguments (it runs once). You cannot confirm for them. Only a server run with --confirm-fallback token answers a confirmation_token instead: show the preview and, only if they agree, call again with the same arguments plus confirmation_token.`

// DefaultToolsets is what --toolsets offers unless told otherwise: the
// toolsets of everyday work ("all" adds the rest).
const DefaultToolsets = "sensor_profiles,sensors,registries,schedules,images,containers,controls"

var (
	catalogueOnce sync.Once
	catalogue     []Tool
	catalogueErr  error
)

// All returns every declared tool, schemas built, in catalogue order.
func All() ([]Tool, error) {
	catalogueOnce.Do(func() {
		for _, set := range declared() {
			for _, t := range set {
				if err := t.build(); err != nil {
					catalogueErr = err
					return
				}
				catalogue = append(catalogue, t)
			}
		}
	})
	return catalogue, catalogueErr
}

// declared lists each toolset file's declarations.
func declared() [][]Tool {
	return [][]Tool{sensorProfileTools(), sensorTools(), registryTools(), connectorTools(), scheduleTools(), imageTools(), containerTools(), controlTools(), reportTools()}
}

// Select applies --read-only, --toolsets and --tools.
func Select(all []Tool, o Options) ([]Tool, error) {
	sets := map[string]bool{}
	for _, s := range o.Toolsets {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if s != "all" && !slices.ContainsFunc(Toolsets, func(t struct{ Name, About string }) bool { return t.Name == s }) {
			return nil, fmt.Errorf("unknown toolset %q; known: all, %s", s, strings.Join(toolsetNames(), ", "))
		}
		sets[s] = true
	}
	names := map[string]bool{}
	for _, n := range o.Tools {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		if !slices.ContainsFunc(all, func(t Tool) bool { return t.Name == n }) {
			return nil, fmt.Errorf("unknown tool %q", n)
		}
		names[n] = true
	}
	var out []Tool
	for _, t := range all {
		switch {
		case o.ReadOnly && t.Tier != Read:
		case len(sets) > 0 && !sets["all"] && !sets[t.Toolset]:
		case len(names) > 0 && !names[t.Name]:
		default:
			out = append(out, t)
		}
	}
	return out, nil
}

func toolsetNames() []string {
	var n []string
	for _, t := range Toolsets {
		n = append(n, t.Name)
	}
	return n
}

// factory turns declarations into MCP tools and runs their calls.
type factory struct {
	client   *client.Client
	opts     Options
	guard    *guard
	pages    *pages // the confirmation page's approvals
	log      *slog.Logger
	secrets  *secret.Registry
	audit    func(t *Tool, c *Ctx, event, outcome, detail string)
	sessions *sharedSessions // stateful HTTP sessions in a shared store; nil: in process
}

// Server is the assembled MCP server and what it serves.
type Server struct {
	MCP   *server.MCPServer
	Tools []Tool // offered: listed, or with DynamicToolsets enabled by toolset
	f     *factory
}

// NewServer builds the MCP server over a Qualys client.
func NewServer(c *client.Client, o Options) (*Server, error) {
	if o.Fallback == "" {
		o.Fallback = FallbackURL
	}
	if o.Fallback != FallbackURL && o.Fallback != FallbackToken && o.Fallback != FallbackDeny {
		return nil, fmt.Errorf("--confirm-fallback must be url, token or deny, not %q", o.Fallback)
	}
	if o.ConfirmTTL == 0 {
		o.ConfirmTTL = TokenTTL
	}
	if o.ConfirmTTL < time.Second || o.ConfirmTTL > time.Hour {
		return nil, fmt.Errorf("--confirm-ttl must be between 1s and 1h, not %s", o.ConfirmTTL)
	}
	if o.ResultBudget <= 0 {
		o.ResultBudget = DefaultResultBudget
	}
	if o.Secrets == nil {
		o.Secrets = c.Secrets()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(o.Secrets.Writer(os.Stderr), nil))
	}
	all, err := All()
	if err != nil {
		return nil, err
	}
	chosen, err := Select(all, o)
	if err != nil {
		return nil, err
	}
	g, err := newGuard(o.StateKeys, o.Fallback, o.NoConfirm, o.State)
	if err != nil {
		return nil, err
	}
	g.ttl = o.ConfirmTTL
	f := &factory{client: c, opts: o, guard: g, log: o.Logger, secrets: o.Secrets, pages: newPages(g.store, g.ttl, o.Logger),
		sessions: newSharedSessions(o.State, o.Logger)}
	if f.audit, err = newAudit(o.AuditPath, o.Secrets); err != nil {
		return nil, err
	}
	f.audit = telemetry.WatchAudit(f.audit, o.Telemetry) // telemetry: the guard's decisions, from its audit lines
	instructions := Instructions
	if o.DynamicToolsets {
		instructions += dynamicNote
	}
	mcpOpts := []server.ServerOption{
		// Elicitation is a client capability: the guard asks clients that
		// declare it, and the server advertises nothing for it.
		server.WithToolCapabilities(o.DynamicToolsets), // the list changes only when toolsets are enabled
		server.WithLogging(),
		server.WithPromptCapabilities(false),
		server.WithCompletions(), // prompt arguments and resource IDs, from their values or a list call
		server.WithPromptCompletionProvider(completer{f}),
		server.WithResourceCompletionProvider(completer{f}),
		server.WithRecovery(),
		server.WithInstructions(instructions),
	}
	if f.sessions != nil {
		mcpOpts = append(mcpOpts, server.WithHooks(f.sessions.hooks()))
	}
	s := server.NewMCPServer("qualys-cs-mcp", o.Version, mcpOpts...)
	if o.DynamicToolsets {
		s.AddTools(f.dynamicTools(s, chosen)...)
	} else {
		for i := range chosen {
			t := &chosen[i]
			s.AddTool(t.MCP(), f.handler(t))
		}
	}
	f.addResources(s, chosen)
	prompts.Register(s, func(name string) bool {
		return slices.ContainsFunc(chosen, func(t Tool) bool { return t.Name == name })
	})
	return &Server{MCP: s, Tools: chosen, f: f}, nil
}

// Redact masks every secret the process holds in a text about to leave
// it (the command line's output).
func (s *Server) Redact(text string) string { return s.f.secrets.Redact(text) }

// handler is the one wrapper every tool shares: decode and validate,
// guard, run, shape the result, map errors.
func (f *factory) handler(t *Tool) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		start := time.Now()
		ctx, end := f.opts.Telemetry.ToolCall(ctx, telemetry.Call{Tool: t.Name, Toolset: t.Toolset, Tier: t.Tier.Word(), Meta: req.Params.Meta}) // telemetry:
		res := f.logCall(ctx, req, t, f.call)
		end(telemetry.Result(ctx, res.IsError)) // telemetry:
		if f.log.Enabled(ctx, slog.LevelDebug) {
			attrs := []any{"tool", t.Name, "ms", time.Since(start).Milliseconds(), "error", res.IsError}
			if res.IsError { // the logger's output is redacted as it is written
				attrs = append(attrs, "message", f.secrets.Cut(ResultText(res), 500, secretValues(req.GetArguments())...))
			}
			f.log.Debug("tool call", attrs...)
		}
		return res, nil
	}
}

func (f *factory) call(ctx context.Context, req mcp.CallToolRequest, t *Tool) *mcp.CallToolResult {
	raw, err := rawArgs(req)
	if err != nil {
		return f.errorResult(err, nil)
	}
	in, args, token, err := t.decode(raw)
	if err != nil {
		telemetry.MarkRefused(ctx)                                  // telemetry:
		return f.errorResult(err, secretValues(req.GetArguments())) // a refusal may quote the value
	}
	c := &Ctx{Client: f.client, Args: args, Opts: &f.opts, Tool: t}
	secrets := secretValues(args)
	ctx = secret.With(withProgress(ctx, req, func(m string) string { return f.secrets.Redact(m, secrets...) }), secrets...)
	ctx, trace := client.WithTrace(ctx)
	var out any
	if t.Guarded() && (t.guardIf == nil || t.guardIf(in)) && !f.guard.off {
		var pending *mcp.CallToolResult
		out, pending, err = f.confirmed(ctx, req, t, c, in, token)
		if pending != nil {
			return pending
		}
	} else {
		out, err = t.handle(ctx, c, in)
	}
	if t.Tier != Read {
		if m, ok := out.(map[string]any); !ok || m["confirmationRequired"] != true {
			c.answer = out
			f.audit(t, c, "call", outcomeOf(err), callDetail(trace, out, err))
		}
	}
	if err != nil {
		if filter, _ := args["filter"].(string); refusal(err) != nil {
			if help := qqlHelp(t.Name, filter, err.Error()); help != "" {
				err = fmt.Errorf("%w. %s", err, help)
			}
		}
		return f.errorResult(err, secrets)
	}
	return f.result(noteIgnored(out, t.setByQualys(args)), secrets)
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

// revealed is a result that may show the activation keys: a reveal the
// user confirmed (or the guard is off).
type revealed map[string]any

// activationKeyRE finds the fields that carry the subscription's sensor
// activation keys, whatever resource shows them (sensors, images,
// containers, compliance): compact JSON, as json.Marshal writes it.
var activationKeyRE = regexp.MustCompile(`"(?i:customerId|customerUuid|activationId|activationUuid)":"(?:[^"\\]|\\.)*"`)

// maskActivationKeys masks the activation keys in an encoded result, as
// get_activation_keys does without reveal (the last 4 characters remain,
// enough to tell them apart).
func maskActivationKeys(b []byte) []byte {
	if !bytes.Contains(b, []byte("ustomer")) && !bytes.Contains(b, []byte("ctivation")) {
		return b
	}
	return activationKeyRE.ReplaceAllFunc(b, func(m []byte) []byte {
		i := bytes.Index(m, []byte(`":"`)) + 2
		var v string
		if json.Unmarshal(m[i:], &v) != nil {
			return m
		}
		q, _ := json.Marshal(mask(v))
		return append(m[:i:i], q...)
	})
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
	if _, ok := v.(revealed); !ok {
		b = maskActivationKeys(b)
	}
	if len(b) > f.opts.ResultBudget {
		b = fitBudget(b, f.opts.ResultBudget)
	}
	text := f.redactJSON(b, secrets) // last: after the budget's cuts
	return &mcp.CallToolResult{
		Content:           []mcp.Content{mcp.NewTextContent(text)},
		StructuredContent: json.RawMessage(text),
	}
}

// redactJSON masks the secrets in an encoded result. Masking the text
// keeps it valid JSON when a secret sits inside strings, as it does; if
// one matched the JSON's own syntax (a secret "1234" and a number 1234),
// the strings are masked one by one instead.
func (f *factory) redactJSON(b []byte, secrets []string) string {
	text := f.secrets.Redact(string(b), secrets...)
	if len(text) == len(b) || json.Valid([]byte(text)) {
		return text
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return text
	}
	out, _ := json.Marshal(f.redactValue(v, secrets))
	return string(out)
}

func (f *factory) redactValue(v any, secrets []string) any {
	switch x := v.(type) {
	case string:
		return f.secrets.Redact(x, secrets...)
	case []any:
		for i := range x {
			x[i] = f.redactValue(x[i], secrets)
		}
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[f.secrets.Redact(k, secrets...)] = f.redactValue(e, secrets)
		}
		return out
	}
	return v
}

func (f *factory) errorResult(err error, secrets []string) *mcp.CallToolResult {
	return mcp.NewToolResultError(f.secrets.Redact(err.Error(), secrets...))
}

// secretNames are argument names whose values never appear in output.
var secretNames = []string{"password", "secret", "token", "credential", "accesskey", "privatekey", "serviceaccountjson", "apikey"}

var separators = strings.NewReplacer("_", "", "-", "")

// IsSecretName reports whether an argument name holds a secret
// (client_secret and private-key count as clientSecret and privateKey).
func IsSecretName(name string) bool {
	n := separators.Replace(strings.ToLower(name))
	for _, s := range secretNames {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// secretValues are the secret strings of the arguments, longest first. A
// secret that is itself a JSON object (a service account key) adds the
// secrets it holds (its private_key), in case an answer quotes one alone.
func secretValues(args map[string]any) []string {
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				if s, ok := val.(string); ok && IsSecretName(k) && len(s) >= 4 {
					out = append(out, s)
					var inner map[string]any
					if json.Unmarshal([]byte(s), &inner) == nil {
						walk(inner)
					}
				}
				walk(val)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(args)
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// maskArgs copies args with every secret value masked, for logs and audit.
func maskArgs(args map[string]any) map[string]any {
	out := make(map[string]any, len(args))
	for k, v := range args {
		switch x := v.(type) {
		case map[string]any:
			out[k] = maskArgs(x)
		case []any:
			items := make([]any, len(x))
			for i, it := range x {
				if m, ok := it.(map[string]any); ok {
					items[i] = maskArgs(m)
				} else if IsSecretName(k) {
					items[i] = "***"
				} else {
					items[i] = it
				}
			}
			out[k] = items
		default:
			if IsSecretName(k) {
				out[k] = "***"
			} else {
				out[k] = v
			}
		}
	}
	return out
}
