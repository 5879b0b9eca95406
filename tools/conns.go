package tools

import (
	dlist "container/list"
	"net"
	"net/http"
	"sync"
)

// connLimit caps the open connections of the HTTP server. Past the cap a
// new connection makes room by closing the one that has waited longest
// without a request in progress (opened and silent, or idle between
// requests); connections serving a request, an open SSE stream among them,
// are never closed. When every connection is busy, the new one is closed.
// So a flood of idle connections cannot exhaust the file descriptors or
// lock out a newcomer (a /healthz probe, an honest client): each newcomer
// takes the place of the stalest idler. It is http.Server's ConnState hook,
// O(1) per change.
type connLimit struct {
	max int

	mu   sync.Mutex
	open map[net.Conn]*dlist.Element // nil while the connection is busy
	idle *dlist.List                 // of net.Conn, longest waiting first
}

func newConnLimit(max int) *connLimit {
	return &connLimit{max: max, open: map[net.Conn]*dlist.Element{}, idle: dlist.New()}
}

func (l *connLimit) state(c net.Conn, st http.ConnState) {
	var victim net.Conn
	l.mu.Lock()
	switch st {
	case http.StateNew:
		l.open[c] = l.idle.PushBack(c)
		if len(l.open) > l.max {
			victim = l.idle.Front().Value.(net.Conn) // c itself when all others are busy
			l.forgetLocked(victim)
		}
	case http.StateActive:
		if e := l.open[c]; e != nil {
			l.idle.Remove(e)
			l.open[c] = nil
		}
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

func (l *connLimit) forgetLocked(c net.Conn) {
	if e, ok := l.open[c]; ok {
		if e != nil {
			l.idle.Remove(e)
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
