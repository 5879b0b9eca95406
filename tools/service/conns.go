package service

import (
	dlist "container/list"
	"net"
	"net/http"
	"sync"
)

// connLimit caps the open connections of the HTTP server. Past the cap a
// new connection makes room by closing another that has no request in
// progress: first the one opened longest ago that has not sent a request
// yet, else the one idle longest between requests (a kept-alive client
// reconnects on its next call). Connections serving a request, an open SSE
// stream among them, are never closed; when every one is busy, the new one
// is. So a flood of idle connections cannot exhaust the file descriptors or
// lock out a newcomer (a /healthz probe, an honest client): the flood's
// silent connections only make room for each other. It is http.Server's
// ConnState hook, O(1) per change.
type connLimit struct {
	max int

	mu     sync.Mutex
	open   map[net.Conn]*dlist.Element // nil while the connection is busy
	silent *dlist.List                 // of net.Conn: opened, no request yet; oldest first
	idle   *dlist.List                 // of net.Conn: between requests; longest idle first
}

func newConnLimit(max int) *connLimit {
	return &connLimit{max: max, open: map[net.Conn]*dlist.Element{}, silent: dlist.New(), idle: dlist.New()}
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

// victimLocked is the connection to close: the oldest silent one (there
// is at least the new one), unless an idle one has waited longer and no
// other silent one exists.
func (l *connLimit) victimLocked() net.Conn {
	if l.silent.Len() > 1 || l.idle.Len() == 0 {
		return l.silent.Front().Value.(net.Conn)
	}
	return l.idle.Front().Value.(net.Conn)
}

func (l *connLimit) forgetLocked(c net.Conn) {
	if e, ok := l.open[c]; ok {
		if e != nil {
			l.silent.Remove(e) // Remove checks the element's list
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
