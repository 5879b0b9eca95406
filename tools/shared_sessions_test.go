package tools_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/service"
	"github.com/redis/go-redis/v9"
)

// replica is one server of a stateful set sharing a store.
func startReplica(t *testing.T, sb *sandbox.Server, store state.Store) string {
	t.Helper()
	base, closeSB, err := sb.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeSB)
	gw, _ := client.ResolveGateway("", base)
	log := slog.New(slog.DiscardHandler)
	c := client.New(client.Config{Gateway: gw, Username: "tester", Password: "pw", State: store, StateKey: state.KeysFromEnv("k")[0], Logger: log})
	srv, err := tools.NewServer(c, tools.Options{Toolsets: []string{"all"}, StateKeys: state.KeysFromEnv("k"), State: store, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	addr := make(chan string, 1)
	go srv.ServeHTTP(ctx, service.HTTPOptions{Addr: "127.0.0.1:0", RatePerSecond: 1000}, func(a string) { addr <- a })
	return "http://" + <-addr + "/mcp"
}

type sseEvent struct {
	id   string
	data map[string]any
}

// rpc posts one JSON-RPC message and reads the answer: JSON, or the
// events of an SSE stream (to its end, or until stop says so).
func sharedRPC(t *testing.T, endpoint, sid, lastEventID, body string, stop func(sseEvent) bool) (*http.Response, []sseEvent) {
	t.Helper()
	method := http.MethodPost
	if body == "" {
		method = http.MethodGet
	}
	req, _ := http.NewRequest(method, endpoint, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2025-11-25")
	if sid != "" {
		req.Header.Set("Mcp-Session-Id", sid)
	}
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var events []sseEvent
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		raw, _ := io.ReadAll(resp.Body)
		var m map[string]any
		if json.Unmarshal(raw, &m) == nil {
			events = append(events, sseEvent{data: m})
		} else if len(bytes.TrimSpace(raw)) > 0 {
			events = append(events, sseEvent{data: map[string]any{"http": string(raw)}})
		}
		return resp, events
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	var ev sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "id: "):
			ev.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "data: "):
			json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.data)
		case line == "" && ev.data != nil:
			events = append(events, ev)
			if stop != nil && stop(ev) {
				return resp, events
			}
			ev = sseEvent{}
		}
	}
	return resp, events
}

// A stateful session moves between replicas: the one it lands on knows it,
// knows the client can be asked to confirm and its log level, and a stream
// the first served resumes there; a DELETE on one ends it on all.
func TestSessionMovesBetweenReplicas(t *testing.T) {
	mr := miniredis.RunT(t)
	sb := sandbox.New(sandbox.Options{Username: "tester", Password: "pw"})
	open := func() state.Store {
		r := state.NewRedis(&redis.Options{Addr: mr.Addr()})
		t.Cleanup(func() { r.Close() })
		return r
	}
	a, b := startReplica(t, sb, open()), startReplica(t, sb, open())

	resp, _ := sharedRPC(t, a, "", "", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{"elicitation":{}},"clientInfo":{"name":"mover","version":"1"}}}`, nil)
	sid := resp.Header.Get("Mcp-Session-Id")
	if sid == "" {
		t.Fatal("no session")
	}
	sharedRPC(t, b, sid, "", `{"jsonrpc":"2.0","method":"notifications/initialized"}`, nil)
	if _, ev := sharedRPC(t, b, sid, "", `{"jsonrpc":"2.0","id":2,"method":"logging/setLevel","params":{"level":"debug"}}`, nil); len(ev) != 1 || ev[0].data["error"] != nil {
		t.Fatalf("setLevel on the replica the session moved to: %v", ev)
	}

	// a destructive call on b: b knows the client takes elicitation, and asks
	done := make(chan []sseEvent)
	go func() {
		_, ev := sharedRPC(t, b, sid, "", `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"delete_sensor_profile","arguments":{"sensorProfileId":"`+sandbox.NorthProfileID+`"}}}`,
			func(e sseEvent) bool {
				return e.data["result"] != nil || e.data["error"] != nil && e.data["method"] == nil
			})
		done <- ev
	}()
	var asked sseEvent
	for deadline := time.Now().Add(10 * time.Second); asked.id == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, k := range mr.Keys() {
			if strings.HasSuffix(k, "events:"+sid) {
				entries, _ := mr.List(k)
				for _, e := range entries { // the log level came along: debug notifications come first
					id, rest, _ := strings.Cut(e, " ")
					_, msg, _ := strings.Cut(rest, "\n")
					var m map[string]any
					if json.Unmarshal([]byte(msg), &m) == nil && m["method"] == "elicitation/create" {
						asked = sseEvent{id: id, data: m}
					}
				}
			}
		}
	}
	if asked.data["method"] != "elicitation/create" {
		t.Fatalf("b did not ask the client to confirm: %v", asked.data)
	}
	answer, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": asked.data["id"], "result": map[string]any{"action": "accept", "content": map[string]any{"confirm": true}}})
	if resp, _ := sharedRPC(t, b, sid, "", string(answer), nil); resp.StatusCode/100 != 2 {
		t.Fatalf("answer: %s", resp.Status)
	}
	ev := <-done
	final := ev[len(ev)-1]
	if final.data["result"] == nil || strings.Contains(string(mustMarshal(final.data)), `"isError":true`) {
		t.Fatalf("the confirmed call on b: %v", ev)
	}
	// the client lost b's stream after the question: it resumes on a
	_, replayed := sharedRPC(t, a, sid, asked.id, "", nil)
	if len(replayed) == 0 || replayed[len(replayed)-1].id != final.id {
		t.Fatalf("resuming on a after %s: %v, want the result %s", asked.id, replayed, final.id)
	}

	// a DELETE on a ends the session on b too, and its events with it
	req, _ := http.NewRequest(http.MethodDelete, a, nil)
	req.Header.Set("Mcp-Session-Id", sid)
	req.Header.Set("MCP-Protocol-Version", "2025-11-25")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("delete: %v %v", resp, err)
	}
	if resp, _ := sharedRPC(t, b, sid, "", `{"jsonrpc":"2.0","id":4,"method":"tools/list"}`, nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("b still serves a session ended on a: %s", resp.Status)
	}
	if resp, _ := sharedRPC(t, b, "no-such-session", "", `{"jsonrpc":"2.0","id":5,"method":"tools/list"}`, nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("an unknown session: %s", resp.Status)
	}

	// the store down: a session goes on (reads work); its ID is not checked
	resp, _ = sharedRPC(t, a, "", "", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}`, nil)
	sid2 := resp.Header.Get("Mcp-Session-Id")
	mr.Close()
	if resp, ev := sharedRPC(t, b, sid2, "", `{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"list_sensor_profiles","arguments":{}}}`, nil); resp.StatusCode != http.StatusOK || len(ev) == 0 || ev[len(ev)-1].data["result"] == nil {
		t.Fatalf("a read with the store down: %s %v", resp.Status, ev)
	}
}
