package tools_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// specServerCapabilities are the members of ServerCapabilities in the MCP
// schema (2025-11-25, and extensions in the newest revision).
var specServerCapabilities = map[string]bool{"experimental": true, "extensions": true, "logging": true, "completions": true,
	"prompts": true, "resources": true, "tools": true, "tasks": true}

// initializeCapabilities finds the server's answer to initialize (or, in
// the newest protocol, server/discover) on the wire and returns its
// capabilities as sent.
func initializeCapabilities(t *testing.T, wire string) map[string]json.RawMessage {
	t.Helper()
	for _, line := range strings.Split(wire, "\n") {
		msg, ok := strings.CutPrefix(line, "read: ")
		if !ok {
			continue
		}
		var m struct {
			Result struct {
				Capabilities map[string]json.RawMessage `json:"capabilities"`
			} `json:"result"`
		}
		if json.Unmarshal([]byte(msg), &m) == nil && m.Result.Capabilities != nil {
			return m.Result.Capabilities
		}
	}
	t.Fatalf("no initialize or server/discover result on the wire:\n%s", wire)
	return nil
}

// The server advertises only capabilities the spec defines for servers
// (elicitation is a client's), and the guard still asks a client that
// declares elicitation, under both protocols it speaks.
func TestServerCapabilitiesAreStandard(t *testing.T) {
	for _, proto := range []string{"2025-11-25", ""} {
		t.Run("protocol "+proto, func(t *testing.T) {
			wire := &syncBuffer{}
			e := NewEnv(t, EnvOptions{Elicit: Accept, Protocol: proto, Wire: wire})
			caps := initializeCapabilities(t, wire.String())
			for name := range caps {
				if !specServerCapabilities[name] {
					t.Errorf("initialize advertises %q, not a server capability in the spec", name)
				}
			}
			if caps["tools"] == nil || caps["prompts"] == nil {
				t.Errorf("initialize lacks tools or prompts: %v", caps)
			}
			e.OK("delete_sensor_profile", map[string]any{"sensorProfileId": north})
			if len(e.Elicited) != 1 || e.SB.Count("DELETE", "/sensorProfile/"+north) != 1 {
				t.Fatalf("elicitation without the capability: asked %v, %d DELETE", e.Elicited, e.SB.Count("DELETE", "/sensorProfile/"+north))
			}
		})
	}
}
