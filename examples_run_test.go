package main

// Every client set-up in examples/ and in the README and docs/ runs as a new
// user would run it: on a fresh home (no ~/.qualys-cs-mcp), the binary
// installed where the set-up says, each server started by its command line
// and spoken to over MCP (stdio, or streamable HTTP at the set-up's URL),
// against a sandbox that plays the user's Qualys account. claude-code.sh
// runs with a `claude` on PATH that records what it was asked to add.

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

const examplePassword = "example-pass-5c1e"

// newUser is a fresh machine: a home with the password file and the binary
// installed in ~/go/bin, and a sandbox playing the Qualys account "me".
type newUser struct {
	t        *testing.T
	home     string
	gateway  string
	sb       *sandbox.Server
	sawAudit bool
}

func freshUser(t *testing.T) *newUser {
	u := &newUser{t: t, home: t.TempDir()}
	bin := filepath.Join(u.home, "go", "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(binary, filepath.Join(bin, "qualys-cs-mcp")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(u.home, ".qualys-pass"), []byte(examplePassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sb := docSandbox(t, sandbox.Options{Username: "me", Password: examplePassword})
	base, closeSB, err := sb.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeSB)
	u.gateway, u.sb = base, sb
	return u
}

// local maps the examples' home folders onto this user's.
func (u *newUser) local(s string) string {
	return regexp.MustCompile(`/(home|Users)/me\b`).ReplaceAllString(s, u.home)
}

// env is the environment a client gives the server: the machine's, less any
// QUALYS_ setting, the user's home, then the set-up's own variables. The
// account's gateway is the sandbox.
func (u *newUser) env(own map[string]string) []string {
	env := append(withoutQualys(), "HOME="+u.home, "PATH="+filepath.Join(u.home, "go", "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	for k, v := range own {
		if strings.HasPrefix(v, "${input:") {
			v = examplePassword // what the user types when the client asks
		}
		env = append(env, k+"="+u.local(v))
	}
	if _, ok := own["QUALYS_USERNAME"]; ok {
		env = append(env, "QUALYS_GATEWAY_URL="+u.gateway)
	}
	return env
}

// stdio starts a server as a client does, by its command, and speaks MCP to it.
func (u *newUser) stdio(where, command string, args []string, env map[string]string) {
	u.t.Helper()
	command = u.local(command)
	if !strings.Contains(command, "/") {
		command = filepath.Join(u.home, "go", "bin", command) // found on PATH
	}
	for i := range args {
		args[i] = u.local(args[i])
		if args[i] == "--audit-log" {
			u.sawAudit = true
		}
	}
	cmd := exec.Command(command, args...)
	cmd.Env = u.env(env)
	cmd.Dir = u.home
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if !u.speak(where, &mcp.CommandTransport{Command: cmd, TerminateDuration: 5 * time.Second}) {
		u.t.Logf("%s: the server's stderr:\n%s", where, stderr.String())
	}
}

// http starts a server for the set-up's URL (`qualys-cs-mcp --http ADDR`,
// with --sandbox) and speaks MCP to it with the set-up's headers. A port
// that is taken is swapped for a free one.
func (u *newUser) http(where, endpoint string, headers map[string]string, token string) {
	u.t.Helper()
	ep, err := url.Parse(endpoint)
	if err != nil {
		u.t.Fatalf("%s: %v", where, err)
	}
	ln, err := net.Listen("tcp", ep.Host)
	if err != nil {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			u.t.Fatal(err)
		}
		ep.Host = ln.Addr().String()
	}
	ln.Close()
	cmd := exec.Command(filepath.Join(u.home, "go", "bin", "qualys-cs-mcp"), "--sandbox", "--http", ep.Host)
	cmd.Env = u.env(map[string]string{})
	if token != "" {
		cmd.Env = append(cmd.Env, "QUALYS_MCP_HTTP_TOKEN="+token)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		u.t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	waitListening(u.t, ep.Host)
	client := &http.Client{Transport: withHeaders{headers, http.DefaultTransport}}
	if !u.speak(where, &mcp.StreamableClientTransport{Endpoint: ep.String(), HTTPClient: client, MaxRetries: -1}) {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		u.t.Logf("%s: the server's stderr:\n%s", where, stderr.String())
	}
}

type withHeaders struct {
	h    map[string]string
	next http.RoundTripper
}

func (w withHeaders) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range w.h {
		r.Header.Set(k, v)
	}
	return w.next.RoundTrip(r)
}

// speak connects a go-sdk client, lists the tools and calls list_sensors.
func (u *newUser) speak(where string, tr mcp.Transport) bool {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cl := mcp.NewClient(&mcp.Implementation{Name: "example-user", Version: "1"}, nil)
	sess, err := cl.Connect(ctx, tr, nil)
	if err != nil {
		u.t.Errorf("%s: connecting: %v", where, err)
		return false
	}
	defer sess.Close()
	list, err := sess.ListTools(ctx, nil)
	if err != nil || len(list.Tools) == 0 {
		u.t.Errorf("%s: tools/list: %v", where, err)
		return false
	}
	res, err := sess.CallTool(ctx, &mcp.CallToolParams{Name: "list_sensors", Arguments: map[string]any{"pageSize": 1}})
	if err != nil || res.IsError {
		u.t.Errorf("%s: list_sensors: %v %+v", where, err, res)
		return false
	}
	return true
}

