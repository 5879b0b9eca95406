package tools_test

// MCP tasks through a client that speaks them: mcp-go's (the go-sdk
// client does not yet), on protocol 2025-11-25, against the real binary
// over streamable HTTP and stdio. tools/testdata/tasks-client.mjs does the
// same with the TypeScript SDK (TestTasksTypeScriptSDK).

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

const taskProtocol = "2025-11-25" // the protocol tasks are in (2026-07-28 drops tasks/result)

// taskClient is one MCP session of a client that speaks tasks: mcp-go's
// client, and its transport for what the client has no call for (a
// task-augmented tools/call), or for a session joined on another replica.
type taskClient struct {
	t    *testing.T
	tr   transport.Interface
	c    *mcpclient.Client // nil: a session joined (joinSession)
	init *mcpgo.InitializeResult
	n    atomic.Int64
}

// connectTasks initializes a session over tr; caps are the client's
// capabilities beyond tasks.
func connectTasks(t *testing.T, tr transport.Interface, caps mcpgo.ClientCapabilities) *taskClient {
	t.Helper()
	c := mcpclient.NewClient(tr, mcpclient.WithProtocolVersion(taskProtocol))
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	init, err := c.Initialize(ctx, mcpgo.InitializeRequest{Params: mcpgo.InitializeParams{ProtocolVersion: taskProtocol,
		ClientInfo: mcpgo.Implementation{Name: "qcs-task-test", Version: "1"}, Capabilities: caps}})
	if err != nil {
		t.Fatalf("initialize: %v", err)
	}
	return &taskClient{t: t, tr: tr, c: c, init: init}
}

// httpTasks connects to a server already serving HTTP.
func httpTasks(t *testing.T, endpoint string, caps mcpgo.ClientCapabilities) *taskClient {
	t.Helper()
	tr, err := transport.NewStreamableHTTP(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	return connectTasks(t, tr, caps)
}

// joinSession sends requests of session id (initialized elsewhere) to
// endpoint: another replica, which knows the session from the shared
// store.
func joinSession(t *testing.T, endpoint, id string) *taskClient {
	t.Helper()
	tr, err := transport.NewStreamableHTTP(endpoint, transport.WithSession(id))
	if err != nil {
		t.Fatal(err)
	}
	tr.SetProtocolVersion(taskProtocol)
	if err := tr.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return &taskClient{t: t, tr: tr}
}

// serverCmd is the binary on the sandbox at gateway, with flags.
func serverCmd(gateway string, flags ...string) *exec.Cmd {
	cmd := exec.Command(binary, append([]string{"--toolsets", "all"}, flags...)...)
	cmd.Env = append(os.Environ(), "QUALYS_GATEWAY_URL="+gateway, "QUALYS_USERNAME=tester", "QUALYS_PASSWORD=canary-pass-7f3a", "QUALYS_POD=")
	return cmd
}

// startSandbox serves sb on loopback for the test.
func startSandbox(t *testing.T, sb *sandbox.Server) string {
	t.Helper()
	base, closeSB, err := sb.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeSB)
	return base
}

// taskServer starts the binary on sb over HTTP or stdio, and a client
// session on it; logs are its stderr.
func taskServer(t *testing.T, sb *sandbox.Server, overHTTP bool, flags ...string) (tc *taskClient, logs *syncBuffer) {
	t.Helper()
	base := startSandbox(t, sb)
	logs = &syncBuffer{}
	if overHTTP {
		cmd := serverCmd(base, append([]string{"--http", "127.0.0.1:0", "--log-level", "info"}, flags...)...)
		return httpTasks(t, startHTTP(t, cmd, logs), mcpgo.ClientCapabilities{}), logs
	}
	cmd := serverCmd(base, flags...)
	tr := transport.NewStdioWithOptions(cmd.Path, cmd.Env, cmd.Args[1:])
	tc = connectTasks(t, tr, mcpgo.ClientCapabilities{})
	go io.Copy(logs, tr.Stderr())
	return tc, logs
}

