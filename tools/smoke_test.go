package tools_test

import (
	"strings"
	"testing"
)

func TestSmokeStdio(t *testing.T) {
	for _, proto := range []string{"2025-11-25", ""} {
		e := NewEnv(t, EnvOptions{Protocol: proto})
		m := e.OK("list_sensors", map[string]any{"pageSize": 2})
		items := Items(m)
		if len(items) != 2 || m["nextPage"] != float64(2) || items[0]["uuid"] == nil || items[0]["uuid"] == items[1]["uuid"] {
			t.Fatalf("%s: got %v", proto, m)
		}
		if msg := e.Fail("list_sensors", map[string]any{"pageSize": "x"}); !strings.Contains(msg, "pageSize") {
			t.Fatalf("%s: the refusal does not name the argument: %q", proto, msg)
		}
		if e.SB.Total() != 1 {
			t.Fatalf("%s: %d requests reached the gateway; the refused call must send none", proto, e.SB.Total())
		}
	}
}

func TestSmokeHTTP(t *testing.T) {
	const id = "8aee8879-d536-4efd-b23d-41dcb77a4a32"
	e := NewEnv(t, EnvOptions{HTTP: true, Protocol: "2025-11-25", Elicit: Accept})
	p := e.OK("get_sensor_profile", map[string]any{"sensorProfileId": id})
	name, _ := p["profileName"].(string)
	if p["profileId"] != id || name == "" {
		t.Fatalf("get: %v", p)
	}
	m := e.OK("delete_sensor_profile", map[string]any{"sensorProfileId": id})
	if m["deleted"] != true || m["sensorProfileId"] != id {
		t.Fatalf("delete: %v", m)
	}
	if len(e.Elicited) != 1 || !strings.Contains(e.Elicited[0], name) {
		t.Fatalf("confirmations asked: %q", e.Elicited)
	}
	if n := e.SB.Count("DELETE", "/sensorProfile/"+id); n != 1 {
		t.Fatalf("%d DELETE requests", n)
	}
	if msg := e.Fail("get_sensor_profile", map[string]any{"sensorProfileId": id}); !strings.Contains(msg, "not found") {
		t.Fatalf("after the delete: %s", msg)
	}
}
