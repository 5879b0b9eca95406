package state

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

func TestSealedStore(t *testing.T) {
	ctx := context.Background()
	keys, err := NewKeys(KeysFromEnv("k1"))
	if err != nil {
		t.Fatal(err)
	}
	mem := NewMemory()
	s := Sealed(mem, keys)
	s.Put(ctx, "a", []byte("secret value"), time.Minute)
	if raw, _, _ := mem.Get(ctx, "a"); bytes.Contains(raw, []byte("secret value")) {
		t.Fatal("stored in the clear")
	}
	if v, ok, err := s.Get(ctx, "a"); !ok || err != nil || string(v) != "secret value" {
		t.Fatalf("round trip: %q %v %v", v, ok, err)
	}
	raw, _, _ := mem.Get(ctx, "a")
	mem.Put(ctx, "b", raw, time.Minute) // moved to another key
	if _, _, err := s.Get(ctx, "b"); !errors.Is(err, ErrTampered) {
		t.Fatalf("moved: %v", err)
	}
	changed := bytes.Clone(raw)
	changed[len(changed)-1] ^= 1
	mem.Put(ctx, "a", changed, time.Minute)
	if _, _, err := s.Get(ctx, "a"); !errors.Is(err, ErrTampered) {
		t.Fatalf("changed: %v", err)
	}
	mem.Put(ctx, "a", []byte(`{"status":"confirmed"}`), time.Minute) // written by hand
	if _, _, err := s.Get(ctx, "a"); !errors.Is(err, ErrTampered) {
		t.Fatalf("written in the clear: %v", err)
	}
	if _, ok, err := s.Get(ctx, "absent"); ok || err != nil {
		t.Fatalf("absent: %v %v", ok, err)
	}
	// a rotation: the new key seals, the old one still opens
	old := Sealed(mem, keys)
	old.Put(ctx, "c", []byte("v"), time.Minute)
	rotated, _ := NewKeys(KeysFromEnv("k2, k1"))
	if v, _, err := Sealed(mem, rotated).Get(ctx, "c"); err != nil || string(v) != "v" {
		t.Fatalf("after rotation: %q %v", v, err)
	}
	other, _ := NewKeys(KeysFromEnv("k3"))
	if _, _, err := Sealed(mem, other).Get(ctx, "c"); !errors.Is(err, ErrTampered) {
		t.Fatalf("another key: %v", err)
	}
}
