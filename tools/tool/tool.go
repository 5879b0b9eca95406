// Package tool is one tool's declaration: its name, toolset, tier, input
// type and handler (and, for a destructive tool, its preview), and what the
// declaration gives it: the input schema, the MCP hints, and the decoding
// and validation of its arguments, with every problem named by its field.
package tool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/mark3labs/mcp-go/mcp"
	jsv "github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	json "github.com/segmentio/encoding/json"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/jsonlimit"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/schemas"
)

// Tier is how much a tool may change.
type Tier int

// TokenArg is the argument a confirmation token comes back in (only a
// server run with --confirm-fallback token takes one).
const TokenArg = "confirmation_token"

const (
	Read        Tier = iota // R: changes nothing
	Write                   // W: creates or changes
	Destructive             // D: deletes, detaches or cancels; behind the guard
)

func (t Tier) String() string { return [...]string{"R", "W", "D"}[t] }

// Word is the tier as a word: read, write or destructive.
func (t Tier) Word() string { return [...]string{"read", "write", "destructive"}[t] }

// Ctx is what a handler gets besides its input.
type Ctx struct {
	Client *client.Client
	Args   map[string]any // the arguments as sent, less confirmation_token: the handler's own copy
	Tool   *Tool
	Budget int // bytes one result may take (--result-budget)
	// NoConfirm: the guard is off (--no-confirm), so a handler checks
	// itself what its preview would have (a delete's cap on matches).
	NoConfirm bool

	Answer any // what the call answered, for its audit line
}

// forHandler is the Ctx one handler run gets: its own deep copy of the
// arguments, so that nothing it changes in them (a body built from them)
// reaches the guard's binding, another run or the audit line.
func (c *Ctx) forHandler() *Ctx {
	cp := *c
	cp.Args, _ = deepCopy(c.Args).(map[string]any)
	return &cp
}

// deepCopy copies decoded JSON: objects, arrays and scalars.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

// Handler runs a tool whose input is In.
type Handler[In any] func(ctx context.Context, c *Ctx, in *In) (any, error)

// Preview is what the guard shows the human before a destructive call.
type Preview struct {
	Summary string // what will happen, by name
	Details any    // the affected items and counts
	Target  any    // the stable state that must not change before executing
}

// Tool is one declared tool.
type Tool struct {
	Name        string
	Toolset     string
	Tier        Tier
	Description string
	Idempotent  bool
	Body        bool   // its arguments are a request body: published with null allowed where optional
	Undo        string // how a person undoes a destructive call, when it can be undone; "" when it cannot
	// Task: its work outlives a call (a report generated, a scan, a
	// deletion job), and a client may run it as an MCP task (TaskOption).
	Task bool

	inType  reflect.Type
	handle  func(context.Context, *Ctx, any) (any, error)
	preview func(context.Context, *Ctx, any) (*Preview, error)
	guardIf func(any) bool

	schema    map[string]any
	validator *lazySchema
	rawSchema json.RawMessage // published in tools/list: schemas.Publish of strict
	strict    json.RawMessage // what decode validates against
}

// Option adjusts a declaration.
type Option[In any] func(*Tool)

// Def declares a tool: name, toolset, tier, description, and a handler
// whose parameter type is the tool's input type.
func Def[In any](name, toolset string, tier Tier, desc string, h Handler[In], opts ...Option[In]) Tool {
	t := Tool{Name: name, Toolset: toolset, Tier: tier, Description: desc, Idempotent: tier != Write, Body: tier == Write,
		inType: reflect.TypeFor[In]()}
	t.handle = func(ctx context.Context, c *Ctx, in any) (any, error) { return h(ctx, c.forHandler(), in.(*In)) }
	for _, o := range opts {
		o(&t)
	}
	if tier == Destructive && t.preview == nil {
		panic("tool: destructive tool " + name + " has no guard preview")
	}
	return t
}

// Guarded puts the tool behind the confirmation guard, with a preview built
// from the API that changes nothing.
func Guarded[In any](preview func(context.Context, *Ctx, *In) (*Preview, error)) Option[In] {
	return func(t *Tool) {
		t.preview = func(ctx context.Context, c *Ctx, in any) (*Preview, error) {
			return preview(ctx, c.forHandler(), in.(*In))
		}
	}
}

