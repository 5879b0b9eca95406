package tools_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

// TestFaultMatrix: for a read, a create (POST), an update (PUT) and a
// delete, under each fault, what the assistant sees and how many requests
// reached the sandbox. A POST is applied exactly once or not at all, and
// the assistant is told which; no cell loses an update or doubles a create.
func TestFaultMatrix(t *testing.T) {
	type op struct {
		name, method, prefix string
		write                bool
		call                 func(e *Env) (ok bool, msg string)
		applied              func(e *Env) bool // the change is in the sandbox's state
	}
	ops := []op{
		{"read", "GET", "/sensors", false,
			func(e *Env) (bool, string) { r := e.Call("list_sensors", nil); return !r.IsError, Text(r) },
			func(e *Env) bool { return true }},
		{"create", "POST", "/sensorProfile", true,
			func(e *Env) (bool, string) {
				r := e.Call("create_sensor_profile", map[string]any{"profileName": "fault-cell", "profileType": "General", "associatedSensorIds": []string{freeGen}})
				return !r.IsError, Text(r)
			},
			func(e *Env) bool {
				return len(Items(e.OK("list_sensor_profiles", map[string]any{"filter": "profileName:`fault-cell`"}))) == 1
			}},
		{"update", "PUT", "/sensorProfile/", true,
			func(e *Env) (bool, string) {
				r := e.Call("update_sensor_profile", map[string]any{"sensorProfileId": general, "description": "after the fault"})
				return !r.IsError, Text(r)
			},
			func(e *Env) bool {
				return e.OK("get_sensor_profile", map[string]any{"sensorProfileId": general})["description"] == "after the fault"
			}},
		{"delete", "DELETE", "/sensorProfile/", true,
			func(e *Env) (bool, string) {
				r := e.Call("delete_sensor_profile", map[string]any{"sensorProfileId": north})
				return !r.IsError, Text(r)
			},
			func(e *Env) bool { return !profileExists(e, north) }},
	}
	faults := []struct {
		name string
		make func(write bool) []sandbox.Fault
	}{
		{"401 expired", func(bool) []sandbox.Fault { return []sandbox.Fault{{Status: 401}} }},
		{"429 Retry-After", func(bool) []sandbox.Fault {
			return []sandbox.Fault{{Status: 429, Header: map[string]string{"Retry-After": "1", "X-RateLimit-Remaining": "0"}}}
		}},
		{"503 burst", func(bool) []sandbox.Fault { return []sandbox.Fault{{Status: 503}, {Status: 503}, {Status: 503}} }},
		{"slower than timeout", func(bool) []sandbox.Fault { return []sandbox.Fault{{Delay: 1500 * time.Millisecond}} }},
		{"malformed JSON", func(w bool) []sandbox.Fault { return []sandbox.Fault{{Malformed: true, After: w}} }},
		{"connection reset", func(w bool) []sandbox.Fault { return []sandbox.Fault{{Reset: true, After: w}} }},
	}
	var table strings.Builder
	fmt.Fprintf(&table, "\n%-8s %-20s %-8s %-4s %-7s %s\n", "op", "fault", "outcome", "sent", "applied", "what the assistant sees")
	for _, o := range ops {
		for _, f := range faults {
			e := NewEnv(t, EnvOptions{Flags: []string{"--no-confirm", "--timeout", "1s"}})
			e.Inject(o.method, o.prefix, f.make(o.write)...)
			ok, msg := o.call(e)
			if f.name == "slower than timeout" {
				time.Sleep(600 * time.Millisecond) // let a slow answer land before reading the state
			}
			sent := e.SB.Count(o.method, o.prefix)
			applied := o.applied(e)
			outcome := map[bool]string{true: "ok", false: "error"}[ok]
			short := msg
			if len(short) > 110 {
				short = short[:110] + "…"
			}
			fmt.Fprintf(&table, "%-8s %-20s %-8s %-4d %-7v %s\n", o.name, f.name, outcome, sent, applied, short)
			cell := o.name + "/" + f.name
			switch {
			case ok && !applied:
				t.Errorf("%s: success reported but the change is not applied", cell)
			case !ok && applied && !strings.Contains(msg, "may or may not have been applied") && !strings.Contains(msg, "Qualys accepted the change"):
				t.Errorf("%s: applied, but the error does not say it may have been: %s", cell, msg)
			case !ok && !applied && !strings.Contains(msg, "nothing was changed") && !strings.Contains(msg, "may or may not") && o.write:
				t.Errorf("%s: the error does not say whether the change was applied: %s", cell, msg)
			}
			if o.method == "POST" {
				accepted := sent
				if f.name == "401 expired" || f.name == "429 Retry-After" {
					accepted-- // refused before any processing, then sent once more
				}
				if accepted != 1 {
					t.Errorf("%s: POST reached the API %d times", cell, sent)
				}
			}
			if !o.write && !ok {
				t.Errorf("%s: a read should survive this fault: %s", cell, msg)
			}
		}
	}
	t.Log(table.String())
}
