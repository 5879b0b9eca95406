// Package tasks makes MCP tasks (protocol 2025-11-25: a task-augmented
// tools/call, tasks/get, tasks/result, tasks/cancel) one service across
// replicas, and shows a task's progress while it works.
//
// mcp-go runs a task and keeps it in its own process. This package
// mirrors each task into the state store (client/state) as it starts,
// makes progress and ends, so that the replica a balancer sends the next
// request to can answer tasks/get and tasks/result for a task another
// replica runs, and pass a tasks/cancel on to the replica that runs it.
// Without a shared store the records stay in this process, and a task's
// progress still shows in tasks/get (stdio, one HTTP replica).
//
// A record holds what the client of the task may see, and nothing else:
// the task, and once it ended the answer tasks/result gives, which the
// call wrapper has already shaped and redacted. The factory seals the
// store (state.Sealed), so Redis holds no readable result and a record
// no one with the key wrote is refused.
package tasks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
)

// Defaults of a Store.
const (
	// MaxTTL is how long a task and its result are kept at most (and when
	// the client does not say): a task still working then is cancelled.
	MaxTTL = time.Hour
	// MaxRunning is how many tasks one replica runs at once, and
	// MaxRunningPerSession how many of them one MCP session may have.
	MaxRunning           = 64
	MaxRunningPerSession = 8
)

// Record is a task as every replica sees it.
type Record struct {
	Task    mcp.Task `json:"task"`
	Tool    string   `json:"tool"`
	Session string   `json:"session,omitempty"` // the MCP session that started it: no other may read it
	Owner   string   `json:"owner"`             // the replica that runs it
	Beat    int64    `json:"beat"`              // unix ms of the owner's last sign of life
	Expires int64    `json:"expires"`           // unix ms: the task's ttl from its creation
	// Answer is the JSON-RPC answer to tasks/result once the task has
	// ended (a result, or the error mcp-go answers), as the owner gave it.
	Answer json.RawMessage `json:"answer,omitempty"`
}

// Store keeps the records in a state.Store.
type Store struct {
	st      state.Store
	replica string        // this replica's name in Owner
	Beat    time.Duration // how often an owner shows it lives and looks for a cancellation (shared store only)
	Stale   time.Duration // a record whose owner was silent this long ended with its replica
	Wait    time.Duration // how long tasks/cancel waits for the owner to cancel
	now     func() time.Time
	srv     *server.MCPServer

	mu        sync.Mutex
	own       map[string]*owned                      // this replica's running tasks, by ID
	byRequest map[*server.RequestProtocolInfo]*owned // the same, by the request that started each
	sessions  map[string]int                         // running tasks by MCP session
}

// owned is a task this replica runs.
type owned struct {
	rec  Record
	key  *server.RequestProtocolInfo
	done chan struct{}
}

// NewStore keeps task records in st (a shared store: every replica sees
// them; else this process) for the replica named replica.
func NewStore(st state.Store, replica string) *Store {
	return &Store{st: st, replica: replica, Beat: time.Second, Stale: 30 * time.Second, Wait: 5 * time.Second, now: time.Now,
		own: map[string]*owned{}, byRequest: map[*server.RequestProtocolInfo]*owned{}, sessions: map[string]int{}}
}

// Options give an MCP server task support backed by the store, with h
// (the server's hooks) and th (its task hooks), which the store adds to.
// Call Attach with the server once it is built. tasks/list is advertised
// only when the store is this process's: mcp-go lists its own tasks, and
// a client whose requests a balancer spreads would see a part of its own.
func (s *Store) Options(h *server.Hooks, th *server.TaskHooks) []server.ServerOption {
	s.addHooks(h)
	s.addTaskHooks(th)
	return []server.ServerOption{
		server.WithTaskCapabilities(!s.st.Shared(), true, true),
		server.WithTaskHooks(th),
		server.WithMaxConcurrentTasks(MaxRunning),
	}
}

// Attach names the server whose tasks the store mirrors.
func (s *Store) Attach(srv *server.MCPServer) { s.srv = srv }

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

