package service

import (
	dlist "container/list"
	"context"
	"crypto/rand"
	"errors"
	"sync"
	"time"
)

// sessions is the registry of the streamable HTTP sessions this server
// issued. It is mcp-go's SessionIdManager (Generate, Validate, Terminate),
// so an ID it did not issue, or one that was deleted or idled out, is
// unknown to every method; and it bounds them: at most max live sessions,
// each forgotten after idle without a request, each with its own rate
// bucket. Every operation is O(1): a map and a list in order of use.
type sessions struct {
	max  int
	idle time.Duration
	rate rate
	now  func() time.Time
	// end frees what mcp-go holds for a session that idled out; it is
	// called without the lock held.
	end func(id string)

	mu      sync.Mutex
	byID    map[string]*dlist.Element // of *session
	lru     *dlist.List               // most recently used first
	pending int                       // initialize requests admitted, not yet answered
}

type session struct {
	id       string
	last     time.Time // the end of its latest request
	inflight int       // requests being served (an open SSE stream counts)
	bucket   bucket
}

var errUnknownSession = errors.New("unknown session")

func newSessions(max int, idle time.Duration, r rate) *sessions {
	return &sessions{max: max, idle: idle, rate: r, now: time.Now, end: func(string) {},
		byID: map[string]*dlist.Element{}, lru: dlist.New()}
}

// Generate issues a session ID (mcp-go calls it for initialize, which
// admit has let through).
func (s *sessions) Generate() string {
	id := "mcp-session-" + rand.Text()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byID[id] = s.lru.PushFront(&session{id: id, last: s.now()})
	return id
}

// Validate reports an ID it does not hold as an error: mcp-go answers 404.
func (s *sessions) Validate(id string) (isTerminated bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byID[id]; !ok {
		return false, errUnknownSession
	}
	return false, nil
}

// Terminate forgets a session (DELETE).
func (s *sessions) Terminate(id string) (isNotAllowed bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removeLocked(id)
	return false, nil
}

func (s *sessions) removeLocked(id string) {
	if e, ok := s.byID[id]; ok {
		s.lru.Remove(e)
		delete(s.byID, id)
	}
}

// admit reserves room for a new session, first forgetting idle ones; false
// when the server is full. The reservation lasts until release is called
// (when the initialize request has been answered; by then Generate has
// added the session itself).
func (s *sessions) admit() (release func(), ok bool) {
	s.mu.Lock()
	ended := s.expireLocked()
	ok = len(s.byID)+s.pending < s.max
	if ok {
		s.pending++
	}
	s.mu.Unlock()
	s.ended(ended)
	if !ok {
		return nil, false
	}
	return sync.OnceFunc(func() {
		s.mu.Lock()
		s.pending--
		s.mu.Unlock()
	}), true
}

// known reports whether id is a session this server holds (it may have
// idled out since: acquire says).
func (s *sessions) known(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.byID[id]
	return ok
}

// acquire finds a live session and charges its rate bucket: nil if the ID
// is unknown (never issued, deleted or idled out). A session acquired is
// busy until release.
func (s *sessions) acquire(id string) (sess *session, allowed bool) {
	now := s.now()
	s.mu.Lock()
	e, ok := s.byID[id]
	if !ok {
		s.mu.Unlock()
		return nil, false
	}
	sess = e.Value.(*session)
	if s.expired(sess, now) {
		s.removeLocked(id)
		s.mu.Unlock()
		s.ended([]string{id})
		return nil, false
	}
	sess.inflight++
	s.lru.MoveToFront(e)
	allowed = sess.bucket.take(now, s.rate)
	s.mu.Unlock()
	return sess, allowed
}

// release marks the end of one of the session's requests.
func (s *sessions) release(sess *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess.inflight--
	sess.last = s.now()
	if e, ok := s.byID[sess.id]; ok {
		s.lru.MoveToFront(e)
	}
}

func (s *sessions) expired(sess *session, now time.Time) bool {
	return sess.inflight == 0 && now.Sub(sess.last) > s.idle
}

// expireLocked forgets the sessions idle too long, from the least recently
// used end; a busy one found there moves to the front (it is in use).
func (s *sessions) expireLocked() []string {
	now := s.now()
	var ended []string
	for n := s.lru.Len(); n > 0; n-- {
		e := s.lru.Back()
		sess := e.Value.(*session)
		if sess.inflight > 0 {
			s.lru.MoveToFront(e)
			continue
		}
		if !s.expired(sess, now) {
			break
		}
		s.removeLocked(sess.id)
		ended = append(ended, sess.id)
	}
	return ended
}

func (s *sessions) ended(ids []string) {
	for _, id := range ids {
		s.end(id)
	}
}

// sweep forgets idle sessions now; run does it periodically until ctx ends.
func (s *sessions) sweep() {
	s.mu.Lock()
	ended := s.expireLocked()
	s.mu.Unlock()
	s.ended(ended)
}

func (s *sessions) run(ctx context.Context) {
	t := time.NewTicker(min(max(s.idle/10, time.Second), time.Minute))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.sweep()
		}
	}
}

// live is the number of sessions held.
func (s *sessions) live() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byID)
}
