package main

// Tests of the command line: they build the binary once and run it, against
// a sandbox the test owns (so it can see what was sent), or with --sandbox.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox/apicheck"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/toolsets"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "qcs-cli")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "qualys-cs-mcp")
	build := exec.Command("go", "build", "-tags", "apicheck", "-o", binary, ".") // --sandbox judged by the API's documents
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the binary:", err)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type ran struct {
	code        int
	out, errOut string
}

// runBin runs the binary with no Qualys settings in its environment except
// env, stdin from in ("" is the null device).
func runBin(t *testing.T, in string, env []string, args ...string) ran {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "QUALYS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	if in != "" {
		cmd.Stdin = strings.NewReader(in)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%v: %v", args, err)
	}
	return ran{cmd.ProcessState.ExitCode(), out.String(), errOut.String()}
}

// docSandbox is a sandbox that judges every request by the API's documents
// (the project's own: package apicheck keeps them).
func docSandbox(t *testing.T, o sandbox.Options) *sandbox.Server {
	v, err := apicheck.New()
	if err != nil {
		t.Fatalf("the API documents: %v", err)
	}
	o.Validate = v.Validate
	return sandbox.New(o)
}

// ownSandbox starts a sandbox for the test and the environment that points
// the binary at it.
func ownSandbox(t *testing.T) (*sandbox.Server, []string) {
	sb := docSandbox(t, sandbox.Options{Username: "tester", Password: "canary-pass-7f3a"})
	base, closeSB, err := sb.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeSB)
	return sb, []string{"QUALYS_GATEWAY_URL=" + base, "QUALYS_USERNAME=tester", "QUALYS_PASSWORD=canary-pass-7f3a"}
}

func TestCLIToolsNeedsNoCredentials(t *testing.T) {
	all, err := toolsets.All()
	if err != nil {
		t.Fatal(err)
	}
	r := runBin(t, "", nil, "tools", "--toolsets", "all")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	if len(lines) != len(all)+1 || !strings.HasPrefix(lines[0], "TOOL") {
		t.Fatalf("want a header and %d tools, got %d lines:\n%s", len(all), len(lines), r.out)
	}
	tierWord := map[tool.Tier]string{tool.Read: "read", tool.Write: "write", tool.Destructive: "destructive"}
	for i, tl := range all {
		f := strings.Fields(lines[i+1])
		if len(f) < 4 || f[0] != tl.Name || f[1] != tierWord[tl.Tier] || f[2] != tl.Toolset {
			t.Errorf("line %d: %q, want %s %s %s", i+1, lines[i+1], tl.Name, tierWord[tl.Tier], tl.Toolset)
		}
	}

	ro := runBin(t, "", nil, "tools", "--read-only", "--toolsets", "sensors")
	if ro.code != 0 {
		t.Fatalf("exit %d: %s", ro.code, ro.errOut)
	}
	for _, l := range strings.Split(strings.TrimSpace(ro.out), "\n")[1:] {
		if f := strings.Fields(l); f[1] != "read" || f[2] != "sensors" {
			t.Errorf("--read-only --toolsets sensors offered %q", l)
		}
	}
	if bad := runBin(t, "", nil, "tools", "--toolsets", "nope"); bad.code != exitUsage || !strings.Contains(bad.errOut, "unknown toolset") {
		t.Errorf("unknown toolset: exit %d, %s", bad.code, bad.errOut)
	}
}

func TestCLICallSandbox(t *testing.T) {
	r := runBin(t, "", nil, "call", "--sandbox", "list_sensors", "{}")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	var m struct {
		Items []map[string]any `json:"items"`
		Count int              `json:"count"`
	}
	if err := json.Unmarshal([]byte(r.out), &m); err != nil || len(m.Items) == 0 || m.Count != len(m.Items) {
		t.Fatalf("not a sensor list (%v): %s", err, r.out)
	}
	// Flags after the positional arguments count too.
	r = runBin(t, "", nil, "call", "list_sensors", `{"pageSize": 2}`, "--sandbox")
	if err := json.Unmarshal([]byte(r.out), &m); r.code != 0 || err != nil || len(m.Items) != 2 {
		t.Fatalf("exit %d, %d items: %s %s", r.code, len(m.Items), r.out, r.errOut)
	}
}

