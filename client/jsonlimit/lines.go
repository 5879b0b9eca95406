package jsonlimit

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// RefusedLine is what a Lines reader yields in place of a line outside
// its limits: a line that is not JSON, so that the JSON-RPC reader behind
// it answers its own parse error (-32700) and reads on.
const RefusedLine = "refused: outside the JSON limits\n"

// Lines reads newline-separated JSON texts (JSON-RPC over stdio) from r
// and passes each line within l on unchanged, as soon as its newline
// arrives. A line outside l is replaced by RefusedLine and reported to
// refused (when not nil) with its *Error. A line longer than l.Bytes is
// never held whole: the reader keeps at most l.Bytes+1 bytes of it and
// skips the rest.
func Lines(r io.Reader, l Limits, refused func(error)) io.Reader {
	return &lines{src: bufio.NewReaderSize(r, 64<<10), lim: l.orDefaults(), refused: refused}
}

type lines struct {
	src     *bufio.Reader
	lim     Limits
	refused func(error)
	line    []byte // the line being handed out
	out     []byte // what is left of it
	err     error  // the source's error, returned once out is drained
}

func (r *lines) Read(p []byte) (int, error) {
	for len(r.out) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		r.next()
	}
	n := copy(p, r.out)
	r.out = r.out[n:]
	return n, nil
}

// next reads one line (or what precedes the end of input) into r.out.
func (r *lines) next() {
	r.line = r.line[:0]
	size := int64(0)
	for {
		chunk, err := r.src.ReadSlice('\n')
		size += int64(len(chunk))
		if size <= r.lim.Bytes+2 { // the text, and "\r\n"
			r.line = append(r.line, chunk...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		r.err = err
		break
	}
	if size > r.lim.Bytes+2 {
		r.refuse(&Error{Bytes: r.lim.Bytes, Offset: size})
		return
	}
	if err := Check(bytes.TrimRight(r.line, "\r\n"), r.lim); err != nil {
		r.refuse(err)
		return
	}
	r.out = r.line
}

func (r *lines) refuse(err error) {
	if r.refused != nil {
		r.refused(err)
	}
	r.out = []byte(RefusedLine)
}
