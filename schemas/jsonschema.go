package schemas

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"

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

func isIDName(name string) bool {
	for _, suf := range []string{"Id", "ID", "Uuid", "Sha"} {
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
// needs to build a valid call. Limits (lengths, counts, ranges) and the
// nested additionalProperties stay in the validation schema, which is as
// strict as ever; the server instructions give the shared ones.
var published = map[string]bool{"type": true, "enum": true, "pattern": true, "required": true, "items": true, "properties": true, "description": true, "default": true}

// Publish returns the schema tools/list shows for a validation schema s
// (as For returns it): every property, type, enum, pattern and required
// list, the descriptions, and additionalProperties false at the top; s is
// not changed.
func Publish(s map[string]any) map[string]any {
	out := lean(s)
	out["additionalProperties"] = false
	return out
}

func lean(s map[string]any) map[string]any {
	out := make(map[string]any, len(s))
	for k, v := range s {
		if !published[k] {
			continue
		}
		switch k {
		case "properties":
			props := make(map[string]any, len(v.(map[string]any)))
			for name, p := range v.(map[string]any) {
				if _, notArg := p.(map[string]any)[XSetBy]; !notArg {
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
