package state

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrTampered is a sealed value that does not open: changed, moved from
// another key, or sealed with a key this process does not hold.
var ErrTampered = errors.New("a sealed record of the state store failed its integrity check (changed, moved from another key, or sealed with another QUALYS_MCP_STATE_KEY)")

// KeysFromEnv reads QUALYS_MCP_STATE_KEY: one key, or several separated by
// commas (the first seals, the others still open after a rotation), each
// hashed to 32 bytes. Without one a random key per process is used.
func KeysFromEnv(v string) [][]byte {
	var keys [][]byte
	for _, k := range strings.Split(v, ",") {
		if k = strings.TrimSpace(k); k != "" {
			sum := sha256.Sum256([]byte(k))
			keys = append(keys, sum[:])
		}
	}
	if len(keys) == 0 {
		k := make([]byte, 32)
		rand.Read(k)
		keys = append(keys, k)
	}
	return keys
}

// Keys seal with AES-256-GCM: the first key seals, every key opens.
type Keys struct{ aeads []cipher.AEAD }

// NewKeys makes Keys of 16, 24 or 32-byte keys (KeysFromEnv's).
func NewKeys(raw [][]byte) (*Keys, error) {
	if len(raw) == 0 {
		return nil, errors.New("state: no key to seal with")
	}
	k := &Keys{}
	for _, r := range raw {
		block, err := aes.NewCipher(r)
		if err != nil {
			return nil, fmt.Errorf("state key: %w", err)
		}
		a, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		k.aeads = append(k.aeads, a)
	}
	return k, nil
}

// Seal encrypts and authenticates plain, bound to ad (what it is for:
// a key name, a tool): it opens only with the same ad.
func (k *Keys) Seal(ad string, plain []byte) []byte {
	a := k.aeads[0]
	iv := make([]byte, a.NonceSize(), a.NonceSize()+len(plain)+a.Overhead())
	rand.Read(iv)
	return a.Seal(iv, iv, plain, []byte(ad))
}

// Open opens what Seal sealed for ad, with any of the keys.
func (k *Keys) Open(ad string, sealed []byte) ([]byte, error) {
	for _, a := range k.aeads {
		if len(sealed) < a.NonceSize() {
			continue
		}
		if plain, err := a.Open(nil, sealed[:a.NonceSize()], sealed[a.NonceSize():], []byte(ad)); err == nil {
			return plain, nil
		}
	}
	return nil, ErrTampered
}

// Sealed is a Store whose values are sealed and bound to their key names,
// so that a value written by anything without the key, or copied from
// another key, is refused (ErrTampered) rather than believed. Claims,
// budgets and locks hold no value and pass through.
func Sealed(s Store, k *Keys) Store { return sealedStore{s, k} }

type sealedStore struct {
	Store
	keys *Keys
}

func recordAD(key string) string { return "qualys-cs-mcp/record/" + key }

func (s sealedStore) Put(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	return s.Store.Put(ctx, key, s.keys.Seal(recordAD(key), val), ttl)
}

func (s sealedStore) Get(ctx context.Context, key string) ([]byte, bool, error) {
	raw, ok, err := s.Store.Get(ctx, key)
	if err != nil || !ok {
		return nil, ok, err
	}
	plain, err := s.keys.Open(recordAD(key), raw)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", key, err)
	}
	return plain, true, nil
}

// NewSealed is Sealed over keys as KeysFromEnv gives them.
func NewSealed(s Store, keys [][]byte) (Store, error) {
	k, err := NewKeys(keys)
	if err != nil {
		return nil, err
	}
	return Sealed(s, k), nil
}
