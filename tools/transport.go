package tools

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
)

// ServeStdio serves MCP on stdin and stdout until stdin closes.
func (s *Server) ServeStdio(ctx context.Context, in io.Reader, out io.Writer) error {
	std := server.NewStdioServer(s.MCP)
	std.SetErrorLogger(log.New(os.Stderr, "", 0))
	return std.Listen(ctx, in, out)
}

// HTTPOptions configure streamable HTTP.
type HTTPOptions struct {
	Addr      string // loopback by default
	Stateless bool
	Token     string // bearer token; required off loopback
	MaxBody   int64  // request body cap; 0 means 4 MiB
	// RatePerSecond limits each session's requests (burst: twice that); 0 means 50.
	RatePerSecond  float64
	AllowedOrigins []string // besides loopback origins
}

// allowedOrigin accepts loopback origins and the configured ones.
func allowedOrigin(origin string, allowed []string) bool {
	for _, a := range allowed {
		if strings.EqualFold(strings.TrimRight(a, "/"), strings.TrimRight(origin, "/")) {
			return true
		}
	}
	u, err := url.Parse(origin)
	return err == nil && client.IsLoopback(u.Hostname())
}

func sessionKey(r *http.Request) string {
	if id := r.Header.Get("Mcp-Session-Id"); id != "" {
		return "s:" + id
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	return "a:" + host
}

// sessionLimiter is a token bucket per session (or per client address).
type sessionLimiter struct {
	rate    float64
	mu      sync.Mutex
	buckets map[string]*rateBucket
}

type rateBucket struct {
	tokens float64
	last   time.Time
}

func newSessionLimiter(rate float64) *sessionLimiter {
	if rate <= 0 {
		rate = 50
	}
	return &sessionLimiter{rate: rate, buckets: map[string]*rateBucket{}}
}

func (l *sessionLimiter) allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) > 10000 { // forget idle sessions
			for k, old := range l.buckets {
				if now.Sub(old.last) > time.Minute {
					delete(l.buckets, k)
				}
			}
		}
		b = &rateBucket{tokens: 2 * l.rate, last: now}
		l.buckets[key] = b
	}
	b.tokens = min(2*l.rate, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// ServeHTTP serves streamable HTTP on /mcp, and /healthz, until ctx ends.
// ready, if set, receives the bound address.
func (s *Server) ServeHTTP(ctx context.Context, o HTTPOptions, ready func(addr string)) error {
	host, _, err := net.SplitHostPort(o.Addr)
	if err != nil {
		return fmt.Errorf("--http %q: %w", o.Addr, err)
	}
	if o.Stateless && s.f.opts.DynamicToolsets {
		return ErrDynamicStateless
	}
	if !client.IsLoopback(host) && o.Token == "" {
		return errors.New("--http on a non-loopback address needs a bearer token: set QUALYS_MCP_HTTP_TOKEN")
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 4 << 20
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return err
	}
	contextFunc := pageBase
	streamOpts := streamOptions(o.Stateless)
	if !o.Stateless && s.f.sessions != nil {
		streamOpts = append(streamOpts, s.f.sessions.options()...)
		contextFunc = func(ctx context.Context, r *http.Request) context.Context {
			return s.f.sessions.restore(pageBase(ctx, r), r)
		}
	}
	mcpHTTP := server.NewStreamableHTTPServer(s.MCP, append(streamOpts, server.WithHTTPContextFunc(contextFunc))...)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.Handle("/mcp", guardHTTP(mcpHTTP, o))
	s.f.pages.mount(mux, o) // the confirmation pages, under ConfirmPath
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if ready != nil {
		ready(ln.Addr().String())
	}
	s.f.log.Info("serving streamable HTTP", "addr", "http://"+ln.Addr().String()+"/mcp", "stateless", o.Stateless)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// guardHTTP checks the Origin (DNS-rebinding protection; mcp-go checks the
// Host), the bearer token (in constant time) and a per-session rate, and
// caps bodies.
func guardHTTP(next http.Handler, o HTTPOptions) http.Handler {
	limits := newSessionLimiter(o.RatePerSecond)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" && !allowedOrigin(origin, o.AllowedOrigins) {
			http.Error(w, "Forbidden: origin not allowed", http.StatusForbidden)
			return
		}
		if !limits.allow(sessionKey(r)) {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "too many requests for this session", http.StatusTooManyRequests)
			return
		}
		if o.Token != "" {
			got, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if subtle.ConstantTimeCompare([]byte(got), []byte(o.Token)) != 1 {
				w.Header().Set("WWW-Authenticate", "Bearer")
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
		}
		r.Body = http.MaxBytesReader(w, r.Body, o.MaxBody)
		next.ServeHTTP(w, r)
	})
}

// NewLogger logs to stderr at the given level: debug, info, warn or error.
func NewLogger(level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})), nil
}