// send is one JSON-RPC request of the session; its result decodes into
// out. An error answer is an error naming its code.
func (tc *taskClient) send(method string, params, out any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	resp, err := tc.tr.SendRequest(ctx, transport.JSONRPCRequest{JSONRPC: mcpgo.JSONRPC_VERSION, ID: mcpgo.NewRequestId(fmt.Sprintf("t%d", tc.n.Add(1))), Method: method, Params: params})
	switch {
	case err != nil:
		return err
	case resp.Error != nil:
		return fmt.Errorf("JSON-RPC error %d: %s", resp.Error.Code, resp.Error.Message)
	}
	return json.Unmarshal(resp.Result, out)
}

// start calls a tool as a task (task: params.task, e.g. a ttl) and
// returns the task the server answered at once.
func (tc *taskClient) start(name string, args any, task map[string]any) mcpgo.Task {
	tc.t.Helper()
	var created mcpgo.CreateTaskResult
	if err := tc.send(string(mcpgo.MethodToolsCall), map[string]any{"name": name, "arguments": args, "task": task}, &created); err != nil || created.Task.TaskId == "" {
		tc.t.Fatalf("%s as a task: %v %+v", name, err, created)
	}
	return created.Task
}

func (tc *taskClient) get(id string) (mcpgo.Task, error) {
	var res mcpgo.GetTaskResult
	return res.Task, tc.send(string(mcpgo.MethodTasksGet), mcpgo.GetTaskParams{TaskId: id}, &res)
}

func (tc *taskClient) cancel(id string) (mcpgo.Task, error) {
	var res mcpgo.CancelTaskResult
	return res.Task, tc.send(string(mcpgo.MethodTasksCancel), mcpgo.CancelTaskParams{TaskId: id}, &res)
}

// result is tasks/result: the tool's result as JSON, or the error.
func (tc *taskClient) result(id string) (map[string]any, *mcpgo.TaskResultResult, error) {
	var raw json.RawMessage
	if err := tc.send(string(mcpgo.MethodTasksResult), mcpgo.TaskResultParams{TaskId: id}, &raw); err != nil {
		return nil, nil, err
	}
	res, err := mcpgo.ParseTaskResultResult(&raw)
	if err != nil {
		tc.t.Fatalf("tasks/result: %v: %s", err, raw)
	}
	return resultJSON(tc.t, res.Content), res, nil
}

// waitFor polls tasks/get until ok says the task is what the test waits
// for; it fails the test otherwise.
func (tc *taskClient) waitFor(id, what string, ok func(mcpgo.Task) bool) mcpgo.Task {
	tc.t.Helper()
	var last mcpgo.Task
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		task, err := tc.get(id)
		if err != nil {
			tc.t.Fatalf("tasks/get %s: %v", id, err)
		}
		if last = task; ok(task) {
			return task
		}
	}
	tc.t.Fatalf("task %s: never %s; last: %+v", id, what, last)
	return last
}

// call is a plain tools/call.
func (tc *taskClient) call(name string, args any) map[string]any {
	tc.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := tc.c.CallTool(ctx, mcpgo.CallToolRequest{Params: mcpgo.CallToolParams{Name: name, Arguments: args}})
	if err != nil || res.IsError {
		tc.t.Fatalf("%s: %v %+v", name, err, res)
	}
	return resultJSON(tc.t, res.Content)
}

// resultJSON is a result's text content as a JSON object.
func resultJSON(t *testing.T, content []mcpgo.Content) map[string]any {
	t.Helper()
	var text strings.Builder
	for _, c := range content {
		if tc, ok := c.(mcpgo.TextContent); ok {
			text.WriteString(tc.Text)
		}
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(text.String()), &m); err != nil {
		t.Fatalf("the result is not a JSON object: %q", text.String())
	}
	return m
}

var report = map[string]any{"name": "Nightly images", "templateName": "CS_IMAGE_VULNERABILITY"}

// taskTools are the tools a client may run as tasks.
var taskTools = []string{"create_report", "create_registry_schedule", "delete_images", "delete_containers", "delete_sensors", "delete_registries", "delete_registry_schedules"}

