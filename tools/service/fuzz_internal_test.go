package service

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/jsonlimit"
)

// FuzzHTTPBody feeds /mcp's guard and mcp-go behind it arbitrary bodies,
// deep, wide and huge among them, with and without a session: no body
// stops the process, one outside the JSON limits is a 400 parse error,
// and the answer is one of the statuses the service gives.
func FuzzHTTPBody(f *testing.F) {
	for _, seed := range []string{initBody, callBody, strings.Repeat("[", 100000), `{"jsonrpc":"2.0","id":1,"method":"initialize","params":` + strings.Repeat(`{"a":`, 5000),
		"[" + strings.Repeat("1,", 50000) + "1]", `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"` + strings.Repeat("y", 1<<20) + `"}}`,
		`{"jsonrpc":"2.0","id":1,"Method":"initialize","method":"ping"}`, `{"jsonrpc":"2.0","id":[[[]]],"method":"tools/call"}`, ""} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	o := HTTPOptions{Addr: "127.0.0.1:0", RefusalDelay: -1, RatePerSecond: 1e9, MaxBody: 4 << 20}
	o.defaults()
	ctx, cancel := context.WithCancel(context.Background())
	f.Cleanup(cancel)
	g := testDeps(f).mcpHandler(ctx, o).(*httpGuard)
	init := httptest.NewRecorder()
	g.ServeHTTP(init, newPost(initBody, ""))
	sid := init.Header().Get("Mcp-Session-Id")
	f.Fuzz(func(t *testing.T, body string, withSession bool) {
		id := ""
		if withSession {
			id = sid
		}
		w := httptest.NewRecorder()
		g.ServeHTTP(w, newPost(body, id))
		switch w.Code {
		case http.StatusOK, http.StatusAccepted, http.StatusBadRequest, http.StatusNotFound, http.StatusRequestEntityTooLarge,
			http.StatusMethodNotAllowed, http.StatusNotAcceptable, http.StatusUnsupportedMediaType, http.StatusTooManyRequests, http.StatusServiceUnavailable:
		default:
			t.Fatalf("status %d for a %d-byte body: %s", w.Code, len(body), w.Body.String())
		}
		if jsonlimit.Check([]byte(body), jsonlimit.Limits{Bytes: o.MaxBody}) != nil && len(body) > 0 && w.Code != http.StatusBadRequest && w.Code != http.StatusNotFound {
			t.Fatalf("a body outside the JSON limits answered %d", w.Code)
		}
	})
}

func newPost(body, sid string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json, text/event-stream")
	if sid != "" {
		r.Header.Set("Mcp-Session-Id", sid)
		r.Header.Set("MCP-Protocol-Version", "2025-11-25")
	}
	return r
}
