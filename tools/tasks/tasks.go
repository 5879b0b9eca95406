// Package tasks makes MCP tasks (protocol 2025-11-25: a task-augmented
// tools/call, tasks/get, tasks/result, tasks/cancel) one service across
// replicas. mcp-go runs a task and keeps it in its own process; this
// package mirrors each task into the shared state store (client/state) as
// it starts, makes progress and ends, so that the replica a balancer sends
// the next request to can answer tasks/get and tasks/result for a task
// another replica runs, and pass a tasks/cancel on to the replica that runs
// it. Without a shared store the same code keeps the records in memory,
// and a task's progress still shows in tasks/get.
//
// A prototype (issue 24): the factory wires it after the tools/ split.
// See docs/tasks.md.
package tasks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
)

// Record is a task as every replica sees it.
type Record struct {
	Task    mcp.Task `json:"task"`
	Tool    string   `json:"tool"`
	Session string   `json:"session,omitempty"` // the MCP session that started it: no other may read it
	Owner   string   `json:"owner"`             // the replica that runs it
	Beat    int64    `json:"beat"`              // unix ms of the owner's last sign of life
	// Answer is the JSON-RPC answer to tasks/result once the task has
	// ended (a result, or the error mcp-go answers), as the owner gave it:
	// already shaped and redacted by the tool's call wrapper.
	Answer json.RawMessage `json:"answer,omitempty"`
}

// Store keeps the records in a state.Store.
type Store struct {
	st      state.Store
	replica string        // this replica's name in Owner
	TTL     time.Duration // how long a record lives after its last change
	Beat    time.Duration // how often an owner shows it lives and looks for a cancellation
	Stale   time.Duration // a record whose owner was silent this long ended with its replica
	Wait    time.Duration // how long tasks/cancel waits for the owner to cancel
	now     func() time.Time

	mu      sync.Mutex
	running map[string]chan struct{} // this replica's tasks: closed when one ends
}

// NewStore keeps task records in st (a shared store: every replica; else
// this process) for the replica named replica.
func NewStore(st state.Store, replica string) *Store {
	return &Store{st: st, replica: replica, TTL: time.Hour, Beat: time.Second, Stale: 30 * time.Second, Wait: 5 * time.Second,
		now: time.Now, running: map[string]chan struct{}{}}
}

func recordKey(id string) string { return "task:" + id }
func cancelKey(id string) string { return "task-cancel:" + id }

// Get reads a task's record; nil when no replica knows it.
func (s *Store) Get(ctx context.Context, id string) (*Record, error) {
	raw, ok, err := s.st.Get(ctx, recordKey(id))
	if err != nil || !ok {
		return nil, err
	}
	var r Record
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("task %s: an unreadable record: %w", id, err)
	}
	return &r, nil
}

func (s *Store) put(ctx context.Context, r *Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return s.st.Put(ctx, recordKey(r.Task.TaskId), b, s.TTL)
}

// update changes this replica's record of a task.
func (s *Store) update(ctx context.Context, id string, change func(*Record)) error {
	r, err := s.Get(ctx, id)
	if err != nil || r == nil {
		return err
	}
	change(r)
	r.Beat = s.now().UnixMilli()
	r.Task.LastUpdatedAt = s.now().UTC().Format(time.RFC3339)
	return s.put(ctx, r)
}

// taskIDKey carries a slot in a request's context: the created hook writes
// the task's ID in it, so that the tool's handler, which runs the task,
// can report progress under that ID.
type taskIDKey struct{}

type slot struct {
	mu sync.Mutex
	id string
}

// WithSlot prepares a request's context (the HTTP context function calls
// it, once per request) to learn the ID of the task it may start.
func WithSlot(ctx context.Context) context.Context {
	return context.WithValue(ctx, taskIDKey{}, &slot{})
}

// ID is the ID of the task ctx's call runs as, "" when it runs as a
// plain call.
func ID(ctx context.Context) string {
	if sl, _ := ctx.Value(taskIDKey{}).(*slot); sl != nil {
		sl.mu.Lock()
		defer sl.mu.Unlock()
		return sl.id
	}
	return ""
}