// create_report as a task answers at once; tasks/get shows its progress
// (the report's status, by UUID); tasks/result is the tool's result, with
// the UUID of a report that was generated; the plain call still works.
// Over HTTP (stateful and --stateless) and stdio; the server advertises
// tasks and the tools that take them.
func TestTasksCreateReport(t *testing.T) {
	for _, mode := range []string{"http", "stdio", "stateless"} {
		t.Run(mode, func(t *testing.T) {
			sb := NewSandbox(t, sandbox.Options{Username: "tester", Password: "canary-pass-7f3a"})
			sb.SetReportTiming(1500*time.Millisecond, 1500*time.Millisecond)
			flags := []string{"--metrics", "127.0.0.1:0"}
			if mode == "stateless" {
				flags = append(flags, "--stateless")
			}
			tc, logs := taskServer(t, sb, mode != "stdio", flags...)

			caps := tc.init.Capabilities.Tasks
			if caps == nil || caps.Requests == nil || caps.Requests.Tools == nil || caps.Requests.Tools.Call == nil || caps.Cancel == nil || caps.List == nil {
				t.Fatalf("task capabilities: %+v", caps)
			}
			var list mcpgo.ListToolsResult
			if err := tc.send(string(mcpgo.MethodToolsList), map[string]any{}, &list); err != nil {
				t.Fatal(err)
			}
			var offered []string
			for _, tl := range list.Tools {
				if tl.Execution != nil && tl.Execution.TaskSupport == mcpgo.TaskSupportOptional {
					offered = append(offered, tl.Name)
				}
			}
			if slices.Sort(offered); !slices.Equal(offered, slices.Sorted(slices.Values(taskTools))) {
				t.Fatalf("tools offered as tasks: %v", offered)
			}

			task := tc.start("create_report", report, map[string]any{})
			if task.Status != mcpgo.TaskStatusWorking || task.TTL == nil || *task.TTL != time.Hour.Milliseconds() {
				t.Fatalf("the task answered: %+v", task)
			}
			uuid := ""
			tc.waitFor(task.TaskId, "showing the report's progress", func(tk mcpgo.Task) bool {
				if tk.Status != mcpgo.TaskStatusWorking {
					t.Fatalf("the task ended before its progress was seen: %+v", tk)
				}
				if i := strings.Index(tk.StatusMessage, `"Nightly images" (`); i >= 0 && (strings.HasSuffix(tk.StatusMessage, "is QUEUED") || strings.HasSuffix(tk.StatusMessage, "is RUNNING")) {
					uuid = strings.SplitN(tk.StatusMessage[i+len(`"Nightly images" (`):], ")", 2)[0]
					return true
				}
				return false
			})
			res, raw, err := tc.result(task.TaskId)
			if err != nil || raw.IsError || res["status"] != "GENERATED" || res["reportUuid"] != uuid || !strings.Contains(fmt.Sprint(res["next"]), "download_report") {
				t.Fatalf("tasks/result: %v %v (the progress named %q)", err, res, uuid)
			}
			if done, _ := tc.get(task.TaskId); done.Status != mcpgo.TaskStatusCompleted || !strings.HasSuffix(done.StatusMessage, uuid+") is GENERATED") {
				t.Fatalf("tasks/get after the end: %+v", done)
			}
			if csv := tc.call("download_report", map[string]any{"reportUuid": uuid}); csv["reportUuid"] != uuid || csv["totalRows"] == nil {
				t.Fatalf("download_report of the task's report: %v", csv)
			}
			// the plain call, for clients without tasks: as before
			plain := tc.call("create_report", report)
			if plain["reportUuid"] == nil || plain["status"] != nil || !strings.Contains(fmt.Sprint(plain["next"]), "Poll list_reports") {
				t.Fatalf("the plain call: %v", plain)
			}
			if waited := tc.call("create_report", map[string]any{"name": "Waited", "templateName": "CS_PODS", "wait": true}); waited["status"] != "GENERATED" {
				t.Fatalf("the plain call with wait: %v", waited)
			}
			// telemetry: the task counted by tool and status, none running
			u := metricsAddrRE.FindStringSubmatch(logs.String())
			if u == nil {
				t.Fatalf("no metrics listener: %s", logs.String())
			}
			fams := waitMetric(t, u[1], "qualys_cs_mcp_tasks_total", map[string]string{"tool": "create_report", "status": "completed"}, 1)
			if value(fams, "qualys_cs_mcp_tasks_running", nil) != 0 || value(fams, "qualys_cs_mcp_task_duration_seconds", map[string]string{"tool": "create_report"}) != 1 {
				t.Fatalf("task metrics: running %v, durations %v", value(fams, "qualys_cs_mcp_tasks_running", nil), value(fams, "qualys_cs_mcp_task_duration_seconds", map[string]string{"tool": "create_report"}))
			}
		})
	}
}

