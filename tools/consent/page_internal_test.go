package consent

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/consent/passkey"
)

// The stdio mode's loopback listener starts on first need, closes when
// idle, and starts again (on another port) when needed.
func TestPageListenerClosesWhenIdle(t *testing.T) {
	keys, err := passkey.New(passkey.Options{Keys: state.KeysFromEnv("")})
	if err != nil {
		t.Fatal(err)
	}
	p := newPages(state.NewMemory(), keys, time.Second, slog.New(slog.NewTextHandler(io.Discard, nil)))
	p.idleAfter = 200 * time.Millisecond
	get := func(base string) error {
		resp, err := http.Get(base + ConfirmPath + strings.Repeat("A", 22))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("unknown id: %d", resp.StatusCode)
			}
		}
		return err
	}
	base, err := p.linkBase(context.Background())
	if err != nil || !strings.HasPrefix(base, "http://localhost:") {
		t.Fatal(base, err)
	}
	if err := get(base); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for get(base) == nil {
		if time.Now().After(deadline) {
			t.Fatal("the idle listener did not close")
		}
		time.Sleep(50 * time.Millisecond)
	}
	again, err := p.linkBase(context.Background())
	if err != nil || get(again) != nil {
		t.Fatalf("restart: %s %v", again, err)
	}
}
