package service

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/mark3labs/mcp-go/server"
	"github.com/redis/go-redis/v9"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
)

func TestRedisEventStore(t *testing.T) {
	mr := miniredis.RunT(t)
	r := state.NewRedis(&redis.Options{Addr: mr.Addr()})
	defer r.Close()
	sessions := NewSharedSessions(r, slog.New(slog.DiscardHandler))
	s := &redisEventStore{rdb: r.Client(), maxBytes: 120, ttl: time.Minute, sessions: sessions}
	other := &redisEventStore{rdb: state.NewRedis(&redis.Options{Addr: mr.Addr()}).Client(), maxBytes: 120, ttl: time.Minute, sessions: sessions} // another replica
	ctx := context.Background()
	var ids []string
	for i, stream := range []string{"a", "b", "a", "a"} {
		store := []*redisEventStore{s, other}[i%2]
		id, err := store.StoreEvent(ctx, "s1", stream, json.RawMessage(`{"n":`+string(rune('0'+i))+`}`))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	replay := func(st *redisEventStore, session, after string) (string, string, error) {
		var got []string
		stream, err := st.ReplayEventsAfter(ctx, session, after, func(id string, msg json.RawMessage) error {
			got = append(got, id+"="+string(msg))
			return nil
		})
		return strings.Join(got, " "), stream, err
	}
	if got, stream, err := replay(other, "s1", ids[0]); err != nil || stream != "a" || got != ids[2]+`={"n":2} `+ids[3]+`={"n":3}` {
		t.Fatalf("replay on another replica: %q on %q, %v", got, stream, err)
	}
	if _, _, err := replay(s, "s2", ids[0]); !errors.Is(err, server.ErrUnknownEventID) {
		t.Fatalf("another session: %v", err)
	}
	// bounded: past maxBytes the oldest go
	for i := 0; i < 10; i++ {
		s.StoreEvent(ctx, "s1", "a", json.RawMessage(`{"padding":"0123456789"}`))
	}
	if _, _, err := replay(s, "s1", ids[0]); !errors.Is(err, server.ErrUnknownEventID) {
		t.Fatalf("the oldest event is still kept past the bound: %v", err)
	}
	// a replica that only stopped seeing the session keeps its events; a
	// DELETE ends it for all and purges them
	last, _ := s.StoreEvent(ctx, "s1", "a", json.RawMessage(`{}`))
	s.StoreEvent(ctx, "s1", "a", json.RawMessage(`{}`))
	s.PurgeSession(ctx, "s1")
	if got, _, err := replay(other, "s1", last); err != nil || got == "" {
		t.Fatalf("an idle sweep purged a live session's events: %q %v", got, err)
	}
	sessionManager{sessions}.Terminate("s1")
	s.PurgeSession(ctx, "s1")
	if _, _, err := replay(other, "s1", last); !errors.Is(err, server.ErrUnknownEventID) {
		t.Fatalf("events outlived the session's end: %v", err)
	}
	for _, k := range mr.Keys() {
		if strings.Contains(k, "events:s1") {
			t.Fatalf("key %s left after the purge", k)
		}
	}
}