// Progress shows message as the status message of the task ctx's call
// runs as (tasks/get on any replica); nothing for a plain call.
func (s *Store) Progress(ctx context.Context, message string) error {
	id := ID(ctx)
	if s == nil || id == "" {
		return nil
	}
	return s.update(context.WithoutCancel(ctx), id, func(r *Record) {
		if !r.Task.Status.IsTerminal() {
			r.Task.StatusMessage = message
		}
	})
}

// AddHooks adds to h, the task hooks srv was built with, what mirrors the
// tasks srv runs (this replica's) into the store and watches each running
// one for a cancellation another replica asked for.
func (s *Store) AddHooks(h *server.TaskHooks, srv *server.MCPServer) {
	h.AddOnTaskCreated(func(ctx context.Context, m server.TaskMetrics) {
		if sl, _ := ctx.Value(taskIDKey{}).(*slot); sl != nil {
			sl.mu.Lock()
			sl.id = m.TaskID
			sl.mu.Unlock()
		}
		at := m.CreatedAt.UTC().Format(time.RFC3339)
		r := &Record{Task: mcp.Task{TaskId: m.TaskID, Status: mcp.TaskStatusWorking, CreatedAt: at, LastUpdatedAt: at},
			Tool: m.ToolName, Session: m.SessionID, Owner: s.replica, Beat: s.now().UnixMilli()}
		s.put(context.WithoutCancel(ctx), r) // a store that fails: the task still runs here, and is read here
		done := make(chan struct{})
		s.mu.Lock()
		s.running[m.TaskID] = done
		s.mu.Unlock()
		go s.watch(srv, m.TaskID, done)
	})
	ended := func(_ context.Context, m server.TaskMetrics) {
		s.mu.Lock()
		if done, ok := s.running[m.TaskID]; ok {
			close(done)
			delete(s.running, m.TaskID)
		}
		s.mu.Unlock()
		// the answer tasks/result gives, from mcp-go itself (a finished
		// task answers at once; no session: the hook runs outside one)
		answer := srv.HandleMessage(context.Background(), request("tasks/result", m.TaskID))
		raw, _ := json.Marshal(answer)
		s.update(context.Background(), m.TaskID, func(r *Record) {
			r.Task.Status, r.Task.StatusMessage, r.Answer = m.Status, m.StatusMessage, raw
		})
	}
	h.AddOnTaskCompleted(ended)
	h.AddOnTaskFailed(ended)
	h.AddOnTaskCancelled(ended)
}

// watch keeps a running task's record alive and cancels the task here
// when another replica asked for it, until the task ends.
func (s *Store) watch(srv *server.MCPServer, id string, done chan struct{}) {
	t := time.NewTicker(s.Beat)
	defer t.Stop()
	ctx := context.Background()
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		if _, asked, err := s.st.Get(ctx, cancelKey(id)); err == nil && asked {
			srv.HandleMessage(ctx, request("tasks/cancel", id))
			return
		}
		s.update(ctx, id, func(*Record) {}) // the beat
	}
}

func request(method, id string) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": map[string]string{"taskId": id}})
	return b
}

// message is the part of a JSON-RPC request Answer reads.
type message struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params struct {
		TaskID string `json:"taskId"`
	} `json:"params"`
}

