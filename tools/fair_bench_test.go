package tools_test

// The fair limit, beside BenchmarkThroughput:
//
//	go test ./tools -run '^$' -bench FairThroughput -benchtime 4000x
//
// A fake gateway on loopback answers POST /auth with a token and GET
// /csapi/v1.3/sensors with a fixed page of five sensors (taken once from
// the sandbox's answer, so that it has the API's shape). Against it run
// our binary, whose list_sensors validates, calls the API through the
// client, projects and encodes, and the bare mcp-go server
// (tools/testdata/bare --gateway), whose one tool makes a single resty GET
// and answers the body as it came. The same go-sdk client drives both, 4
// callers at once, in the same run, over stdio and streamable HTTP.
//
// The client-side throttle must not be what is measured: /sensors is in
// the "other" class, 1,000 requests per 60 s, whose bucket starts full, so
// every server process makes fewer than 1,000 calls: the calls go in rounds
// of perRound (after warmUp), each with fresh processes, ours and bare
// taking turns in batches. The figures are over all rounds: calls per
// second and latency percentiles as the client sees them, and the CPU
// time each server process spent per call (/proc), which the load of a
// shared machine disturbs less than time does.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

const (
	perRound = 800 // measured calls per server process
	warmUp   = 50  // calls before measuring (token, connections)
	batch    = 100 // calls of one server before the other's turn
)

// cpuTime is the CPU time (user and system) a process has used so far,
// from /proc (in clock ticks of 10 ms); 0 where /proc is not there.
func cpuTime(pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:])) // after the command's name: state is f[0]
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.Atoi(f[11])
	stime, _ := strconv.Atoi(f[12])
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// fakeGateway serves a fixed page of sensors on loopback and counts the
// GETs it answers.
type fakeGateway struct {
	URL  string
	Body []byte
	gets atomic.Int64
}

func newFakeGateway(tb testing.TB) *fakeGateway {
	tb.Helper()
	g := &fakeGateway{Body: sandboxAnswer(tb, "/sensors?pageNumber=1&pageSize=5")}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /auth", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9.c2lnbmF0dXJl")
	})
	mux.HandleFunc("GET /csapi/v1.3/sensors", func(w http.ResponseWriter, r *http.Request) {
		g.gets.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write(g.Body)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	tb.Cleanup(func() { srv.Close() })
	g.URL = "http://" + ln.Addr().String()
	return g
}

// sandboxAnswer is the sandbox's raw answer to GET path (under the API's
// base), through its in-process handler.
func sandboxAnswer(tb testing.TB, path string) []byte {
	tb.Helper()
	sb := sandbox.New(sandbox.Options{})
	req := httptest.NewRequest("GET", sandbox.Base+path, nil)
	req.Header.Set("Authorization", "Bearer "+sb.IssueToken())
	rec := httptest.NewRecorder()
	sb.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		tb.Fatalf("sandbox %s: %d %s", path, rec.Code, rec.Body)
	}
	return rec.Body.Bytes()
}

// latencies makes n calls from 4 concurrent callers and returns each
// call's latency and the time all took.
func latencies(tb testing.TB, sess *mcp.ClientSession, n int, name string, args map[string]any) ([]time.Duration, time.Duration) {
	lat := make([]time.Duration, n)
	var next atomic.Int64
	start := time.Now()
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for k := int(next.Add(1)) - 1; k < n; k = int(next.Add(1)) - 1 {
				t0 := time.Now()
				res, err := sess.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
				if err != nil || res.IsError {
					tb.Errorf("%s: %v %v", name, err, res)
					return
				}
				lat[k] = time.Since(t0)
			}
		}()
	}
	for range 4 {
		<-done
	}
	return lat, time.Since(start)
}

