package tools_test

import (
	"strings"
	"testing"
)

func TestSensorReads(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	all := e.OK("list_sensors", map[string]any{"pageSize": 100})
	if all["count"] != float64(9) || all["nextPage"] != nil {
		t.Fatalf("list: %v", all)
	}
	gen := e.OK("list_sensors", map[string]any{"filter": "sensorType:`GENERAL`", "sort": "hostname:asc"})
	items := Items(gen)
	if len(items) != 3 || items[0]["hostname"] != "ip-10-82-10-7" {
		t.Fatalf("filter: %v", items)
	}
	if _, has := items[0]["label"]; has {
		t.Fatal("labels are not in the default projection")
	}
	withLabels := Items(e.OK("list_sensors", map[string]any{"filter": "hostname:`test-virtual-machine`", "fields": []string{"label"}}))
	if len(withLabels) != 1 || withLabels[0]["label"] == nil {
		t.Fatalf("fields: %v", withLabels)
	}
	s := e.OK("get_sensor", map[string]any{"sensorId": genSens})
	if s["associatedSensorProfileName"] != "General-test2" || s["label"] == nil || s["lastCheckedIn"] == nil {
		t.Fatalf("get: %v", s)
	}
	if ts := s["lastCheckedIn"].(string); !strings.HasSuffix(ts, "Z") {
		t.Fatalf("timestamps are RFC 3339: %s", ts)
	}
	msg := e.Fail("get_sensor", map[string]any{"sensorId": "no-such-sensor"})
	if !strings.Contains(msg, `sensorId "no-such-sensor"`) {
		t.Fatalf("404 names the ID: %s", msg)
	}
}

func TestDeleteSensors(t *testing.T) {
	e := NewEnv(t, EnvOptions{Elicit: Accept})
	// running sensors: the preview warns, Qualys refuses, the tool explains
	msg := e.Fail("delete_sensors", map[string]any{"sensorIds": []string{genSens}})
	if !strings.Contains(msg, "UNKNOWN") {
		t.Fatalf("%s", msg)
	}
	if !strings.Contains(e.Elicited[0], "will refuse") {
		t.Fatalf("preview: %s", e.Elicited[0])
	}
	// by filter: both UNKNOWN sensors go
	res := e.OK("delete_sensors", map[string]any{"filter": "status:`Unknown`"})
	if res["deleted"] != true {
		t.Fatalf("%v", res)
	}
	if !strings.Contains(e.Elicited[1], "Delete 2 sensor(s)") || !strings.Contains(e.Elicited[1], "ci-runner-2") {
		t.Fatalf("preview: %s", e.Elicited[1])
	}
	if n := e.OK("list_sensors", nil)["count"]; n != float64(7) {
		t.Fatalf("count after delete: %v", n)
	}
	before := e.SB.Total()
	msg = e.Fail("delete_sensors", map[string]any{})
	if !strings.Contains(msg, "sensorIds") || e.SB.Total() != before {
		t.Fatalf("neither IDs nor filter: %s", msg)
	}
	if msg := e.Fail("delete_sensors", map[string]any{"filter": "hostname:`nothing-here`"}); !strings.Contains(msg, "matches no sensors") {
		t.Fatal(msg)
	}
}

func TestActivationKeysMaskedUnlessRevealed(t *testing.T) {
	const customer, activation = "1ab79f42-6cc3-757c-83d9-b0562c8a6dc8", "39b63fbb-3e3a-4905-829f-aaae794079fc"
	e := NewEnv(t, EnvOptions{Elicit: Decline})
	res := e.Call("get_activation_keys", nil)
	if txt := Text(res); strings.Contains(txt, customer) || strings.Contains(txt, activation) || !strings.Contains(txt, `"masked":true`) {
		t.Fatalf("masked: %s", txt)
	}
	if len(e.Elicited) != 0 {
		t.Fatal("masked keys need no confirmation")
	}
	if txt := Text(e.Call("get_activation_keys", map[string]any{"reveal": true})); strings.Contains(txt, activation) || !strings.Contains(txt, "cancelled") {
		t.Fatalf("declined reveal: %s", txt)
	}
	a := NewEnv(t, EnvOptions{Elicit: Accept})
	if got := a.OK("get_activation_keys", map[string]any{"reveal": true}); got["activationId"] != activation || got["customerId"] != customer {
		t.Fatalf("revealed: %v", got)
	}
}
