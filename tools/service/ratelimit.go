package service

import (
	dlist "container/list"
	"net"
	"net/http"
	"sync"
	"time"
)

// rate is a token bucket's refill per second and its size.
type rate struct{ perSecond, burst float64 }

// bucket is one token bucket; its zero value is full on first use.
type bucket struct {
	tokens float64
	last   time.Time
}

// take spends one token if there is one.
func (b *bucket) take(now time.Time, r rate) bool {
	if b.last.IsZero() {
		b.tokens = r.burst
	} else {
		b.tokens = min(r.burst, b.tokens+now.Sub(b.last).Seconds()*r.perSecond)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// addrLimiter keeps a token bucket per client address (the TCP peer, which
// the client cannot choose per request), for what no session of ours
// identifies. It holds at most size buckets: past that the least recently
// used one goes (it would be full again by the time it was refilled
// anyway, unless its address is among the size most active). O(1) per
// request: a map and a list in order of use, no scan.
type addrLimiter struct {
	rate rate
	size int
	now  func() time.Time

	mu    sync.Mutex
	byKey map[string]*dlist.Element // of *addrBucket
	lru   *dlist.List
}

type addrBucket struct {
	key string
	bucket
}

func newAddrLimiter(r rate, size int) *addrLimiter {
	return &addrLimiter{rate: r, size: size, now: time.Now, byKey: map[string]*dlist.Element{}, lru: dlist.New()}
}

func (l *addrLimiter) allow(key string) bool {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.byKey[key]
	if ok {
		l.lru.MoveToFront(e)
	} else {
		if l.lru.Len() >= l.size {
			old := l.lru.Back()
			l.lru.Remove(old)
			delete(l.byKey, old.Value.(*addrBucket).key)
		}
		e = l.lru.PushFront(&addrBucket{key: key})
		l.byKey[key] = e
	}
	return e.Value.(*addrBucket).take(now, l.rate)
}

// clientAddr is the request's peer address, without the port.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
