package tools_test

import (
	"strings"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

func profileExists(e *Env, id string) bool {
	return !e.Call("get_sensor_profile", map[string]any{"sensorProfileId": id}).IsError
}

func TestGuardElicitation(t *testing.T) {
	for _, proto := range []string{"2025-11-25", ""} { // the old server-initiated request, and the newest protocol's multi round trip
		for _, http := range []bool{false, true} {
			name := map[bool]string{false: "stdio", true: "http"}[http] + "/" + proto
			t.Run(name, func(t *testing.T) {
				for _, answer := range []Elicit{Decline, Cancel, AcceptUnchecked} {
					e := NewEnv(t, EnvOptions{Elicit: answer, Protocol: proto, HTTP: http})
					res := e.OK("delete_sensor_profile", map[string]any{"sensorProfileId": north})
					if res["cancelled"] != true || !profileExists(e, north) || e.SB.Count("DELETE", "") != 0 {
						t.Fatalf("answer %d: %v", answer, res)
					}
					if len(e.Elicited) != 1 || !strings.Contains(e.Elicited[0], `"North"`) {
						t.Fatalf("preview: %v", e.Elicited)
					}
				}
				e := NewEnv(t, EnvOptions{Elicit: Accept, Protocol: proto, HTTP: http})
				e.OK("delete_sensor_profile", map[string]any{"sensorProfileId": north})
				if profileExists(e, north) || e.SB.Count("DELETE", "/sensorProfile/") != 1 {
					t.Fatal("accepted delete did not happen exactly once")
				}
			})
		}
	}
}

// tokenFlow asks for a preview and returns its token.
func tokenFlow(t *testing.T, e *Env, tool string, args map[string]any) string {
	t.Helper()
	res := e.OK(tool, args)
	tok, _ := res["confirmation_token"].(string)
	if res["confirmationRequired"] != true || tok == "" || !strings.Contains(res["instructions"].(string), "ask them") {
		t.Fatalf("no token preview: %v", res)
	}
	return tok
}

func with(args map[string]any, k string, v any) map[string]any {
	out := map[string]any{k: v}
	for a, b := range args {
		out[a] = b
	}
	return out
}

// tokenFlags opt in to the token fallback, where the model confirms.
var tokenFlags = []string{"--confirm-fallback", "token"}

func TestGuardTokenFallback(t *testing.T) {
	e := NewEnv(t, EnvOptions{Flags: tokenFlags})
	if !strings.Contains(e.Stderr.String(), "the model confirms destructive tools by itself") {
		t.Fatalf("no start-up warning for the token opt-in: %s", e.Stderr.String())
	}
	args := map[string]any{"sensorProfileId": north}
	tok := tokenFlow(t, e, "delete_sensor_profile", args)
	if !profileExists(e, north) || e.SB.Count("DELETE", "") != 0 {
		t.Fatal("the preview changed something")
	}
	// tampered
	bad := tok[:len(tok)-3] + map[bool]string{true: "AAA", false: "BBB"}[!strings.HasSuffix(tok, "AAA")]
	if msg := e.Fail("delete_sensor_profile", with(args, "confirmation_token", bad)); !strings.Contains(msg, "not valid") {
		t.Fatal(msg)
	}
	// other arguments
	other := map[string]any{"sensorProfileId": general}
	if msg := e.Fail("delete_sensor_profile", with(other, "confirmation_token", tok)); !strings.Contains(msg, "arguments differ") {
		t.Fatal(msg)
	}
	// other tool
	if msg := e.Fail("detach_sensor_profile", map[string]any{"sensorId": genSens, "confirmation_token": tok}); !strings.Contains(msg, "not valid") {
		t.Fatal(msg)
	}
	if !profileExists(e, north) || !profileExists(e, general) {
		t.Fatal("a refused token changed something")
	}
	// the right one executes, once
	res := e.OK("delete_sensor_profile", with(args, "confirmation_token", tok))
	if res["deleted"] != true || profileExists(e, north) {
		t.Fatalf("%v", res)
	}
	// the replay is refused by the guard itself, before anything is sent
	sent := e.SB.Total()
	if msg := e.Fail("delete_sensor_profile", with(args, "confirmation_token", tok)); !strings.Contains(msg, "the confirmation is not valid: it was already used") {
		t.Fatal(msg)
	}
	if e.SB.Total() != sent {
		t.Fatalf("the replay sent %d requests", e.SB.Total()-sent)
	}
	if e.SB.Count("DELETE", "") != 1 {
		t.Fatalf("deletes sent: %d", e.SB.Count("DELETE", ""))
	}
}

func TestGuardRefusesChangedTarget(t *testing.T) {
	e := NewEnv(t, EnvOptions{Flags: tokenFlags})
	args := map[string]any{"sensorProfileId": north}
	tok := tokenFlow(t, e, "delete_sensor_profile", args)
	// between the preview and the confirmation, someone adds a sensor
	e.OK("update_sensor_profile", map[string]any{"sensorProfileId": north, "associatedSensorIds": []string{regSens, freeReg1}})
	if msg := e.Fail("delete_sensor_profile", with(args, "confirmation_token", tok)); !strings.Contains(msg, "changed since") {
		t.Fatal(msg)
	}
	if !profileExists(e, north) {
		t.Fatal("deleted a changed target")
	}
}

func TestGuardDenyAndOff(t *testing.T) {
	e := NewEnv(t, EnvOptions{Flags: []string{"--confirm-fallback=deny"}})
	if msg := e.Fail("delete_sensor_profile", map[string]any{"sensorProfileId": north}); !strings.Contains(msg, "cannot ask the user") || !strings.Contains(msg, "North") {
		t.Fatal(msg)
	}
	if !profileExists(e, north) {
		t.Fatal("deny changed something")
	}
	off := NewEnv(t, EnvOptions{Flags: []string{"--no-confirm"}, Elicit: Decline})
	off.OK("delete_sensor_profile", map[string]any{"sensorProfileId": north})
	if profileExists(off, north) || len(off.Elicited) != 0 {
		t.Fatal("--no-confirm should execute without asking")
	}
	if !strings.Contains(off.Stderr.String(), "guard is OFF") {
		t.Fatalf("start-up does not say the guard is off: %s", off.Stderr.String())
	}
}

func TestGuardSharedKeyAcrossReplicas(t *testing.T) {
	sb := NewSandbox(t, sandbox.Options{Username: "tester", Password: "canary-pass-7f3a"})
	key := []string{"QUALYS_MCP_STATE_KEY=replica-key-1"}
	a := NewEnv(t, EnvOptions{Sandbox: sb, EnvVars: key, Flags: tokenFlags})
	tok := tokenFlow(t, a, "delete_sensor_profile", map[string]any{"sensorProfileId": north})
	other := NewEnv(t, EnvOptions{EnvVars: []string{"QUALYS_MCP_STATE_KEY=another-key"}, Flags: tokenFlags})
	if msg := other.Fail("delete_sensor_profile", map[string]any{"sensorProfileId": north, "confirmation_token": tok}); !strings.Contains(msg, "another key") {
		t.Fatal(msg)
	}
	b := NewEnv(t, EnvOptions{Sandbox: sb, EnvVars: key, Flags: tokenFlags}) // a second process on the same gateway
	b.OK("delete_sensor_profile", map[string]any{"sensorProfileId": north, "confirmation_token": tok})
	if profileExists(b, north) {
		t.Fatal("a replica sharing the key did not honour the token")
	}
}

// The confirmation says whether a call can be undone: a detach can (by
// attach_sensor_profile, named), a delete cannot.
func TestConfirmationSaysWhatCanBeUndone(t *testing.T) {
	e := NewEnv(t, EnvOptions{Elicit: Decline})
	e.OK("detach_sensor_profile", map[string]any{"sensorId": genSens})
	e.OK("delete_sensor_profile", map[string]any{"sensorProfileId": north})
	if len(e.Elicited) != 2 {
		t.Fatalf("%d confirmations asked", len(e.Elicited))
	}
	if m := e.Elicited[0]; !strings.Contains(m, "It can be undone: attach_sensor_profile") || strings.Contains(m, "cannot be undone") {
		t.Errorf("detach: %s", m)
	}
	if m := e.Elicited[1]; !strings.Contains(m, "This cannot be undone") {
		t.Errorf("delete: %s", m)
	}
}
