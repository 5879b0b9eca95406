package secret

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"strings"
	"testing"
)

const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0ZXIifQ.c2lnbmF0dXJlLW9mLXRoZS1jYW5hcnk"

func TestRedactEveryForm(t *testing.T) {
	r := New()
	r.Add("pa\"ss<&>word", "p") // "p" is too short to be treated as a secret
	r.Token(jwt)
	quoted, _ := json.Marshal(map[string]string{"m": `said "pa\"ss<&>word"`})
	for _, text := range []string{
		"Bearer " + jwt,
		string(quoted),
		`{"a":"pa\"ss\u003c\u0026\u003eword"}`,
		"password=" + url.QueryEscape("pa\"ss<&>word") + "&x=1",
		`msg="pa\"ss<&>word"`,
	} {
		got := r.Redact(text)
		if strings.Contains(got, "ss<&>w") || strings.Contains(got, `ss\u003c`) || strings.Contains(got, "ss%3C") || strings.Contains(got, "c2lnbmF0") || !strings.Contains(got, Mask) {
			t.Errorf("%s -> %s", text, got)
		}
	}
	if got := r.Redact("pepper"); got != "pepper" {
		t.Fatalf("a short value masked text: %s", got)
	}
	if got := r.Redact("call secret-arg-1234 here", "secret-arg-1234"); got != "call "+Mask+" here" {
		t.Fatal(got)
	}
}

func TestOnlyCurrentAndPreviousToken(t *testing.T) {
	r := New()
	r.Token("token-one-1111")
	r.Token("token-two-2222")
	r.Token("token-three-3333")
	got := r.Redact("token-one-1111 token-two-2222 token-three-3333")
	if got != "token-one-1111 "+Mask+" "+Mask {
		t.Fatal(got)
	}
}

// Wherever the cut falls, no prefix of the secret is left before it.
func TestCutLeavesNoPrefix(t *testing.T) {
	r := New()
	r.Token(jwt)
	for pad := 0; pad < 120; pad++ {
		text := strings.Repeat("x", pad) + " Authorization: Bearer " + jwt + " and more text after it"
		for _, n := range []int{20, 40, 60, 80, 100} {
			got := r.Cut(text, n)
			if len(got) > n+len("…") {
				t.Fatalf("pad %d, n %d: %d bytes", pad, n, len(got))
			}
			body := strings.TrimSuffix(got, "…")
			for k := 1; k <= len(jwt); k++ {
				if strings.HasSuffix(body, jwt[:k]) {
					t.Fatalf("pad %d, n %d: ends with %d bytes of the token: %q", pad, n, k, got)
				}
			}
			if strings.Contains(got, jwt[20:30]) {
				t.Fatalf("pad %d, n %d: %q", pad, n, got)
			}
		}
	}
	// a call's own secret counts as well
	if got := r.Cut("the value is arg-secret-99", 18, "arg-secret-99"); got != "the value is …" {
		t.Fatalf("%q", got)
	}
	// short texts are not cut, and a cut keeps whole characters
	if got := r.Cut("héllo", 2); got != "h…" {
		t.Fatalf("%q", got)
	}
	if got := r.Cut("short", 10); got != "short" {
		t.Fatal(got)
	}
}

func TestWriterAndContext(t *testing.T) {
	r := New()
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(r.Writer(&buf), nil))
	r.Add("late-secret-42") // added after the logger was made
	log.Info("upstream said", "body", `{"password":"late-secret-42"}`, "err", "Bearer late-secret-42")
	if strings.Contains(buf.String(), "late-secret-42") || !strings.Contains(buf.String(), "upstream said") {
		t.Fatal(buf.String())
	}
	ctx := With(With(context.Background(), "first-1234"), "second-1234")
	if v := Values(ctx); len(v) != 2 || Values(context.Background()) != nil {
		t.Fatal(v)
	}
	var nilReg *Registry
	if got := nilReg.Redact("x first-1234", Values(ctx)...); got != "x "+Mask {
		t.Fatal(got)
	}
}
