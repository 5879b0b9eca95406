package state

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"time"
)

// ErrTampered is a sealed value that does not open: altered, sealed under
// another key name (moved or copied from another record), or sealed with a
// state key this process does not hold.
var ErrTampered = errors.New("a record in the state store was altered, moved from another key, or sealed with another state key")

// Sealed is a Store whose values are sealed with AES-GCM under the state
// keys and bound to their key name: what Get returns is exactly what Put
// stored under that key, or ErrTampered. Claim, Take, Lock and Delete hold
// no values and pass through.
type Sealed struct {
	Store
	aeads []cipher.AEAD // the first seals; all open (key rotation)
}

// NewSealed seals the values of s with keys (32 bytes each: AES-256).
func NewSealed(s Store, keys [][]byte) (*Sealed, error) {
	if len(keys) == 0 {
		return nil, errors.New("sealed state: no key")
	}
	out := &Sealed{Store: s}
	for _, k := range keys {
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("sealed state: %w", err)
		}
		a, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("sealed state: %w", err)
		}
		out.aeads = append(out.aeads, a)
	}
	return out, nil
}

// sealedAD binds a value to its key name (and to this use of the key).
func sealedAD(key string) []byte { return []byte("qualys-cs-mcp/sealed/v1\x00" + key) }

// Put seals val, bound to key, and stores it.
func (s *Sealed) Put(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	a := s.aeads[0]
	iv := make([]byte, a.NonceSize(), a.NonceSize()+len(val)+a.Overhead())
	rand.Read(iv)
	return s.Store.Put(ctx, key, a.Seal(iv, iv, val, sealedAD(key)), ttl)
}

// Get reads and opens the value of key; a value that does not open is
// ErrTampered (never returned as data).
func (s *Sealed) Get(ctx context.Context, key string) ([]byte, bool, error) {
	raw, ok, err := s.Store.Get(ctx, key)
	if err != nil || !ok {
		return nil, ok, err
	}
	for _, a := range s.aeads {
		if n := a.NonceSize(); len(raw) >= n+a.Overhead() {
			if plain, err := a.Open(nil, raw[:n], raw[n:], sealedAD(key)); err == nil {
				return plain, true, nil
			}
		}
	}
	return nil, false, fmt.Errorf("%w (key %s)", ErrTampered, key)
}