// put writes a record until its task's ttl runs out.
func (s *Store) put(ctx context.Context, r Record) error {
	left := time.UnixMilli(r.Expires).Sub(s.now())
	if left <= 0 {
		return s.st.Delete(ctx, recordKey(r.Task.TaskId))
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return s.st.Put(ctx, recordKey(r.Task.TaskId), b, left)
}

// requestKey names the request a call came in: mcp-go makes a new
// RequestProtocolInfo for each message it reads, and the task it starts
// runs on a context that keeps the request's values.
func requestKey(ctx context.Context) *server.RequestProtocolInfo {
	return server.RequestProtocolInfoFromContext(ctx)
}

// running is the task ctx's call runs as, on this replica; nil for a
// plain call.
func (s *Store) running(ctx context.Context) *owned {
	key := requestKey(ctx)
	if s == nil || key == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byRequest[key]
}

// ID is the ID of the task ctx's call runs as, "" for a plain call.
func (s *Store) ID(ctx context.Context) string {
	if o := s.running(ctx); o != nil {
		return o.rec.Task.TaskId
	}
	return ""
}

// Progress makes message the status message of the task ctx's call runs
// as (tasks/get on any replica); nothing for a plain call.
func (s *Store) Progress(ctx context.Context, message string) {
	o := s.running(ctx)
	if o == nil {
		return
	}
	s.mu.Lock()
	o.rec.Task.StatusMessage = message
	o.rec.Task.LastUpdatedAt = s.now().UTC().Format(time.RFC3339)
	o.rec.Beat = s.now().UnixMilli()
	r := o.rec
	s.mu.Unlock()
	s.put(context.WithoutCancel(ctx), r) // a store that fails: tasks/get here still shows it
}

// addHooks: a task-augmented call gets a ttl of at most MaxTTL (MaxTTL
// when it asks none), and a session with MaxRunningPerSession tasks
// running is refused another; a 2026-07-28 request, which cannot read a
// task's result (tasks/result is gone there), is served as a plain call;
// tasks/get (and tasks/list) show a running task's progress.
func (s *Store) addHooks(h *server.Hooks) {
	h.AddOnRequestInitialization(func(ctx context.Context, _ any, message any) error {
		raw, ok := message.(json.RawMessage)
		if !ok || !bytes.Contains(raw, []byte(`"task"`)) || server.IsModernRequest(ctx) {
			return nil
		}
		var m struct {
			Method string `json:"method"`
			Params struct {
				Task json.RawMessage `json:"task"`
			} `json:"params"`
		}
		if json.Unmarshal(raw, &m) != nil || m.Method != string(mcp.MethodToolsCall) || len(m.Params.Task) == 0 || string(m.Params.Task) == "null" {
			return nil
		}
		sess := sessionOf(ctx)
		s.mu.Lock()
		n := s.sessions[sess]
		s.mu.Unlock()
		if sess != "" && n >= MaxRunningPerSession { // sessionless: MaxRunning alone
			return fmt.Errorf("this session already runs %d tasks, the most one session may: wait for one to end (tasks/result) or cancel one (tasks/cancel), or call without a task", n)
		}
		return nil
	})
	h.AddBeforeCallTool(func(ctx context.Context, _ any, req *mcp.CallToolRequest) {
		switch {
		case req.Params.Task == nil:
		case server.IsModernRequest(ctx):
			req.Params.Task = nil
		case req.Params.Task.TTL == nil || *req.Params.Task.TTL <= 0 || *req.Params.Task.TTL > MaxTTL.Milliseconds():
			ttl := MaxTTL.Milliseconds()
			req.Params.Task.TTL = &ttl
		}
	})
	h.AddAfterGetTask(func(ctx context.Context, _ any, _ *mcp.GetTaskRequest, res *mcp.GetTaskResult) {
		s.show(ctx, &res.Task)
	})
	h.AddAfterListTasks(func(ctx context.Context, _ any, _ *mcp.ListTasksRequest, res *mcp.ListTasksResult) {
		for i := range res.Tasks {
			s.show(ctx, &res.Tasks[i])
		}
	})
}

// show gives a task mcp-go answers (this replica's) what the store knows
// beyond it: the progress of a running task, the last progress of one
// that ended (what a cancelled one had done).
func (s *Store) show(ctx context.Context, t *mcp.Task) {
	switch t.Status {
	case mcp.TaskStatusWorking:
		s.mu.Lock()
		if o := s.own[t.TaskId]; o != nil && o.rec.Task.StatusMessage != "" {
			t.StatusMessage, t.LastUpdatedAt = o.rec.Task.StatusMessage, o.rec.Task.LastUpdatedAt
		}
		s.mu.Unlock()
	case mcp.TaskStatusCompleted, mcp.TaskStatusCancelled:
		if r, err := s.Get(ctx, t.TaskId); err == nil && r != nil && r.Task.Status == t.Status {
			t.StatusMessage = r.Task.StatusMessage
		}
	}
}

func sessionOf(ctx context.Context) string {
	if sess := server.ClientSessionFromContext(ctx); sess != nil {
		return sess.SessionID()
	}
	return ""
}

// addTaskHooks mirrors the tasks this replica runs into the store, and
// (with a shared store) watches each for a cancellation another replica
// asked for.
func (s *Store) addTaskHooks(h *server.TaskHooks) {
	h.AddOnTaskCreated(func(ctx context.Context, m server.TaskMetrics) {
		at := m.CreatedAt.UTC().Format(time.RFC3339)
		o := &owned{key: requestKey(ctx), done: make(chan struct{}),
			rec: Record{Task: mcp.Task{TaskId: m.TaskID, Status: mcp.TaskStatusWorking, CreatedAt: at, LastUpdatedAt: at},
				Tool: m.ToolName, Session: m.SessionID, Owner: s.replica, Beat: s.now().UnixMilli(), Expires: m.CreatedAt.Add(MaxTTL).UnixMilli()}}
		if t := s.task(m.TaskID); t != nil && t.TTL != nil {
			o.rec.Task.TTL = t.TTL
			o.rec.Expires = m.CreatedAt.Add(time.Duration(*t.TTL) * time.Millisecond).UnixMilli()
		}
		s.mu.Lock()
		s.own[m.TaskID] = o
		if o.key != nil {
			s.byRequest[o.key] = o
		}
		s.sessions[m.SessionID]++
		r := o.rec
		s.mu.Unlock()
		s.put(context.WithoutCancel(ctx), r) // a store that fails: the task still runs here, and is read here
		if s.st.Shared() {
			go s.watch(m.TaskID, o.done)
		}
	})
	ended := func(_ context.Context, m server.TaskMetrics) {
		s.mu.Lock()
		o := s.own[m.TaskID]
		if o != nil {
			close(o.done)
			delete(s.own, m.TaskID)
			delete(s.byRequest, o.key)
			if s.sessions[o.rec.Session]--; s.sessions[o.rec.Session] <= 0 {
				delete(s.sessions, o.rec.Session)
			}
		}
		s.mu.Unlock()
		if o == nil {
			return
		}
		r := o.rec
		r.Task.Status, r.Task.LastUpdatedAt = m.Status, s.now().UTC().Format(time.RFC3339)
		switch {
		case m.Status == mcp.TaskStatusCompleted: // its last progress: "report ... is GENERATED"
		case m.Status == mcp.TaskStatusCancelled && r.Task.StatusMessage != "":
			// what it had done when it stopped (a report's UUID): not lost
			r.Task.StatusMessage = m.StatusMessage + "; its last progress: " + r.Task.StatusMessage
		default:
			r.Task.StatusMessage = m.StatusMessage
		}
		if s.st.Shared() { // for the other replicas: this one's mcp-go answers its own
			// the answer tasks/result gives, from mcp-go itself (a finished
			// task answers at once; no session: the hook runs outside one)
			r.Answer, _ = json.Marshal(s.srv.HandleMessage(context.Background(), request("tasks/result", m.TaskID)))
		}
		s.put(context.Background(), r)
	}
	h.AddOnTaskCompleted(ended)
	h.AddOnTaskFailed(ended)
	h.AddOnTaskCancelled(ended)
}

// task is the task as mcp-go holds it (its ttl); nil if it does not.
func (s *Store) task(id string) *mcp.Task {
	b, _ := json.Marshal(s.srv.HandleMessage(context.Background(), request("tasks/get", id)))
	var a struct {
		Result *mcp.Task `json:"result"`
	}
	json.Unmarshal(b, &a)
	return a.Result
}

// watch keeps a running task's record alive and cancels the task here
// when another replica asked for it, until the task ends.
func (s *Store) watch(id string, done chan struct{}) {
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
			s.srv.HandleMessage(ctx, request("tasks/cancel", id))
			return
		}
		s.mu.Lock()
		o := s.own[id]
		if o == nil {
			s.mu.Unlock()
			return
		}
		o.rec.Beat = s.now().UnixMilli()
		r := o.rec
		s.mu.Unlock()
		s.put(ctx, r)
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

// errUnavailable is what a replica answers when the store that would
// know another replica's task does not answer.
var errUnavailable = errors.New("the shared state store is unavailable")

// Answer answers tasks/get, tasks/result and tasks/cancel for a task
// another replica runs, from its record. handled is false for anything
// else: mcp-go answers it (this replica's task, or a task no replica
// knows: "task not found"). session is the request's MCP session (""
// without one); a task is answered only to the session that started it.
func (s *Store) Answer(ctx context.Context, session string, raw []byte) (reply json.RawMessage, handled bool) {
	var m message
	if json.Unmarshal(raw, &m) != nil || m.Params.TaskID == "" || len(m.ID) == 0 {
		return nil, false
	}
	if m.Method != string(mcp.MethodTasksGet) && m.Method != string(mcp.MethodTasksResult) && m.Method != string(mcp.MethodTasksCancel) {
		return nil, false
	}
	s.mu.Lock()
	_, mine := s.own[m.Params.TaskID]
	s.mu.Unlock()
	if mine {
		return nil, false
	}
	r, err := s.Get(ctx, m.Params.TaskID)
	switch {
	case err != nil:
		return fail(m.ID, mcp.INTERNAL_ERROR, errUnavailable.Error()+": the task cannot be read now; ask again"), true
	case r == nil, r.Session != session, r.Owner == s.replica:
		return nil, false
	}
	s.gone(r)
	switch m.Method {
	case string(mcp.MethodTasksGet):
		return ok(m.ID, mcp.NewGetTaskResult(r.Task)), true
	case string(mcp.MethodTasksCancel):
		if r.Task.Status.IsTerminal() {
			return fail(m.ID, mcp.INVALID_PARAMS, "cannot cancel task in terminal status: "+string(r.Task.Status)), true
		}
		if err := s.st.Put(ctx, cancelKey(r.Task.TaskId), []byte("1"), MaxTTL); err != nil {
			return fail(m.ID, mcp.INTERNAL_ERROR, errUnavailable.Error()+": the cancellation was not passed on; ask again"), true
		}
		r = s.await(ctx, r, s.Wait)
		return ok(m.ID, mcp.NewCancelTaskResult(r.Task)), true
	}
	// tasks/result: the answer the owner stored, once the task has ended
	if r = s.await(ctx, r, 0); !r.Task.Status.IsTerminal() {
		return fail(m.ID, mcp.REQUEST_INTERRUPTED, "the request ended before the task did"), true
	}
	if len(r.Answer) == 0 {
		return fail(m.ID, mcp.INTERNAL_ERROR, "task "+string(r.Task.Status)+": "+r.Task.StatusMessage), true
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

func ok(id json.RawMessage, result any) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "result": result})
	return b
}

func fail(id json.RawMessage, code int, message string) json.RawMessage {
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
// The HTTP guard in front has checked the bearer token, and bounded and
// read the body. Without a shared store (or a store) it is next.
func (s *Store) Handler(next http.Handler, maxBody int64) http.Handler {
	if s == nil || !s.st.Shared() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Body == nil {
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
