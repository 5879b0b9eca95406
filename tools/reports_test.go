package tools_test

import (
	"encoding/csv"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

const (
	imageReport     = "037570f0-0193-11ea-9327-8fbbd2104c9c" // seeded, GENERATED
	containerReport = "28cf6d70-5a8b-11ed-85f3-ed45c5bc7e40"
)

// clock is a sandbox clock the test moves by hand, so that report
// generation is followed step by step without waiting.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func reportStatus(e *Env, id string) string {
	for _, r := range Items(e.OK("list_reports", map[string]any{"pageSize": 100})) {
		if r["reportUuid"] == id {
			return r["status"].(string)
		}
	}
	return "absent"
}

func TestReportLifecycle(t *testing.T) {
	clk := &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	sb := NewSandbox(t, sandbox.Options{Username: "tester", Password: "canary-pass-7f3a", Now: clk.Now})
	sb.SetReportTiming(10*time.Second, 20*time.Second)
	e := NewEnv(t, EnvOptions{Sandbox: sb})

	args := map[string]any{"name": "Critical image vulns", "description": "severity 5", "templateName": "CS_IMAGE_VULNERABILITY",
		"filter": "severity:5", "displayColumns": []string{"repo", "imageId", "qid", "severity", "title"}}
	res := e.OK("create_report", args)
	id, _ := res["reportUuid"].(string)
	if id == "" || !sameJSON(lastBody(t, e, "POST", "/reports"), args) {
		t.Fatalf("create: %v", res)
	}
	if st := reportStatus(e, id); st != "QUEUED" {
		t.Fatalf("status %s", st)
	}
	if msg := e.Fail("download_report", map[string]any{"reportUuid": id}); !strings.Contains(msg, "QUEUED") {
		t.Fatal(msg)
	}
	clk.Add(11 * time.Second)
	if st := reportStatus(e, id); st != "RUNNING" {
		t.Fatalf("status %s", st)
	}
	clk.Add(20 * time.Second)
	if st := reportStatus(e, id); st != "GENERATED" {
		t.Fatalf("status %s", st)
	}
	d := e.OK("download_report", map[string]any{"reportUuid": id})
	recs, err := csv.NewReader(strings.NewReader(d["csv"].(string))).ReadAll()
	if err != nil || strings.Join(recs[0], ",") != "repo,imageId,qid,severity,title" || d["truncated"] == true {
		t.Fatalf("csv: %v %v", err, d)
	}
	if len(recs)-1 != int(d["totalRows"].(float64)) || len(recs) < 3 {
		t.Fatalf("rows: %d, %v", len(recs)-1, d["totalRows"])
	}
	for _, r := range recs[1:] {
		if r[3] != "5" {
			t.Fatalf("filter not applied: %v", r)
		}
	}
}

func TestCreateReportAnswers(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	// a newer template name is not ours to refuse
	pods := e.OK("create_report", map[string]any{"name": "Pods", "templateName": "CS_PODS"})
	if reportStatus(e, pods["reportUuid"].(string)) == "absent" {
		t.Fatalf("pods: %v", pods)
	}
	// the pre-v1.21 answer {reportUuId=...} is read too
	e.SB.LegacyReportAnswer(true)
	old := e.OK("create_report", map[string]any{"name": "Containers", "templateName": "CS_CONTAINER_VULNERABILITY"})
	id, _ := old["reportUuid"].(string)
	if id == "" || reportStatus(e, id) == "absent" {
		t.Fatalf("legacy answer: %v", old)
	}
	// Qualys's own refusals come through
	if msg := e.Fail("create_report", map[string]any{"name": "x", "templateName": "CS_NO_SUCH"}); !strings.Contains(msg, "unknown templateName") {
		t.Fatal(msg)
	}
	if msg := e.Fail("create_report", map[string]any{"name": "x", "templateName": "CS_IMAGE_VULNERABILITY", "displayColumns": []string{"hostIp"}}); !strings.Contains(msg, "hostIp") {
		t.Fatal(msg)
	}
}

