package sandbox

import "testing"

func TestQQLSubset(t *testing.T) {
	item := map[string]any{"state": "RUNNING", "name": "web-frontend", "sev": 4.0, "created": "1669285071000",
		"repo": []any{map[string]any{"repository": "nginx", "tag": "1.25"}}}
	for q, want := range map[string]bool{
		"":                                       true,
		"state:`RUNNING`":                        true,
		"state:`running`":                        true, // exact, case-insensitive
		"state:`RUN`":                            false,
		"name:front":                             true, // bare value: substring
		"sev:[3 .. 5]":                           true,
		"sev:[1 .. 3]":                           false,
		"created:[2022-01-01 .. now]":            true,
		"created:[now-7d .. now]":                false,
		"repo.repository:`nginx`":                true,
		"state:`STOPPED` or name:`web-frontend`": true,
		"state:`RUNNING` and not name:front":     false,
	} {
		p, err := parseQQL(q)
		if err != nil {
			t.Errorf("%q: %v", q, err)
			continue
		}
		if got := p(item); got != want {
			t.Errorf("%q: %v, want %v", q, got, want)
		}
	}
	for _, bad := range []string{"state", "state:`x` xor y:z", "sev:[1 .. x]"} {
		if _, err := parseQQL(bad); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}
