package tools_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

// progressEnv is a harness whose client hands every progress notification
// to notes, over a sandbox whose clock the test moves.
func progressEnv(t *testing.T, protocol string, flags ...string) (*Env, *clock, chan *mcp.ProgressNotificationParams) {
	t.Helper()
	return progressEnvWith(t, protocol, nil, flags...)
}

// progressEnvWith is progressEnv with extra environment (a person's passkey).
func progressEnvWith(t *testing.T, protocol string, env []string, flags ...string) (*Env, *clock, chan *mcp.ProgressNotificationParams) {
	t.Helper()
	clk := &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	sb := NewSandbox(t, sandbox.Options{Username: "tester", Password: "canary-pass-7f3a", Now: clk.Now})
	sb.SetReportTiming(10*time.Second, 20*time.Second)
	notes := make(chan *mcp.ProgressNotificationParams, 1000)
	e := NewEnv(t, EnvOptions{Sandbox: sb, Protocol: protocol, Flags: flags, EnvVars: env, Client: func(o *mcp.ClientOptions) {
		o.ProgressNotificationHandler = func(_ context.Context, r *mcp.ProgressNotificationClientRequest) { notes <- r.Params }
	}})
	return e, clk, notes
}

// callWithProgress starts a tool call that asks for progress under token.
func callWithProgress(ctx context.Context, e *Env, token any, name string, args map[string]any) chan *mcp.CallToolResult {
	p := &mcp.CallToolParams{Name: name, Arguments: args}
	if token != nil {
		p.SetProgressToken(token)
	}
	done := make(chan *mcp.CallToolResult, 1)
	go func() {
		res, err := e.S.CallTool(ctx, p)
		if err != nil {
			res = &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: "protocol error: " + err.Error()}}}
		}
		done <- res
	}()
	return done
}

// drain collects the notifications that trail an answer, until one
// satisfies last (or a generous deadline passes: then the test fails).
func drain(t *testing.T, notes chan *mcp.ProgressNotificationParams, got []*mcp.ProgressNotificationParams, last func(*mcp.ProgressNotificationParams) bool) []*mcp.ProgressNotificationParams {
	t.Helper()
	for len(got) == 0 || !last(got[len(got)-1]) {
		select {
		case n := <-notes:
			got = append(got, n)
		case <-time.After(30 * time.Second):
			t.Fatalf("the last progress notification never came: %d so far", len(got))
		}
	}
	return got
}

