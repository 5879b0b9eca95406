package jsonlimit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/jsonlimit"
)

// The hook for JSON-RPC over stdio: mcp-go's stdio server reads lines
// from an io.Reader and parses each before any handler sees it, so the
// reader is where the limits go. A refused line is answered with the
// parse error -32700 (by mcp-go itself, which writes every answer), and
// the next message is served.
func TestLinesBeforeMCPGoStdio(t *testing.T) {
	deep := `{"jsonrpc":"2.0","id":2,"method":"ping","params":{"a":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}}`
	huge := `{"jsonrpc":"2.0","id":3,"method":"ping","params":{"a":"` + strings.Repeat("x", 5<<20) + `"}}`
	in := strings.Join([]string{
		`{"jsonrpc":"2.0","id":1,"method":"ping"}`,
		deep,
		huge,
		`{"jsonrpc":"2.0","id":4,"method":"ping"}`,
	}, "\n") + "\n"
	var refused []string
	stdin := jsonlimit.Lines(strings.NewReader(in), jsonlimit.Limits{}, func(err error) { refused = append(refused, err.Error()) })
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- server.NewStdioServer(server.NewMCPServer("t", "1")).Listen(context.Background(), stdin, pw)
		pw.Close()
	}()
	dec := json.NewDecoder(pr)
	var got []string
	for len(got) < 4 {
		var m struct {
			ID    any
			Error *struct{ Code int }
		}
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("after %v: %v", got, err)
		}
		if m.Error != nil {
			got = append(got, fmt.Sprintf("error %d", m.Error.Code))
		} else {
			got = append(got, fmt.Sprintf("answer %v", m.ID))
		}
	}
	slices.Sort(got) // pings are answered as they finish
	want := "answer 1, answer 4, error -32700, error -32700"
	if strings.Join(got, ", ") != want {
		t.Fatalf("got %s, want %s", strings.Join(got, ", "), want)
	}
	if len(refused) != 2 || !strings.Contains(refused[0], "deeper than 64") || !strings.Contains(refused[1], "larger than") {
		t.Fatalf("refused: %v", refused)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not end with its input")
	}
}
