package jsonlimit

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

func nest(n int) []byte {
	return append(bytes.Repeat([]byte("["), n), bytes.Repeat([]byte("]"), n)...)
}

func TestCheck(t *testing.T) {
	l := Limits{Depth: 3, Bytes: 64}
	for _, c := range []struct {
		text string
		deep bool // refused as too deep
		big  bool // refused as too large
	}{
		{text: ``},
		{text: `1`},
		{text: `[[[]]]`},
		{text: `{"a":{"b":[1]}}`},
		{text: `[[[[]]]]`, deep: true},
		{text: `{"a":{"b":{"c":{}}}}`, deep: true},
		{text: `[[["[[[[[[["]]]`},              // brackets in a string do not count
		{text: `[[["\"[[[[[["]]]`},             // nor after an escaped quote
		{text: `[[["\\"]]]`},                   // an escaped backslash ends before the quote
		{text: `[[["\\\"[[[[", "\\\\"]]]`},     // odd and even runs of backslashes
		{text: `[[["\\"[]]]`, deep: true},      // the string ended: the '[' counts
		{text: `"[[[[[[[[`},                    // unterminated string
		{text: `]]]]]][[[`},                    // closers with nothing open do not lend room
		{text: `]]]]]][[[[`, deep: true},       // ... so this is four deep
		{text: `[[[]]][[[]]][[[]]]`},           // several values, each within
		{text: strings.Repeat("[1,", 3) + "x"}, // invalid but shallow: left to the decoder
		{text: strings.Repeat("1", 64)},
		{text: strings.Repeat("1", 65), big: true},
	} {
		err := Check([]byte(c.text), l)
		var le *Error
		switch {
		case c.deep && !(errors.As(err, &le) && le.Depth == 3 && strings.Contains(err.Error(), "deeper than 3 levels")):
			t.Errorf("%s: %v, want too deep", c.text, err)
		case c.big && !(errors.As(err, &le) && le.Bytes == 64 && strings.Contains(err.Error(), "larger than the 64-byte limit")):
			t.Errorf("%s: %v, want too large", c.text, err)
		case !c.deep && !c.big && err != nil:
			t.Errorf("%s: %v, want nil", c.text, err)
		}
	}
}

func TestDefaults(t *testing.T) {
	if err := Check(nest(DefaultDepth), Limits{}); err != nil {
		t.Fatalf("%d levels: %v", DefaultDepth, err)
	}
	if err := Check(nest(DefaultDepth+1), Limits{}); err == nil {
		t.Fatalf("%d levels passed", DefaultDepth+1)
	}
	if err := Check(make([]byte, DefaultBytes+1), Limits{}); err == nil {
		t.Fatalf("%d bytes passed", DefaultBytes+1)
	}
}

// The texts of issue 22: without the check, the decoder's recursion ends
// the process (fatal error: stack overflow), which no test survives.
func TestUnmarshalDeepIsRefusedNotFatal(t *testing.T) {
	open := bytes.Repeat([]byte("["), 2_100_000)
	for name, text := range map[string][]byte{
		"open":     open,
		"balanced": nest(2_100_000),
		"object":   []byte(strings.Repeat(`{"a":`, 1_000_000)),
		"in value": append([]byte(`{"data":`), open...),
	} {
		var v any
		err := Unmarshal(text, &v, Limits{Bytes: 8 << 20})
		var le *Error
		if !errors.As(err, &le) || le.Depth != DefaultDepth || v != nil {
			t.Errorf("%s: %v (%v)", name, err, v)
		}
	}
}

func TestUnmarshalWideAndValid(t *testing.T) {
	wide := "[" + strings.Repeat("1,", 1_000_000) + "1]"
	var v []int
	if err := Unmarshal([]byte(wide), &v, Limits{}); err != nil || len(v) != 1_000_001 {
		t.Fatalf("wide: %v (%d)", err, len(v))
	}
	var m map[string]any
	if err := Unmarshal([]byte(`{"a":"[[[[","b":[[1]]}`), &m, Limits{Depth: 3}); err != nil || m["a"] != "[[[[" {
		t.Fatalf("%v %v", err, m)
	}
	if err := Unmarshal([]byte(`{"a":`), &m, Limits{}); err == nil {
		t.Fatal("invalid JSON decoded")
	}
}

func TestLines(t *testing.T) {
	deep := strings.Repeat("[", 100)
	big := `"` + strings.Repeat("x", 200) + `"`
	in := "{\"id\":1}\n" + deep + "\n[2]\r\n" + big + "\n" + `{"a":"[[[[[["}` + "\n[3]"
	var refused []error
	r := Lines(strings.NewReader(in), Limits{Depth: 4, Bytes: 100}, func(err error) { refused = append(refused, err) })
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	want := "{\"id\":1}\n" + RefusedLine + "[2]\r\n" + RefusedLine + `{"a":"[[[[[["}` + "\n[3]"
	if string(out) != want {
		t.Fatalf("got\n%q\nwant\n%q", out, want)
	}
	if len(refused) != 2 || !strings.Contains(refused[0].Error(), "deeper than 4") || !strings.Contains(refused[1].Error(), "100-byte limit") {
		t.Fatalf("refused: %v", refused)
	}
	if stdjson.Valid([]byte(strings.TrimSpace(RefusedLine))) {
		t.Fatal("the refused line is JSON: a JSON-RPC reader would not answer a parse error")
	}
}

// A line far longer than the limit is skipped, not held: the reader keeps
// at most the limit of it.
func TestLinesSkipLongLinesInBoundedMemory(t *testing.T) {
	huge := io.MultiReader(strings.NewReader("[1]\n"), io.LimitReader(repeat('['), 64<<20), strings.NewReader("\n[2]\n"))
	r := Lines(huge, Limits{Bytes: 1 << 20}, nil).(*lines)
	out, err := io.ReadAll(r)
	if err != nil || string(out) != "[1]\n"+RefusedLine+"[2]\n" {
		t.Fatalf("%q %v", out, err)
	}
	if c := cap(r.line); c > 2<<20 {
		t.Fatalf("held %d bytes of a 64 MiB line", c)
	}
}

// Each line is passed on when its newline arrives, not when a buffer fills.
func TestLinesDoNotWaitForMoreInput(t *testing.T) {
	pr, pw := io.Pipe()
	r := Lines(pr, Limits{}, nil)
	go pw.Write([]byte("[1]\n"))
	buf := make([]byte, 100)
	n, err := r.Read(buf)
	if err != nil || string(buf[:n]) != "[1]\n" {
		t.Fatalf("%q %v", buf[:n], err)
	}
	pw.Close()
}

type repeat byte

func (b repeat) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

func BenchmarkCheck(b *testing.B) {
	var doc bytes.Buffer
	doc.WriteString(`{"data":[`)
	for i := 0; i < 20000; i++ {
		doc.WriteString(`{"imageId":"a1b2c3","repo":[{"registry":"r","tag":"t \"q\" [x]"}],"vulns":{"severity5Count":3}},`)
	}
	doc.WriteString(`{}]}`)
	b.SetBytes(int64(doc.Len()))
	for b.Loop() {
		if err := Check(doc.Bytes(), Limits{Bytes: 32 << 20}); err != nil {
			b.Fatal(err)
		}
	}
}
