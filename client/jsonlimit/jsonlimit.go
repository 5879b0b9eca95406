// Package jsonlimit bounds a JSON text's nesting depth and size before a
// decoder sees it. Decoders recurse once per level of nesting: a text of
// two million '[' (2 MB) overflows the goroutine stack, which ends the
// process however the call is guarded. Check counts the levels with a
// byte scanner that never recurses, so any text, however deep or large,
// costs one pass and no stack.
//
// The defaults: 64 levels, 4 MiB. The deepest answer the CS API documents
// (ContainerDetails in the OpenAPI v1.3) nests 9 levels; an MCP message
// adds 3 around a tool's arguments; 64 leaves room for both many times
// over, and 64 levels of any decoder's recursion cost a few kilobytes of
// stack. 4 MiB is the HTTP service's body cap.
package jsonlimit

import (
	"bytes"
	"fmt"

	json "github.com/segmentio/encoding/json"
)

const (
	DefaultDepth = 64      // levels of nested arrays and objects
	DefaultBytes = 4 << 20 // bytes of one text
)

// Limits bound one JSON text. Zero values take the defaults.
type Limits struct {
	Depth int   // the deepest nesting of arrays and objects allowed
	Bytes int64 // the largest text allowed, in bytes
}

func (l Limits) orDefaults() Limits {
	if l.Depth <= 0 {
		l.Depth = DefaultDepth
	}
	if l.Bytes <= 0 {
		l.Bytes = DefaultBytes
	}
	return l
}

// Error is a text outside its limits.
type Error struct {
	Depth  int   // the depth limit passed, or 0
	Bytes  int64 // the size limit passed, or 0
	Offset int64 // where the text passed the depth limit, or its size
}

func (e *Error) Error() string {
	if e.Depth > 0 {
		return fmt.Sprintf("JSON nested deeper than %d levels (at byte %d)", e.Depth, e.Offset)
	}
	return fmt.Sprintf("JSON text of %d bytes is larger than the %d-byte limit", e.Offset, e.Bytes)
}

// Check reports whether data is within l: at most l.Bytes long, and no
// array or object nested deeper than l.Depth. It does not validate the
// JSON: a decoder given a text Check passed recurses at most l.Depth
// levels, whether the text is valid or not. Brackets inside strings
// (escaped quotes included) do not count.
func Check(data []byte, l Limits) error {
	l = l.orDefaults()
	if int64(len(data)) > l.Bytes {
		return &Error{Bytes: l.Bytes, Offset: int64(len(data))}
	}
	depth := 0
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '"':
			end := stringEnd(data, i+1)
			if end < 0 {
				return nil // an unterminated string: nothing deeper follows
			}
			i = end
		case '[', '{':
			if depth++; depth > l.Depth {
				return &Error{Depth: l.Depth, Offset: int64(i)}
			}
		case ']', '}':
			// a closer with nothing open is invalid JSON, where any
			// decoder stops: counting from zero again stays safe
			depth = max(depth-1, 0)
		}
	}
	return nil
}

// stringEnd returns the index of the quote that ends the string whose
// contents start at data[i], or -1. A quote is escaped when an odd run
// of backslashes precedes it.
func stringEnd(data []byte, i int) int {
	for {
		q := bytes.IndexByte(data[i:], '"')
		if q < 0 {
			return -1
		}
		q += i
		n := 0
		for j := q - 1; j >= i && data[j] == '\\'; j-- {
			n++
		}
		if n%2 == 0 {
			return q
		}
		i = q + 1
	}
}

// Unmarshal checks data against l, then decodes it into v as
// json.Unmarshal does. A text outside l is an *Error, and v is untouched.
func Unmarshal(data []byte, v any, l Limits) error {
	if err := Check(data, l); err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}
