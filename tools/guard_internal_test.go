package tools

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestGuardTokenExpiresAndRotates(t *testing.T) {
	old, _ := newGuard(KeysFromEnv("old-key"), FallbackToken, false, nil)
	now := time.Now()
	old.now = func() time.Time { return now }
	args := hashArgs("delete_sensors", map[string]any{"sensorIds": []any{"a"}})
	tok := old.seal(sealed{Kind: "token", Tool: "delete_sensors", Args: args, FP: "x"})

	// a rotated server seals with the new key and still opens the old one
	rotated, _ := newGuard(KeysFromEnv("new-key,old-key"), FallbackToken, false, nil)
	rotated.now = old.now
	if _, err := rotated.open(context.Background(), tok, "token", "delete_sensors", args, ""); err != nil {
		t.Fatalf("previous key refused after rotation: %v", err)
	}
	// expired
	late, _ := newGuard(KeysFromEnv("old-key"), FallbackToken, false, nil)
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
	g, _ := newGuard(KeysFromEnv("k"), FallbackToken, false, nil)
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
