package tools_test

import "testing"

func TestSmokeStdio(t *testing.T) {
	for _, proto := range []string{"2025-11-25", ""} {
		e := NewEnv(t, EnvOptions{Protocol: proto})
		m := e.OK("list_sensors", map[string]any{"pageSize": 2})
		if len(Items(m)) != 2 || m["nextPage"] != float64(2) {
			t.Fatalf("%s: got %v", proto, m)
		}
		if msg := e.Fail("list_sensors", map[string]any{"pageSize": "x"}); msg == "" {
			t.Fatal("no message")
		}
	}
}

func TestSmokeHTTP(t *testing.T) {
	e := NewEnv(t, EnvOptions{HTTP: true, Protocol: "2025-11-25", Elicit: Accept})
	e.OK("get_sensor_profile", map[string]any{"sensorProfileId": "8aee8879-d536-4efd-b23d-41dcb77a4a32"})
	m := e.OK("delete_sensor_profile", map[string]any{"sensorProfileId": "8aee8879-d536-4efd-b23d-41dcb77a4a32"})
	t.Log(m, e.Elicited)
}
