package tools_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// null in an optional field means absent: no result of the catalogue
// carries one, whatever the tool (the canary table calls every tool, with
// fields "*" on the lists that take it).
func TestResultsCarryNoNulls(t *testing.T) {
	e := NewEnv(t, EnvOptions{Elicit: Accept})
	f := newCanaryFixture(t, e)
	for i, c := range canaryCalls() {
		args := c.args(f)
		res := e.Call(c.tool, args)
		var m map[string]any
		if err := json.Unmarshal([]byte(Text(res)), &m); err != nil {
			if !res.IsError {
				t.Fatalf("call %d (%s): not JSON: %s", i, c.tool, Text(res))
			}
			continue
		}
		if k, path, ok := strings.Cut(c.keep, "="); ok {
			f.ids[k] = pickPath(m, path)
		}
		if nulls := nullPaths(m, c.tool); len(nulls) > 0 {
			t.Errorf("call %d (%s %v): null at %v", i, c.tool, args, nulls)
		}
	}
	// An argument not given is not answered as null.
	byFilter := e.OK("delete_sensors", map[string]any{"filter": "status:`UNKNOWN`"})
	if _, ok := byFilter["sensorIds"]; ok || byFilter["filter"] != "status:`UNKNOWN`" || byFilter["deleted"] != true {
		t.Errorf("delete_sensors by filter answered %v", byFilter)
	}
}

// A field asked for by name is answered even when Qualys has no value for
// it (null); asked for with "*" or not at all, a null is left out.
func TestNamedFieldKeepsNull(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	items := func(fields ...string) []any {
		m := e.OK("list_images", map[string]any{"pageSize": 20, "fields": fields})
		return m["items"].([]any)
	}
	nulls := 0
	for _, it := range items("instrumentationState") {
		v, ok := it.(map[string]any)["instrumentationState"]
		if !ok {
			t.Fatalf("asked for instrumentationState, an item has none: %v", it)
		}
		if v == nil {
			nulls++
		}
	}
	if nulls == 0 {
		t.Fatal("the sandbox has no image without an instrumentationState; the test checks nothing")
	}
	for _, it := range items("*") {
		if n := nullPaths(it, "item"); len(n) > 0 {
			t.Errorf(`fields "*": null at %v`, n)
		}
	}
}
