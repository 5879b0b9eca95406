package service

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"
)

// drain stops the service without cutting what is under way: on shutdown
// no new connection is taken, the calls in flight (POSTs to /mcp) have
// DrainTimeout to finish and send their answers, then every stream still
// open (a GET's SSE stream, a call that outlived the grace) is ended
// through the requests' base context, and the process goes.
type drain struct {
	calls atomic.Int64
	base  context.Context
	end   context.CancelFunc
}

func newDrain() *drain {
	d := &drain{}
	d.base, d.end = context.WithCancel(context.Background())
	return d
}

// track counts the calls in flight.
func (d *drain) track(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			d.calls.Add(1)
			defer d.calls.Add(-1)
		}
		next.ServeHTTP(w, r)
	})
}

// stop drains srv: at most grace for the calls in flight, then the rest
// is ended.
func (d *drain) stop(srv *http.Server, grace time.Duration, log *slog.Logger) {
	shut := make(chan struct{})
	go func() { srv.Shutdown(context.Background()); close(shut) }() // no new connections; idle ones closed
	log.Info("stopping: letting the calls in flight finish", "calls", d.calls.Load(), "grace", grace)
	deadline := time.Now().Add(grace)
	for d.calls.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := d.calls.Load(); n > 0 {
		log.Warn("stopping: calls still running after the grace are cancelled", "calls", n)
	}
	d.end() // open streams end; what is left is cancelled
	select {
	case <-shut:
	case <-time.After(2 * time.Second):
		srv.Close()
	}
}
