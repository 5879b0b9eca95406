package jsonlimit

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// FuzzCheck: no input panics or exhausts the stack, a text Check passes
// decodes without either, and on valid JSON (encoding/json's verdict)
// Check refuses exactly the texts deeper or larger than the limits.
func FuzzCheck(f *testing.F) {
	garbage := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range garbage {
		garbage[i] = "[]{}\"\\,:1a \n"[rng.IntN(12)]
	}
	for _, s := range [][]byte{
		nil, []byte(`[]`), []byte(`{"a":[1,{"b":"]\"["}]}`), []byte(`"\\\\\"[`), []byte(`]]][[[`),
		nest(64), nest(65), nest(12000), bytes.Repeat([]byte("["), 30_000), // deep
		[]byte("[" + strings.Repeat(`{"k":"v"},`, 3000) + "{}]"), // wide
		[]byte(`"` + strings.Repeat("x", 40_000) + `"`),          // huge
		garbage,
	} {
		f.Add(s, uint8(64), uint32(DefaultBytes))
	}
	f.Add([]byte(`"`+strings.Repeat("x", 40_000)+`"`), uint8(64), uint32(30_000)) // huge for its limit
	f.Add([]byte(`[[1],[2]]`), uint8(1), uint32(9))
	f.Fuzz(func(t *testing.T, data []byte, depth uint8, size uint32) {
		l := Limits{Depth: int(depth%100) + 1, Bytes: int64(size%(8<<20)) + 1}
		err := Check(data, l)
		var le *Error
		if err != nil && !errors.As(err, &le) {
			t.Fatalf("not an *Error: %v", err)
		}
		if stdjson.Valid(data) {
			want := maxDepth(t, data) <= l.Depth && int64(len(data)) <= l.Bytes
			if (err == nil) != want {
				t.Fatalf("depth %d, %d bytes, limits %+v: Check said %v", maxDepth(t, data), len(data), l, err)
			}
		}
		if err == nil {
			var v any
			if err := Unmarshal(data, &v, l); errors.As(err, &le) {
				t.Fatalf("Unmarshal refused what Check passed: %v", err)
			}
		}
	})
}

// maxDepth is the nesting of a valid text, by encoding/json's tokenizer
// (which does not recurse).
func maxDepth(t *testing.T, data []byte) int {
	d := stdjson.NewDecoder(bytes.NewReader(data))
	d.UseNumber() // 1e999 is valid JSON
	depth, deepest := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return deepest
		}
		if err != nil {
			t.Fatalf("tokenizing a valid text: %v", err)
		}
		switch tok {
		case stdjson.Delim('['), stdjson.Delim('{'):
			depth++
			deepest = max(deepest, depth)
		case stdjson.Delim(']'), stdjson.Delim('}'):
			depth--
		}
	}
}
