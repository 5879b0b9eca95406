// Package tools joins the client and the schemas into MCP tools: one file
// per toolset, each tool one declaration, and one factory that gives every
// tool its schema, annotations, guard, filtering and error mapping.
package tools

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
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
	"github.com/qualys-cs-mcp/qualys-cs-mcp/schemas"
)

// Tier is how much a tool may change.
type Tier int

const (
	Read        Tier = iota // R: changes nothing
	Write                   // W: creates or changes
	Destructive             // D: deletes, detaches or cancels; behind the guard
)

func (t Tier) String() string { return [...]string{"R", "W", "D"}[t] }

// Ctx is what a handler gets besides its input.
type Ctx struct {
	Client *client.Client
	Args   map[string]any // the arguments as sent, less confirmation_token: the handler's own copy
	Opts   *Options
	Tool   *Tool

	answer any // what the call answered, for its audit line
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
	t := Tool{Name: name, Toolset: toolset, Tier: tier, Description: desc, Idempotent: tier != Write,
		inType: reflect.TypeFor[In]()}
	t.handle = func(ctx context.Context, c *Ctx, in any) (any, error) { return h(ctx, c.forHandler(), in.(*In)) }
	for _, o := range opts {
		o(&t)
	}
	if tier == Destructive && t.preview == nil {
		panic("tools: destructive tool " + name + " has no guard preview")
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

// Title is the tool's name as words: "list_sensor_profiles" -> "List sensor profiles".
func (t *Tool) Title() string {
	s := strings.ReplaceAll(t.Name, "_", " ")
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// Guarded reports whether the tool has a confirmation guard.
func (t *Tool) Guarded() bool { return t.preview != nil }

// build generates and compiles the input schema once.
func (t *Tool) build() error {
	m, err := schemas.For(t.inType)
	if err != nil {
		return fmt.Errorf("%s: %w", t.Name, err)
	}
	if t.Guarded() {
		props := m["properties"].(map[string]any)
		props[tokenArg] = map[string]any{"type": "string", "maxLength": 4096} // the server instructions say what it is
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	t.validator = &lazySchema{name: t.Name, raw: raw} // compiled on first use: start-up stays fast
	pub, err := json.Marshal(schemas.Publish(m))
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

// CompileSchema compiles the tool's validation schema now (tests use it to
// check every schema compiles).
func (t *Tool) CompileSchema() error {
	_, err := t.validator.get()
	return err
}

// ValidationSchema is the schema arguments are validated against: the
// published one (MCP().RawInputSchema) plus every limit.
func (t *Tool) ValidationSchema() json.RawMessage { return t.strict }

// MCP returns the tool's MCP definition, with all four annotation hints.
func (t *Tool) MCP() mcp.Tool {
	b := func(v bool) *bool { return &v }
	return mcp.Tool{
		Name:           t.Name, // no title: optional, and the name says it
		Description:    t.Description,
		RawInputSchema: t.rawSchema,
		Annotations: mcp.ToolAnnotation{
			ReadOnlyHint:    b(t.Tier == Read),
			DestructiveHint: b(t.Tier == Destructive),
			IdempotentHint:  b(t.Idempotent),
			OpenWorldHint:   b(true),
		},
	}
}

// InputError is bad input, named by the field.
type InputError = schemas.FieldError

// Invalid reports bad input for a field.
func Invalid(field, format string, a ...any) error {
	return &InputError{Field: field, Problem: fmt.Sprintf(format, a...)}
}

// decode validates the raw arguments against the schema and decodes them;
// it never lets a request reach Qualys with bad input.
func (t *Tool) decode(raw []byte) (in any, args map[string]any, token string, err error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		raw = []byte("{}")
	}
	doc, err := jsv.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, nil, "", &InputError{Problem: "arguments are not valid JSON"}
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, nil, "", &InputError{Problem: "arguments must be a JSON object"}
	}
	compiled, err := t.validator.get()
	if err != nil {
		return nil, nil, "", err
	}
	if err := compiled.Validate(obj); err != nil {
		return nil, nil, "", schemaError(err)
	}
	token, _ = obj[tokenArg].(string)
	v := reflect.New(t.inType) // the struct has no confirmation_token: it is ignored
	if err := json.Unmarshal(raw, v.Interface()); err != nil {
		return nil, nil, "", jsonError(err)
	}
	if val, ok := v.Interface().(interface{ Validate() error }); ok {
		if err := val.Validate(); err != nil {
			return nil, nil, "", err
		}
	}
	var plain map[string]any
	json.Unmarshal(raw, &plain)
	delete(plain, tokenArg)
	return v.Interface(), plain, token, nil
}

var printer = message.NewPrinter(language.English)

func schemaError(err error) error {
	var ve *jsv.ValidationError
	if !errors.As(err, &ve) {
		return &InputError{Problem: err.Error()}
	}
	leaf := ve
	for len(leaf.Causes) > 0 {
		leaf = leaf.Causes[0]
	}
	field := strings.Join(leaf.InstanceLocation, ".")
	switch k := leaf.ErrorKind.(type) {
	case *kind.Required:
		return &InputError{Field: join(field, k.Missing[0]), Problem: "is required"}
	case *kind.AdditionalProperties:
		return &InputError{Field: join(field, k.Properties[0]), Problem: "is not an argument of this tool"}
	case *kind.Enum:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = fmt.Sprint(w)
		}
		return &InputError{Field: field, Problem: fmt.Sprintf("%v is not one of %s", k.Got, strings.Join(want, ", "))}
	case *kind.Pattern:
		return &InputError{Field: field, Problem: fmt.Sprintf("%q does not match %s", k.Got, k.Want)}
	}
	return &InputError{Field: field, Problem: leaf.ErrorKind.LocalizedString(printer)}
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

// IDPattern is the pattern every ID argument must match.
func IDPattern() string { return schemas.IDPattern }
