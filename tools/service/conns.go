package service

import (
	dlist "container/list"
	"context"
	"net"
	"net/http"
	"sync"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/consent"
)

// connLimit caps the open connections of the HTTP server. Past the cap a
// new connection makes room by closing another that has no request in
// progress: first the one opened longest ago that has not sent a request
// yet, else the one idle longest between requests (a kept-alive client
// reconnects on its next call); else the one that has held a call waiting
// for a person longest (the call ends, having changed nothing: the caps of
// package consent bound how many wait). Connections serving any other
// request, an open SSE stream among them, are never closed; when every one
// is busy, the new one is. So a flood of idle connections cannot exhaust the file descriptors or
// lock out a newcomer (a /healthz probe, an honest client): the flood's
// silent connections only make room for each other. It is http.Server's
// ConnState hook, O(1) per change.
type connLimit struct {
	max int

	mu     sync.Mutex
	open   map[net.Conn]*dlist.Element // nil while the connection is busy
	silent *dlist.List                 // of net.Conn: opened, no request yet; oldest first
	idle   *dlist.List                 // of net.Conn: between requests; longest idle first
	parked *dlist.List                 // of net.Conn: a call on it waits for a person; longest first
}

func newConnLimit(max int) *connLimit {
	return &connLimit{max: max, open: map[net.Conn]*dlist.Element{}, silent: dlist.New(), idle: dlist.New(), parked: dlist.New()}
}

// park marks a busy connection as held by a call that waits for a person,
// until the function it answers is called.
func (l *connLimit) park(c net.Conn) (unpark func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.open[c]; !ok || e != nil {
		return func() {}
	}
	e := l.parked.PushBack(c)
	l.open[c] = e
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.open[c] == e {
			l.parked.Remove(e)
			l.open[c] = nil
		}
	}
}

// connContext lets a call on c park it (consent.Parking).
func (l *connLimit) connContext(ctx context.Context, c net.Conn) context.Context {
	return consent.Parking(ctx, func() func() { return l.park(c) })
}

func (l *connLimit) state(c net.Conn, st http.ConnState) {
	var victim net.Conn
	l.mu.Lock()
	switch st {
	case http.StateNew:
		l.open[c] = l.silent.PushBack(c)
		if len(l.open) > l.max {
			victim = l.victimLocked() // c itself when all others are busy
			l.forgetLocked(victim)
		}
	case http.StateActive:
		l.forgetLocked(c)
		l.open[c] = nil
	case http.StateIdle:
		if e, ok := l.open[c]; ok && e == nil {
			l.open[c] = l.idle.PushBack(c)
		}
	case http.StateHijacked, http.StateClosed:
		l.forgetLocked(c)
	}
	l.mu.Unlock()
	if victim != nil {
		victim.Close()
	}
}

// victimLocked is the connection to close: the oldest silent one other
// than the new one, else the longest idle, else the longest parked, else
// the new one.
func (l *connLimit) victimLocked() net.Conn {
	for _, list := range []*dlist.List{l.idle, l.parked} {
		if l.silent.Len() == 1 && list.Len() > 0 {
			return list.Front().Value.(net.Conn)
		}
	}
	return l.silent.Front().Value.(net.Conn)
}

func (l *connLimit) forgetLocked(c net.Conn) {
	if e, ok := l.open[c]; ok {
		if e != nil {
			l.silent.Remove(e) // Remove checks the element's list
			l.idle.Remove(e)
			l.parked.Remove(e)
		}
		delete(l.open, c)
	}
}

// count is the number of open connections.
func (l *connLimit) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.open)
}
