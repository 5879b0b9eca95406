package schemas

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/invopop/jsonschema"
)

var reflector = jsonschema.Reflector{
	DoNotReference:             true, // inline everything: no $ref a client cannot follow
	ExpandedStruct:             true,
	RequiredFromJSONSchemaTags: true,
	Anonymous:                  true,
}

// For returns the input JSON Schema of T that input is validated against:
// an inlined object schema with additionalProperties false on every
// object, all limits, and no $schema or $id. Publish derives the leaner
// schema tools/list shows.
func For(t reflect.Type) (map[string]any, error) {
	s := reflector.ReflectFromType(t)
	raw, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	delete(m, "$schema")
	delete(m, "$id")
	if m["type"] != "object" {
		return nil, fmt.Errorf("%s: input type must be a struct", t)
	}
	props, ok := m["properties"].(map[string]any)
	if !ok {
		props = map[string]any{}
		m["properties"] = props
	}
	decorate(props)
	return m, nil
}

// IDPattern is what every identifier must match before it goes into a URL
// path: no slashes, no "..", no spaces, no QQL. (The same as
// ^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$, shorter in every tools/list.)
const IDPattern = `^[^\W_][\w.:-]{0,127}$`

// TimePattern is a time of day, HH:MM (the server instructions say so).
const TimePattern = `^([01]\d|2[0-3]):[0-5]\d$`

// EpochPattern is a time as epoch milliseconds, a string of digits (the
// descriptions say "Epoch ms").
const EpochPattern = `^\d{1,15}$`

// unpublished are the patterns tools/list leaves to the server
// instructions or the descriptions (what an ID is, HH:MM, epoch ms);
// calls are still checked against them.
var unpublished = map[any]bool{IDPattern: true, TimePattern: true, EpochPattern: true}

func isIDName(name string) bool {
	for _, suf := range []string{"Id", "ID", "Uuid", "UUID", "Sha"} {
		if len(name) > len(suf) && name[len(name)-len(suf):] == suf {
			return true
		}
	}
	return false
}

func decorate(props map[string]any) {
	for name, v := range props {
		p, ok := v.(map[string]any)
		if !ok {
			continue
		}
		switch p["type"] {
		case "string":
			if _, has := p["pattern"]; !has && isIDName(name) {
				p["pattern"] = IDPattern
			}
		case "array":
			if it, ok := p["items"].(map[string]any); ok && it["type"] == "string" && len(name) > 1 && isIDName(name[:len(name)-1]) {
				if _, has := it["pattern"]; !has {
					it["pattern"] = IDPattern
				}
			}
			if it, ok := p["items"].(map[string]any); ok {
				if sub, ok := it["properties"].(map[string]any); ok {
					decorate(sub)
				}
			}
		case "object":
			if sub, ok := p["properties"].(map[string]any); ok {
				decorate(sub)
			}
		}
	}
}

// published are the keywords a published schema keeps: what an assistant
// needs to build a valid call. The rest stays in the validation schema,
// which checks every call as strictly as ever: the limits (lengths,
// counts, ranges, which the server instructions give where they are
// shared), additionalProperties false (an unknown argument is refused
// naming it) and the ID and time-of-day patterns (the instructions say
// what an ID is, and that times are HH:MM).
var published = map[string]bool{"type": true, "enum": true, "pattern": true, "required": true, "items": true, "properties": true, "description": true, "default": true}

// SchemaBudget is the most bytes of compact JSON a published input schema
// is outlined down to (so that a tool's whole definition stays under the
// catalogue's 1,200 bytes, and the 91 tools under 460 on average, which
// the tools' tests check); a schema whose top level alone is larger stays
// over it.
const SchemaBudget = 800

// Publish returns the schema tools/list shows for a validation schema s
// (as For returns it): every property, type, enum and required list, the
// descriptions, and the patterns other than IDPattern and TimePattern; s
// is not changed. A schema over SchemaBudget publishes its largest nested
// objects (or arrays of objects) as outlines, one at a time, until it
// fits: the type and one line that names every field, as Outline writes
// it.
func Publish(s map[string]any) map[string]any {
	out := lean(s)
	for size(out) > SchemaBudget {
		parent, name := largestNested(out)
		if parent == nil {
			break
		}
		p := parent[name].(map[string]any)
		line := Outline(p)
		if d, ok := p["description"].(string); ok {
			line = d + ": " + line
		}
		parent[name] = map[string]any{"type": p["type"], "description": line}
	}
	return out
}

// hidden says whether a property is not published: one the server or
// Qualys sets (XSetBy), or an older name of another (XAliasOf).
func hidden(p map[string]any) bool {
	_, setBy := p[XSetBy]
	_, alias := p[XAliasOf]
	return setBy || alias
}

