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

	"github.com/alicebob/miniredis/v2"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/redis/go-redis/v9"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
)

// These tests drive mcp-go servers in process, as the factory builds
// them; the end-to-end tests (tools/tasks_test.go) drive the binary
// through MCP clients.

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
	hooks, th := &server.Hooks{}, &server.TaskHooks{}
	srv := server.NewMCPServer("qcs", "test", append([]server.ServerOption{server.WithToolCapabilities(false), server.WithHooks(hooks)}, store.Options(hooks, th)...)...)
	store.Attach(srv)
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

// sharedStore is one Redis (miniredis) that replicas share.
func sharedStore(t *testing.T) state.Store {
	mr := miniredis.RunT(t)
	return state.NewRedis(&redis.Options{Addr: mr.Addr()})
}

func call(t *testing.T, srv *server.MCPServer, method string, params any) map[string]any {
	t.Helper()
	raw, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 7, "method": method, "params": params})
	out, _ := json.Marshal(srv.HandleMessage(context.Background(), raw))
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

func start(t *testing.T, a *server.MCPServer, task map[string]any) string {
	t.Helper()
	created := call(t, a, "tools/call", map[string]any{"name": "create_report", "arguments": map[string]any{}, "task": task})
	id, _ := field(created, "result", "task", "taskId").(string)
	if id == "" || field(created, "result", "task", "status") != "working" {
		t.Fatalf("no task created: %v", created)
	}
	return id
}

// eventually polls get until ok says it is what the test waits for.
func eventually(t *testing.T, get func() map[string]any, ok func(map[string]any) bool) map[string]any {
	t.Helper()
	var got map[string]any
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if got = get(); ok(got) {
			return got
		}
	}
	return got
}

func running(m map[string]any) bool {
	msg, _ := field(m, "result", "statusMessage").(string)
	return strings.Contains(msg, "polls")
}

// A task started on replica A is read on replica B: its progress while it
// works, its result once it is done; A shows its progress too; the plain
// call still works.
func TestATaskIsReadOnAnotherReplica(t *testing.T) {
	shared := sharedStore(t)
	w := &work{ready: make(chan struct{})}
	a, storeA := replica(t, shared, "a", w)
	b, storeB := replica(t, shared, "b", w)
	id := start(t, a, map[string]any{})

	got := eventually(t, func() map[string]any { return ask(t, b, storeB, "tasks/get", id) }, running)
	if field(got, "result", "status") != "working" || !strings.Contains(fmt.Sprint(field(got, "result", "statusMessage")), "RUNNING") {
		t.Fatalf("tasks/get on B while A works: %v", got)
	}
	if got := ask(t, a, storeA, "tasks/get", id); !running(got) || field(got, "result", "ttl") != float64(MaxTTL.Milliseconds()) {
		t.Fatalf("tasks/get on A (its progress, the ttl it was given): %v", got)
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
// polling Qualys, tasks/result answers that it was cancelled, and the
// status keeps what the task had done.
func TestACancelOnAnotherReplicaStopsThePolling(t *testing.T) {
	shared := sharedStore(t)
	w := &work{ready: make(chan struct{})}
	a, storeA := replica(t, shared, "a", w)
	b, storeB := replica(t, shared, "b", w)
	id := start(t, a, map[string]any{"ttl": 60000})
	eventually(t, func() map[string]any { return ask(t, b, storeB, "tasks/get", id) }, running)
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
	for _, on := range []struct {
		srv   *server.MCPServer
		store *Store
	}{{a, storeA}, {b, storeB}} {
		got := ask(t, on.srv, on.store, "tasks/get", id)
		if msg := fmt.Sprint(field(got, "result", "statusMessage")); field(got, "result", "status") != "cancelled" || !strings.Contains(msg, "its last progress: report RUNNING") {
			t.Fatalf("tasks/get of the cancelled task: %v", got)
		}
	}
	if again := ask(t, b, storeB, "tasks/cancel", id); field(again, "error", "code") != float64(mcp.INVALID_PARAMS) {
		t.Fatalf("a second cancel: %v", again)
	}
}

// Another session's task is not read, and a task whose replica went away
// says so instead of working forever.
func TestSessionsAndLostReplicas(t *testing.T) {
	s := NewStore(sharedStore(t), "b")
	ctx := t.Context()
	old := time.Now().Add(-time.Hour)
	s.put(ctx, Record{Task: mcp.Task{TaskId: "t1", Status: mcp.TaskStatusWorking}, Session: "s1", Owner: "a", Beat: old.UnixMilli(), Expires: time.Now().Add(time.Hour).UnixMilli()})
	for _, other := range []string{"s2", ""} {
		if _, handled := s.Answer(ctx, other, request("tasks/get", "t1")); handled {
			t.Fatalf("session %q was answered another session's task", other)
		}
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

// A ttl over MaxTTL is cut to it; a record lives as long as its task.
func TestTTL(t *testing.T) {
	shared := sharedStore(t)
	w := &work{ready: make(chan struct{})}
	defer close(w.ready)
	a, storeA := replica(t, shared, "a", w)
	id := start(t, a, map[string]any{"ttl": 10 * MaxTTL.Milliseconds()})
	if got := ask(t, a, storeA, "tasks/get", id); field(got, "result", "ttl") != float64(MaxTTL.Milliseconds()) {
		t.Fatalf("a ttl over the cap: %v", got)
	}
	short := start(t, a, map[string]any{"ttl": 300})
	if r, _ := storeA.Get(t.Context(), short); r == nil || r.Expires > time.Now().Add(time.Second).UnixMilli() {
		t.Fatalf("the record of a task with a 300 ms ttl: %+v", r)
	}
}

// Over HTTP the store answers in front of mcp-go what it takes, by the
// request's session, and passes the rest on untouched.
func TestHandler(t *testing.T) {
	s := NewStore(sharedStore(t), "b")
	s.put(t.Context(), Record{Task: mcp.Task{TaskId: "t1", Status: mcp.TaskStatusCompleted}, Session: "s1", Owner: "a", Beat: time.Now().UnixMilli(), Expires: time.Now().Add(time.Hour).UnixMilli()})
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

// A 2026-07-28 request cannot read a task's result (tasks/result is gone
// there): params.task is ignored, and the call answers its result.
func TestModernRequestsRunPlain(t *testing.T) {
	w := &work{ready: make(chan struct{})}
	close(w.ready)
	a, _ := replica(t, state.NewMemory(), "a", w)
	got := call(t, a, "tools/call", map[string]any{"name": "create_report", "arguments": map[string]any{}, "task": map[string]any{},
		"_meta": map[string]any{mcp.MetaKeyProtocolVersion: mcp.ProtocolVersion20260728, mcp.MetaKeyClientCapabilities: map[string]any{}}})
	if field(got, "result", "task") != nil || !strings.Contains(fmt.Sprint(field(got, "result", "content")), "GENERATED") {
		t.Fatalf("a 2026-07-28 task-augmented call: %v", got)
	}
}