func TestCLICallErrorsAndExitCodes(t *testing.T) {
	sb, env := ownSandbox(t)
	for _, c := range []struct {
		name string
		in   string
		args []string
		code int
		want string
	}{
		{"tool error from the API", "", []string{"call", "get_sensor", `{"sensorId": "00000000-0000-0000-0000-00000000dead"}`}, exitFailed, "00000000-0000-0000-0000-00000000dead"},
		{"invalid argument", "", []string{"call", "list_sensors", `{"pageSize": "x"}`}, exitFailed, "pageSize"},
		{"unknown tool", "", []string{"call", "no_such_tool"}, exitUsage, "unknown tool"},
		{"hidden by a flag", "", []string{"call", "--read-only", "delete_sensors", `{"sensorIds": ["x"]}`}, exitUsage, "not offered"},
		{"not JSON", "", []string{"call", "list_sensors", "pageSize=2"}, exitUsage, "JSON object"},
		{"no tool", "", []string{"call"}, exitUsage, "usage"},
		{"stray argument", "", []string{"list_sensors"}, exitUsage, "unexpected argument"},
		{"unknown flag", "", []string{"call", "--nope", "list_sensors"}, exitUsage, "not defined"},
	} {
		r := runBin(t, c.in, env, c.args...)
		if r.code != c.code || !strings.Contains(r.errOut, c.want) || r.out != "" {
			t.Errorf("%s: exit %d (want %d), stdout %q, stderr %q (want %q)", c.name, r.code, c.code, r.out, r.errOut, c.want)
		}
	}
	if n := sb.Count(http.MethodDelete, ""); n != 0 {
		t.Fatalf("%d DELETE requests sent", n)
	}

	// Arguments from stdin keep secrets out of the process list.
	r := runBin(t, `{"pageSize": 1}`, env, "call", "list_sensors", "-")
	if r.code != 0 || !strings.Contains(r.out, `"nextPage": 2`) {
		t.Fatalf("stdin arguments: exit %d: %s %s", r.code, r.out, r.errOut)
	}
}

func TestCLIDestructiveNeedsATerminalOrYes(t *testing.T) {
	sb, env := ownSandbox(t)
	args := []string{"call", "delete_sensor_profile", `{"sensorProfileId": "` + sandbox.NorthProfileID + `"}`, "--toolsets", "sensor_profiles"} // not a default toolset

	// No terminal (the null device, then a pipe that says y): refused.
	for _, in := range []string{"", "y\n"} {
		r := runBin(t, in, env, args...)
		if r.code != exitDeclined || r.out != "" || !strings.Contains(r.errOut, "--yes") || !strings.Contains(r.errOut, `"North"`) {
			t.Fatalf("stdin %q: exit %d, stdout %q, stderr %q", in, r.code, r.out, r.errOut)
		}
	}
	if n := sb.Count(http.MethodDelete, "/sensorProfile"); n != 0 {
		t.Fatalf("refused, yet %d DELETE sent", n)
	}

	r := runBin(t, "", env, append(args, "--yes")...)
	if r.code != 0 || !strings.Contains(r.out, `"deleted": true`) || !strings.Contains(r.errOut, `"North"`) {
		t.Fatalf("--yes: exit %d, stdout %q, stderr %q", r.code, r.out, r.errOut)
	}
	if n := sb.Count(http.MethodDelete, "/sensorProfile/"+sandbox.NorthProfileID); n != 1 {
		t.Fatalf("--yes: %d DELETE sent, want 1", n)
	}
	// It is gone: the same call now fails with a tool error.
	if r := runBin(t, "", env, append(args, "--yes")...); r.code != exitFailed || r.errOut == "" {
		t.Fatalf("second delete: exit %d: %s", r.code, r.errOut)
	}
}

// inProcess builds the server in this process over a sandbox of its own.
func inProcess(t *testing.T) (*sandbox.Server, *tools.Server) {
	sb := docSandbox(t, sandbox.Options{})
	base, closeSB, err := sb.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeSB)
	gw, _ := client.ResolveGateway("", base)
	srv, err := tools.NewServer(client.New(client.Config{Gateway: gw, Username: "sandbox", Password: "sandbox"}), tools.Options{Version: version})
	if err != nil {
		t.Fatal(err)
	}
	return sb, srv
}

// The terminal path, in process: the preview is shown and y or N decides.
func TestCLIConfirmOnTerminal(t *testing.T) {
	sb, srv := inProcess(t)
	args := []string{"delete_sensor_profile", `{"sensorProfileId": "` + sandbox.NorthProfileID + `"}`}
	for _, c := range []struct {
		answer  string
		code    int
		deletes int
	}{{"n\n", exitDeclined, 0}, {"\n", exitDeclined, 0}, {"yes\n", 0, 1}} {
		var out, errOut bytes.Buffer
		err := callTool(context.Background(), srv, args, false, cliIO{in: strings.NewReader(c.answer), out: &out, err: &errOut, tty: true})
		if code := exitCode(err); (err == nil && c.code != 0) || (err != nil && code != c.code) {
			t.Fatalf("answer %q: %v (exit %d), want exit %d", c.answer, err, code, c.code)
		}
		if !strings.Contains(errOut.String(), `"North"`) || !strings.Contains(errOut.String(), "[y/N]") {
			t.Fatalf("answer %q: no preview or question: %q", c.answer, errOut.String())
		}
		if n := sb.Count(http.MethodDelete, "/sensorProfile"); n != c.deletes {
			t.Fatalf("answer %q: %d DELETE sent, want %d", c.answer, n, c.deletes)
		}
	}
}

