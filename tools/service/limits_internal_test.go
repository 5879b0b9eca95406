package service

import (
	"net"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestSessionsCapExpiryAndBuckets(t *testing.T) {
	clock := &fakeClock{time.Unix(1000, 0)}
	s := newSessions(2, time.Minute, rate{perSecond: 1, burst: 2})
	s.now = clock.now
	var ended []string
	s.end = func(id string) { ended = append(ended, id) }

	newOne := func() string {
		release, ok := s.admit()
		if !ok {
			return ""
		}
		defer release()
		return s.Generate()
	}
	a, b := newOne(), newOne()
	if a == "" || b == "" || a == b {
		t.Fatalf("ids %q %q", a, b)
	}
	if newOne() != "" {
		t.Fatal("a third session past the cap of 2")
	}
	if _, err := s.Validate(a); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Validate("mcp-session-not-ours"); err == nil {
		t.Fatal("an ID never issued is valid")
	}
	// each session has its own bucket: 2 now, then 1 per second
	for i, want := range []bool{true, true, false} {
		sess, ok := s.acquire(a)
		if sess == nil || ok != want {
			t.Fatalf("request %d: %v %v", i, sess, ok)
		}
		s.release(sess)
	}
	if sess, ok := s.acquire(b); !ok {
		t.Fatal("b limited by a's requests")
	} else {
		s.release(sess)
	}
	// a busy session does not expire; an idle one does, and makes room
	busy, _ := s.acquire(b)
	clock.t = clock.t.Add(2 * time.Minute)
	if sess, _ := s.acquire(a); sess != nil {
		t.Fatal("an idle session is still served")
	}
	if !slices.Equal(ended, []string{a}) {
		t.Fatalf("ended %v", ended)
	}
	c := newOne()
	if c == "" || newOne() != "" {
		t.Fatal("the expired session did not make exactly one place")
	}
	s.release(busy)
	s.Terminate(b)
	if sess, _ := s.acquire(b); sess != nil || s.live() != 1 {
		t.Fatalf("after DELETE: %v, %d live", sess, s.live())
	}
	clock.t = clock.t.Add(2 * time.Minute)
	s.sweep()
	if s.live() != 0 || !slices.Contains(ended, c) {
		t.Fatalf("sweep: %d live, ended %v", s.live(), ended)
	}
}

func TestAddrLimiterIsBounded(t *testing.T) {
	clock := &fakeClock{time.Unix(1000, 0)}
	l := newAddrLimiter(rate{perSecond: 10, burst: 3}, 100)
	l.now = clock.now
	for i := 0; i < 3; i++ {
		if !l.allow("10.0.0.1") {
			t.Fatal("within the burst")
		}
	}
	if l.allow("10.0.0.1") {
		t.Fatal("past the burst")
	}
	clock.t = clock.t.Add(100 * time.Millisecond)
	if !l.allow("10.0.0.1") || l.allow("10.0.0.1") {
		t.Fatal("one token per 100 ms")
	}
	for i := 0; i < 10000; i++ {
		l.allow("192.0.2." + strconv.Itoa(i))
		if l.lru.Len() > 100 || len(l.byKey) > 100 {
			t.Fatalf("%d buckets", l.lru.Len())
		}
	}
}

func TestConnLimitMakesRoom(t *testing.T) {
	l := newConnLimit(2)
	pipe := func() (net.Conn, net.Conn) { a, b := net.Pipe(); return a, b }
	isClosed := func(peer net.Conn) bool {
		peer.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		_, err := peer.Read(make([]byte, 1))
		ne, timeout := err.(net.Error)
		return err != nil && !(timeout && ne.Timeout())
	}
	c1, p1 := pipe()
	c2, p2 := pipe()
	l.state(c1, http.StateNew)
	l.state(c2, http.StateNew)
	l.state(c2, http.StateActive) // c2 serves a request (an SSE stream, say)
	c3, p3 := pipe()
	l.state(c3, http.StateNew) // over the cap: c1, idle longest, goes
	if !isClosed(p1) || isClosed(p2) || isClosed(p3) || l.count() != 2 {
		t.Fatalf("c1 closed %v, c2 %v, c3 %v, %d open", isClosed(p1), isClosed(p2), isClosed(p3), l.count())
	}
	l.state(c1, http.StateClosed) // the server notices; nothing changes
	l.state(c3, http.StateActive)
	c4, p4 := pipe()
	l.state(c4, http.StateNew) // everyone else busy: the newcomer goes
	if !isClosed(p4) || isClosed(p2) || isClosed(p3) || l.count() != 2 {
		t.Fatalf("all busy: c4 closed %v, %d open", isClosed(p4), l.count())
	}
	l.state(c2, http.StateIdle)
	c5, p5 := pipe()
	l.state(c5, http.StateNew) // c2 is idle again, and goes
	if !isClosed(p2) || isClosed(p5) {
		t.Fatal("c2 idle was not the one closed")
	}
	// a connection that never sent a request goes before a kept-alive one
	l = newConnLimit(2)
	a, pa := pipe()
	b, pb := pipe()
	c, pc := pipe()
	l.state(a, http.StateNew)
	l.state(a, http.StateActive)
	l.state(a, http.StateIdle) // idle the longest
	l.state(b, http.StateNew)
	l.state(c, http.StateNew)
	if isClosed(pa) || !isClosed(pb) || isClosed(pc) {
		t.Fatalf("kept-alive a closed %v, silent b %v, new c %v", isClosed(pa), isClosed(pb), isClosed(pc))
	}
	// a call waiting for a person gives way, the longest waiting first;
	// a busy one that does not wait never does
	l = newConnLimit(3)
	w1, pw1 := pipe()
	w2, pw2 := pipe()
	busy, pbusy := pipe()
	for _, c := range []net.Conn{w1, w2, busy} {
		l.state(c, http.StateNew)
		l.state(c, http.StateActive)
	}
	l.park(w1)
	unpark2 := l.park(w2)
	n1, pn1 := pipe()
	l.state(n1, http.StateNew)
	if !isClosed(pw1) || isClosed(pw2) || isClosed(pbusy) || isClosed(pn1) {
		t.Fatalf("parked w1 closed %v, w2 %v, busy %v, new %v", isClosed(pw1), isClosed(pw2), isClosed(pbusy), isClosed(pn1))
	}
	l.state(n1, http.StateActive)
	unpark2() // w2's call ends: it is busy again, not parked
	n2, pn2 := pipe()
	l.state(n2, http.StateNew)
	if isClosed(pw2) || !isClosed(pn2) {
		t.Fatalf("after unpark: w2 closed %v, new %v", isClosed(pw2), isClosed(pn2))
	}
}
