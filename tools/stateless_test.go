package tools_test

import (
	"strings"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

// In stateless HTTP, a 2025-11-25 client cannot be sent a server-initiated
// request, so the guard falls back (here to the token, opted in; the page
// is TestStatelessPageNeedsSharedStore's); a newest-protocol client
// confirms through the multi round-trip input request, which needs no
// session. Either way two replicas sharing the key finish what one began.
func TestStatelessReplicas(t *testing.T) {
	for _, proto := range []string{"2025-11-25", ""} {
		sb := NewSandbox(t, sandbox.Options{Username: "tester", Password: "canary-pass-7f3a"})
		flags := append([]string{"--stateless"}, tokenFlags...)
		key := []string{"QUALYS_MCP_STATE_KEY=shared"}
		a := NewEnv(t, EnvOptions{Sandbox: sb, HTTP: true, Flags: flags, EnvVars: key, Protocol: proto, Elicit: Accept})
		res := a.Call("delete_sensor_profile", map[string]any{"sensorProfileId": north})
		txt := Text(res)
		if res.IsError {
			t.Fatalf("%s: %s", proto, txt)
		}
		if strings.Contains(txt, "confirmation_token") {
			b := NewEnv(t, EnvOptions{Sandbox: sb, HTTP: true, Flags: flags, EnvVars: key, Protocol: proto})
			tok := mustJSON(t, txt)["confirmation_token"]
			b.OK("delete_sensor_profile", map[string]any{"sensorProfileId": north, "confirmation_token": tok})
		} else if len(a.Elicited) != 1 {
			t.Fatalf("%s: neither a token nor a confirmation: %s", proto, txt)
		}
		if profileExists(a, north) {
			t.Fatalf("%s: not deleted", proto)
		}
		t.Logf("%s: %d elicitation(s)", proto, len(a.Elicited))
	}
}
