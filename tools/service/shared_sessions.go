package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	json "github.com/segmentio/encoding/json"

	"github.com/google/uuid"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/redis/go-redis/v9"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
)

// SharedSessions keeps stateful HTTP sessions in the shared store, so that
// a client whose session moved to another replica (a rebalance, a replica
// that went away) goes on there: the session is known (a DELETE on one
// replica ends it on all), what the client said at initialize (its name,
// its capabilities: elicitation) and its log level come along, and its
// event streams resume from Redis (Last-Event-ID) on any replica.
//
// Requests the server sends a client (an elicitation) are answered to the
// replica that sent them: a balancer in front of stateful replicas keeps a
// session on one replica while it lives (affinity on Mcp-Session-Id), and
// this is what lets it move when it must.
type SharedSessions struct {
	store state.Store
	log   *slog.Logger
}

// sessionRecord is what a replica needs to serve a session it did not
// initialize.
type sessionRecord struct {
	Client       *mcp.Implementation     `json:"client,omitempty"`
	Capabilities *mcp.ClientCapabilities `json:"caps,omitempty"`
	LogLevel     mcp.LoggingLevel        `json:"level,omitempty"`
	Seen         int64                   `json:"seen"` // unix seconds of the last refresh of its expiry
}

func sessionRecordKey(id string) string { return "session:" + id }
func endedSessionKey(id string) string  { return "session-ended:" + id }

// NewSharedSessions keeps the sessions in a shared store; nil when the
// store is this process's own.
func NewSharedSessions(store state.Store, log *slog.Logger) *SharedSessions {
	if store == nil || !store.Shared() {
		return nil
	}
	return &SharedSessions{store: store, log: log}
}

// options replace mcp-go's in-process session state with the shared one;
// restore, the HTTP context function, brings a session's settings along.
func (s *SharedSessions) options() []server.StreamableHTTPOption {
	opts := []server.StreamableHTTPOption{
		server.WithSessionIdManagerResolver(sessionResolver{s}),
	}
	if r, ok := s.store.(*state.Redis); ok {
		opts = append(opts, server.WithEventStore(&redisEventStore{rdb: r.Client(), maxBytes: eventStoreSessionBytes, ttl: DefaultSessionIdle, sessions: s}))
	}
	return opts
}

// Hooks record what initialize and logging/setLevel set.
func (s *SharedSessions) Hooks() *server.Hooks {
	h := &server.Hooks{}
	h.AddAfterInitialize(func(ctx context.Context, _ any, req *mcp.InitializeRequest, _ *mcp.InitializeResult) {
		s.update(ctx, func(r *sessionRecord) {
			r.Client, r.Capabilities = &req.Params.ClientInfo, &req.Params.Capabilities
		})
	})
	h.AddAfterSetLevel(func(ctx context.Context, _ any, req *mcp.SetLevelRequest, _ *mcp.EmptyResult) {
		s.update(ctx, func(r *sessionRecord) { r.LogLevel = req.Params.Level })
	})
	return h
}

func (s *SharedSessions) load(ctx context.Context, id string) (sessionRecord, bool, error) {
	var rec sessionRecord
	raw, ok, err := s.store.Get(ctx, sessionRecordKey(id))
	if err != nil || !ok {
		return rec, ok, err
	}
	return rec, json.Unmarshal(raw, &rec) == nil, nil
}

func (s *SharedSessions) save(ctx context.Context, id string, rec sessionRecord) error {
	rec.Seen = time.Now().Unix()
	b, _ := json.Marshal(rec)
	return s.store.Put(ctx, sessionRecordKey(id), b, DefaultSessionIdle)
}

func (s *SharedSessions) update(ctx context.Context, change func(*sessionRecord)) {
	sess := server.ClientSessionFromContext(ctx)
	if sess == nil || sess.SessionID() == "" {
		return
	}
	rec, _, err := s.load(ctx, sess.SessionID())
	if err == nil {
		change(&rec)
		err = s.save(ctx, sess.SessionID(), rec)
	}
	if err != nil {
		s.log.Warn("shared state store unavailable: the session's settings stay on this replica", "error", err.Error())
	}
}

// restore gives a session this replica did not initialize what the
// client said there.
func (s *SharedSessions) restore(ctx context.Context, _ *http.Request) context.Context {
	sess := server.ClientSessionFromContext(ctx)
	ci, ok := sess.(server.SessionWithClientInfo)
	if !ok || sess.SessionID() == "" || ci.GetClientInfo().Name != "" {
		return ctx
	}
	rec, found, err := s.load(ctx, sess.SessionID())
	if err != nil || !found {
		return ctx
	}
	if rec.Client != nil {
		ci.SetClientInfo(*rec.Client)
	}
	if rec.Capabilities != nil {
		ci.SetClientCapabilities(*rec.Capabilities)
	}
	if l, ok := sess.(server.SessionWithLogging); ok && rec.LogLevel != "" {
		l.SetLogLevel(rec.LogLevel)
	}
	sess.Initialize()
	return ctx
}

// sessionResolver answers requests with the shared manager, and mcp-go's
// idle sweeper (no request) with a local one: a session idle here may be
// busy on another replica, so only its end (DELETE) or its expiry in the
// store end it for all.
type sessionResolver struct{ s *SharedSessions }

