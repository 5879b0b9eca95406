package tools_test

// Metrics as an operator gets them: the real binary with --metrics, scraped
// by Debian's real Prometheus, and read directly after the whole catalogue
// has run.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/toolsets"
)

var metricsAddrRE = regexp.MustCompile(`msg="serving metrics" addr=(http://\S+/metrics)`)

// metricsURL is the URL the server logged for its --metrics listener.
func metricsURL(t testing.TB, e *Env) string {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := metricsAddrRE.FindStringSubmatch(e.Stderr.String()); m != nil {
			return m[1]
		}
	}
	t.Fatalf("the server did not log its metrics listener: %s", e.Stderr.String())
	return ""
}

// scrape reads the server's /metrics: the families, and the text.
func scrape(t testing.TB, u string) (map[string]*dto.MetricFamily, string) {
	t.Helper()
	_, body := httpGet(t, u)
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("/metrics is not Prometheus text: %v", err)
	}
	return fams, string(body)
}

// value is the value of the series of family name whose labels include
// want (a counter's, a gauge's or a histogram's count); -1 when none.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
	for _, m := range f.Metric {
		labels := map[string]string{}
		for _, l := range m.Label {
			labels[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			match = match && labels[k] == v
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

// waitMetric scrapes until the series has the value want.
func waitMetric(t testing.TB, u, name string, labels map[string]string, want float64) map[string]*dto.MetricFamily {
	t.Helper()
	var got float64
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		fams, _ := scrape(t, u)
		if got = value(fams, name, labels); got == want {
			return fams
		}
	}
	t.Fatalf("%s%v = %v, want %v", name, labels, got, want)
	return nil
}

// idLike finds what may be an ID in a label value: a UUID, a long hex or
// digit run, a digest.
var idLike = regexp.MustCompile(`(?i)[0-9a-f]{8}-[0-9a-f]{4}-|[0-9a-f]{12,}|sha256|\d{6,}`)

// Prometheus, started by the test on loopback, scrapes the binary's
// --metrics: after some tool calls the call counter by tool equals the
// calls made, the upstream counter moved, and no series carries an ID.
func TestMetricsScrapedByPrometheus(t *testing.T) {
	prom, err := exec.LookPath("prometheus")
	if err != nil {
		t.Skip("prometheus is not installed (Debian's prometheus package, which .ci/run installs): the scrape test cannot run")
	}
	e := NewEnv(t, EnvOptions{Flags: []string{"--sandbox", "--metrics", "127.0.0.1:0"}})
	api := startPrometheus(t, prom, metricsURL(t, e))

	want := map[string]float64{"list_sensors": 3, "list_registries": 2, "list_images_with_details": 1, "get_sensor": 2}
	for _, tool := range []string{"list_sensors", "list_registries"} {
		for range int(want[tool]) {
			e.OK(tool, map[string]any{"pageSize": 2})
		}
	}
	e.OK("list_images_with_details", map[string]any{"limit": 1})
	e.Fail("get_sensor", map[string]any{"sensorId": "not an id"})                            // refused by validation
	e.Fail("get_sensor", map[string]any{"sensorId": "00000000-1111-2222-3333-444444444444"}) // Qualys: 404

	var byTool map[string]float64
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		byTool = map[string]float64{}
		for _, s := range promQuery(t, api, `sum by (tool) (qualys_cs_mcp_tool_calls_total)`) {
			byTool[s.Metric["tool"]] = s.Value
		}
		if fmt.Sprint(byTool) == fmt.Sprint(want) || time.Now().After(deadline) {
			break
		}
	}
	if fmt.Sprint(byTool) != fmt.Sprint(want) {
		t.Fatalf("calls by tool in Prometheus: %v, want %v", byTool, want)
	}
	outcome := func(o string) float64 {
		v := promQuery(t, api, `qualys_cs_mcp_tool_calls_total{tool="get_sensor",outcome="`+o+`"}`)
		if len(v) != 1 {
			return -1
		}
		return v[0].Value
	}
	if outcome("refused") != 1 || outcome("tool_error") != 1 {
		t.Fatalf("get_sensor: refused %v, tool_error %v; want 1 and 1", outcome("refused"), outcome("tool_error"))
	}
	up := promQuery(t, api, `sum(qualys_cs_mcp_upstream_requests_total{class!="auth"})`)
	if len(up) != 1 || up[0].Value < 7 { // one request at least per call that reached Qualys
		t.Fatalf("upstream requests in Prometheus: %v, want 7 or more", up)
	}
	if v := promQuery(t, api, `qualys_cs_mcp_upstream_requests_total{endpoint="/sensors/{sensorId}",status="404"}`); len(v) != 1 || v[0].Value != 1 {
		t.Fatalf("the 404 by its template: %v", v)
	}

	for _, q := range dashboardQueries(t) { // Grafana's dashboard asks Prometheus only what it understands
		if code, body := httpGet(t, api+"/api/v1/query?query="+url.QueryEscape(q)); code != http.StatusOK {
			t.Errorf("docs/grafana-dashboard.json: %s: %d %s", q, code, body)
		}
	}

	series := promSeries(t, api, `{job="qcs"}`)
	if len(series) < 50 {
		t.Fatalf("only %d series scraped", len(series))
	}
	for _, s := range series {
		for k, v := range s {
			if k != "__name__" && idLike.MatchString(v) || strings.Contains(v, "canary") {
				t.Errorf("series %v: label %s=%q looks like an ID or a secret", s, k, v)
			}
		}
	}
}

// dashboardQueries are the PromQL queries of the Grafana dashboard's
// panels, its variables filled in as Grafana fills them in.
func dashboardQueries(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("../docs/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var board struct {
		Panels []struct {
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(raw, &board); err != nil {
		t.Fatal(err)
	}
	vars := strings.NewReplacer("$__rate_interval", "1m", "$__range", "5m", "$instance", ".*", "$toolset", ".*", "$job", ".*")
	var out []string
	for _, p := range board.Panels {
		for _, target := range p.Targets {
			out = append(out, vars.Replace(target.Expr))
		}
	}
	if len(out) < 20 {
		t.Fatalf("only %d queries in the dashboard", len(out))
	}
	return out
}

// startPrometheus runs Debian's prometheus on loopback, scraping target
// every second, and stops it by its process id when the test ends. It
// returns its HTTP API's base URL.
func startPrometheus(t *testing.T, bin, target string) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	config := filepath.Join(dir, "prometheus.yml")
	os.WriteFile(config, fmt.Appendf(nil, `global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: qcs
    metrics_path: %s
    static_configs:
      - targets: ['%s']
`, u.Path, u.Host), 0o600)
	listen := freeAddr(t)
	logs := &syncBuffer{}
	cmd := exec.Command(bin, "--config.file="+config, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+listen, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		syscall.Kill(cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})
	api := "http://" + listen
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get(api + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return api
			}
		}
		select {
		case <-exited:
			t.Fatalf("prometheus exited: %s", logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus not ready: %s", logs.String())
		}
	}
}

// freeAddr is a loopback address no one listens on (just now).
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type promSample struct {
	Metric map[string]string
	Value  float64
}

// promQuery runs an instant query on Prometheus' HTTP API.
func promQuery(t *testing.T, api, query string) []promSample {
	t.Helper()
	var out struct {
		Status string
		Data   struct {
			Result []struct {
				Metric map[string]string
				Value  [2]any
			}
		}
	}
	promGet(t, api+"/api/v1/query?query="+url.QueryEscape(query), &out)
	var samples []promSample
	for _, r := range out.Data.Result {
		s, _ := r.Value[1].(string)
		v, _ := strconv.ParseFloat(s, 64)
		samples = append(samples, promSample{r.Metric, v})
	}
	return samples
}

// promSeries lists every series matching match, by its labels.
func promSeries(t *testing.T, api, match string) []map[string]string {
	t.Helper()
	var out struct {
		Status string
		Data   []map[string]string
	}
	promGet(t, api+"/api/v1/series?match[]="+url.QueryEscape(match), &out)
	return out.Data
}

func promGet(t *testing.T, u string, out any) {
	t.Helper()
	if code, body := httpGet(t, u); code != http.StatusOK || json.Unmarshal(body, out) != nil {
		t.Fatalf("%s: %d %s", u, code, body)
	}
}

// httpGet GETs u: the status and the body.
func httpGet(t testing.TB, u string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// After the whole catalogue has run (through the guard, confirmed in the
// form), every tool has its call series, every guarded call its decisions,
// and no label value is an ID or a secret, though the calls sent many.
// The series count is logged: the figure for the README.
func TestMetricsAfterTheWholeCatalogue(t *testing.T) {
	e := NewEnv(t, EnvOptions{Elicit: Accept, Flags: []string{"--metrics", "127.0.0.1:0"}})
	u := metricsURL(t, e)
	f := newCanaryFixture(t, e)
	guarded := 0
	for _, c := range canaryCalls() {
		args := c.args(f)
		res := e.Call(c.tool, args)
		if res.IsError != c.fail {
			t.Fatalf("%s(%v): error %v: %s", c.tool, args, res.IsError, Text(res))
		}
		if k, path, ok := strings.Cut(c.keep, "="); ok {
			f.ids[k] = pickPath(mustObject(Text(res)), path)
		}
	}
	guarded = len(e.Elicited)
	all, _ := toolsets.All()
	fams, text := scrape(t, u)
	for _, tl := range all {
		if value(fams, "qualys_cs_mcp_tool_calls_total", map[string]string{"tool": tl.Name, "tier": tl.Tier.Word(), "toolset": tl.Toolset}) < 1 {
			t.Errorf("no call counted for %s", tl.Name)
		}
	}
	for _, d := range []string{"previewed", "confirmed"} {
		if got := value(fams, "qualys_cs_mcp_guard_decisions_total", map[string]string{"decision": d, "by": "human/form"}); got != float64(guarded) {
			t.Errorf("guard %s by human/form: %v, want %d", d, got, guarded)
		}
	}
	own, total := 0, 0
	for name, fam := range fams {
		for _, m := range fam.Metric {
			n := 1
			if m.Histogram != nil {
				n = len(m.Histogram.Bucket) + 3 // buckets, +Inf, sum, count
			}
			if m.Summary != nil {
				n = len(m.Summary.Quantile) + 2
			}
			total += n
			if strings.HasPrefix(name, "qualys_cs_mcp_") {
				own += n
			}
			for _, l := range m.Label {
				if idLike.MatchString(l.GetValue()) {
					t.Errorf("%s: label %s=%q looks like an ID", name, l.GetName(), l.GetValue())
				}
			}
		}
	}
	for _, secret := range []string{canaryQualysPass, canaryRegPass, canaryRegToken, canaryACRSecret, canaryGCPKey, "canary"} {
		if strings.Contains(text, secret) {
			t.Errorf("/metrics shows %q", secret)
		}
	}
	t.Logf("after the whole catalogue (%d tools, %d calls): %d series of this server's own, %d with the Go runtime's and the process's", len(all), len(canaryCalls()), own, total)
}

// The outcomes and the waits an operator watches, through the HTTP
// transport: a Qualys 429 (retried), a call the client cancels, a request
// held by the rate limit, a call waiting for a person on the confirmation
// page, and the live session.
func TestMetricsCountWaitsCancelsAnd429s(t *testing.T) {
	user := alice(t)                                                                                                                                               // a passkey to confirm with, so that the page is offered and the call waits on it
	e := NewEnv(t, EnvOptions{HTTP: true, Protocol: "2025-11-25", Flags: []string{"--metrics", "127.0.0.1:0", "--rate-limits", "bulk-list=1"}, EnvVars: user.Env}) // a protocol with sessions
	u := metricsURL(t, e)
	waitMetric(t, u, "qualys_cs_mcp_sessions_live", nil, 1)

	e.Inject("GET", "/sensors", sandbox.Fault{Status: 429, Header: map[string]string{"Retry-After": "0"}})
	e.OK("list_sensors", map[string]any{"pageSize": 1})
	fams, _ := scrape(t, u)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"qualys_cs_mcp_upstream_rate_limited_total", map[string]string{"class": "other"}, 1},
		{"qualys_cs_mcp_upstream_requests_total", map[string]string{"endpoint": "/sensors", "status": "429"}, 1},
		{"qualys_cs_mcp_upstream_requests_total", map[string]string{"endpoint": "/sensors", "status": "200"}, 1},
		{"qualys_cs_mcp_tool_calls_total", map[string]string{"tool": "list_sensors", "outcome": "ok"}, 1},
		{"qualys_cs_mcp_upstream_throttle_waits_total", map[string]string{"class": "bulk-list"}, 0},
	} {
		if got := value(fams, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}

	// cancelled by the client while Qualys is slow
	e.Inject("GET", "/sensors/", sandbox.Fault{Delay: 5 * time.Second})
	callFor(e, 300*time.Millisecond, "get_sensor", map[string]any{"sensorId": freeGen})
	waitMetric(t, u, "qualys_cs_mcp_tool_calls_total", map[string]string{"tool": "get_sensor", "outcome": "cancelled"}, 1)

	// held by the rate limit (bulk-list: 1 a minute) until the client gives up
	e.OK("list_images_with_details", map[string]any{"limit": 1})
	callFor(e, 300*time.Millisecond, "list_images_with_details", map[string]any{"limit": 1})
	fams = waitMetric(t, u, "qualys_cs_mcp_upstream_throttle_waits_total", map[string]string{"class": "bulk-list"}, 1)
	if s := value(fams, "qualys_cs_mcp_upstream_throttle_wait_seconds_total", map[string]string{"class": "bulk-list"}); s < 0.2 || s > 5 {
		t.Errorf("throttle wait seconds %v, want about 0.3", s)
	}

	// waiting for a person on the page (the call asked for progress)
	ctx, stop := context.WithCancel(t.Context())
	done := callWithProgress(ctx, e, "wait-1", "delete_sensor_profile", map[string]any{"sensorProfileId": north})
	fams = waitMetric(t, u, "qualys_cs_mcp_confirmations_waiting", nil, 1)
	if got := value(fams, "qualys_cs_mcp_guard_decisions_total", map[string]string{"decision": "previewed", "by": "human/page"}); got != 1 {
		t.Errorf("guard previewed by human/page: %v", got)
	}
	stop()
	<-done
	waitMetric(t, u, "qualys_cs_mcp_confirmations_waiting", nil, 0)
	if e.SB.Count("DELETE", "") != 0 {
		t.Fatal("deleted without a confirmation")
	}
}

// callFor calls a tool and gives up (cancels the request) after d.
func callFor(e *Env, d time.Duration, name string, args map[string]any) {
	ctx, cancel := context.WithTimeout(e.T.Context(), d)
	defer cancel()
	done := callWithProgress(ctx, e, nil, name, args)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		e.T.Fatalf("%s: not answered 10 s after the client cancelled it", name)
	}
}
