package tools_test

import (
	"testing"
)

func toolNames(t *testing.T, e *Env) map[string]bool {
	t.Helper()
	res, err := e.S.ListTools(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, tl := range res.Tools {
		out[tl.Name] = true
	}
	return out
}

func TestToolFilters(t *testing.T) {
	e := NewEnv(t, EnvOptions{Flags: []string{"--toolsets", "sensors"}})
	names := toolNames(t, e)
	if !names["list_sensors"] || names["list_sensor_profiles"] {
		t.Fatalf("--toolsets sensors: %v", names)
	}
	if !e.Refused("list_sensor_profiles", nil) {
		t.Fatal("a hidden tool was callable")
	}
	one := NewEnv(t, EnvOptions{Flags: []string{"--tools", "get_sensor,list_sensors"}})
	if n := toolNames(t, one); len(n) != 2 || !n["get_sensor"] {
		t.Fatalf("--tools: %v", n)
	}
	if !one.Refused("delete_sensors", map[string]any{"filter": "status:`Unknown`"}) {
		t.Fatal("a hidden destructive tool was callable")
	}
}
