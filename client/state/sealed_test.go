package state

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

// A sealed value opens only as it was put, under the key it was put: an
// edited value, one copied to another key, or one sealed with another
// state key is refused; after a rotation the old key still opens.
func TestSealed(t *testing.T) {
	key := func(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }
	_, rdb := newMiniRedis(t)
	stores := map[string]Store{"memory": NewMemory(), "redis": rdb}
	for name, raw := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s, err := NewSealed(raw, [][]byte{key(1)})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Put(ctx, "rec:a", []byte(`{"status":"pending"}`), time.Minute); err != nil {
				t.Fatal(err)
			}
			if got, ok, err := s.Get(ctx, "rec:a"); err != nil || !ok || string(got) != `{"status":"pending"}` {
				t.Fatalf("round trip: %q %v %v", got, ok, err)
			}
			stored, _, _ := raw.Get(ctx, "rec:a")
			if bytes.Contains(stored, []byte("pending")) {
				t.Fatalf("stored in clear: %q", stored)
			}
			if _, ok, err := s.Get(ctx, "rec:none"); ok || err != nil {
				t.Fatalf("absent: %v %v", ok, err)
			}

			edited := bytes.Clone(stored)
			edited[len(edited)-1] ^= 1
			raw.Put(ctx, "rec:edited", edited, time.Minute)
			raw.Put(ctx, "rec:b", stored, time.Minute) // copied under another key
			raw.Put(ctx, "rec:plain", []byte(`{"status":"confirmed"}`), time.Minute)
			for _, k := range []string{"rec:edited", "rec:b", "rec:plain"} {
				if got, ok, err := s.Get(ctx, k); !errors.Is(err, ErrTampered) || ok || got != nil {
					t.Errorf("%s: %q %v %v", k, got, ok, err)
				}
			}
			other, _ := NewSealed(raw, [][]byte{key(2)})
			if _, _, err := other.Get(ctx, "rec:a"); !errors.Is(err, ErrTampered) {
				t.Errorf("another state key opened it: %v", err)
			}
			rotated, _ := NewSealed(raw, [][]byte{key(2), key(1)})
			if got, _, err := rotated.Get(ctx, "rec:a"); err != nil || string(got) != `{"status":"pending"}` {
				t.Errorf("after a rotation: %q %v", got, err)
			}
			if !s.Shared() == (name == "redis") {
				t.Errorf("Shared passes through: %v", s.Shared())
			}
		})
	}
}
