package tools_test

import (
	"context"
	"net/http/httptest"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/redis/go-redis/v9"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/internal/realparts"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

// TestMeasureReplicas measures, for docs/deployment.md, what sharing state on a
// real Redis costs and gives: calls/s of 1 and of 3 replicas behind the
// balancer (the throttle raised out of the way), the latency one call gains
// from its Redis round trips, and the round trip of each Store operation.
// Nothing is asserted; QCS_MEASURE=1 runs it (bounded: a few thousand calls
// on loopback).
//
//	QCS_MEASURE=1 go test ./tools -run TestMeasureReplicas -v
func TestMeasureReplicas(t *testing.T) {
	if os.Getenv("QCS_MEASURE") == "" {
		t.Skip("a measurement: QCS_MEASURE=1 runs it")
	}
	rdb := realparts.StartRedis(t)
	sb := sandbox.New(sandbox.Options{Username: "tester", Password: "canary-pass-7f3a"})
	gw := httptest.NewServer(sb.Handler())
	defer gw.Close()
	raised := []string{"--stateless", "--http-rate", "1000000", "--rate-limits", "bulk-list=1000000,inventory=1000000,other=1000000"}
	key := []string{"QUALYS_MCP_STATE_KEY=measure"}
	withRedis := append([]string{"--state", rdb.URL()}, raised...)
	call := &mcp.CallToolParams{Name: "list_sensor_profiles", Arguments: map[string]any{}}

	sets := map[int]*replicaSet{1: startReplicas(t, 1, gw.URL, withRedis, key), 3: startReplicas(t, 3, gw.URL, withRedis, key)}
	rates := map[int][]float64{}
	for round := 0; round < 3; round++ { // alternated, as the machine's load varies
		for _, n := range []int{1, 3} {
			rate, p50, p99 := load(t, sets[n].LB, sb, call, 8, 3000)
			rates[n] = append(rates[n], rate)
			t.Logf("round %d: %d replica(s) behind the balancer, Redis state, 8 callers: %.0f calls/s (p50 %s, p99 %s)", round+1, n, rate, p50, p99)
		}
	}
	for _, n := range []int{1, 3} {
		sort.Float64s(rates[n])
		t.Logf("%d replica(s): median %.0f calls/s", n, rates[n][1])
	}
	for _, store := range []string{"memory", rdb.URL()} {
		rs := startReplicas(t, 1, gw.URL, append([]string{"--state", store}, raised...), key)
		_, p50, p99 := load(t, rs.Endpoints[0], sb, call, 1, 2000)
		t.Logf("one caller, one replica, state %s: p50 %s, p99 %s per call", store, p50, p99)
	}

	opts, _ := redis.ParseURL(rdb.URL())
	s := state.NewRedis(opts)
	defer s.Close()
	ctx := context.Background()
	for _, op := range []struct {
		name string
		do   func(i int)
	}{
		{"Claim", func(int) { s.Claim(ctx, "measure:"+time.Now().String(), time.Minute) }},
		{"Take", func(int) { s.Take(ctx, "measure-window", 1000000, time.Minute) }},
		{"Lock+unlock", func(int) { unlock, _, _ := s.Lock(ctx, "measure-lock", time.Second); unlock() }},
	} {
		var d []time.Duration
		for i := 0; i < 2000; i++ {
			start := time.Now()
			op.do(i)
			d = append(d, time.Since(start))
		}
		p50, p99 := percentiles(d)
		t.Logf("Redis %s: p50 %s, p99 %s", op.name, p50, p99)
	}
}

// load makes total calls from callers sessions at once and answers the
// rate and the latency percentiles.
func load(t *testing.T, endpoint string, sb *sandbox.Server, call *mcp.CallToolParams, callers, total int) (float64, time.Duration, time.Duration) {
	var sessions []*Env
	for i := 0; i < callers; i++ {
		sessions = append(sessions, Dial(t, endpoint, EnvOptions{Sandbox: sb, Protocol: "2025-11-25"}))
	}
	for _, e := range sessions { // warm up: the login, connections
		e.OK(call.Name, call.Arguments)
	}
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	for _, e := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < total/callers; i++ {
				s := time.Now()
				res, err := e.S.CallTool(context.Background(), call)
				if err != nil || res.IsError {
					t.Errorf("call failed: %v", err)
					return
				}
				mu.Lock()
				lat = append(lat, time.Since(s))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	rate := float64(len(lat)) / time.Since(start).Seconds()
	p50, p99 := percentiles(lat)
	return rate, p50, p99
}

func percentiles(d []time.Duration) (time.Duration, time.Duration) {
	if len(d) == 0 {
		return 0, 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	r := func(x time.Duration) time.Duration { return x.Round(10 * time.Microsecond) }
	return r(d[len(d)/2]), r(d[len(d)*99/100])
}
