package tools_test

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/internal/realparts"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

// Approvals live sealed in the shared store, bound to their key names: on
// a real redis-server, one written by hand (as the status "confirmed") or
// copied from another approval's key confirms nothing; the call is
// refused, audited, and nothing is deleted.
func TestApprovalRecordsSealed(t *testing.T) {
	rdb := realparts.StartRedis(t)
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	enrol(t, "alice", []string{"QUALYS_MCP_STATE_KEY=sealed-test-key"}, "--state", rdb.URL()) // so that a page is offered
	e := NewEnv(t, EnvOptions{Flags: []string{"--state", rdb.URL(), "--audit-log", audit},
		EnvVars: []string{"QUALYS_MCP_STATE_KEY=sealed-test-key"}})
	r := redis.NewClient(&redis.Options{Addr: strings.TrimSuffix(strings.TrimPrefix(rdb.URL(), "redis://"), "/0")})
	t.Cleanup(func() { r.Close() })
	approvalKey := func(res map[string]any) string {
		u, err := url.Parse(pageLink(t, res))
		if err != nil {
			t.Fatal(err)
		}
		return state.Prefix + "approval:" + strings.TrimPrefix(u.Path, "/confirm/")
	}
	north := map[string]any{"sensorProfileId": sandbox.NorthProfileID}
	general := map[string]any{"sensorProfileId": sandbox.GeneralProfileID}
	northKey, generalKey := approvalKey(e.OK("delete_sensor_profile", north)), approvalKey(e.OK("delete_sensor_profile", general))

	raw, err := r.Get(t.Context(), northKey).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if json.Valid(raw) || strings.Contains(string(raw), "pending") {
		t.Fatalf("the approval is stored in the clear: %q", raw)
	}

	// written by hand: what the page would have recorded, in the clear
	forged, _ := json.Marshal(map[string]any{"id": strings.TrimPrefix(northKey, state.Prefix+"approval:"), "tool": "delete_sensor_profile",
		"status": "confirmed", "exp": 4102444800})
	r.Set(t.Context(), northKey, forged, 0)
	if msg := e.Fail("delete_sensor_profile", north); !strings.Contains(msg, "integrity") {
		t.Fatalf("a forged approval: %s", msg)
	}
	// copied from another approval's key
	other, _ := r.Get(t.Context(), generalKey).Bytes()
	r.Set(t.Context(), northKey, other, 0)
	if msg := e.Fail("delete_sensor_profile", north); !strings.Contains(msg, "integrity") {
		t.Fatalf("an approval moved from another key: %s", msg)
	}
	if n := e.SB.Count("DELETE", ""); n != 0 || !profileExists(e, sandbox.NorthProfileID) {
		t.Fatalf("%d deletes", n)
	}
	lines, _ := os.ReadFile(audit)
	if got := strings.Count(string(lines), `"outcome":"refused"`); got < 2 || !strings.Contains(string(lines), "integrity") {
		t.Fatalf("the refusals are not audited (%d): %s", got, lines)
	}
}