// promptWriter reports when the question has been asked.
type promptWriter struct {
	mu    sync.Mutex
	b     strings.Builder
	asked chan struct{}
}

func (w *promptWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b.Write(p)
	if strings.Contains(w.b.String(), "[y/N]") && w.asked != nil {
		close(w.asked)
		w.asked = nil
	}
	return len(p), nil
}

// Ctrl-C at the question declines: nothing is deleted.
func TestCLIInterruptedQuestion(t *testing.T) {
	sb, srv := inProcess(t)
	in, inW := io.Pipe() // the user never answers
	defer inW.Close()
	asked := make(chan struct{})
	errOut := &promptWriter{asked: asked}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-asked; cancel() }()
	err := callTool(ctx, srv, []string{"delete_sensor_profile", `{"sensorProfileId": "` + sandbox.NorthProfileID + `"}`}, false,
		cliIO{in: in, out: io.Discard, err: errOut, tty: true})
	if exitCode(err) != exitDeclined || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("interrupted: %v", err)
	}
	if n := sb.Count(http.MethodDelete, "/sensorProfile"); n != 0 {
		t.Fatalf("interrupted, yet %d DELETE sent", n)
	}
}

// flagsFromHelp lists the flags the binary accepts, from --help, and
// whether each takes a value.
func flagsFromHelp(t *testing.T) map[string]bool {
	t.Helper()
	r := runBin(t, "", nil, "--help")
	if r.code != 0 || r.errOut != "" || !strings.HasPrefix(r.out, "Usage:") {
		t.Fatalf("--help: exit %d, stderr %q, stdout %q: want the usage on stdout and exit 0", r.code, r.errOut, r.out)
	}
	flags := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^  --([a-z][a-z0-9-]*)( [A-Z]\S*)?(?:\s{2,}|$)`).FindAllStringSubmatch(r.out, -1) {
		flags[m[1]] = m[2] != ""
	}
	if takes, ok := flags["toolsets"]; !ok || !takes || flags["sandbox"] || flags["yes"] {
		t.Fatalf("--help: cannot read the flags: %v", flags)
	}
	return flags
}

// The shipped binary does not link the document checker: only a build
// with the apicheck tag (the tests') does.
func TestShippedBinaryLeavesTheDocumentCheckerOut(t *testing.T) {
	for tags, want := range map[string]bool{"": false, "apicheck": true} {
		out, err := exec.Command("go", "list", "-tags", tags, "-deps", ".").Output()
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(string(out), "github.com/getkin/kin-openapi"); got != want {
			t.Errorf("tags %q: kin-openapi linked: %v, want %v", tags, got, want)
		}
	}
}

// A test build's --sandbox judges requests by the document it is given:
// with a document whose list_images parameter is renamed, the call is
// refused with the document's reason.
func TestSandboxFlagJudgesByTheDocument(t *testing.T) {
	dir := t.TempDir()
	raw := apicheck.OpenAPI()
	at := strings.Index(string(raw), "\n  /images:\n")
	if at < 0 {
		t.Fatal("no /images in the document: the test checks nothing")
	}
	doc := string(raw[:at]) + strings.Replace(string(raw[at:]), "- name: pageSize", "- name: pageSz", 1)
	if doc == string(raw) {
		t.Fatal("the edit found nothing to rename: the test checks nothing")
	}
	os.WriteFile(filepath.Join(dir, "doc.yaml"), []byte(doc), 0o644)
	r := runBin(t, "", []string{"QUALYS_MCP_SANDBOX_OPENAPI=" + filepath.Join(dir, "doc.yaml")}, "call", "--sandbox", "list_images", "{}")
	if r.code == 0 || !strings.Contains(r.errOut+r.out, "unknown query parameter(s) pageSize") {
		t.Fatalf("exit %d: %s%s", r.code, r.out, r.errOut)
	}
	if r := runBin(t, "", nil, "call", "--sandbox", "list_images", `{"pageSize": 2}`); r.code != 0 {
		t.Fatalf("with the real document: exit %d: %s", r.code, r.errOut)
	}
}
