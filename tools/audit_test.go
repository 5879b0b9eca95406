package tools_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

func TestAuditLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	e := NewEnv(t, EnvOptions{Flags: []string{"--audit-log", path}})
	e.OK("list_sensors", nil) // reads are not audited
	e.OK("attach_sensor_profile", map[string]any{"sensorId": freeGen, "profileId": general})
	args := map[string]any{"sensorProfileId": north}
	tok := tokenFlow(t, e, "delete_sensor_profile", args)
	e.Fail("delete_sensor_profile", with(args, "confirmation_token", tok+"x"))
	e.OK("delete_sensor_profile", with(args, "confirmation_token", tok))

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var events []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("not a JSON line: %s", sc.Text())
		}
		if line["time"] == nil || line["tool"] == nil {
			t.Fatalf("line lacks time or tool: %s", sc.Text())
		}
		if strings.Contains(sc.Text(), tok) {
			t.Fatal("the confirmation token is in the audit log")
		}
		events = append(events, line["tool"].(string)+":"+line["event"].(string)+":"+line["outcome"].(string))
	}
	want := []string{"attach_sensor_profile:call:ok", "delete_sensor_profile:guard:token issued", "delete_sensor_profile:guard:token refused",
		"delete_sensor_profile:call:error", "delete_sensor_profile:guard:confirmed", "delete_sensor_profile:call:ok"}
	if strings.Join(events, ",") != strings.Join(want, ",") {
		t.Fatalf("audit events:\n%v\nwant\n%v", events, want)
	}
}

// A read-only server refuses a destructive call even with a valid token
// from another replica: the tool does not exist there.
func TestReadOnlyRefusesDestructiveWithToken(t *testing.T) {
	sb := NewSandbox(t, sandbox.Options{Username: "tester", Password: "canary-pass-7f3a"})
	key := []string{"QUALYS_MCP_STATE_KEY=k"}
	a := NewEnv(t, EnvOptions{Sandbox: sb, EnvVars: key})
	tok := tokenFlow(t, a, "delete_sensor_profile", map[string]any{"sensorProfileId": north})
	ro := NewEnv(t, EnvOptions{Sandbox: sb, EnvVars: key, Flags: []string{"--read-only"}})
	res, err := ro.S.ListTools(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tl := range res.Tools {
		if tl.Annotations == nil || !tl.Annotations.ReadOnlyHint {
			t.Errorf("--read-only lists %s", tl.Name)
		}
	}
	if !ro.Refused("delete_sensor_profile", map[string]any{"sensorProfileId": north, "confirmation_token": tok}) {
		t.Fatal("read-only server ran a destructive tool")
	}
	if !profileExists(ro, north) {
		t.Fatal("deleted")
	}
}
