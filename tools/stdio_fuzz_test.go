package tools_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools"
)

// FuzzStdioLine feeds the stdio server one arbitrary line (deep, wide,
// huge among the seeds) and then a ping: no line stops it, and it always
// reads on and answers the ping.
func FuzzStdioLine(f *testing.F) {
	for _, seed := range []string{strings.Repeat("[", 200000), `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_sensors","arguments":{"password":"` + strings.Repeat("[", 100000) + `"}}}`,
		"[" + strings.Repeat("1,", 100000) + "1]", `{"jsonrpc":"2.0","id":2,"method":"initialize","params":` + strings.Repeat(`{"a":`, 3000), "not json", "", `{"jsonrpc":"2.0","id":3,"method":"ping"}`} {
		f.Add(seed)
	}
	gw, _ := url.Parse("http://127.0.0.1:1")
	log := slog.New(slog.DiscardHandler)
	srv, err := tools.NewServer(client.New(client.Config{Gateway: gw, Username: "u", Password: "p", Logger: log}), tools.Options{Logger: log})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, line string) {
		line = strings.ReplaceAll(line, "\n", " ")
		in := strings.NewReader(line + "\n" + `{"jsonrpc":"2.0","id":"after","method":"ping"}` + "\n")
		outR, outW := io.Pipe()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		go func() { srv.ServeStdio(ctx, in, outW); outW.Close() }()
		sc := bufio.NewScanner(outR)
		sc.Buffer(nil, 8<<20)
		for sc.Scan() {
			if strings.Contains(sc.Text(), `"id":"after"`) {
				cancel()
				io.Copy(io.Discard, outR)
				return
			}
		}
		t.Fatalf("the ping after a %d-byte line was not answered", len(line))
	})
}
