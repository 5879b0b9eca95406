package service

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"testing"

	"github.com/mark3labs/mcp-go/server"
)

func TestEventStoreReplaysItsStreamAndStaysBounded(t *testing.T) {
	ctx := context.Background()
	s := newEventStore(30, 1000)
	var ids []string
	for i, stream := range []string{"a", "b", "a", "a"} {
		id, err := s.StoreEvent(ctx, "s1", stream, json.RawMessage(`{"n":`+string(rune('0'+i))+`}`)) // 7 bytes each
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	replay := func(session, after string) ([]string, string, error) {
		var got []string
		stream, err := s.ReplayEventsAfter(ctx, session, after, func(id string, msg json.RawMessage) error {
			got = append(got, id+"="+string(msg))
			return nil
		})
		return got, stream, err
	}
	got, stream, err := replay("s1", ids[0])
	if err != nil || stream != "a" || !slices.Equal(got, []string{ids[2] + `={"n":2}`, ids[3] + `={"n":3}`}) {
		t.Fatalf("after the first event: %v on %q, %v", got, stream, err)
	}
	// Another session knows none of these IDs.
	if _, _, err := replay("s2", ids[0]); !errors.Is(err, server.ErrUnknownEventID) {
		t.Fatalf("another session: %v", err)
	}
	// Past 30 bytes the oldest events go, and cannot be resumed from.
	s.StoreEvent(ctx, "s1", "a", json.RawMessage(`{"n":4}`))
	if _, _, err := replay("s1", ids[0]); !errors.Is(err, server.ErrUnknownEventID) {
		t.Fatalf("evicted event: %v", err)
	}
	if got, _, err := replay("s1", ids[3]); err != nil || len(got) != 1 {
		t.Fatalf("after the last kept event: %v %v", got, err)
	}
	// One event larger than the bound is still kept, alone.
	big, _ := s.StoreEvent(ctx, "s1", "a", json.RawMessage(`{"big":"0123456789012345678901234567890123456789"}`))
	if l := s.sessions["s1"]; len(l.events) != 1 || l.events[0].id != big || s.all.Len() != 1 {
		t.Fatalf("after a big event: %+v", l.events)
	}
	s.PurgeSession(ctx, "s1")
	if _, _, err := replay("s1", big); !errors.Is(err, server.ErrUnknownEventID) || len(s.sessions) != 0 || s.bytes != 0 || s.all.Len() != 0 {
		t.Fatalf("after purge: %v, %d sessions, %d bytes", err, len(s.sessions), s.bytes)
	}
}

// Across sessions the store holds at most its total: the oldest events of
// any session go first, and a session left with none is forgotten.
func TestEventStoreTotalBound(t *testing.T) {
	ctx := context.Background()
	s := newEventStore(100, 50) // 7-byte events: 7 fit in the total
	first, _ := s.StoreEvent(ctx, "old", "a", json.RawMessage(`{"n":0}`))
	for i := 0; i < 2000; i++ {
		s.StoreEvent(ctx, "s"+strconv.Itoa(i%300), "a", json.RawMessage(`{"n":1}`))
		if s.bytes > 50 || s.all.Len() > 7 || len(s.sessions) > 7 {
			t.Fatalf("after %d events: %d bytes, %d events, %d sessions", i, s.bytes, s.all.Len(), len(s.sessions))
		}
	}
	if _, err := s.ReplayEventsAfter(ctx, "old", first, func(string, json.RawMessage) error { return nil }); !errors.Is(err, server.ErrUnknownEventID) {
		t.Fatalf("the oldest event is still there: %v", err)
	}
	last, _ := s.StoreEvent(ctx, "s1", "a", json.RawMessage(`{"n":2}`))
	if _, err := s.ReplayEventsAfter(ctx, "s1", last, func(string, json.RawMessage) error { return nil }); err != nil {
		t.Fatalf("the newest event: %v", err)
	}
}