func (r sessionResolver) ResolveSessionIdManager(req *http.Request) server.SessionIdManager {
	if req == nil {
		return localSessions{}
	}
	return sessionManager(r)
}

type localSessions struct{}

func (localSessions) Generate() string               { return uuid.NewString() }
func (localSessions) Validate(string) (bool, error)  { return false, nil }
func (localSessions) Terminate(string) (bool, error) { return false, nil }
func (m sessionManager) ctx() (context.Context, func()) {
	return context.WithTimeout(context.Background(), 2*time.Second)
}
func (m sessionManager) warn(what string, err error) {
	m.s.log.Warn("shared state store unavailable: "+what, "error", err.Error())
}
func (m sessionManager) terminated(id string) (bool, error) { return m.exists(endedSessionKey(id)) }

type sessionManager struct{ s *SharedSessions }

func (m sessionManager) exists(key string) (bool, error) {
	ctx, cancel := m.ctx()
	defer cancel()
	_, ok, err := m.s.store.Get(ctx, key)
	return ok, err
}

func (m sessionManager) Generate() string {
	id := uuid.NewString()
	ctx, cancel := m.ctx()
	defer cancel()
	if err := m.s.save(ctx, id, sessionRecord{}); err != nil {
		m.warn("a new session is known to this replica only", err)
	}
	return id
}

// Validate knows the sessions any replica started. While the store is
// down it takes the client's word (session IDs are not a credential: the
// bearer token is), so that reads go on.
func (m sessionManager) Validate(id string) (bool, error) {
	ctx, cancel := m.ctx()
	defer cancel()
	rec, ok, err := m.s.load(ctx, id)
	switch {
	case err != nil:
		m.warn("session IDs are not checked", err)
		return false, nil
	case ok:
		if time.Since(time.Unix(rec.Seen, 0)) > time.Minute { // keep an active session alive
			m.s.save(ctx, id, rec)
		}
		return false, nil
	}
	if ended, err := m.terminated(id); err == nil && ended {
		return true, nil
	}
	return false, fmt.Errorf("unknown session %q", id)
}

func (m sessionManager) Terminate(id string) (bool, error) {
	ctx, cancel := m.ctx()
	defer cancel()
	if err := m.s.store.Put(ctx, endedSessionKey(id), []byte{1}, DefaultSessionIdle); err != nil {
		return false, err
	}
	return false, m.s.store.Delete(ctx, sessionRecordKey(id))
}

// redisEventStore is the event log of the sessions' SSE streams in Redis,
// shared by the replicas: a list per session of "id stream\nmessage"
// entries, the newest maxBytes kept, expiring with the session.
type redisEventStore struct {
	rdb      *redis.Client
	maxBytes int
	ttl      time.Duration
	sessions *SharedSessions
}

var storeEventScript = redis.NewScript(`
local id = redis.call('INCR', KEYS[2])
local entry = id .. ' ' .. ARGV[1]
redis.call('RPUSH', KEYS[1], entry)
local bytes = redis.call('INCRBY', KEYS[3], #entry)
while bytes > tonumber(ARGV[2]) and redis.call('LLEN', KEYS[1]) > 1 do
  bytes = redis.call('DECRBY', KEYS[3], #redis.call('LPOP', KEYS[1]))
end
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
return id
`)

func eventKeys(sessionID string) []string {
	p := state.Prefix + "events:" + sessionID
	return []string{p, p + ":seq", p + ":bytes"}
}

func (s *redisEventStore) StoreEvent(ctx context.Context, sessionID, streamID string, message json.RawMessage) (string, error) {
	id, err := storeEventScript.Run(ctx, s.rdb, eventKeys(sessionID), streamID+"\n"+string(message), s.maxBytes, s.ttl.Milliseconds()).Int64()
	if err != nil {
		return "", state.Wrap("store event", err)
	}
	return strconv.FormatInt(id, 10), nil
}

func (s *redisEventStore) ReplayEventsAfter(ctx context.Context, sessionID, lastEventID string, send func(eventID string, message json.RawMessage) error) (string, error) {
	entries, err := s.rdb.LRange(ctx, eventKeys(sessionID)[0], 0, -1).Result()
	if err != nil {
		return "", state.Wrap("replay events", err)
	}
	stream, found := "", false
	for _, e := range entries {
		id, rest, _ := strings.Cut(e, " ")
		sid, msg, _ := strings.Cut(rest, "\n")
		if found && sid == stream {
			if err := send(id, json.RawMessage(msg)); err != nil {
				return "", err
			}
		}
		if !found && id == lastEventID {
			found, stream = true, sid
		}
	}
	if !found {
		return "", fmt.Errorf("%w: %s", server.ErrUnknownEventID, lastEventID)
	}
	return stream, nil
}

// PurgeSession forgets a session's events once it has ended for all (a
// DELETE); a replica that only stopped seeing it leaves them to the others.
func (s *redisEventStore) PurgeSession(ctx context.Context, sessionID string) error {
	ended, err := sessionManager{s.sessions}.terminated(sessionID)
	if err != nil || !ended {
		return err
	}
	if err := s.rdb.Del(ctx, eventKeys(sessionID)...).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return state.Wrap("purge events", err)
	}
	return nil
}
