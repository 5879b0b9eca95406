package tools_test

// Helpers for tests of several replicas sharing one state on a real Redis:
// the redis-server, the replicas (the real binary), a round-robin balancer
// in front of them, and a gateway (the sandbox) that counts what reaches it.

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/internal/roundrobin"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

// redisServer is a redis-server on a loopback port, without persistence,
// stopped by its pid.
type redisServer struct {
	t    testing.TB
	bin  string
	port int
	cmd  *exec.Cmd
	log  *syncBuffer
}

// startRedis starts redis-server; the test is skipped only when the binary
// is absent (CI installs it).
func startRedis(t testing.TB) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed (Debian package redis-server; .ci/run installs it): skipping the test on a real Redis")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	r := &redisServer{t: t, bin: bin, port: port, log: &syncBuffer{}}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *redisServer) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

func (r *redisServer) start() {
	r.t.Helper()
	r.cmd = exec.Command(r.bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(r.port),
		"--save", "", "--appendonly", "no", "--dir", r.t.TempDir())
	r.cmd.Stdout, r.cmd.Stderr = r.log, r.log
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", r.port)); err == nil {
			c.Write([]byte("PING\r\n"))
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if strings.HasPrefix(line, "+PONG") {
				return
			}
		}
	}
	r.t.Fatalf("redis-server did not answer: %s", r.log.String())
}

func (r *redisServer) stop() {
	if r.cmd != nil {
		r.cmd.Process.Kill()
		r.cmd.Wait()
		r.cmd = nil
	}
}

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
	for i, ep := range rs.Endpoints {
		base := strings.TrimSuffix(ep, "/mcp")
		if strings.HasPrefix(link, base+"/") {
			next := strings.TrimSuffix(rs.Endpoints[(i+1)%len(rs.Endpoints)], "/mcp")
			return next + strings.TrimPrefix(link, base)
		}
	}
	t.Fatalf("%s is on no replica", link)
	return ""
}