// run starts every server of a client's configuration.
func (u *newUser) run(where string, raw []byte) {
	var f clientFile
	decodeJSON(u.t, where, raw, &f)
	names := make([]string, 0, len(f.servers()))
	for name := range f.servers() {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		s := f.servers()[name]
		if s.URL != "" {
			u.http(where+": "+name, s.URL, s.Headers, "")
			continue
		}
		u.stdio(where+": "+name, s.Command, append([]string{}, s.Args...), s.Env)
	}
}

// auditFolder checks that the audit log's folder was made, 0700, on the
// fresh home.
func (u *newUser) auditFolder(where string) {
	if !u.sawAudit {
		return
	}
	fi, err := os.Stat(filepath.Join(u.home, ".qualys-cs-mcp"))
	if err != nil || fi.Mode().Perm() != 0o700 {
		u.t.Errorf("%s: --audit-log's folder on a fresh home: %v %v", where, err, fi)
	}
}

func TestClientConfigsRun(t *testing.T) {
	files, _ := filepath.Glob("examples/*.json")
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			u := freshUser(t)
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			u.run(f, raw)
			u.auditFolder(f)
		})
	}
	for _, file := range docFiles(t) {
		raw, _ := os.ReadFile(file)
		where, blocks := clientConfigs(t, file, raw)
		for i := range blocks {
			t.Run(where[i], func(t *testing.T) {
				u := freshUser(t)
				u.run(where[i], blocks[i])
			})
		}
	}
	if len(files) < 3 {
		t.Errorf("examples: %v", files)
	}
}

// fakeClaude records each call of `claude` as one file of NUL-ended
// arguments.
const fakeClaude = `#!/usr/bin/env bash
printf '%s\0' "$@" > "$CLAUDE_CALLS/$(date +%s%N)"
`

// claudeAdd is what `claude mcp add` was asked, parsed as Claude Code does:
// claude mcp add [options] <name> <commandOrUrl> [args...], where -e and -H
// take every value up to the next option.
type claudeAdd struct {
	name, transport string
	env, headers    map[string]string
	command         []string
}

func parseClaudeAdd(args []string) (claudeAdd, error) {
	a := claudeAdd{transport: "stdio", env: map[string]string{}, headers: map[string]string{}}
	if len(args) < 2 || args[0] != "mcp" || args[1] != "add" {
		return a, fmt.Errorf("not `claude mcp add`: %q", args)
	}
	var pos []string
	for i := 2; i < len(args); i++ {
		switch w := args[i]; w {
		case "--":
			pos = append(pos, args[i+1:]...)
			i = len(args)
		case "-s", "--scope", "-t", "--transport":
			if i+1 >= len(args) {
				return a, fmt.Errorf("%s has no value", w)
			}
			if w == "-t" || w == "--transport" {
				a.transport = args[i+1]
			}
			i++
		case "-e", "--env", "-H", "--header":
			for i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				i++
				if w == "-e" || w == "--env" {
					k, v, ok := strings.Cut(args[i], "=")
					if !ok {
						return a, fmt.Errorf("-e %q is not KEY=value", args[i])
					}
					a.env[k] = v
				} else {
					k, v, ok := strings.Cut(args[i], ":")
					if !ok {
						return a, fmt.Errorf("--header %q is not Name: value", args[i])
					}
					a.headers[k] = strings.TrimSpace(v)
				}
			}
		default:
			if strings.HasPrefix(w, "-") && len(pos) < 2 {
				return a, fmt.Errorf("unknown option %s", w)
			}
			pos = append(pos, w)
		}
	}
	if len(pos) < 2 {
		return a, fmt.Errorf("want a name and a command or URL: %q", args)
	}
	a.name, a.command = pos[0], pos[1:]
	return a, nil
}

func TestClaudeCodeScriptRuns(t *testing.T) {
	u := freshUser(t)
	fake, calls := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(fake, "claude"), []byte(fakeClaude), 0o755); err != nil {
		t.Fatal(err)
	}
	const token = "example-token-0d9b"
	script, _ := filepath.Abs("examples/claude-code.sh")
	cmd := exec.Command("bash", script)
	cmd.Dir = u.home
	cmd.Env = append(withoutQualys(), "HOME="+u.home, "CLAUDE_CALLS="+calls, "QUALYS_MCP_HTTP_TOKEN="+token,
		"PATH="+fake+string(os.PathListSeparator)+os.Getenv("PATH"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("claude-code.sh: %v\n%s", err, out)
	}
	recorded, _ := filepath.Glob(filepath.Join(calls, "*"))
	sort.Strings(recorded)
	if len(recorded) < 4 {
		t.Fatalf("claude-code.sh called claude %d times", len(recorded))
	}
	if _, err := os.Stat(filepath.Join(u.home, ".qualys-cs-mcp")); err == nil {
		t.Fatal("the script itself made ~/.qualys-cs-mcp: the server's --audit-log is what should")
	}
	for i, f := range recorded {
		b, _ := os.ReadFile(f)
		a, err := parseClaudeAdd(strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00"))
		where := fmt.Sprintf("claude-code.sh, claude call %d", i+1)
		if err != nil {
			t.Errorf("%s: %v", where, err)
			continue
		}
		where += " (" + a.name + ")"
		switch a.transport {
		case "stdio":
			u.stdio(where, a.command[0], a.command[1:], a.env)
		case "http":
			if len(a.command) != 1 {
				t.Errorf("%s: an HTTP server takes one URL: %q", where, a.command)
				continue
			}
			u.http(where, a.command[0], a.headers, token)
		default:
			t.Errorf("%s: transport %q", where, a.transport)
		}
	}
	u.auditFolder("claude-code.sh")
	if !u.sawAudit {
		t.Error("claude-code.sh: no server with --audit-log: the fresh-machine case is not exercised")
	}
}