// Answer answers tasks/get for any task the store knows (its progress
// shows there), and tasks/result and tasks/cancel for a task another
// replica runs. handled is false for anything else: mcp-go answers it
// (this replica's task, or a task no replica knows: "task not found").
// session is the request's MCP session ("" without one).
func (s *Store) Answer(ctx context.Context, session string, raw []byte) (reply json.RawMessage, handled bool) {
	var m message
	if json.Unmarshal(raw, &m) != nil || m.Params.TaskID == "" || len(m.ID) == 0 {
		return nil, false
	}
	if m.Method != string(mcp.MethodTasksGet) && m.Method != string(mcp.MethodTasksResult) && m.Method != string(mcp.MethodTasksCancel) {
		return nil, false
	}
	r, err := s.Get(ctx, m.Params.TaskID)
	switch {
	case err != nil:
		return s.fail(m.ID, mcp.INTERNAL_ERROR, "the shared state store is unavailable: the task cannot be read now; ask again"), true
	case r == nil, r.Session != "" && session != "" && r.Session != session:
		return nil, false
	case r.Owner == s.replica && m.Method != string(mcp.MethodTasksGet):
		return nil, false
	}
	s.gone(r)
	switch m.Method {
	case string(mcp.MethodTasksGet):
		return s.ok(m.ID, mcp.NewGetTaskResult(r.Task)), true
	case string(mcp.MethodTasksCancel):
		if r.Task.Status.IsTerminal() {
			return s.fail(m.ID, mcp.INVALID_PARAMS, "cannot cancel task in terminal status: "+string(r.Task.Status)), true
		}
		if err := s.st.Put(ctx, cancelKey(r.Task.TaskId), []byte("1"), s.TTL); err != nil {
			return s.fail(m.ID, mcp.INTERNAL_ERROR, "the shared state store is unavailable: the cancellation was not passed on; ask again"), true
		}
		r = s.await(ctx, r, s.Wait)
		return s.ok(m.ID, mcp.NewCancelTaskResult(r.Task)), true
	}
	// tasks/result: the answer the owner stored, once the task has ended
	if r = s.await(ctx, r, 0); !r.Task.Status.IsTerminal() {
		return s.fail(m.ID, mcp.REQUEST_INTERRUPTED, "the request ended before the task did"), true
	}
	if len(r.Answer) == 0 {
		return s.fail(m.ID, mcp.INTERNAL_ERROR, "task "+string(r.Task.Status)+": "+r.Task.StatusMessage), true
	}
	return reanswer(m.ID, r.Answer), true
}

// gone marks a record whose owner has been silent past Stale as failed:
// the replica running it went away, and no one knows how its work ended.
func (s *Store) gone(r *Record) {
	if !r.Task.Status.IsTerminal() && s.now().Sub(time.UnixMilli(r.Beat)) > s.Stale {
		r.Task.Status = mcp.TaskStatusFailed
		r.Task.StatusMessage = "the replica running this task stopped answering; how its work ended is unknown (look it up in Qualys)"
	}
}

// await polls the record until the task ends, ctx ends, or max passes
// (0: no limit but ctx's).
func (s *Store) await(ctx context.Context, r *Record, max time.Duration) *Record {
	var limit <-chan time.Time
	if max > 0 {
		t := time.NewTimer(max)
		defer t.Stop()
		limit = t.C
	}
	poll := time.NewTicker(min(s.Beat, 500*time.Millisecond))
	defer poll.Stop()
	for !r.Task.Status.IsTerminal() {
		select {
		case <-ctx.Done():
			return r
		case <-limit:
			return r
		case <-poll.C:
		}
		if cur, err := s.Get(ctx, r.Task.TaskId); err == nil && cur != nil {
			r = cur
		}
		s.gone(r)
	}
	return r
}

func (s *Store) ok(id json.RawMessage, result any) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "result": result})
	return b
}

func (s *Store) fail(id json.RawMessage, code int, message string) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "error": map[string]any{"code": code, "message": message}})
	return b
}

// reanswer gives the stored answer the id of the request it now answers.
func reanswer(id json.RawMessage, stored json.RawMessage) json.RawMessage {
	var a map[string]json.RawMessage
	if json.Unmarshal(stored, &a) != nil {
		return stored
	}
	a["id"] = id
	b, _ := json.Marshal(a)
	return b
}

// Handler answers, in front of mcp-go's streamable HTTP handler next, the
// task requests Answer takes; everything else goes on to next unchanged.
// It reads at most maxBody bytes of a request (the HTTP guard in front
// has already bounded it).
func (s *Store) Handler(next http.Handler, maxBody int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))
		if err != nil || int64(len(body)) > maxBody || !bytes.Contains(body, []byte(`"tasks/`)) {
			next.ServeHTTP(w, r)
			return
		}
		reply, handled := s.Answer(r.Context(), r.Header.Get(server.HeaderKeySessionID), body)
		if !handled {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(reply)
	})
}
