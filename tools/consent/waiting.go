package consent

import (
	"context"
	"fmt"
	"sync"
)

// Calls that wait for a person (a page confirmation with progress, a
// URL-mode elicitation) are bounded: at most MaxWaitingPerSession of one
// MCP session and MaxWaiting in all wait at once; past that a call is
// refused at once, with nothing changed. A waiting call also lets the
// HTTP service take back its connection (Parking): when the connection cap
// is reached, the oldest waiting call is ended before a newcomer (a
// /healthz probe, a new session) is refused.
const (
	MaxWaiting           = 256
	MaxWaitingPerSession = 8
)

type waiting struct {
	mu        sync.Mutex
	total     int
	bySession map[string]int
}

// acquire takes a place for a call of session sess (the sessionless ""
// count only in the total), or says why there is none.
func (w *waiting) acquire(sess string) (release func(), err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.total >= MaxWaiting:
		return nil, fmt.Errorf("refused: %d calls already wait for a person to confirm on this server, its most; nothing was changed. Ask the user to decide on the pages already open, or call again without a progress token to get the link without waiting", MaxWaiting)
	case sess != "" && w.bySession[sess] >= MaxWaitingPerSession:
		return nil, fmt.Errorf("refused: %d calls of this session already wait for the user to confirm, the most one session may have; nothing was changed. Let the user decide on those pages first, or call again without a progress token to get the link without waiting", MaxWaitingPerSession)
	}
	if w.bySession == nil {
		w.bySession = map[string]int{}
	}
	w.total++
	if sess != "" {
		w.bySession[sess]++
	}
	return func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.total--
		if sess != "" {
			if w.bySession[sess]--; w.bySession[sess] == 0 {
				delete(w.bySession, sess)
			}
		}
	}, nil
}

type parkingKey struct{}

// Parking gives a request's context the way to mark its connection as
// held by a call that waits for a person (the HTTP service's ConnContext):
// park is called when the wait begins, and the function it answers when
// it ends.
func Parking(ctx context.Context, park func() (unpark func())) context.Context {
	return context.WithValue(ctx, parkingKey{}, park)
}

// park marks the call's connection as parked, if it has one to mark.
func park(ctx context.Context) (unpark func()) {
	if p, ok := ctx.Value(parkingKey{}).(func() func()); ok {
		return p()
	}
	return func() {}
}
