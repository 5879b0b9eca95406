package schemas

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/invopop/jsonschema"
)

var reflector = jsonschema.Reflector{
	DoNotReference:             true, // inline everything: no $ref a client cannot follow
	ExpandedStruct:             true,
	RequiredFromJSONSchemaTags: true,
	Anonymous:                  true,
}

// For returns the input JSON Schema of T: an inlined object schema with
// additionalProperties false on every object, and no $schema or $id.
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
// path: no slashes, no "..", no spaces, no QQL.
const IDPattern = `^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`

// common fills in what every tool's parameters of the same name share, so
// that struct tags stay short: patterns for IDs, descriptions for paging.
var common = map[string]string{
	"filter":     "Qualys QQL, e.g. status:`Running` and created:[now-7d .. now]",
	"sort":       "e.g. created:desc",
	"pageNumber": "From 1",
}

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
		if _, has := p["description"]; !has && common[name] != "" {
			p["description"] = common[name]
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
