package toolsets

import (
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
		in, args, _, err := tl.Decode(raw)
		if err != nil {
			if in != nil {
				t.Fatal("error with a decoded input")
			}
			return
		}
		again, _ := json.Marshal(args)
		if _, _, _, err := tl.Decode(again); err != nil {
			t.Fatalf("%s: accepted %s but not its re-encoding %s: %v", tl.Name, raw, again, err)
		}
	})
}
