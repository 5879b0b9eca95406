package tools

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
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
	if got := shownValue(map[string]any{"b": []any{"x\n", 2.5, true, nil}, "a\x1b": "y"}); got != `{"a\x1b": "y", "b": ["x\n", 2.5, true, null]}` {
		t.Errorf("shownValue: %s", got)
	}
}

// The stdio mode's loopback listener starts on first need, closes when
// idle, and starts again (on another port) when needed.
func TestPageListenerClosesWhenIdle(t *testing.T) {
	p := newPages(state.NewMemory(), time.Second, slog.New(slog.NewTextHandler(io.Discard, nil)))
	p.idleAfter = 200 * time.Millisecond
	get := func(base string) error {
		resp, err := http.Get(base + ConfirmPath + strings.Repeat("A", 22))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("unknown id: %d", resp.StatusCode)
			}
		}
		return err
	}
	base, err := p.linkBase(context.Background())
	if err != nil || !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatal(base, err)
	}
	if err := get(base); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for get(base) == nil {
		if time.Now().After(deadline) {
			t.Fatal("the idle listener did not close")
		}
		time.Sleep(50 * time.Millisecond)
	}
	again, err := p.linkBase(context.Background())
	if err != nil || get(again) != nil {
		t.Fatalf("restart: %s %v", again, err)
	}
}