func TestCreateReportWaitsWithProgress(t *testing.T) {
	for _, protocol := range []string{"", "2025-11-25"} {
		e, clk, notes := progressEnv(t, protocol)
		args := map[string]any{"name": "Waited for", "templateName": "CS_IMAGE_VULNERABILITY", "filter": "severity:5", "wait": true}
		done := callWithProgress(t.Context(), e, "report-1", "create_report", args)

		// Each status the tool reports moves the sandbox's clock on to the
		// next, so the report goes QUEUED -> RUNNING -> GENERATED however
		// fast or slow the polls are.
		var got []*mcp.ProgressNotificationParams
		var res *mcp.CallToolResult
		moved := map[string]bool{}
		for res == nil {
			select {
			case n := <-notes:
				got = append(got, n)
				for status, d := range map[string]time.Duration{"QUEUED": 10 * time.Second, "RUNNING": 20 * time.Second} {
					if strings.HasSuffix(n.Message, "is "+status) && !moved[status] {
						moved[status] = true
						clk.Add(d)
					}
				}
			case res = <-done:
			case <-time.After(60 * time.Second):
				t.Fatalf("%q: no answer; progress so far: %d", protocol, len(got))
			}
		}
		if res.IsError {
			t.Fatalf("%q: %s", protocol, Text(res))
		}
		m := mustObject(Text(res))
		id, _ := m["reportUuid"].(string)
		if id == "" || m["status"] != "GENERATED" || !strings.Contains(m["next"].(string), "download_report") || reportStatus(e, id) != "GENERATED" {
			t.Fatalf("%q: answer %v", protocol, m)
		}
		got = drain(t, notes, got, func(n *mcp.ProgressNotificationParams) bool { return n.Total > 0 })
		var msgs []string
		for i, n := range got {
			msgs = append(msgs, n.Message)
			if n.ProgressToken != "report-1" || (i > 0 && n.Progress <= got[i-1].Progress) {
				t.Fatalf("%q: notification %d: token %v, progress %v after %v", protocol, i, n.ProgressToken, n.Progress, got[max(i-1, 0)].Progress)
			}
		}
		all := strings.Join(msgs, "\n")
		q, r, g := strings.Index(all, "is QUEUED"), strings.Index(all, "is RUNNING"), strings.Index(all, "is GENERATED")
		if !strings.HasPrefix(all, `requested report "Waited for"`) || q < 0 || r < q || g < r || got[len(got)-1].Total != got[len(got)-1].Progress {
			t.Fatalf("%q: progress messages:\n%s", protocol, all)
		}
		// the status is read from the list, narrowed by the report's name;
		// the wait arguments are not sent to Qualys
		polls := 0
		for _, r := range e.SB.Requests() {
			if r.Method == "GET" && r.Path == "/reports" && strings.Contains(r.Query, "filter=reportName%3A%60Waited+for%60") {
				polls++
			}
		}
		if polls < 3 {
			t.Fatalf("%q: %d status polls by name", protocol, polls)
		}
		if body := lastBody(t, e, "POST", "/reports"); !sameJSON(body, without(args, "wait")) {
			t.Fatalf("%q: body %v", protocol, body)
		}
	}
}

func TestCreateReportWaitEnds(t *testing.T) {
	e, _, notes := progressEnv(t, "")
	// the clock stands still: the report stays QUEUED until the wait is over
	res := <-callWithProgress(t.Context(), e, 7, "create_report", map[string]any{"name": "Slow", "templateName": "CS_Images", "wait": true, "maxWaitSeconds": 1})
	m := mustObject(Text(res))
	if res.IsError || m["status"] != "QUEUED" || !strings.Contains(m["next"].(string), "Still QUEUED") || m["reportUuid"] == nil {
		t.Fatalf("answer %s", Text(res))
	}
	if n := <-notes; n.ProgressToken != float64(7) && n.ProgressToken != 7 {
		t.Fatalf("token %#v", n.ProgressToken)
	}
	// without wait nothing is polled; maxWaitSeconds needs wait
	before := e.SB.Count("GET", "/reports")
	if m := e.OK("create_report", map[string]any{"name": "Quick", "templateName": "CS_Images"}); m["status"] != nil || e.SB.Count("GET", "/reports") != before {
		t.Fatalf("no wait: %v", m)
	}
	refused(t, e, "create_report", map[string]any{"name": "x", "templateName": "CS_Images", "maxWaitSeconds": 5}, "maxWaitSeconds")
	refused(t, e, "create_report", map[string]any{"name": "x", "templateName": "CS_Images", "wait": true, "maxWaitSeconds": 0}, "maxWaitSeconds")
	refused(t, e, "create_report", map[string]any{"name": "x", "templateName": "CS_Images", "wait": "yes"}, "wait")
}

