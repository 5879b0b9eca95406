package tasks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
)

// work is a tool whose job outlives a call, as create_report's does: it
// polls "Qualys" (counted) until the job is ready, reporting progress.
type work struct {
	polls atomic.Int64
	ready chan struct{}
}

// replica is one server process: an mcp-go server with task support,
// its tasks mirrored into the shared store.
func replica(t *testing.T, shared state.Store, name string, w *work) (*server.MCPServer, *Store) {
	t.Helper()
	store := NewStore(shared, name)
	store.Beat = 20 * time.Millisecond
	hooks := &server.TaskHooks{}
	srv := server.NewMCPServer("qcs", "test", server.WithTaskCapabilities(true, true, true), server.WithTaskHooks(hooks))
	store.AddHooks(hooks, srv)
	tool := mcp.NewTool("create_report", mcp.WithTaskSupport(mcp.TaskSupportOptional))
	srv.AddTool(tool, func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		poll := time.NewTicker(10 * time.Millisecond)
		defer poll.Stop()
		for {
			n := w.polls.Add(1)
			store.Progress(ctx, fmt.Sprintf("report RUNNING (%d polls)", n))
			select {
			case <-w.ready:
				return mcp.NewToolResultText(`{"reportUuid":"7a1e2f30-0000-4000-8000-000000000001","status":"GENERATED"}`), nil
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-poll.C:
			}
		}
	})
	return srv, store
}

func call(t *testing.T, srv *server.MCPServer, method string, params any) map[string]any {
	t.Helper()
	raw, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 7, "method": method, "params": params})
	out, _ := json.Marshal(srv.HandleMessage(WithSlot(context.Background()), raw))
	var m map[string]any
	json.Unmarshal(out, &m)
	return m
}

// ask sends a tasks/ request to a replica as its HTTP handler would: the
// store first, then mcp-go.
func ask(t *testing.T, srv *server.MCPServer, store *Store, method, id string) map[string]any {
	t.Helper()
	raw := request(method, id)
	if reply, handled := store.Answer(t.Context(), "", raw); handled {
		var m map[string]any
		json.Unmarshal(reply, &m)
		return m
	}
	out, _ := json.Marshal(srv.HandleMessage(t.Context(), raw))
	var m map[string]any
	json.Unmarshal(out, &m)
	return m
}

func field(m map[string]any, path ...string) any {
	var v any = m
	for _, k := range path {
		o, _ := v.(map[string]any)
		v = o[k]
	}
	return v
}

func start(t *testing.T, a *server.MCPServer) string {
	t.Helper()
	created := call(t, a, "tools/call", map[string]any{"name": "create_report", "arguments": map[string]any{}, "task": map[string]any{"ttl": 60000}})
	id, _ := field(created, "result", "task", "taskId").(string)
	if id == "" || field(created, "result", "task", "status") != "working" {
		t.Fatalf("no task created: %v", created)
	}
	return id
}

// A task started on replica A is read on replica B: its progress while it
// works, its result once it is done; the plain call still works.
func TestATaskIsReadOnAnotherReplica(t *testing.T) {
	shared := state.NewMemory() // what Redis is to replicas: one store
	w := &work{ready: make(chan struct{})}
	a, _ := replica(t, shared, "a", w)
	b, storeB := replica(t, shared, "b", w)
	id := start(t, a)

	var got map[string]any
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		got = ask(t, b, storeB, "tasks/get", id)
		if msg, _ := field(got, "result", "statusMessage").(string); strings.Contains(msg, "polls") {
			break
		}
	}
	if field(got, "result", "status") != "working" || !strings.Contains(fmt.Sprint(field(got, "result", "statusMessage")), "RUNNING") {
		t.Fatalf("tasks/get on B while A works: %v", got)
	}
	close(w.ready)
	res := ask(t, b, storeB, "tasks/result", id)
	if field(res, "id") != float64(1) || !strings.Contains(fmt.Sprint(field(res, "result", "content")), "7a1e2f30-0000-4000-8000-000000000001") {
		t.Fatalf("tasks/result on B: %v", res)
	}
	if got := ask(t, b, storeB, "tasks/get", id); field(got, "result", "status") != "completed" {
		t.Fatalf("tasks/get on B after the end: %v", got)
	}
	plain := call(t, a, "tools/call", map[string]any{"name": "create_report", "arguments": map[string]any{}})
	if !strings.Contains(fmt.Sprint(field(plain, "result", "content")), "GENERATED") || field(plain, "result", "task") != nil {
		t.Fatalf("the plain call: %v", plain)
	}
	if got := ask(t, b, storeB, "tasks/get", "00000000-0000-4000-8000-000000000000"); field(got, "error", "code") != float64(mcp.INVALID_PARAMS) {
		t.Fatalf("an unknown task: %v", got)
	}
}

