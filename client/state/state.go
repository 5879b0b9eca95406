// Package state is what replicas of the server share: single-use marks,
// short-lived values, window budgets and short locks. Memory is the
// embedded default (one process); a shared store (Redis) makes several
// replicas one service. It knows nothing of MCP or of Qualys.
package state

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrUnavailable wraps every failure to reach a shared store, so that callers
// can say clearly that the state store, not the request, is at fault.
var ErrUnavailable = errors.New("the shared state store is unavailable")

// Store is the state the replicas of one service share.
type Store interface {
	// Claim marks key as used until ttl passes. It reports false when key was
	// already claimed (by this or any other replica): at most one caller wins.
	Claim(ctx context.Context, key string, ttl time.Duration) (bool, error)
	// Put stores val under key for ttl.
	Put(ctx context.Context, key string, val []byte, ttl time.Duration) error
	// Get reads key; ok is false when it is absent or expired.
	Get(ctx context.Context, key string) (val []byte, ok bool, err error)
	// Delete removes key.
	Delete(ctx context.Context, key string) error
	// Take reserves one request from the budget key allows: at most limit in
	// any window. It answers 0 when the request may go now (and counts it),
	// else how long to wait before asking again (and counts nothing).
	Take(ctx context.Context, key string, limit int, window time.Duration) (time.Duration, error)
	// Lock takes a short exclusive lock on key for at most ttl; ok is false
	// when another holder has it. unlock releases it early.
	Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(), ok bool, err error)
	// Shared reports whether other replicas see this state.
	Shared() bool
	Close() error
}

// Memory is the in-process Store.
type Memory struct {
	mu      sync.Mutex
	now     func() time.Time
	vals    map[string]entry
	windows map[string][]time.Time // sent times within the window, oldest first
	sweep   time.Time
}

type entry struct {
	val []byte
	exp time.Time
}

// NewMemory returns an empty in-process store.
func NewMemory() *Memory {
	return &Memory{now: time.Now, vals: map[string]entry{}, windows: map[string][]time.Time{}}
}

// gc forgets expired entries at most once a second (amortised O(1)).
func (m *Memory) gc(now time.Time) {
	if now.Sub(m.sweep) < time.Second {
		return
	}
	m.sweep = now
	for k, e := range m.vals {
		if !now.Before(e.exp) {
			delete(m.vals, k)
		}
	}
}

func (m *Memory) live(key string, now time.Time) (entry, bool) {
	e, ok := m.vals[key]
	if ok && !now.Before(e.exp) {
		delete(m.vals, key)
		return entry{}, false
	}
	return e, ok
}

func (m *Memory) Claim(_ context.Context, key string, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.gc(now)
	if _, ok := m.live(key, now); ok {
		return false, nil
	}
	m.vals[key] = entry{val: []byte{1}, exp: now.Add(ttl)}
	return true, nil
}

func (m *Memory) Put(_ context.Context, key string, val []byte, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.gc(now)
	m.vals[key] = entry{val: append([]byte(nil), val...), exp: now.Add(ttl)}
	return nil
}

func (m *Memory) Get(_ context.Context, key string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.live(key, m.now())
	if !ok {
		return nil, false, nil
	}
	return append([]byte(nil), e.val...), true, nil
}

func (m *Memory) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.vals, key)
	return nil
}

// Take is a sliding-window count: never more than limit in any window.
func (m *Memory) Take(_ context.Context, key string, limit int, window time.Duration) (time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	sent := m.windows[key]
	i := 0
	for i < len(sent) && !now.Before(sent[i].Add(window)) {
		i++
	}
	sent = sent[i:]
	if len(sent) >= limit {
		m.windows[key] = sent
		return sent[0].Add(window).Sub(now), nil
	}
	m.windows[key] = append(sent, now)
	return 0, nil
}

func (m *Memory) Lock(_ context.Context, key string, ttl time.Duration) (func(), bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key = "lock:" + key
	now := m.now()
	if _, held := m.live(key, now); held {
		return func() {}, false, nil
	}
	holder := []byte(randomValue())
	m.vals[key] = entry{val: holder, exp: now.Add(ttl)}
	return func() { // only while this holder still has it
		m.mu.Lock()
		defer m.mu.Unlock()
		if e, ok := m.live(key, m.now()); ok && string(e.val) == string(holder) {
			delete(m.vals, key)
		}
	}, true, nil
}

func (m *Memory) Shared() bool { return false }
func (m *Memory) Close() error { return nil }
