package passkey

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
)

// newSharedService keeps everything in a Redis (miniredis) under the
// state key; raw is that Redis without the seal, as someone with access
// to the store but not the key sees it.
func newSharedService(t *testing.T, keys [][]byte) (*Service, *miniredis.Miniredis) {
	t.Helper()
	mr := miniredis.RunT(t)
	rdb := state.NewRedis(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { rdb.Close() })
	s, err := New(Options{State: rdb, Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	return s, mr
}

// Passkeys and ceremonies in the shared store are sealed and bound to
// their key: a record edited, or copied under another key, is refused;
// another replica with the same key reads them.
func TestSharedStoreSealed(t *testing.T) {
	ctx := context.Background()
	keys := testKeys()
	s, mr := newSharedService(t, keys)
	alice := newSoftKey(t, testRP)
	mustEnrol(t, s, "alice", alice, nil)
	if s.Where() != "the shared state store" {
		t.Fatal(s.Where())
	}
	raw, err := mr.Get(state.Prefix + sharedKey)
	if err != nil || strings.Contains(raw, "alice") {
		t.Fatalf("the passkeys record is not sealed: %q %v", raw, err)
	}

	// Another replica with the key knows alice.
	replica, err := New(Options{State: state.NewRedis(&redis.Options{Addr: mr.Addr()}), Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	if names, err := replica.Names(ctx, testRP); err != nil || len(names) != 1 || names[0] != "alice" {
		t.Fatalf("the other replica: %v %v", names, err)
	}
	if res, _, err := assert(t, replica, alice, bindA, bindA); err != nil || res.Name != "alice" {
		t.Fatalf("alice on the other replica: %v", err)
	}

	// Two open enrolment links, bob's and carol's: carol's record copied
	// under bob's key is refused, and so is the passkeys record there.
	bob, _ := s.NewEnrolment(ctx, EnrolOptions{Name: "bob", RP: testRP, TTL: time.Minute, Link: true})
	carol, _ := s.NewEnrolment(ctx, EnrolOptions{Name: "carol", RP: testRP, TTL: time.Minute, Link: true})
	carolRec, _ := mr.Get(state.Prefix + enrolKey(carol.ID))
	mr.Set(state.Prefix+enrolKey(bob.ID), carolRec)
	_, err = s.beginEnrolment(ctx, testRP, bob.ID)
	refused(t, err, "altered or moved")
	mr.Set(state.Prefix+enrolKey(bob.ID), raw)
	_, err = s.beginEnrolment(ctx, testRP, bob.ID)
	refused(t, err, "altered or moved")
	if _, err := s.beginEnrolment(ctx, testRP, carol.ID); err != nil {
		t.Fatalf("carol's own link: %v", err)
	}

	// A pending challenge copied to another challenge's key is refused.
	optsA, _ := s.BeginAssertion(ctx, testRP, bindA)
	bindB := bindA
	bindB.Approval = "approval-B"
	optsB, _ := s.BeginAssertion(ctx, testRP, bindB)
	recB, _ := mr.Get(state.Prefix + assertKey(optsB.Response.Challenge.String()))
	mr.Set(state.Prefix+assertKey(optsA.Response.Challenge.String()), recB)
	_, err = s.FinishAssertion(ctx, testRP, bindA, alice.Get(t, optsA))
	refused(t, err, "altered or moved")

	// The passkeys record edited (one byte), or replaced by one sealed
	// with another key: refused, and so nobody can confirm or enrol.
	b := []byte(raw)
	b[len(b)-3] ^= 1
	mr.Set(state.Prefix+sharedKey, string(b))
	if _, err := s.List(ctx); !errors.Is(err, state.ErrTampered) {
		t.Fatalf("an edited passkeys record: %v", err)
	}
	if _, err := s.BeginAssertion(ctx, testRP, bindA); !errors.Is(err, state.ErrTampered) {
		t.Fatalf("an edited passkeys record lets an assertion begin: %v", err)
	}
	forger, forgerRedis := newSharedService(t, testKeys())
	mustEnrol(t, forger, "mallory", newSoftKey(t, testRP), nil)
	forged, _ := forgerRedis.Get(state.Prefix + sharedKey)
	mr.Set(state.Prefix+sharedKey, forged)
	if _, err := s.List(ctx); !errors.Is(err, state.ErrTampered) {
		t.Fatalf("a passkeys record sealed with another key: %v", err)
	}
	mr.Set(state.Prefix+sharedKey, raw)
	if names, err := s.Names(ctx, testRP); err != nil || len(names) != 1 {
		t.Fatalf("restored: %v %v", names, err)
	}
}
