// Command abuse measures the streamable HTTP service under the floods of
// issue 12, on loopback only, bounded in count and time:
//
//	go run ./bench/abuse            # builds the server, runs every flood, prints the figures
//
// It starts the real binary (--sandbox --http 127.0.0.1:0) for each part and
// reports: the server's resident memory growth and an honest client's p50
// and p99 latency during 30,000 session-creating requests (with the default
// limits, and with the rate limit out of the way so that only the session
// cap bounds them) and during 30,000 wrong-token requests with random
// session IDs; whether /healthz answers while 20,000 idle connections are
// held open (by two helper processes: the open-file limit is per process);
// how many of 400 calls with random session IDs are served, stateful and
// stateless. Nothing is asserted: the figures go in docs/http.md.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// floodFor bounds each flood's time.
const floodFor = 60 * time.Second

const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"abuse","version":"1"}}}`
const callBody = `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list_sensors","arguments":{"pageSize":1}}}`

func main() {
	bin := flag.String("bin", "", "the server binary (default: build it)")
	hold := flag.String("hold", "", "helper mode: hold idle connections to this address")
	n := flag.Int("n", 10000, "helper mode: connections to hold")
	holdFor := flag.Duration("for", 20*time.Second, "helper mode: how long to hold them, or to call")
	honestURL := flag.String("honest", "", "helper mode: be the honest client of this MCP URL")
	token := flag.String("token", "", "helper mode: the honest client's bearer token")
	only := flag.String("only", "", "run one part: sessions, token, idle, random, unknown or parked")
	floodURL := flag.String("flood", "", "helper mode: send -n initialize requests to this MCP URL")
	wrong := flag.Bool("wrong-token", false, "helper mode: flood with a wrong bearer token and random session IDs")
	unknown := flag.Bool("unknown-sessions", false, "helper mode: flood with tool calls naming made-up session IDs (no token needed)")
	attackers := flag.Int("attackers", 512, "helper mode: requests in flight at once")
	flag.Parse()
	raiseFileLimit()
	if *hold != "" {
		holdConns(*hold, *n, *holdFor)
		return
	}
	if *floodURL != "" {
		flood(*floodURL, *n, *attackers, *wrong, *unknown)
		return
	}
	if *honestURL != "" { // until stdin closes
		h := newHonest(*honestURL, *token)
		fmt.Println("ready")
		h.run()
		io.Copy(io.Discard, os.Stdin)
		p50, p99, calls, refused := h.finish()
		fmt.Printf("%d calls, p50 %.2f ms, p99 %.2f ms, %d refused, %d unanswered\n", calls, ms(p50), ms(p99), refused, h.lost)
		return
	}
	if *bin == "" {
		*bin = build()
	}
	const floods = 30000
	run := func(part string) bool { return *only == "" || *only == part }
	if run("sessions") {
		fmt.Println("# 30,000 initialize requests, 64 at a time, default limits")
		sessionFlood(*bin, floods, 64, nil, "", false, false)
		fmt.Println("# the same, 512 at a time (more than the server holds refusals for)")
		sessionFlood(*bin, floods, 512, nil, "", false, false)
		fmt.Println("# the same, the attacker pinned to CPU 1 (taskset), as if it ran elsewhere")
		sessionFlood(*bin, floods, 512, nil, "", false, true)
		fmt.Println("# 512 at a time with --http-rate 100000: only the session cap (1,000) bounds them")
		sessionFlood(*bin, floods, 512, []string{"--http-rate", "100000"}, "", false, false)
	}
	if run("token") {
		fmt.Println("# 30,000 wrong-token requests with random session IDs, 512 at a time, QUALYS_MCP_HTTP_TOKEN set")
		sessionFlood(*bin, floods, 512, nil, "bench-token-5e1f", true, false)
	}
	if run("idle") {
		fmt.Println("# 20,000 idle connections (2 helper processes), /healthz probed meanwhile")
		idleFlood(*bin, 2, 10000)
	}
	if run("unknown") {
		fmt.Println("# made-up session IDs for 15 s from one address, 512 at a time (no token set)")
		sessionFlood(*bin, 1<<30, 512, nil, "", false, false, "-unknown-sessions")
	}
	if run("parked") {
		fmt.Println("# 1,100 destructive calls of one session that wait for the page (progress token), each on its own connection")
		parkedFlood(*bin, 1100, 1)
		fmt.Println("# the same from 140 sessions (8 each), --http-rate 100000: only the caps on waiting calls bound them")
		parkedFlood(*bin, 1100, 140, "--http-rate", "100000")
	}
	if run("random") {
		fmt.Println("# calls with random session IDs")
		randomIDs(*bin, 400, nil)
		randomIDs(*bin, 400, []string{"--stateless"})
		randomIDs(*bin, 2000, []string{"--stateless"})
	}
}