// GuardedIf guards only the calls for which when is true (e.g. reveal).
func GuardedIf[In any](when func(*In) bool, preview func(context.Context, *Ctx, *In) (*Preview, error)) Option[In] {
	return func(t *Tool) {
		Guarded(preview)(t)
		t.guardIf = func(in any) bool { return when(in.(*In)) }
	}
}

// Idempotent marks a write tool whose repetition has no further effect.
func Idempotent[In any]() Option[In] { return func(t *Tool) { t.Idempotent = true } }

// Undo says how a destructive call can be undone (the tool that reverses
// it), which the confirmation shows instead of "This cannot be undone".
func Undo[In any](how string) Option[In] { return func(t *Tool) { t.Undo = how } }

// Body marks a read tool whose arguments are a request body, as a write
// tool's are (validate_registry): its published schema allows null where
// a field is optional, as the API's documents write it.
func Body[In any]() Option[In] { return func(t *Tool) { t.Body = true } }

// TaskOption lets a client run the tool as an MCP task (a task-augmented
// tools/call): the call answers a task at once and the work goes on; the
// handler learns it runs as one with InTask, and follows the work to its
// end. The plain call is unchanged.
func TaskOption[In any]() Option[In] { return func(t *Tool) { t.Task = true } }

// Title is the tool's name as words: "list_sensor_profiles" -> "List sensor profiles".
func (t *Tool) Title() string {
	s := strings.ReplaceAll(t.Name, "_", " ")
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// Guarded reports whether the tool has a confirmation guard.
func (t *Tool) Guarded() bool { return t.preview != nil }

// Guards reports whether this call, of input in, goes through the guard
// (a GuardedIf tool guards only some calls).
func (t *Tool) Guards(in any) bool { return t.preview != nil && (t.guardIf == nil || t.guardIf(in)) }

// Run runs the handler on its own copy of the arguments.
func (t *Tool) Run(ctx context.Context, c *Ctx, in any) (any, error) { return t.handle(ctx, c, in) }

// Preview is what the guard shows before the call runs; it changes nothing.
func (t *Tool) Preview(ctx context.Context, c *Ctx, in any) (*Preview, error) {
	return t.preview(ctx, c, in)
}

// InputType is the declared input type, whose JSON Schema the tool takes.
func (t *Tool) InputType() reflect.Type { return t.inType }

// Build generates the input schema (the catalogue does, once per tool);
// it is compiled for validation on first use.
func (t *Tool) Build() error {
	m, err := schemas.For(t.inType)
	if err != nil {
		return fmt.Errorf("%s: %w", t.Name, err)
	}
	if t.Guarded() {
		props := m["properties"].(map[string]any)
		props[TokenArg] = map[string]any{"type": "string", "maxLength": 4096} // the server instructions say what it is
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	t.validator = &lazySchema{name: t.Name, raw: raw} // compiled on first use: start-up stays fast
	published := schemas.Publish(m)
	if t.Body {
		schemas.Nullable(published)
	}
	pub, err := json.Marshal(published)
	if err != nil {
		return err
	}
	t.schema, t.rawSchema, t.strict = m, pub, raw
	return nil
}

// lazySchema compiles a tool's validation schema once, when first needed.
type lazySchema struct {
	name     string
	raw      []byte
	once     sync.Once
	compiled *jsv.Schema
	err      error
}

func (l *lazySchema) get() (*jsv.Schema, error) {
	l.once.Do(func() {
		doc, err := jsv.UnmarshalJSON(bytes.NewReader(l.raw))
		if err != nil {
			l.err = err
			return
		}
		comp := jsv.NewCompiler()
		if err := comp.AddResource("mem://"+l.name, doc); err != nil {
			l.err = err
			return
		}
		if l.compiled, err = comp.Compile("mem://" + l.name); err != nil {
			l.err = fmt.Errorf("%s: schema: %w", l.name, err)
		}
	})
	return l.compiled, l.err
}

// MCP returns the tool's MCP definition. Its annotations say only what
// the spec's defaults (readOnlyHint false, destructiveHint true,
// idempotentHint false, openWorldHint true) do not: a read tool is
// readOnlyHint true (the other hints then mean nothing); a write tool is
// destructiveHint false, and idempotentHint true when it is; a destructive
// tool keeps destructiveHint true explicit, and idempotentHint true when
// it is. Every tool reaches Qualys, so openWorldHint stays the default.
func (t *Tool) MCP() mcp.Tool {
	yes, no := true, false
	var a mcp.ToolAnnotation
	switch t.Tier {
	case Read:
		a.ReadOnlyHint = &yes
	case Write:
		a.DestructiveHint = &no
	case Destructive:
		a.DestructiveHint = &yes
	}
	if t.Tier != Read && t.Idempotent {
		a.IdempotentHint = &yes
	}
	m := mcp.Tool{
		Name:           t.Name, // no title: optional, and the name says it
		Description:    t.Description,
		RawInputSchema: t.rawSchema,
		Annotations:    a,
	}
	if t.Task {
		m.Execution = &mcp.ToolExecution{TaskSupport: mcp.TaskSupportOptional}
	}
	return m
}

// InputError is bad input, named by the field.
type InputError = schemas.FieldError

// Invalid reports bad input for a field.
func Invalid(field, format string, a ...any) error {
	return &InputError{Field: field, Problem: fmt.Sprintf(format, a...)}
}

// Decode validates the raw arguments against the schema and decodes them:
// the input value, the arguments as the handler sees them, and the
// confirmation token if one was given. It never lets a request reach
// Qualys with bad input. The arguments come out canonical (schemas.
// Canonical): a field or value under an older document's name is under
// the newest's. An optional field
// given as null is taken as not given, at every depth; a required one is
// refused. Every problem the schema finds is reported at once.
func (t *Tool) Decode(raw []byte) (in any, args map[string]any, token string, err error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		raw = []byte("{}")
	}
	if err := jsonlimit.Check(raw, jsonlimit.Limits{}); err != nil {
		return nil, nil, "", &InputError{Problem: "arguments refused: " + err.Error()}
	}
	doc, err := jsv.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, nil, "", &InputError{Problem: "arguments are not valid JSON"}
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, nil, "", &InputError{Problem: "arguments must be a JSON object"}
	}
	if StripNulls(obj, t.schema) {
		if raw, err = json.Marshal(obj); err != nil {
			return nil, nil, "", err
		}
	}
	compiled, err := t.validator.get()
	if err != nil {
		return nil, nil, "", err
	}
	if err := compiled.Validate(obj); err != nil {
		errs := schemaErrors(err)
		if v, e := t.unmarshal(raw); e == nil { // what the input's own checks say too, where it decodes
			errs = errs.add(validate(v))
		}
		return nil, nil, "", errs.err()
	}
	token, _ = obj[TokenArg].(string)
	v, err := t.unmarshal(raw)
	if err != nil {
		return nil, nil, "", jsonError(err)
	}
	if err := validate(v); err != nil {
		return nil, nil, "", err
	}
	var plain map[string]any
	json.Unmarshal(raw, &plain)
	delete(plain, TokenArg)
	// an older document's name or spelling is sent as the newest names it
	if err := schemas.Canonical(t.schema, plain); err != nil {
		return nil, nil, "", err
	}
	// a field the server sets (x-set-by=server) with one value: the
	// documented body carries it, the model need not
	for name, p := range t.schema["properties"].(map[string]any) {
		p := p.(map[string]any)
		if enum, _ := p["enum"].([]any); p[schemas.XSetBy] == "server" && len(enum) == 1 {
			plain[name] = enum[0]
		}
	}
	return v, plain, token, nil
}

