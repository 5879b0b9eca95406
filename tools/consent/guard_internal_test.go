package consent

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
)

func TestGuardTokenExpiresAndRotates(t *testing.T) {
	old := testSealer("old-key")
	now := time.Now()
	old.now = func() time.Time { return now }
	args := hashArgs("delete_sensors", map[string]any{"sensorIds": []any{"a"}})
	tok := old.seal(sealed{Kind: "token", Tool: "delete_sensors", Args: args, FP: "x"})

	// a rotated server seals with the new key and still opens the old one
	rotated := testSealer("new-key,old-key")
	rotated.now = old.now
	if _, err := rotated.open(context.Background(), tok, "token", "delete_sensors", args, ""); err != nil {
		t.Fatalf("previous key refused after rotation: %v", err)
	}
	// expired
	late := testSealer("old-key")
	late.now = func() time.Time { return now.Add(TokenTTL + time.Second) }
	if _, err := late.open(context.Background(), tok, "token", "delete_sensors", args, ""); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired token: %v", err)
	}
	// an elicitation state is not a token
	st := old.seal(sealed{Kind: "elicit", Tool: "delete_sensors", Args: args})
	if _, err := old.open(context.Background(), st, "token", "delete_sensors", args, ""); err == nil {
		t.Fatal("elicitation state accepted as a token")
	}
	// single use
	if _, err := old.open(context.Background(), tok, "token", "delete_sensors", args, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := old.open(context.Background(), tok, "token", "delete_sensors", args, ""); err == nil || !strings.Contains(err.Error(), "already used") {
		t.Fatalf("replay: %v", err)
	}
}

// A sealed confirmation is bound to the MCP session that asked: another
// session cannot spend it, and the refusal leaves it for its own.
func TestGuardSealedBoundToSession(t *testing.T) {
	g := testSealer("k")
	args := hashArgs("delete_sensors", map[string]any{"sensorIds": []any{"a"}})
	tok := g.seal(sealed{Kind: "token", Tool: "delete_sensors", Args: args, FP: "x", Sess: "session-a"})
	for _, other := range []string{"session-b", ""} {
		if _, err := g.open(context.Background(), tok, "token", "delete_sensors", args, other); err == nil || !strings.Contains(err.Error(), "another MCP session") {
			t.Fatalf("session %q: %v", other, err)
		}
	}
	if _, err := g.open(context.Background(), tok, "token", "delete_sensors", args, "session-a"); err != nil {
		t.Fatalf("the asking session: %v", err)
	}
}

// FuzzGuardOpen: no forged token opens, and no alteration of a real one
// does; nothing panics.
func FuzzGuardOpen(f *testing.F) {
	f.Add("", []byte{1})
	f.Add("AAAA", []byte{0, 0, 0, 0, 0x80})
	f.Add("eyJrIjoidG9rZW4ifQ", []byte{})
	f.Fuzz(func(t *testing.T, forged string, flip []byte) {
		g := testSealer("fuzz-key")
		args := hashArgs("delete_sensors", map[string]any{"filter": "x"})
		if _, err := g.open(context.Background(), forged, "token", "delete_sensors", args, ""); err == nil {
			t.Fatalf("a forged token opened: %q", forged)
		}
		good := g.seal(sealed{Kind: "token", Tool: "delete_sensors", Args: args, FP: "f"})
		raw, _ := base64.RawURLEncoding.DecodeString(good)
		changed := false
		for i, b := range flip {
			if b != 0 && len(raw) > 0 {
				raw[i%len(raw)] ^= b
				changed = true
			}
		}
		if !changed {
			return
		}
		mangled := base64.RawURLEncoding.EncodeToString(raw)
		if _, err := g.open(context.Background(), mangled, "token", "delete_sensors", args, ""); err == nil && mangled != good {
			t.Fatalf("an altered token opened")
		}
	})
}

func testSealer(keys string) *sealer {
	k, err := state.NewKeys(state.KeysFromEnv(keys))
	if err != nil {
		panic(err)
	}
	return newSealer(k, state.NewMemory(), TokenTTL)
}
