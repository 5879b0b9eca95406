package service

import (
	dlist "container/list"
	"context"
	"fmt"
	"strconv"
	"sync"

	json "github.com/segmentio/encoding/json"

	"github.com/mark3labs/mcp-go/server"
)

// eventStore keeps the recent SSE events of each streamable HTTP session,
// for resumption (Last-Event-ID). With a store, mcp-go also hands every
// notification a tool sends during a request to the response in order
// (without one, a notification sent just before the tool returns can be
// lost). The store is bounded twice: each session keeps its newest events
// up to perSession bytes, and all sessions together up to total bytes (past
// that the oldest event of any session goes); older events cannot be
// resumed from. A session's events are purged when it ends or idles out.
// Each store and eviction is O(1).
type eventStore struct {
	perSession, total int

	mu       sync.Mutex
	seq      int64
	bytes    int
	all      *dlist.List // of *storedEvent, oldest first, across sessions
	sessions map[string]*eventLog
}

type eventLog struct {
	session string
	events  []*storedEvent // oldest first
	bytes   int
}

type storedEvent struct {
	id, stream string
	msg        json.RawMessage
	log        *eventLog
	elem       *dlist.Element // in eventStore.all
}

const (
	eventStoreSessionBytes = 1 << 20  // per session: a dozen full-budget results
	eventStoreTotalBytes   = 64 << 20 // across sessions
)

func newEventStore(perSession, total int) *eventStore {
	return &eventStore{perSession: perSession, total: total, all: dlist.New(), sessions: map[string]*eventLog{}}
}

func (s *eventStore) StoreEvent(_ context.Context, sessionID, streamID string, message json.RawMessage) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.sessions[sessionID]
	if l == nil {
		l = &eventLog{session: sessionID}
		s.sessions[sessionID] = l
	}
	s.seq++
	e := &storedEvent{id: strconv.FormatInt(s.seq, 10), stream: streamID, msg: append(json.RawMessage(nil), message...), log: l}
	e.elem = s.all.PushBack(e)
	l.events = append(l.events, e)
	l.bytes += len(e.msg)
	s.bytes += len(e.msg)
	for len(l.events) > 1 && l.bytes > s.perSession {
		s.dropOldestLocked(l)
	}
	for s.all.Len() > 1 && s.bytes > s.total {
		s.dropOldestLocked(s.all.Front().Value.(*storedEvent).log)
	}
	return e.id, nil
}

// dropOldestLocked removes a session's oldest event, which is also the
// oldest of that session in the store-wide list.
func (s *eventStore) dropOldestLocked(l *eventLog) {
	e := l.events[0]
	l.events[0] = nil
	l.events = l.events[1:]
	l.bytes -= len(e.msg)
	s.bytes -= len(e.msg)
	s.all.Remove(e.elem)
	if len(l.events) == 0 {
		delete(s.sessions, l.session)
	}
}

func (s *eventStore) ReplayEventsAfter(_ context.Context, sessionID, lastEventID string, send func(eventID string, message json.RawMessage) error) (string, error) {
	s.mu.Lock()
	var stream string
	var tail []*storedEvent
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
	if l := s.sessions[sessionID]; l != nil {
		for len(l.events) > 0 {
			s.dropOldestLocked(l)
		}
	}
	return nil
}