// SetByQualys names the arguments given that Qualys sets itself (the
// documents' sample bodies carry them): the result's note says they are
// ignored.
func (t *Tool) SetByQualys(args map[string]any) []string {
	var out []string
	for name, p := range t.schema["properties"].(map[string]any) {
		if _, given := args[name]; given && p.(map[string]any)[schemas.XSetBy] == "Qualys" {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// NoteIgnored adds to a result the note that the fields Qualys sets were
// ignored.
func NoteIgnored(out any, ignored []string) any {
	m, ok := out.(map[string]any)
	if !ok || len(ignored) == 0 {
		return out
	}
	note := fmt.Sprintf("Qualys sets %s itself: the value(s) given are ignored.", strings.Join(ignored, ", "))
	if prev, _ := m["note"].(string); prev != "" {
		note = prev + " " + note
	}
	m["note"] = note
	return m
}

// unmarshal decodes raw into a new input value (the struct has no
// confirmation_token: it is ignored).
func (t *Tool) unmarshal(raw []byte) (any, error) {
	v := reflect.New(t.inType)
	return v.Interface(), json.Unmarshal(raw, v.Interface())
}

// validate runs the input's own checks, if it has any.
func validate(in any) error {
	if val, ok := in.(interface{ Validate() error }); ok {
		return val.Validate()
	}
	return nil
}

// StripNulls deletes, from a JSON value described by schema s, every
// property given as null that s names and does not require, at every depth
// (objects and arrays of objects): null means "not given". A required
// property given as null, or an unknown one, stays for the validator to
// refuse by name. It reports whether it deleted anything.
func StripNulls(v any, s map[string]any) bool {
	changed := false
	switch x := v.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		req, _ := s["required"].([]any)
		for k, val := range x {
			ps, known := props[k].(map[string]any)
			if !known {
				continue
			}
			if val == nil && !slices.Contains(req, any(k)) {
				delete(x, k)
				changed = true
				continue
			}
			changed = StripNulls(val, ps) || changed
		}
	case []any:
		if it, ok := s["items"].(map[string]any); ok {
			for _, e := range x {
				changed = StripNulls(e, it) || changed
			}
		}
	}
	return changed
}

// InputErrors are all the problems of one call's arguments, each named by
// its field path.
type InputErrors []*InputError

func (es InputErrors) Error() string {
	if len(es) == 1 {
		return es[0].Error()
	}
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = strings.TrimPrefix(strings.TrimPrefix(e.Error(), "invalid argument "), "invalid arguments: ")
	}
	return fmt.Sprintf("invalid arguments (%d problems): %s", len(es), strings.Join(parts, "; "))
}

// add appends err's problems that are not there yet.
func (es InputErrors) add(err error) InputErrors {
	var more InputErrors
	var one *InputError
	switch {
	case errors.As(err, &more):
	case errors.As(err, &one):
		more = InputErrors{one}
	case err != nil:
		more = InputErrors{{Problem: err.Error()}}
	}
	for _, e := range more {
		if !slices.ContainsFunc(es, func(x *InputError) bool { return x.Field == e.Field && x.Problem == e.Problem }) {
			es = append(es, e)
		}
	}
	return es
}

// err is the one error to answer: the single problem as itself, or all.
func (es InputErrors) err() error {
	if len(es) == 1 {
		return es[0]
	}
	return es
}

var printer = message.NewPrinter(language.English)

// schemaErrors turns every leaf of a validation error into a problem
// named by its field path (a.b.0.c), in path order.
func schemaErrors(err error) InputErrors {
	var ve *jsv.ValidationError
	if !errors.As(err, &ve) {
		return InputErrors{{Problem: err.Error()}}
	}
	var out InputErrors
	var walk func(e *jsv.ValidationError)
	walk = func(e *jsv.ValidationError) {
		if len(e.Causes) == 0 {
			out = out.add(leafErrors(e))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

func leafErrors(leaf *jsv.ValidationError) InputErrors {
	field := strings.Join(leaf.InstanceLocation, ".")
	var out InputErrors
	switch k := leaf.ErrorKind.(type) {
	case *kind.Required:
		for _, m := range k.Missing {
			out = append(out, &InputError{Field: join(field, m), Problem: "is required"})
		}
	case *kind.AdditionalProperties:
		for _, p := range k.Properties {
			out = append(out, &InputError{Field: join(field, p), Problem: "is not an argument of this tool"})
		}
	case *kind.Enum:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = fmt.Sprint(w)
		}
		out = append(out, &InputError{Field: field, Problem: fmt.Sprintf("%v is not one of %s", k.Got, strings.Join(want, ", "))})
	case *kind.Pattern:
		out = append(out, &InputError{Field: field, Problem: fmt.Sprintf("%q does not match %s", k.Got, k.Want)})
	case *kind.Type:
		if k.Got == "null" {
			problem := "null is not a value here (want " + strings.Join(k.Want, " or ") + ")"
			if n := len(leaf.InstanceLocation); n > 0 && strings.Trim(leaf.InstanceLocation[n-1], "0123456789") != "" {
				problem = "is required; " + problem
			}
			out = append(out, &InputError{Field: field, Problem: problem})
			break
		}
		out = append(out, &InputError{Field: field, Problem: leaf.ErrorKind.LocalizedString(printer)})
	default:
		out = append(out, &InputError{Field: field, Problem: leaf.ErrorKind.LocalizedString(printer)})
	}
	return out
}

func join(parent, child string) string {
	if parent == "" {
		return child
	}
	return parent + "." + child
}

func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &InputError{Field: te.Field, Problem: "must be " + te.Type.Kind().String()}
	}
	return &InputError{Problem: err.Error()}
}