// pollsStop cancels a task that polls Qualys (GET prefix) and checks the
// polling stops: no request reaches the sandbox after the cancel.
func pollsStop(t *testing.T, sb *sandbox.Server, prefix string, cancel func() (mcpgo.Task, error)) mcpgo.Task {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); sb.Count("GET", prefix) < 3; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the task does not poll %s: %d requests", prefix, sb.Count("GET", prefix))
		}
	}
	task, err := cancel()
	if err != nil || task.Status != mcpgo.TaskStatusCancelled {
		t.Fatalf("tasks/cancel: %v %+v", err, task)
	}
	time.Sleep(300 * time.Millisecond) // a request already on the wire lands
	n := sb.Count("GET", prefix)
	time.Sleep(4 * time.Second) // longer than the polls' interval then (at most pollMax, 10 s, after a minute)
	if m := sb.Count("GET", prefix); m != n {
		t.Fatalf("the cancelled task went on polling Qualys: %d requests to %s after the cancel, then %d", n, prefix, m)
	}
	return task
}

// A cancelled task stops polling Qualys (the sandbox's request count
// stops), tasks/result says it was cancelled, and tasks/get keeps what
// it had done (the report's UUID).
func TestTaskCancelStopsPolling(t *testing.T) {
	sb := NewSandbox(t, sandbox.Options{Username: "tester", Password: "canary-pass-7f3a"})
	sb.SetReportTiming(time.Hour, time.Hour)
	tc, _ := taskServer(t, sb, true)
	task := tc.start("create_report", report, map[string]any{"ttl": 600000})
	pollsStop(t, sb, "/reports", func() (mcpgo.Task, error) { return tc.cancel(task.TaskId) })
	if _, _, err := tc.result(task.TaskId); err == nil || !strings.Contains(err.Error(), "-32800") {
		t.Fatalf("tasks/result of the cancelled task: %v", err)
	}
	got, _ := tc.get(task.TaskId)
	if got.Status != mcpgo.TaskStatusCancelled || !strings.Contains(got.StatusMessage, `its last progress: report "Nightly images" (`) {
		t.Fatalf("tasks/get of the cancelled task: %+v", got)
	}
}

// Two replicas share a store (miniredis here; the binary speaks Redis to
// it): a task started on one is read on the other, tasks/get with its
// progress and tasks/result with its result, and cancelled there (the
// one that runs it stops polling Qualys). Another session reads none of
// it.
func TestTasksAcrossReplicas(t *testing.T) {
	mr := miniredis.RunT(t)
	sb := NewSandbox(t, sandbox.Options{Username: "tester", Password: "canary-pass-7f3a"})
	sb.SetReportTiming(1500*time.Millisecond, 1500*time.Millisecond)
	rs := startReplicas(t, 2, startSandbox(t, sb), []string{"--state", "redis://" + mr.Addr() + "/0"}, []string{"QUALYS_MCP_STATE_KEY=tasks-e2e-key"})
	a := httpTasks(t, rs.Endpoints[0], mcpgo.ClientCapabilities{})
	b := joinSession(t, rs.Endpoints[1], a.c.GetSessionId())
	if caps := a.init.Capabilities.Tasks; caps == nil || caps.List != nil {
		t.Fatalf("with a shared store tasks/list is not offered (each replica lists its own): %+v", caps)
	}

	task := a.start("create_report", report, map[string]any{})
	b.waitFor(task.TaskId, "working with progress on the other replica", func(tk mcpgo.Task) bool {
		return tk.Status == mcpgo.TaskStatusWorking && strings.Contains(tk.StatusMessage, `report "Nightly images" (`)
	})
	res, _, err := b.result(task.TaskId)
	if err != nil || res["status"] != "GENERATED" || res["reportUuid"] == nil {
		t.Fatalf("tasks/result on the other replica: %v %v", err, res)
	}
	if got, err := b.get(task.TaskId); err != nil || got.Status != mcpgo.TaskStatusCompleted || !strings.HasSuffix(got.StatusMessage, "is GENERATED") {
		t.Fatalf("tasks/get on the other replica after the end: %v %+v", err, got)
	}
	other := httpTasks(t, rs.Endpoints[1], mcpgo.ClientCapabilities{})
	if got, err := other.get(task.TaskId); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("another session read the task: %v %+v", err, got)
	}

	sb.SetReportTiming(time.Hour, time.Hour)
	long := a.start("create_report", report, map[string]any{})
	pollsStop(t, sb, "/reports", func() (mcpgo.Task, error) { return b.cancel(long.TaskId) })
	if _, _, err := b.result(long.TaskId); err == nil || !strings.Contains(err.Error(), "-32800") {
		t.Fatalf("tasks/result of the cancelled task on the other replica: %v", err)
	}
	if got, _ := a.get(long.TaskId); got.Status != mcpgo.TaskStatusCancelled {
		t.Fatalf("tasks/get on the replica that ran it: %+v", got)
	}
}