// Cancelling a waiting create_report ends it at once: the status requests
// stop, and no more were sent than the poll schedule allows for the time
// the call lasted.
func TestCreateReportWaitHonoursCancellation(t *testing.T) {
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	e, _, notes := progressEnv(t, "", "--audit-log", audit)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	start := time.Now()
	done := callWithProgress(ctx, e, "cancel-me", "create_report", map[string]any{"name": "Cancelled wait", "templateName": "CS_Images", "wait": true, "maxWaitSeconds": 3600})
	for polls := 0; polls < 2; {
		select {
		case n := <-notes:
			if strings.HasSuffix(n.Message, "is QUEUED") {
				polls++
			}
		case <-time.After(60 * time.Second):
			t.Fatal("no status polls")
		}
	}
	cancelled := time.Now()
	cancel()
	if res := <-done; !strings.Contains(Text(res), "protocol error") {
		t.Fatalf("a cancelled call answered: %s", Text(res))
	}
	// the audit line is written when the handler has returned: polling is over
	var ended time.Time
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		trail, _ := os.ReadFile(audit)
		if strings.Contains(string(trail), `"event":"call"`) && strings.Contains(string(trail), `"tool":"create_report"`) {
			ended = time.Now()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the call did not end after cancellation: %s", trail)
		}
	}
	polled := e.SB.Count("GET", "/reports")
	if most := pollsWithin(ended.Sub(start)); polled < 2 || polled > most {
		t.Fatalf("%d status requests in %s; the schedule allows 2 to %d", polled, ended.Sub(start), most)
	}
	if stop := ended.Sub(cancelled); stop > 10*time.Second { // the wait was 3600 s: a call that ignored the cancel would still poll
		t.Fatalf("the call ended %s after the cancel", stop)
	}
	time.Sleep(reportPollFirst * 3) // longer than the next interval of the schedule
	if n := e.SB.Count("GET", "/reports"); n != polled || e.SB.Count("POST", "/reports") != 1 {
		t.Fatalf("status requests: %d at the end of the call, %d later; %d creates", polled, n, e.SB.Count("POST", "/reports"))
	}
}

// The poll schedule of create_report's wait (tools/reports.go): at once,
// after 500 ms, then each interval half again as long, at most 10 s.
const reportPollFirst = 500 * time.Millisecond

// pollsWithin is how many status polls the schedule makes in d.
func pollsWithin(d time.Duration) int {
	n, at, interval := 0, time.Duration(0), reportPollFirst
	for at <= d {
		n++
		at += interval
		interval = min(interval*3/2, 10*time.Second)
	}
	return n
}

// A walk over pages (here the delete preview reading every report)
// reports each page; a call without a progress token hears nothing.
func TestPageWalksReportProgress(t *testing.T) {
	e, _, notes := progressEnv(t, "", tokenFlags...) // the token answers at once; the page would wait for the user
	res := <-callWithProgress(t.Context(), e, "walk", "delete_reports", map[string]any{"reportUuids": []string{imageReport}})
	if m := mustObject(Text(res)); m["confirmationRequired"] != true {
		t.Fatalf("preview: %s", Text(res))
	}
	got := drain(t, notes, nil, func(n *mcp.ProgressNotificationParams) bool { return strings.HasPrefix(n.Message, "read page") })
	if n := got[len(got)-1]; n.ProgressToken != "walk" || n.Message != "read page 1 of 1 of /reports" {
		t.Fatalf("progress %+v", n)
	}
	res = <-callWithProgress(t.Context(), e, "walk-images", "delete_images", map[string]any{"filter": "operatingSystem:Linux", "maxMatches": 10000})
	if m := mustObject(Text(res)); m["confirmationRequired"] != true {
		t.Fatalf("preview: %s", Text(res))
	}
	got = drain(t, notes, nil, func(n *mcp.ProgressNotificationParams) bool { return strings.Contains(n.Message, "of /images") })
	if n := got[len(got)-1]; n.ProgressToken != "walk-images" || !strings.HasPrefix(n.Message, "read page 1 of ") {
		t.Fatalf("progress %+v", n)
	}

	<-callWithProgress(t.Context(), e, nil, "delete_reports", map[string]any{"reportUuids": []string{imageReport}})
	e.OK("list_sensors", map[string]any{"pageSize": 1}) // any notice of the call above would come before this answer's
	select {
	case n := <-notes:
		t.Fatalf("progress without a token: %+v", n)
	default:
	}
}