// server is one running binary.
type server struct {
	cmd  *exec.Cmd
	base string // http://127.0.0.1:PORT
}

func start(bin string, token string, flags ...string) *server {
	cmd := exec.Command(bin, append([]string{"--sandbox", "--http", "127.0.0.1:0"}, flags...)...)
	cmd.Env = append(os.Environ(), "QUALYS_MCP_HTTP_TOKEN="+token)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		fail(err)
	}
	addr := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`addr=http://(\S+)/mcp`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	select {
	case a := <-addr:
		return &server{cmd: cmd, base: "http://" + a}
	case <-time.After(20 * time.Second):
		fail(fmt.Errorf("the server did not start"))
	}
	return nil
}

func (s *server) stop() { s.cmd.Process.Kill(); s.cmd.Wait() }

// rss is the server's resident memory in bytes.
func (s *server) rss() int64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	m := regexp.MustCompile(`VmRSS:\s+(\d+) kB`).FindSubmatch(b)
	if m == nil {
		return 0
	}
	kb, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return kb << 10
}

// cpu is the CPU time the server has used (user and system).
func (s *server) cpu() time.Duration {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // clock ticks (USER_HZ 100)
}

func (s *server) fds() int {
	ents, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", s.cmd.Process.Pid))
	return len(ents)
}

// client is an HTTP client with its own connection pool.
func client(conns int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}}
}

func post(c *http.Client, url string, hdr map[string]string, body string) (int, http.Header) {
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

// honest is a client with a session of its own, calling a tool every 25 ms
// (40 calls a second, within its session's rate of 50) and timing each
// call.
type honest struct {
	c       *http.Client
	url     string
	hdr     map[string]string
	mu      sync.Mutex
	lat     []time.Duration
	refused int // answered, not 200
	lost    int // no answer (a transport error)
	stop    chan struct{}
	done    chan struct{}
}

func newHonest(url, token string) *honest {
	h := &honest{c: client(2), url: url, stop: make(chan struct{}), done: make(chan struct{})}
	auth := map[string]string{}
	if token != "" {
		auth["Authorization"] = "Bearer " + token
	}
	status, hdr := post(h.c, url, auth, initBody)
	if status != 200 {
		fail(fmt.Errorf("honest initialize: %d", status))
	}
	h.hdr = map[string]string{"Mcp-Session-Id": hdr.Get("Mcp-Session-Id"), "MCP-Protocol-Version": "2025-11-25"}
	for k, v := range auth {
		h.hdr[k] = v
	}
	post(h.c, url, h.hdr, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	for i := 0; i < 20; i++ { // warm up
		post(h.c, url, h.hdr, callBody)
	}
	return h
}

func (h *honest) run() {
	go func() {
		defer close(h.done)
		t := time.NewTicker(25 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-h.stop:
				return
			case <-t.C:
				start := time.Now()
				status, _ := post(h.c, h.url, h.hdr, callBody)
				h.mu.Lock()
				switch status {
				case 200:
					h.lat = append(h.lat, time.Since(start))
				case 0:
					h.lost++
				default:
					h.refused++
				}
				h.mu.Unlock()
			}
		}
	}()
}

func (h *honest) finish() (p50, p99 time.Duration, n, refused int) {
	close(h.stop)
	<-h.done
	sort.Slice(h.lat, func(i, j int) bool { return h.lat[i] < h.lat[j] })
	if len(h.lat) == 0 {
		return 0, 0, 0, h.refused
	}
	return h.lat[len(h.lat)/2], h.lat[len(h.lat)*99/100], len(h.lat), h.refused
}

// sessionFlood has an attacker process send n initialize requests
// (attackers at a time, for at most floodFor; pinned to one CPU if pin)
// while an honest client works, sampling the server's memory.
func sessionFlood(bin string, n, attackers int, flags []string, token string, wrong, pin bool, extra ...string) {
	s := start(bin, token, flags...)
	defer s.stop()
	url := s.base + "/mcp"
	alone := startHonest(url, token)
	time.Sleep(3 * time.Second)
	fmt.Printf("  honest client alone (3 s): %s", alone.wait())
	base := s.rss()
	var peak atomic.Int64
	sampling := make(chan struct{})
	go func() {
		for {
			select {
			case <-sampling:
				return
			case <-time.After(50 * time.Millisecond):
				if r := s.rss(); r > peak.Load() {
					peak.Store(r)
				}
			}
		}
	}()
	h := startHonest(url, token)
	cpu := s.cpu()
	args := append([]string{"-flood", url, "-n", strconv.Itoa(n), "-attackers", strconv.Itoa(attackers), fmt.Sprintf("-wrong-token=%v", wrong)}, extra...)
	if pin {
		args = append([]string{"-c", "1", mustSelf()}, args...)
	}
	attacker := spawnCmd(map[bool]string{true: "taskset", false: mustSelf()}[pin], args...)
	report := attacker.wait()
	cpu = s.cpu() - cpu
	during := h.wait()
	close(sampling)
	end := s.rss()
	fmt.Printf("  %s; the server used %.1f s of CPU\n", strings.TrimSpace(report), cpu.Seconds())
	fmt.Printf("  server RSS %.1f MB before, peak %.1f MB (+%.1f MB), %.1f MB after\n", mb(base), mb(peak.Load()), mb(peak.Load()-base), mb(end))
	fmt.Printf("  honest client during the flood: %s", during)
	if probe(s.base) != nil {
		fmt.Println("  /healthz did NOT answer after the flood")
	}
}

// flood sends n initialize requests, attackers at a time, for at most
// floodFor, and prints what came back.
func flood(url string, n, attackers int, wrong, unknown bool) {
	statuses := map[int]int{}
	var mu sync.Mutex
	var next atomic.Int64
	var wg sync.WaitGroup
	c := client(attackers)
	began := time.Now()
	limit := floodFor
	if unknown {
		limit = 15 * time.Second
	}
	for w := 0; w < attackers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) && time.Since(began) < limit {
				hdr, body := map[string]string{}, initBody
				switch {
				case wrong:
					hdr = map[string]string{"Authorization": "Bearer wrong", "Mcp-Session-Id": randomID()}
				case unknown:
					hdr, body = map[string]string{"Mcp-Session-Id": randomID(), "MCP-Protocol-Version": "2025-11-25"}, callBody
				}
				status, _ := post(c, url, hdr, body)
				mu.Lock()
				statuses[status]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	sent := 0
	for _, k := range statuses {
		sent += k
	}
	fmt.Printf("%d requests in %.1f s, answers %v\n", sent, time.Since(began).Seconds(), statuses)
}

func mustSelf() string {
	self, err := os.Executable()
	if err != nil {
		fail(err)
	}
	return self
}

// helper is a helper process of this program.
type helper struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   bytes.Buffer
}