// A bulk deletion as a task: consent stays a person's. The client
// declares form elicitation, but a task cannot ask it (its client was
// answered already): the task's result is the confirmation page's link,
// and nothing is deleted; calling again changes nothing until the person
// confirms on the page. Then the same call, as a task, deletes once and
// follows the deletion job until the image is no longer listed.
func TestDestructiveTaskWaitsForAPerson(t *testing.T) {
	sb := NewSandbox(t, sandbox.Options{Username: "tester", Password: "canary-pass-7f3a"})
	logs := &syncBuffer{}
	user := alice(t) // the person who confirms on the page, with her passkey
	cmd := serverCmd(startSandbox(t, sb), "--http", "127.0.0.1:0", "--log-level", "info")
	cmd.Env = append(cmd.Env, user.Env...)
	tc := httpTasks(t, startHTTP(t, cmd, logs),
		mcpgo.ClientCapabilities{Elicitation: &mcpgo.ElicitationCapability{Form: &struct{}{}}})
	unused := invFirst(t, sb.InventoryImages(), func(im sandbox.Image) bool { return im.AssociatedContainersCount == 0 })
	args := map[string]any{"imageIds": []string{unused.UUID}}

	var link string
	for i := range 2 {
		task := tc.start("delete_images", args, map[string]any{})
		tc.waitFor(task.TaskId, "ended", func(tk mcpgo.Task) bool { return tk.Status.IsTerminal() })
		res, _, err := tc.result(task.TaskId)
		if err != nil {
			t.Fatal(err)
		}
		if got := pageLink(t, res); i == 1 && got != link {
			t.Fatalf("the second call made another page: %s, then %s", link, got)
		} else {
			link = got
		}
		if n := sb.Count("DELETE", ""); n != 0 {
			t.Fatalf("a task deleted without a person's consent: %d DELETEs", n)
		}
	}
	user.confirm(t, link)
	task := tc.start("delete_images", args, map[string]any{})
	tc.waitFor(task.TaskId, "ended", func(tk mcpgo.Task) bool { return tk.Status.IsTerminal() })
	res, _, err := tc.result(task.TaskId)
	if err != nil || res["deletionJobId"] == nil || fmt.Sprint(res["gone"]) != fmt.Sprint([]any{unused.UUID}) || res["remaining"] != nil {
		t.Fatalf("the confirmed deletion as a task: %v %v", err, res)
	}
	if n := sb.Count("DELETE", "/images"); n != 1 {
		t.Fatalf("%d DELETEs", n)
	}
	if slices.ContainsFunc(sb.InventoryImages(), func(im sandbox.Image) bool { return im.UUID == unused.UUID }) {
		t.Fatal("the image is still there")
	}

	// A task that asked for progress waits for the person inside: its
	// status says where to confirm, and it ends once they have.
	other := invFirst(t, sb.InventoryImages(), func(im sandbox.Image) bool { return im.AssociatedContainersCount == 0 })
	var created mcpgo.CreateTaskResult
	if err := tc.send(string(mcpgo.MethodToolsCall), map[string]any{"name": "delete_images", "arguments": map[string]any{"imageIds": []string{other.UUID}},
		"task": map[string]any{}, "_meta": map[string]any{"progressToken": "p1"}}, &created); err != nil {
		t.Fatal(err)
	}
	waiting := tc.waitFor(created.Task.TaskId, "waiting for the person", func(tk mcpgo.Task) bool {
		return tk.Status == mcpgo.TaskStatusWorking && strings.HasPrefix(tk.StatusMessage, "waiting for the user to confirm on http")
	})
	if n := sb.Count("DELETE", ""); n != 1 {
		t.Fatalf("%d DELETEs while the task waits for the person", n)
	}
	user.confirm(t, strings.Fields(strings.TrimPrefix(waiting.StatusMessage, "waiting for the user to confirm on "))[0])
	tc.waitFor(created.Task.TaskId, "ended", func(tk mcpgo.Task) bool { return tk.Status.IsTerminal() })
	if res, _, err := tc.result(created.Task.TaskId); err != nil || fmt.Sprint(res["gone"]) != fmt.Sprint([]any{other.UUID}) || sb.Count("DELETE", "") != 2 {
		t.Fatalf("the deletion that waited for the person: %v %v, %d DELETEs", err, res, sb.Count("DELETE", ""))
	}
}

