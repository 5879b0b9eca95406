package tools_test

// The benchmark suite: run it with
//
//	go test ./tools -run '^$' -bench . -benchtime 2000x
//
// It builds the real binary and a bare mcp-go server with one trivial tool
// (tools/testdata/bare), drives both with the go-sdk client over stdio and
// streamable HTTP in the same run, and reports calls per second, p50 and
// p99, our throughput as a fraction of the bare server's, cold start to the
// first tools/list, /auth calls during 500 concurrent calls, and resident
// memory after 10,000 calls. Nothing here is asserted: the figures go in the
// docs/performance.md.

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

var (
	bareOnce sync.Once
	bareBin  string
)

func bareBinary(b testing.TB) string {
	bareOnce.Do(func() {
		bareBin = filepath.Join(filepath.Dir(binary), "bare")
		cmd := exec.Command("go", "build", "-o", bareBin, "./testdata/bare")
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
	})
	return bareBin
}

// connect starts a server binary and connects the go-sdk client to it.
func connect(tb testing.TB, http bool, bin string, args ...string) (*mcp.ClientSession, *exec.Cmd) {
	return connectEnv(tb, http, nil, bin, args...)
}

// connectEnv is connect with extra environment variables (KEY=VALUE).
func connectEnv(tb testing.TB, http bool, env []string, bin string, args ...string) (*mcp.ClientSession, *exec.Cmd) {
	ctx := context.Background()
	cmd := exec.Command(bin, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	cl := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "1"}, nil)
	var tr mcp.Transport
	if http {
		cmd.Args = append(cmd.Args, "--http", "127.0.0.1:0")
		stderr, _ := cmd.StderrPipe()
		if err := cmd.Start(); err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`addr=(http://\S+/mcp)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				tr = &mcp.StreamableClientTransport{Endpoint: m[1], MaxRetries: -1}
				break
			}
		}
		go func() {
			for sc.Scan() {
			}
		}()
	} else {
		tr = &mcp.CommandTransport{Command: cmd, TerminateDuration: time.Second}
	}
	sess, err := cl.Connect(ctx, tr, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { sess.Close(); cmd.Process.Kill(); cmd.Wait() })
	return sess, cmd
}

// drive makes n calls from 4 concurrent callers and returns calls per
// second and the latency percentiles.
func drive(b *testing.B, sess *mcp.ClientSession, n int, name string, args map[string]any) (rate float64, p50, p99 time.Duration) {
	lat, el := latencies(b, sess, n, name, args)
	return float64(n) / el.Seconds(), percentile(lat, 50), percentile(lat, 99)
}

func BenchmarkThroughput(b *testing.B) {
	for _, http := range []bool{false, true} {
		tr := map[bool]string{false: "stdio", true: "http"}[http]
		b.Run(tr, func(b *testing.B) {
			ours, _ := connect(b, http, binary, "--sandbox", "--toolsets", "all", "--log-level", "info", "--http-rate", "1000000") // info: the HTTP address line
			bare, _ := connect(b, http, bareBinary(b))
			drive(b, ours, 200, "list_sensors", map[string]any{"pageSize": 5}) // warm up: token, connections
			drive(b, bare, 200, "echo", map[string]any{"text": "x"})
			b.ResetTimer()
			oursRate, p50, p99 := drive(b, ours, b.N, "list_sensors", map[string]any{"pageSize": 5})
			bareRate, bp50, bp99 := drive(b, bare, b.N, "echo", map[string]any{"text": "x"})
			b.ReportMetric(oursRate, "calls/s")
			b.ReportMetric(float64(p50.Microseconds()), "p50-µs")
			b.ReportMetric(float64(p99.Microseconds()), "p99-µs")
			b.ReportMetric(bareRate, "bare-calls/s")
			b.ReportMetric(float64(bp50.Microseconds()), "bare-p50-µs")
			b.ReportMetric(float64(bp99.Microseconds()), "bare-p99-µs")
			b.ReportMetric(oursRate/bareRate, "ratio")
		})
	}
}

// BenchmarkColdStart starts the binary at most 20 times, whatever b.N.
func BenchmarkColdStart(b *testing.B) {
	for i := 0; i < min(b.N, 20); i++ {
		t0 := time.Now()
		sess, cmd := connect(b, false, binary, "--sandbox", "--log-level", "warn")
		if _, err := sess.ListTools(context.Background(), nil); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(time.Since(t0).Microseconds())/1000, "ms-to-tools/list")
		sess.Close()
		cmd.Process.Kill()
		cmd.Wait()
	}
}

// BenchmarkAuthAndMemory: /auth calls during 500 concurrent tool calls,
// then resident memory after 10,000 calls.
func BenchmarkAuthAndMemory(b *testing.B) {
	for i := 0; i < b.N; i++ {
		e := NewEnv(b, EnvOptions{})
		var wg sync.WaitGroup
		for k := 0; k < 500; k++ {
			wg.Add(1)
			go func() { defer wg.Done(); e.Call("list_sensors", map[string]any{"pageSize": 1}) }()
		}
		wg.Wait()
		b.ReportMetric(float64(e.SB.AuthCalls()), "auth-calls/500")
		sess, cmd := connect(b, false, binary, "--sandbox", "--log-level", "warn")
		drive(b, sess, 10000, "list_sensors", map[string]any{"pageSize": 5})
		b.ReportMetric(rssMB(cmd.Process.Pid), "RSS-MB/10k-calls")
	}
}

func rssMB(pid int) float64 {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			kb, _ := strconv.Atoi(strings.Fields(line)[1])
			return float64(kb) / 1024
		}
	}
	return -1
}