// tasks/cancel on replica B cancels the task replica A runs: A stops
// polling Qualys, and tasks/result answers that it was cancelled.
func TestACancelOnAnotherReplicaStopsThePolling(t *testing.T) {
	shared := state.NewMemory()
	w := &work{ready: make(chan struct{})}
	a, _ := replica(t, shared, "a", w)
	b, storeB := replica(t, shared, "b", w)
	id := start(t, a)
	for w.polls.Load() < 3 {
		time.Sleep(5 * time.Millisecond)
	}
	cancelled := ask(t, b, storeB, "tasks/cancel", id)
	if field(cancelled, "result", "status") != "cancelled" {
		t.Fatalf("tasks/cancel on B: %v", cancelled)
	}
	n := w.polls.Load()
	time.Sleep(200 * time.Millisecond)
	if w.polls.Load() != n {
		t.Fatalf("A went on polling after the cancel: %d polls, then %d", n, w.polls.Load())
	}
	if res := ask(t, b, storeB, "tasks/result", id); field(res, "error", "code") != float64(mcp.REQUEST_INTERRUPTED) {
		t.Fatalf("tasks/result of the cancelled task: %v", res)
	}
	if again := ask(t, b, storeB, "tasks/cancel", id); field(again, "error", "code") != float64(mcp.INVALID_PARAMS) {
		t.Fatalf("a second cancel: %v", again)
	}
}

// Another session's task is not read, and a task whose replica went away
// says so instead of working forever.
func TestSessionsAndLostReplicas(t *testing.T) {
	shared := state.NewMemory()
	s := NewStore(shared, "b")
	ctx := t.Context()
	old := time.Now().Add(-time.Hour)
	s.put(ctx, &Record{Task: mcp.Task{TaskId: "t1", Status: mcp.TaskStatusWorking}, Session: "s1", Owner: "a", Beat: old.UnixMilli()})
	if _, handled := s.Answer(ctx, "s2", request("tasks/get", "t1")); handled {
		t.Fatal("another session's task was answered")
	}
	reply, handled := s.Answer(ctx, "s1", request("tasks/get", "t1"))
	var m map[string]any
	json.Unmarshal(reply, &m)
	if !handled || field(m, "result", "status") != "failed" || !strings.Contains(fmt.Sprint(field(m, "result", "statusMessage")), "stopped answering") {
		t.Fatalf("a task whose replica went away: %s", reply)
	}
	if _, handled := s.Answer(ctx, "", []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)); handled {
		t.Fatal("answered what is not a task request")
	}
}

// Over HTTP the store answers in front of mcp-go what it takes, by the
// request's session, and passes the rest on untouched.
func TestHandler(t *testing.T) {
	s := NewStore(state.NewMemory(), "b")
	s.put(t.Context(), &Record{Task: mcp.Task{TaskId: "t1", Status: mcp.TaskStatusCompleted}, Session: "s1", Owner: "a", Beat: time.Now().UnixMilli()})
	var passed []string
	h := s.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		passed = append(passed, string(b))
	}), 1<<20)
	post := func(session string, body []byte) string {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/mcp", bytes.NewReader(body))
		r.Header.Set(server.HeaderKeySessionID, session)
		h.ServeHTTP(rec, r)
		return rec.Body.String()
	}
	if got := post("s1", request("tasks/get", "t1")); !strings.Contains(got, `"status":"completed"`) {
		t.Fatalf("tasks/get: %s", got)
	}
	list := []byte(`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
	post("s1", list)
	post("s2", request("tasks/get", "t1"))
	if len(passed) != 2 || passed[0] != string(list) || !strings.Contains(passed[1], "t1") {
		t.Fatalf("passed on to mcp-go: %q", passed)
	}
}
