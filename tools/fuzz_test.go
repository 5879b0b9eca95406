package tools

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"
)

// FuzzDecode feeds every tool's argument decoding and validation arbitrary
// JSON: it must never panic, and what it accepts must be an object that
// validates again.
func FuzzDecode(f *testing.F) {
	all, err := All()
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{`{}`, `null`, `[]`, `{"pageSize":50}`, `{"sensorProfileId":"../x"}`, `{"sensorIds":["a","b"],"filter":"x"}`,
		`{"config":{"weeklyInactiveWindowSchedules":[{"repeatOnDays":["SUNDAY"],"startTime":"01:15"}]}}`, `{"pageSize":1e400}`, `{"a":`} {
		f.Add(uint8(0), []byte(seed))
	}
	f.Fuzz(func(t *testing.T, which uint8, raw []byte) {
		tl := &all[int(which)%len(all)]
		in, args, _, err := tl.decode(raw)
		if err != nil {
			if in != nil {
				t.Fatal("error with a decoded input")
			}
			return
		}
		again, _ := json.Marshal(args)
		if _, _, _, err := tl.decode(again); err != nil {
			t.Fatalf("%s: accepted %s but not its re-encoding %s: %v", tl.Name, raw, again, err)
		}
	})
}

// FuzzGuardOpen: no forged token opens, and no alteration of a real one
// does; nothing panics.
func FuzzGuardOpen(f *testing.F) {
	f.Add("", []byte{1})
	f.Add("AAAA", []byte{0, 0, 0, 0, 0x80})
	f.Add("eyJrIjoidG9rZW4ifQ", []byte{})
	f.Fuzz(func(t *testing.T, forged string, flip []byte) {
		g, _ := newGuard(KeysFromEnv("fuzz-key"), FallbackToken, false, nil)
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
