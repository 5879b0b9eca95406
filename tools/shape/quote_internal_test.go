package shape

import (
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"North", `"North"`},
		{"a\nb\r\tc", `"a\nb\r\tc"`},
		{"x\x1b[2Jy", `"x\x1b[2Jy"`},
		{"abc\u202edef\u2066\u200b", `"abc\u202edef\u2066\u200b"`},
		{`say "hi" \o/`, `"say \"hi\" \\o/"`},
		{"bad\xffutf8", `"bad\xffutf8"`},
		{"Zürich 東京", `"Zürich 東京"`},
		{"\u00a0nbsp\u2028ls", `"\u00a0nbsp\u2028ls"`},
		{"a\u201cb\u201dc\u2018d\u2019", `"a\u201cb\u201dc\u2018d\u2019"`},
		{"\uff02\uff07\u00ab\u00bb\u2039\u203a\u300c\u301e\u2033\u02ba\u275e\uff3c", `"\uff02\uff07\u00ab\u00bb\u2039\u203a\u300c\u301e\u2033\u02ba\u275e\uff3c"`},
		{"it's 'fine'", `"it's 'fine'"`},
	} {
		if got := Quote(c.in); got != c.want {
			t.Errorf("Quote(%q) = %s, want %s", c.in, got, c.want)
		}
	}
	long := Quote(strings.Repeat("é", MaxShown+50))
	if !strings.HasSuffix(long, `"… (50 more characters)`) || strings.Count(long, "é") != MaxShown {
		t.Errorf("long value: %s", long)
	}
	if got := Printable("line one \"x\"\nline\x1b two\u202e"); got != "line one \"x\"\nline\\x1b two\\u202e" {
		t.Errorf("Printable: %q", got)
	}
	if got := ShownValue(map[string]any{"b": []any{"x\n", 2.5, true, nil}, "a\x1b": "y"}); got != `{"a\x1b": "y", "b": ["x\n", 2.5, true, null]}` {
		t.Errorf("shownValue: %s", got)
	}
}