func spawn(args ...string) *helper { return spawnCmd(mustSelf(), args...) }

func spawnCmd(name string, args ...string) *helper {
	h := &helper{cmd: exec.Command(name, args...)}
	h.stdin, _ = h.cmd.StdinPipe()
	h.cmd.Stdout, h.cmd.Stderr = &h.out, &h.out
	if err := h.cmd.Start(); err != nil {
		fail(err)
	}
	return h
}

// wait ends the helper (closing its stdin) and answers what it printed.
func (h *helper) wait() string {
	h.stdin.Close()
	h.cmd.Wait()
	return strings.TrimPrefix(h.out.String(), "ready\n")
}

// startHonest runs an honest client in its own process, until wait; it
// returns once the client's session is up.
func startHonest(url, token string) *helper {
	h := spawn("-honest", url, "-token", token)
	for deadline := time.Now().Add(20 * time.Second); !strings.HasPrefix(h.out.String(), "ready"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			fail(fmt.Errorf("the honest client did not start: %s", h.out.String()))
		}
	}
	return h
}

// idleFlood has helpers hold idle connections while /healthz is probed.
func idleFlood(bin string, helpers, each int) {
	s := start(bin, "")
	defer s.stop()
	h := startHonest(s.base+"/mcp", "")
	var holders []*helper
	for i := 0; i < helpers; i++ {
		holders = append(holders, spawn("-hold", strings.TrimPrefix(s.base, "http://"), "-n", strconv.Itoa(each), "-for", "25s"))
	}
	ok, failed, maxFDs := 0, 0, 0
	var lat []time.Duration
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		start := time.Now()
		if err := probe(s.base); err != nil {
			failed++
		} else {
			ok++
			lat = append(lat, time.Since(start))
		}
		maxFDs = max(maxFDs, s.fds())
		time.Sleep(100 * time.Millisecond)
	}
	during := h.wait()
	for _, hd := range holders {
		fmt.Print("  helper: " + hd.wait())
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	fmt.Printf("  /healthz: %d answered, %d failed", ok, failed)
	if len(lat) > 0 {
		fmt.Printf(" (p50 %.2f ms, max %.2f ms)", ms(lat[len(lat)/2]), ms(lat[len(lat)-1]))
	}
	fmt.Printf("; server's open files at most %d\n", maxFDs)
	fmt.Printf("  honest client meanwhile: %s", during)
}