func TestDownloadReportIsBounded(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	full := e.OK("download_report", map[string]any{"reportUuid": imageReport, "maxBytes": 1000000})
	total := int(full["totalRows"].(float64))
	if full["truncated"] == true || int(full["shownRows"].(float64)) != total || total < 50 || len(full["csv"].(string)) != int(full["totalBytes"].(float64)) {
		t.Fatalf("full: rows %d, %v", total, without(full, "csv"))
	}
	// page through 2,000 bytes at a time: every page is cut at a row
	// boundary, says so, and together they are the whole file
	header := strings.SplitN(full["csv"].(string), "\n", 2)[0] + "\n"
	var joined strings.Builder
	joined.WriteString(header)
	pages := 0
	for start := 1; ; pages++ {
		p := e.OK("download_report", map[string]any{"reportUuid": imageReport, "maxBytes": 2000, "startRow": start})
		text := p["csv"].(string)
		if len(text) > 2000 || !strings.HasPrefix(text, header) || !strings.HasSuffix(text, "\n") || p["totalRows"] != float64(total) {
			t.Fatalf("page at %d: %v", start, without(p, "csv"))
		}
		joined.WriteString(strings.TrimPrefix(text, header))
		shown := int(p["shownRows"].(float64))
		if p["truncated"] != true {
			break
		}
		next := start + shown
		if note := p["note"].(string); shown == 0 || !strings.Contains(note, "startRow="+strconv.Itoa(next)) || !strings.Contains(note, "of "+strconv.Itoa(total)) {
			t.Fatalf("note: %v", p["note"])
		}
		start = next
	}
	if pages < 2 || joined.String() != full["csv"] {
		t.Fatalf("pages %d; joined %d bytes, file %d", pages, joined.Len(), len(full["csv"].(string)))
	}
	if msg := e.Fail("download_report", map[string]any{"reportUuid": imageReport, "startRow": total + 1}); !strings.Contains(msg, `"startRow"`) {
		t.Fatal(msg)
	}
	if msg := e.Fail("download_report", map[string]any{"reportUuid": "00000000-0000-0000-0000-00000000beef"}); !strings.Contains(msg, "not found") {
		t.Fatal(msg)
	}
}

// However large maxBytes is, the CSV is cut to the server's result budget,
// at a row boundary and saying so, rather than cut blindly by the factory.
func TestDownloadReportKeepsTheResultBudget(t *testing.T) {
	e := NewEnv(t, EnvOptions{Flags: []string{"--result-budget", "8000"}})
	res := e.Call("download_report", map[string]any{"reportUuid": imageReport, "maxBytes": 1000000})
	m := mustJSON(t, Text(res))
	if len(Text(res)) > 8000 || m["truncated"] != true || m["shownRows"].(float64) < 10 || !strings.Contains(m["note"].(string), "startRow=") {
		t.Fatalf("%d bytes: %v", len(Text(res)), without(m, "csv"))
	}
}

func TestDeleteReportsGuard(t *testing.T) {
	args := map[string]any{"reportUuids": []string{imageReport, containerReport}}
	e := NewEnv(t, EnvOptions{Elicit: Decline})
	e.OK("delete_reports", args)
	if reportStatus(e, imageReport) == "absent" || e.SB.Count("DELETE", "") != 0 {
		t.Fatal("declined delete changed something")
	}
	if msg := e.Elicited[0]; !strings.Contains(msg, `"Weekly image vulnerabilities" ("CS_IMAGE_VULNERABILITY", "GENERATED"`) || !strings.Contains(msg, `"Running containers"`) {
		t.Fatalf("preview: %s", msg)
	}
	e = NewEnv(t, EnvOptions{Elicit: Accept})
	e.OK("delete_reports", args)
	if reportStatus(e, imageReport) != "absent" || reportStatus(e, containerReport) != "absent" {
		t.Fatal("not deleted")
	}
	if q := lastQuery(e, "DELETE", "/reports"); q != "reportUuids="+imageReport+"&reportUuids="+containerReport {
		t.Fatalf("query: %s", q)
	}
	if msg := e.Fail("delete_reports", map[string]any{"reportUuids": []string{imageReport}}); !strings.Contains(msg, `"reportUuids"`) || e.SB.Count("DELETE", "") != 1 {
		t.Fatal(msg)
	}
}

func TestReportBadInput(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	ok := map[string]any{"name": "r", "templateName": "CS_IMAGE_VULNERABILITY"}
	refused(t, e, "create_report", put(ok, "name", strings.Repeat("n", 151)), "name")
	refused(t, e, "create_report", put(ok, "description", strings.Repeat("d", 251)), "description")
	refused(t, e, "create_report", without(ok, "templateName"), "templateName")
	refused(t, e, "create_report", put(ok, "templateName", "CS IMAGE"), "templateName")
	refused(t, e, "create_report", put(ok, "displayColumns", "repo,qid"), "displayColumns")
	refused(t, e, "create_report", put(ok, "format", "pdf"), "format")
	refused(t, e, "download_report", map[string]any{"reportUuid": imageReport, "maxBytes": 10}, "maxBytes")
	refused(t, e, "download_report", map[string]any{"reportUuid": imageReport, "startRow": 0}, "startRow")
	refused(t, e, "download_report", map[string]any{}, "reportUuid")
	refused(t, e, "delete_reports", map[string]any{"reportUuids": []string{}}, "reportUuids")
	refused(t, e, "delete_reports", map[string]any{"reportUuids": []string{"x/../y"}}, "reportUuids.0")
	refused(t, e, "list_reports", map[string]any{"sort": 1}, "sort")
}