// A forced rescan as a task: create_registry_schedule (onDemand,
// forceScan) answers at once, its progress is the scan's status, and its
// result the schedule as the scan left it. Automatic schedules have no
// scan to follow: as a task they answer what the plain call does.
func TestRescanTask(t *testing.T) {
	sb := NewSandbox(t, sandbox.Options{Username: "tester", Password: "canary-pass-7f3a"})
	sb.SetScanTiming(time.Second, time.Second)
	tc, _ := taskServer(t, sb, true)
	filters := []any{map[string]any{"repoTags": []any{map[string]any{"repo": "azuretest"}}}}
	task := tc.start("create_registry_schedule", map[string]any{"registryId": sandbox.AzureRegistryID, "onDemand": true, "forceScan": true, "filters": filters}, map[string]any{})
	seen := map[string]bool{}
	tc.waitFor(task.TaskId, "ended", func(tk mcpgo.Task) bool {
		for _, st := range []string{"Queued", "Running"} {
			seen[st] = seen[st] || strings.HasSuffix(tk.StatusMessage, "is "+st)
		}
		return tk.Status.IsTerminal()
	})
	res, _, err := tc.result(task.TaskId)
	sched, _ := res["schedule"].(map[string]any)
	if err != nil || res["status"] != "Finished" || sched["forceScan"] != true || sched["jobCompletionDate"] == nil || !seen["Queued"] || !seen["Running"] {
		t.Fatalf("the rescan as a task: %v %v (progress seen: %v)", err, res, seen)
	}
	auto := tc.start("create_registry_schedule", map[string]any{"registryId": sandbox.AzureRegistryID, "onDemand": false, "schedule": "03:00", "filters": filters}, map[string]any{})
	tc.waitFor(auto.TaskId, "ended", func(tk mcpgo.Task) bool { return tk.Status.IsTerminal() })
	if res, _, err := tc.result(auto.TaskId); err != nil || res["created"] != true || res["schedule"] != nil {
		t.Fatalf("an automatic schedule as a task: %v %v", err, res)
	}
}

