package tools_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/schemas"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/toolsets"
)

// valid builds the smallest valid value for a schema: required properties
// only, the first enum value, a value matching the ID pattern.
func valid(s map[string]any) any {
	if enum, ok := s["enum"].([]any); ok {
		return enum[0]
	}
	switch s["type"] {
	case "object":
		out := map[string]any{}
		props, _ := s["properties"].(map[string]any)
		req, _ := s["required"].([]any)
		for _, r := range req {
			out[r.(string)] = valid(props[r.(string)].(map[string]any))
		}
		return out
	case "array":
		it, _ := s["items"].(map[string]any)
		return []any{valid(it)}
	case "integer", "number":
		if m, ok := s["minimum"].(float64); ok {
			return m
		}
		return 1
	case "boolean":
		return true
	default:
		if p, _ := s["pattern"].(string); strings.Contains(p, ":[0-5]") {
			return "10:30"
		}
		return "abc123"
	}
}

// wrongType is a value of another JSON type.
func wrongType(s map[string]any) any {
	switch s["type"] {
	case "string":
		return 12
	case "array", "object":
		return "text"
	default:
		return "text"
	}
}

func sortedKeys(m map[string]any) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	sort.Strings(k)
	return k
}

// TestBadInputNamesTheFieldAndSendsNothing runs, for every tool, a missing
// required field, a wrong type, a bad enum value, an unknown field, an
// over-long string, and a path traversal or QQL injection in an ID.
func TestBadInputNamesTheFieldAndSendsNothing(t *testing.T) {
	all, err := toolsets.All()
	if err != nil {
		t.Fatal(err)
	}
	e := NewEnv(t, EnvOptions{})
	for _, tl := range all {
		var schema map[string]any
		json.Unmarshal(validationSchema(t, tl), &schema) // with the limits tools/list leaves out
		props := schema["properties"].(map[string]any)
		base := valid(schema).(map[string]any)
		type bad struct {
			what, field string
			args        map[string]any
		}
		var cases []bad
		copyWith := func(k string, v any) map[string]any {
			out := map[string]any{}
			for a, b := range base {
				out[a] = b
			}
			if v == nil {
				delete(out, k)
			} else {
				out[k] = v
			}
			return out
		}
		req, _ := schema["required"].([]any)
		for _, r := range req {
			cases = append(cases, bad{"missing", r.(string), copyWith(r.(string), nil)})
		}
		for _, name := range sortedKeys(props) {
			p := props[name].(map[string]any)
			cases = append(cases, bad{"wrong type", name, copyWith(name, wrongType(p))})
			if _, ok := p["enum"]; ok {
				cases = append(cases, bad{"bad enum", name, copyWith(name, "NOT_A_VALUE")})
			}
			if ml, ok := p["maxLength"].(float64); ok {
				cases = append(cases, bad{"too long", name, copyWith(name, strings.Repeat("x", int(ml)+1))})
			}
			if p["pattern"] == schemas.IDPattern {
				cases = append(cases, bad{"traversal", name, copyWith(name, "../../auth")})
				cases = append(cases, bad{"qql injection", name, copyWith(name, "x` or name:`*")})
			}
		}
		cases = append(cases, bad{"unknown", "notAField", copyWith("notAField", 1)})
		for _, c := range cases {
			before := e.SB.Total() + e.SB.AuthCalls()
			res := e.Call(tl.Name, c.args)
			msg := Text(res)
			if !res.IsError || !strings.Contains(msg, fmt.Sprintf("%q", c.field)) {
				t.Errorf("%s %s %s: want a tool error naming the field, got %v: %s", tl.Name, c.what, c.field, res.IsError, msg)
			}
			if after := e.SB.Total() + e.SB.AuthCalls(); after != before {
				t.Errorf("%s %s %s: %d request(s) reached the sandbox", tl.Name, c.what, c.field, after-before)
			}
		}
	}
}