// parkedFlood has sessions start n destructive calls that wait for a
// person (a progress token, no elicitation: the confirmation page), each
// on its own connection, while an honest session works and /healthz is
// probed on new connections; then the calls are dropped.
func parkedFlood(bin string, n, sessions int, flags ...string) {
	s := start(bin, "", flags...)
	defer s.stop()
	url := s.base + "/mcp"
	h := startHonest(url, "")
	c := client(4)
	var all []map[string]string
	for range sessions {
		status, hdr := post(c, url, nil, initBody)
		if status != 200 {
			fail(fmt.Errorf("initialize: %d", status))
		}
		sess := map[string]string{"Mcp-Session-Id": hdr.Get("Mcp-Session-Id"), "MCP-Protocol-Version": "2025-11-25"}
		post(c, url, sess, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
		all = append(all, sess)
	}
	type answer struct {
		refused bool // past the caps on waiting calls
		status  int
		err     error
	}
	answers := make(chan answer, n)
	stop := make(chan struct{})
	for i := 0; i < n; i++ {
		sess := all[i%sessions]
		go func() {
			body := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"_meta":{"progressToken":%d},"name":"delete_sensor_profile","arguments":{"sensorProfileId":"8aee8879-d536-4efd-b23d-41dcb77a4a32"}}}`, 100+i, i)
			ctx, cancel := context.WithCancel(context.Background())
			go func() { <-stop; cancel() }()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			for k, v := range sess {
				req.Header.Set(k, v)
			}
			resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
			if err != nil {
				answers <- answer{err: err}
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			answers <- answer{refused: bytes.Contains(b, []byte("already wait")), status: resp.StatusCode, err: err}
		}()
	}
	ok, failed := 0, 0
	var lat []time.Duration
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		start := time.Now()
		if probe(s.base) != nil {
			failed++
		} else {
			ok++
			lat = append(lat, time.Since(start))
		}
	}
	during := h.wait()
	refused, limited, ended := 0, 0, 0
	for len(answers) > 0 {
		a := <-answers
		ended++
		switch {
		case a.refused:
			refused++
		case a.status == http.StatusTooManyRequests:
			limited++
		}
	}
	close(stop)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	fmt.Printf("  %d calls: %d over the session's rate (429), %d refused at once past the caps on waiting calls, %d ended otherwise within 20 s, %d waited\n",
		n, limited, refused, ended-refused-limited, n-ended)
	fmt.Printf("  /healthz on new connections meanwhile: %d answered, %d failed", ok, failed)
	if len(lat) > 0 {
		fmt.Printf(" (p50 %.2f ms, max %.2f ms)", ms(lat[len(lat)/2]), ms(lat[len(lat)-1]))
	}
	fmt.Printf("\n  honest client meanwhile: %s", during)
}

// probe asks /healthz on a fresh connection.
func probe(base string) error {
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(base + "/healthz")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(b) != "ok\n" {
		return fmt.Errorf("%d %q", resp.StatusCode, b)
	}
	return nil
}

// holdConns opens n idle connections, holds them, and says how many the
// server closed.
func holdConns(addr string, n int, d time.Duration) {
	began := time.Now()
	var conns []net.Conn
	refused := 0
	for i := 0; i < n; i++ {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			refused++
			continue
		}
		conns = append(conns, c)
	}
	time.Sleep(time.Until(began.Add(d)))
	closed := 0
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(time.Millisecond))
		if _, err := c.Read(make([]byte, 1)); err == io.EOF {
			closed++
		}
		c.Close()
	}
	fmt.Printf("opened %d of %d connections (%d failed to connect); the server closed %d of them\n", len(conns), n, refused, closed)
}

// randomIDs sends n tool calls, each with a fresh made-up session ID, and
// counts those served.
func randomIDs(bin string, n int, flags []string) {
	s := start(bin, "", flags...)
	defer s.stop()
	c := client(8)
	statuses := map[int]int{}
	began := time.Now()
	for i := 0; i < n; i++ {
		status, _ := post(c, s.base+"/mcp", map[string]string{"Mcp-Session-Id": randomID(), "MCP-Protocol-Version": "2025-11-25"}, callBody)
		statuses[status]++
	}
	mode := "stateful"
	if len(flags) > 0 {
		mode = "stateless"
	}
	fmt.Printf("  %s: %d calls in %.2f s: %d served; answers %v\n", mode, n, time.Since(began).Seconds(), statuses[200], statuses)
}

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "mcp-session-" + hex.EncodeToString(b)
}

func build() string {
	dir, err := os.MkdirTemp("", "abuse")
	if err != nil {
		fail(err)
	}
	bin := filepath.Join(dir, "qualys-cs-mcp")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		fail(err)
	}
	return bin
}

// raiseFileLimit lifts the soft open-file limit to the hard one.
func raiseFileLimit() {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil && l.Cur < l.Max {
		l.Cur = l.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}

func mb(b int64) float64         { return float64(b) / (1 << 20) }
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func fail(err error) {
	fmt.Fprintln(os.Stderr, "abuse:", err)
	os.Exit(1)
}