func lean(s map[string]any) map[string]any {
	out := make(map[string]any, len(s))
	for k, v := range s {
		if !published[k] || k == "pattern" && unpublished[v] {
			continue
		}
		switch k {
		case "properties":
			props := make(map[string]any, len(v.(map[string]any)))
			for name, p := range v.(map[string]any) {
				if !hidden(p.(map[string]any)) {
					props[name] = lean(p.(map[string]any))
				}
			}
			v = props
		case "items":
			v = lean(v.(map[string]any))
		}
		out[k] = v
	}
	return out
}

// Nullable lets every optional property of a published schema s be null,
// at every depth: null means "not given", as the API's documents write
// it, and a client that validates before sending must not refuse it. The
// encoding is the cheapest JSON Schema has: the type becomes [type,
// "null"] (and an enum gains null). Required properties stay non-null.
func Nullable(s map[string]any) {
	props, _ := s["properties"].(map[string]any)
	req, _ := s["required"].([]any)
	for name, v := range props {
		p := v.(map[string]any)
		Nullable(p)
		if slices.Contains(req, any(name)) {
			continue
		}
		if t, ok := p["type"].(string); ok {
			p["type"] = []any{t, "null"}
		}
		if enum, ok := p["enum"].([]any); ok {
			p["enum"] = append(slices.Clone(enum), nil) // the slice may be the validation schema's
		}
	}
	if it, ok := s["items"].(map[string]any); ok {
		Nullable(it)
	}
}

func size(v any) int {
	b, _ := json.Marshal(v)
	return len(b)
}

// largestNested finds the largest property, at any depth below the top,
// that is an object with properties or an array of them: its parent's
// properties and its name (nil when there is none). Ties go to the first
// name in order, so the result is the same on every run.
func largestNested(s map[string]any) (parent map[string]any, name string) {
	best := -1
	var walk func(s map[string]any)
	walk = func(s map[string]any) {
		props, _ := s["properties"].(map[string]any)
		for _, n := range sortedNames(props) {
			p := props[n].(map[string]any)
			if it, ok := p["items"].(map[string]any); ok {
				walk(it)
				if it["properties"] == nil {
					continue
				}
			} else if p["properties"] == nil {
				continue
			} else {
				walk(p)
			}
			if sz := size(p); sz > best {
				best, parent, name = sz, props, n
			}
		}
	}
	walk(s)
	return parent, name
}

func sortedNames(m map[string]any) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Outline writes an object's or an array's schema as one line, e.g.
// {arn (required), accountId, accountType: Global|US_Gov, days: integer
// (Created in the last N days), repoTags: [{repo (required), tag}]
// (required)}: the required fields first, then the others by name; a
// field's type when it is not a string, its enum, its description.
func Outline(s map[string]any) string {
	if it, ok := s["items"].(map[string]any); ok {
		return "[" + Outline(it) + "]"
	}
	if enum, ok := s["enum"].([]any); ok {
		parts := make([]string, len(enum))
		for i, e := range enum {
			parts[i] = fmt.Sprint(e)
		}
		return strings.Join(parts, "|")
	}
	props, ok := s["properties"].(map[string]any)
	if !ok {
		return typeName(s["type"])
	}
	req := map[string]bool{}
	var order []string
	for _, r := range asStrings(s["required"]) {
		req[r] = true
		order = append(order, r)
	}
	for _, n := range sortedNames(props) {
		if !req[n] {
			order = append(order, n)
		}
	}
	fields := make([]string, 0, len(order))
	for _, n := range order {
		p := props[n].(map[string]any)
		f := n
		if t := Outline(p); t != "string" {
			f += ": " + t
		}
		var notes []string
		if req[n] {
			notes = append(notes, "required")
		}
		if d, ok := p["description"].(string); ok {
			notes = append(notes, d)
		}
		if len(notes) > 0 {
			f += " (" + strings.Join(notes, "; ") + ")"
		}
		fields = append(fields, f)
	}
	return "{" + strings.Join(fields, ", ") + "}"
}

// typeName is a schema's type; of a list of types (a nullable field),
// those other than null.
func typeName(t any) string {
	if t == nil {
		return "any"
	}
	if list, ok := t.([]any); ok {
		var names []string
		for _, n := range list {
			if n != "null" {
				names = append(names, fmt.Sprint(n))
			}
		}
		return strings.Join(names, "|")
	}
	return fmt.Sprint(t)
}

func asStrings(v any) []string {
	var out []string
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
	case []string:
		out = x
	}
	return out
}
