package tools_test

// Helpers for tests of several replicas sharing one state on a real Redis
// (realparts.StartRedis): the replicas (the real binary), a round-robin
// balancer in front of them, and a gateway (the sandbox) that counts what
// reaches it.

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/internal/roundrobin"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

// countingGateway is the sandbox behind a counter: the time of every
// request that reaches it, by endpoint class, and the /auth calls.
type countingGateway struct {
	SB    *sandbox.Server
	URL   string
	mu    sync.Mutex
	sent  map[string][]time.Time
	auths int
}

func newCountingGateway(t testing.TB, sb *sandbox.Server) *countingGateway {
	g := &countingGateway{SB: sb, sent: map[string][]time.Time{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		if r.URL.Path == "/auth" {
			g.auths++
		} else if p, ok := strings.CutPrefix(r.URL.Path, client.BasePath); ok {
			class := client.EndpointClass(p)
			g.sent[class] = append(g.sent[class], time.Now())
		}
		g.mu.Unlock()
		sb.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	g.URL = srv.URL
	return g
}

func (g *countingGateway) Auths() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.auths
}

// MostInWindow is the most requests of class that reached the gateway in
// any window (60 s): what Qualys' limit counts.
func (g *countingGateway) MostInWindow(class string, window time.Duration) (most, total int) {
	g.mu.Lock()
	times := append([]time.Time(nil), g.sent[class]...)
	g.mu.Unlock()
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	j := 0
	for i := range times {
		for times[i].Sub(times[j]) >= window {
			j++
		}
		most = max(most, i-j+1)
	}
	return most, len(times)
}

// replicaSet is n replicas of the real binary on one gateway, and a
// round-robin balancer in front of them.
type replicaSet struct {
	Endpoints []string // each replica's MCP URL
	Stderr    []*syncBuffer
	LB        string // the balancer's MCP URL
}

func startReplicas(t testing.TB, n int, gatewayURL string, flags, env []string) *replicaSet {
	t.Helper()
	rs := &replicaSet{}
	var bases []string
	for i := 0; i < n; i++ {
		cmd := exec.Command(binary, append([]string{"--toolsets", "all", "--http", "127.0.0.1:0", "--log-level", "info"}, flags...)...)
		cmd.Env = append(os.Environ(), "QUALYS_GATEWAY_URL="+gatewayURL, "QUALYS_USERNAME=tester", "QUALYS_PASSWORD=canary-pass-7f3a", "QUALYS_POD=")
		cmd.Env = append(cmd.Env, env...)
		buf := &syncBuffer{}
		ep := startHTTP(t, cmd, buf)
		rs.Endpoints, rs.Stderr = append(rs.Endpoints, ep), append(rs.Stderr, buf)
		bases = append(bases, strings.TrimSuffix(ep, "/mcp"))
	}
	urls, err := roundrobin.Parse(bases)
	if err != nil {
		t.Fatal(err)
	}
	lb := httptest.NewServer(roundrobin.New(urls))
	t.Cleanup(lb.Close)
	rs.LB = lb.URL + "/mcp"
	return rs
}

// Dial opens one client session on every replica.
func (rs *replicaSet) Dial(t testing.TB, o EnvOptions) []*Env {
	var out []*Env
	for _, ep := range rs.Endpoints {
		out = append(out, Dial(t, ep, o))
	}
	return out
}

// Logs is every replica's stderr.
func (rs *replicaSet) Logs() string {
	var b strings.Builder
	for _, s := range rs.Stderr {
		b.WriteString(s.String())
	}
	return b.String()
}

// refusedOnEveryReplica replays a call that was already used once on every
// replica and checks that each refuses it, saying why.
func refusedOnEveryReplica(t testing.TB, replicas []*Env, params *mcp.CallToolParams, why string) {
	t.Helper()
	for i, e := range replicas {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		res, err := e.S.CallTool(ctx, params)
		cancel()
		if err != nil {
			t.Fatalf("replica %d: protocol error: %v", i, err)
		}
		if !res.IsError || !strings.Contains(Text(res), why) {
			t.Fatalf("replica %d accepted a replay, or refused it for another reason (want %q): %s", i, why, Text(res))
		}
	}
}

// otherReplica is link (a confirmation page) on the next replica.
func otherReplica(t testing.TB, rs *replicaSet, link string) string {
	t.Helper()
	l, _ := url.Parse(link)
	for i, ep := range rs.Endpoints {
		if u, _ := url.Parse(ep); u.Port() == l.Port() {
			next, _ := url.Parse(rs.Endpoints[(i+1)%len(rs.Endpoints)])
			return l.Scheme + "://" + l.Hostname() + ":" + next.Port() + l.Path
		}
	}
	t.Fatalf("%s is on no replica", link)
	return ""
}
