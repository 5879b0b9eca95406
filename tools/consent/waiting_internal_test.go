package consent

import (
	"strings"
	"testing"
)

func TestWaitingIsCapped(t *testing.T) {
	var w waiting
	var release []func()
	for range MaxWaitingPerSession {
		r, err := w.acquire("a")
		if err != nil {
			t.Fatal(err)
		}
		release = append(release, r)
	}
	if _, err := w.acquire("a"); err == nil || !strings.Contains(err.Error(), "this session") {
		t.Fatalf("past the session's cap: %v", err)
	}
	release[0]()
	if _, err := w.acquire("a"); err != nil {
		t.Fatalf("a place freed: %v", err)
	}
	for i := w.total; i < MaxWaiting; i++ { // sessionless calls count in the total only
		if _, err := w.acquire(""); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
	}
	if _, err := w.acquire("b"); err == nil || !strings.Contains(err.Error(), "on this server") {
		t.Fatalf("past the total: %v", err)
	}
	if len(w.bySession) != 1 || w.bySession["a"] != MaxWaitingPerSession {
		t.Fatalf("counts: %v", w.bySession)
	}
}