func percentile(lat []time.Duration, p int) time.Duration {
	s := slices.Clone(lat)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

func BenchmarkFairThroughput(b *testing.B) {
	gw := newFakeGateway(b)
	env := []string{"QUALYS_GATEWAY_URL=" + gw.URL, "QUALYS_USERNAME=bench", "QUALYS_PASSWORD=bench", "QUALYS_POD=", "QUALYS_TOKEN="}
	args := map[string]any{"pageSize": 5}
	for _, http := range []bool{false, true} {
		tr := map[bool]string{false: "stdio", true: "http"}[http]
		b.Run(tr, func(b *testing.B) {
			var ours, bare []time.Duration
			var oursTime, bareTime time.Duration
			var oursCPU, bareCPU time.Duration
			gets := gw.gets.Load()
			for len(ours) < b.N {
				n := min(perRound, b.N-len(ours))
				o, oc := connectEnv(b, http, env, binary, "--toolsets", "sensors", "--log-level", "info", "--http-rate", "1000000")
				r, rc := connect(b, http, bareBinary(b), "--gateway", gw.URL)
				latencies(b, o, warmUp, "list_sensors", args)
				latencies(b, r, warmUp, "sensors", args)
				o0, r0 := cpuTime(oc.Process.Pid), cpuTime(rc.Process.Pid)
				for k := 0; k < n; k += batch { // small batches, in turn: both see the same load on the machine
					m := min(batch, n-k)
					runOurs := func() {
						l, d := latencies(b, o, m, "list_sensors", args)
						ours, oursTime = append(ours, l...), oursTime+d
					}
					runBare := func() { l, d := latencies(b, r, m, "sensors", args); bare, bareTime = append(bare, l...), bareTime+d }
					if k/batch%2 == 0 {
						runOurs()
						runBare()
					} else {
						runBare()
						runOurs()
					}
				}
				oursCPU += cpuTime(oc.Process.Pid) - o0
				bareCPU += cpuTime(rc.Process.Pid) - r0
				for _, s := range []*mcp.ClientSession{o, r} {
					s.Close()
				}
				oc.Process.Kill()
				rc.Process.Kill()
			}
			if want := int64(2 * (len(ours) + warmUp*((len(ours)+perRound-1)/perRound))); gw.gets.Load()-gets != want {
				b.Errorf("the gateway answered %d GETs, want %d: one per call", gw.gets.Load()-gets, want)
			}
			b.ReportMetric(float64(oursCPU.Microseconds())/float64(len(ours)), "cpu-µs/call")
			b.ReportMetric(float64(bareCPU.Microseconds())/float64(len(bare)), "bare-cpu-µs/call")
			oursRate := float64(len(ours)) / oursTime.Seconds()
			bareRate := float64(len(bare)) / bareTime.Seconds()
			b.ReportMetric(oursRate, "calls/s")
			b.ReportMetric(bareRate, "bare-calls/s")
			b.ReportMetric(oursRate/bareRate, "ratio")
			for _, p := range []int{50, 99} {
				o, r := percentile(ours, p), percentile(bare, p)
				b.ReportMetric(float64(o.Microseconds()), fmt.Sprintf("p%d-µs", p))
				b.ReportMetric(float64(r.Microseconds()), fmt.Sprintf("bare-p%d-µs", p))
				b.ReportMetric(float64((o - r).Microseconds()), fmt.Sprintf("added-p%d-µs", p))
			}
		})
	}
}

// The fair benchmark's two servers answer the same page: ours projected
// (a fraction of the bytes), bare as the gateway sent it. A quick check
// that the benchmark measures what it says, run with the tests.
func TestFairBenchmarkServersAnswer(t *testing.T) {
	gw := newFakeGateway(t)
	env := []string{"QUALYS_GATEWAY_URL=" + gw.URL, "QUALYS_USERNAME=bench", "QUALYS_PASSWORD=bench", "QUALYS_POD=", "QUALYS_TOKEN="}
	args := map[string]any{"pageSize": 5}
	for _, http := range []bool{false, true} {
		o, _ := connectEnv(t, http, env, binary, "--toolsets", "sensors", "--log-level", "info")
		r, _ := connect(t, http, bareBinary(t), "--gateway", gw.URL)
		before := gw.gets.Load()
		ours, err := o.CallTool(t.Context(), &mcp.CallToolParams{Name: "list_sensors", Arguments: args})
		if err != nil || ours.IsError {
			t.Fatalf("list_sensors: %v %v", err, ours)
		}
		bare, err := r.CallTool(t.Context(), &mcp.CallToolParams{Name: "sensors", Arguments: args})
		if err != nil || bare.IsError {
			t.Fatalf("bare sensors: %v %v", err, bare)
		}
		if n := gw.gets.Load() - before; n != 2 {
			t.Fatalf("%d GETs for two calls", n)
		}
		if Text(bare) != string(gw.Body) || len(Items(mustJSON(t, Text(ours)))) != 5 || !strings.Contains(Text(ours), `"items"`) {
			t.Fatalf("answers: ours %.200s; bare %.200s", Text(ours), Text(bare))
		}
		t.Logf("http=%v: list_sensors answers %d bytes of text for the gateway's %d", http, len(Text(ours)), len(gw.Body))
	}
}
