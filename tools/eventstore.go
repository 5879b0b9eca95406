package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/server"
)

// eventStore keeps the recent SSE events of each streamable HTTP session,
// for resumption (Last-Event-ID). With a store, mcp-go also hands every
// notification a tool sends during a request to the response in order
// (without one, a notification sent just before the tool returns can be
// lost). The store is bounded: each session keeps its newest events up to
// maxBytes; older ones cannot be resumed from. Sessions are purged when they
// end or idle out.
type eventStore struct {
	maxBytes int

	mu       sync.Mutex
	seq      int64
	sessions map[string]*eventLog
}

type eventLog struct {
	events []storedEvent // oldest first
	bytes  int
}

type storedEvent struct {
	id, stream string
	msg        json.RawMessage
}

const (
	eventStoreBytes = 4 << 20   // per session
	sessionIdleTTL  = time.Hour // a session idle this long is forgotten
)

// streamOptions configure mcp-go's streamable HTTP: stateful sessions get
// the event store and are swept when idle; stateless ones keep nothing.
func streamOptions(stateless bool) []server.StreamableHTTPOption {
	opts := []server.StreamableHTTPOption{server.WithStateLess(stateless), server.WithEndpointPath("/mcp")}
	if !stateless {
		opts = append(opts, server.WithEventStore(newEventStore(eventStoreBytes)), server.WithSessionIdleTTL(sessionIdleTTL))
	}
	return opts
}

func newEventStore(maxBytes int) *eventStore {
	return &eventStore{maxBytes: maxBytes, sessions: map[string]*eventLog{}}
}

func (s *eventStore) StoreEvent(_ context.Context, sessionID, streamID string, message json.RawMessage) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.sessions[sessionID]
	if l == nil {
		l = &eventLog{}
		s.sessions[sessionID] = l
	}
	s.seq++
	id := strconv.FormatInt(s.seq, 10)
	l.events = append(l.events, storedEvent{id: id, stream: streamID, msg: append(json.RawMessage(nil), message...)})
	l.bytes += len(message)
	for len(l.events) > 1 && l.bytes > s.maxBytes {
		l.bytes -= len(l.events[0].msg)
		l.events[0] = storedEvent{}
		l.events = l.events[1:]
	}
	return id, nil
}

func (s *eventStore) ReplayEventsAfter(_ context.Context, sessionID, lastEventID string, send func(eventID string, message json.RawMessage) error) (string, error) {
	s.mu.Lock()
	var stream string
	var tail []storedEvent
	found := false
	if l := s.sessions[sessionID]; l != nil {
		for _, e := range l.events {
			if found && e.stream == stream {
				tail = append(tail, e)
			}
			if e.id == lastEventID {
				found, stream = true, e.stream
			}
		}
	}
	s.mu.Unlock()
	if !found {
		return "", fmt.Errorf("%w: %s", server.ErrUnknownEventID, lastEventID)
	}
	for _, e := range tail {
		if err := send(e.id, e.msg); err != nil {
			return "", err
		}
	}
	return stream, nil
}

func (s *eventStore) PurgeSession(_ context.Context, sessionID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, sessionID)
	return nil
}