// tsSDK finds the TypeScript SDK .ci/run installs (QUALYS_CS_MCP_TS_SDK,
// else .ci/npm) and node; without them the test is skipped, saying how to
// install them, unless QUALYS_CS_MCP_TS_SDK says they are there.
func tsSDK(t *testing.T) (modules, node string) {
	t.Helper()
	b, err := os.ReadFile("../.ci/tools.sh")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^TS_SDK_VERSION=(\S+)`).FindSubmatch(b)
	if m == nil {
		t.Fatal(".ci/tools.sh pins no TS_SDK_VERSION")
	}
	version := string(m[1])
	missing := t.Skipf
	if modules = os.Getenv("QUALYS_CS_MCP_TS_SDK"); modules != "" {
		missing = t.Fatalf
	} else {
		modules, _ = filepath.Abs("../.ci/npm/@modelcontextprotocol+sdk@" + version + "/node_modules")
	}
	pkg, err := os.ReadFile(filepath.Join(modules, "@modelcontextprotocol/sdk/package.json"))
	if err != nil || !strings.Contains(string(pkg), `"version": "`+version+`"`) {
		missing("the TypeScript SDK %s is not installed in %s (.ci/run installs it: . .ci/tools.sh; npm_tool @modelcontextprotocol/sdk %s)", version, modules, version)
	}
	if node, err = exec.LookPath("node"); err != nil {
		missing("node is not on PATH (.ci/run puts it there: . .ci/tools.sh; use_node22)")
	}
	return modules, node
}

// MCP tasks through the TypeScript SDK's client (tools/testdata/
// tasks-client.mjs), an implementation independent of the server's: its
// schemas judge every answer. create_report as a task streams its status
// (the report's progress) and ends with the report's UUID; the plain call
// still works; a cancelled task stops polling Qualys, and its result is
// the SDK's -32800.
func TestTasksTypeScriptSDK(t *testing.T) {
	modules, node := tsSDK(t)
	sb := NewSandbox(t, sandbox.Options{Username: "tester", Password: "canary-pass-7f3a"})
	sb.SetReportTiming(time.Second, time.Second)
	logs := &syncBuffer{}
	endpoint := startHTTP(t, serverCmd(startSandbox(t, sb), "--http", "127.0.0.1:0", "--log-level", "info"), logs)
	run := func(mode string) map[string]any {
		var stderr strings.Builder
		cmd := exec.Command(node, "testdata/tasks-client.mjs", modules, endpoint, mode)
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		var got map[string]any
		if err != nil || json.Unmarshal(out, &got) != nil {
			t.Fatalf("the TypeScript client (%s): %v\n%s%s\nserver: %s", mode, err, out, stderr.String(), logs.String())
		}
		return got
	}

	got := run("complete")
	if got["protocol"] != taskProtocol || fmt.Sprint(got["taskTools"]) != fmt.Sprint(slices.Sorted(slices.Values(taskTools))) || jsonPath(got, "capabilities", "requests", "tools", "call") == nil {
		t.Fatalf("what the SDK learnt: protocol %v, task tools %v, capabilities %v", got["protocol"], got["taskTools"], got["capabilities"])
	}
	stream, _ := got["stream"].([]any)
	var progress bool
	for _, m := range stream {
		progress = progress || strings.Contains(fmt.Sprint(jsonPath(m, "statusMessage")), `report "TS nightly" (`)
	}
	last := jsonPath(stream, fmt.Sprint(len(stream)-1))
	if len(stream) < 3 || jsonPath(stream, "0", "type") != "taskCreated" || !progress || jsonPath(last, "type") != "result" ||
		jsonPath(last, "result", "status") != "GENERATED" || jsonPath(last, "result", "reportUuid") == nil {
		t.Fatalf("create_report as a task through the SDK: %v", stream)
	}
	if jsonPath(got, "plain", "reportUuid") == nil || jsonPath(got, "plain", "status") != nil {
		t.Fatalf("the plain call through the SDK: %v", got["plain"])
	}

	sb.SetReportTiming(time.Hour, time.Hour)
	got = run("cancel")
	if got["cancelled"] != "cancelled" || jsonPath(got, "afterCancel", "status") != "cancelled" || jsonPath(got, "cancelledResult", "code") != float64(mcpgo.REQUEST_INTERRUPTED) {
		t.Fatalf("the cancelled task through the SDK: %v", got)
	}
	time.Sleep(300 * time.Millisecond)
	n := sb.Count("GET", "/reports")
	time.Sleep(4 * time.Second)
	if m := sb.Count("GET", "/reports"); m != n {
		t.Fatalf("the task cancelled through the SDK went on polling Qualys: %d requests, then %d", n, m)
	}
}

// jsonPath walks decoded JSON by object keys and array indexes.
func jsonPath(v any, path ...string) any {
	for _, k := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			var i int
			if _, err := fmt.Sscan(k, &i); err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}
