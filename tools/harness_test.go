package tools_test

// The test harness: every test drives the real binary (built once in
// TestMain) through the official go-sdk MCP client, against a sandbox the
// test owns, so the test can check the sandbox's state afterwards.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox/apicheck"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox/sandboxtest"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/schemas"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "qcs-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "qualys-cs-mcp")
	// Every process the tests start finds no passkey unless its test
	// enrols one (a person's QUALYS_MCP_PASSKEYS, passed after this): never
	// the passkeys of whoever runs the tests.
	os.Setenv("QUALYS_MCP_PASSKEYS", filepath.Join(dir, "none", "passkeys.json"))
	build := exec.Command("go", "build", "-tags", "apicheck", "-o", binary, "github.com/qualys-cs-mcp/qualys-cs-mcp") // --sandbox judged by the documents too
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the binary:", err)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// The API's documents, which judge every request a test's sandbox gets
// (the project's own: package apicheck keeps them).
var docCheck = sync.OnceValues(apicheck.New)

// NewSandbox is sandbox.New with the API's documents judging every
// request: one they do not allow is answered 400 with their reason, as
// the real gateway would, so a test sees a field the server misnames.
func NewSandbox(t testing.TB, o sandbox.Options) *sandbox.Server {
	t.Helper()
	v, err := docCheck()
	if err != nil {
		t.Fatalf("the API documents the sandbox judges requests by: %v", err)
	}
	o.Validate = v.Validate
	o.Control = true // the test knobs (Env.Inject, Deny, ExpireTokens, Tokens)
	return sandbox.New(o)
}

// Elicit is how the test client answers a confirmation request.
type Elicit int

const (
	NoElicitation Elicit = iota // the client does not support elicitation
	Accept
	Decline
	Cancel
	AcceptUnchecked // accepts the form but leaves the box unchecked
)

// Env is one sandbox, one server process and one client session.
type Env struct {
	T        testing.TB
	SB       *sandbox.Server
	URL      string // the sandbox's base URL
	S        *mcp.ClientSession
	Stderr   *syncBuffer
	Elicited []string // the messages the client was asked to confirm
	Endpoint string   // with HTTP: the server's MCP URL, for a second client
}

// EnvOptions choose the transport, protocol, elicitation and flags.
type EnvOptions struct {
	HTTP     bool     // streamable HTTP instead of stdio
	Protocol string   // "" for the client's newest
	Elicit   Elicit   // how the client answers confirmations
	Flags    []string // extra server flags
	EnvVars  []string // extra environment, KEY=VALUE
	Sandbox  *sandbox.Server
	Client   func(*mcp.ClientOptions) // adjusts the client (e.g. a progress handler)
	Wire     *syncBuffer              // receives every JSON-RPC message: "read: " from the server, "write: " to it
}

// NewEnv starts everything and closes it when the test ends.
func NewEnv(t testing.TB, o EnvOptions) *Env {
	t.Helper()
	e := &Env{T: t, SB: o.Sandbox, Stderr: &syncBuffer{}}
	if e.SB == nil {
		e.SB = NewSandbox(t, sandbox.Options{Username: "tester", Password: "canary-pass-7f3a"})
	}
	base, closeSB, err := e.SB.Start()
	if err != nil {
		t.Fatal(err)
	}
	e.URL = base
	t.Cleanup(closeSB)

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, binary, append([]string{"--toolsets", "all"}, o.Flags...)...)
	cmd.Env = append(os.Environ(), "QUALYS_GATEWAY_URL="+base, "QUALYS_USERNAME=tester", "QUALYS_PASSWORD=canary-pass-7f3a", "QUALYS_POD=")
	cmd.Env = append(cmd.Env, o.EnvVars...)

	var transport mcp.Transport
	if o.HTTP {
		cmd.Args = append(cmd.Args, "--http", "127.0.0.1:0", "--log-level", "info")
		e.Endpoint = startHTTP(t, cmd, e.Stderr)
		transport = &mcp.StreamableClientTransport{Endpoint: e.Endpoint, MaxRetries: -1}
	} else {
		cmd.Stderr = e.Stderr
		transport = &mcp.CommandTransport{Command: cmd, TerminateDuration: time.Second}
	}
	e.connect(ctx, o, transport)
	return e
}

// startHTTP starts a server command that serves HTTP, copies its stderr to
// the buffer, and returns its MCP URL once it listens. It is killed when
// the test ends.
func startHTTP(t testing.TB, cmd *exec.Cmd, stderrBuf *syncBuffer) string {
	t.Helper()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`addr=(http://\S+/mcp)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			stderrBuf.WriteString(sc.Text() + "\n")
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	select {
	case a := <-addr:
		return a
	case <-time.After(20 * time.Second):
		t.Fatalf("server did not start: %s", stderrBuf.String())
		return ""
	}
}

// Dial connects another client session to a server already serving HTTP
// at endpoint (a replica, or a load balancer in front of replicas).
func Dial(t testing.TB, endpoint string, o EnvOptions) *Env {
	t.Helper()
	e := &Env{T: t, SB: o.Sandbox, Stderr: &syncBuffer{}, Endpoint: endpoint}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	e.connect(ctx, o, &mcp.StreamableClientTransport{Endpoint: endpoint, MaxRetries: -1})
	return e
}

// connect opens the client session: its elicitation answers, wire log and
// protocol as o says.
func (e *Env) connect(ctx context.Context, o EnvOptions, transport mcp.Transport) {
	t := e.T
	t.Helper()
	opts := &mcp.ClientOptions{}
	if o.Elicit != NoElicitation {
		opts.ElicitationHandler = func(_ context.Context, req *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			e.Elicited = append(e.Elicited, req.Params.Message)
			switch o.Elicit {
			case Accept:
				return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"confirm": true}}, nil
			case AcceptUnchecked:
				return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"confirm": false}}, nil
			case Decline:
				return &mcp.ElicitResult{Action: "decline"}, nil
			default:
				return &mcp.ElicitResult{Action: "cancel"}, nil
			}
		}
	}
	if o.Client != nil {
		o.Client(opts)
	}
	cl := mcp.NewClient(&mcp.Implementation{Name: "qcs-test", Version: "1"}, opts)
	if o.Wire != nil {
		transport = &mcp.LoggingTransport{Transport: transport, Writer: o.Wire}
	}
	sess, err := cl.Connect(ctx, transport, &mcp.ClientSessionOptions{ProtocolVersion: o.Protocol})
	if err != nil {
		t.Fatalf("connect: %v\nstderr: %s", err, e.Stderr.String())
	}
	t.Cleanup(func() { sess.Close() })
	e.S = sess
}

// control is the sandbox's test knobs (a sandbox the test made itself
// needs sandbox.Options{Control: true}).
func (e *Env) control() sandboxtest.Control { return sandboxtest.Control{URL: e.URL} }

// Inject queues faults in the sandbox for the next matching requests.
func (e *Env) Inject(method, prefix string, faults ...sandbox.Fault) {
	e.T.Helper()
	if err := e.control().Inject(method, prefix, faults...); err != nil {
		e.T.Fatal(err)
	}
}

// Deny takes a permission from the sandbox's user.
func (e *Env) Deny(permission string) {
	e.T.Helper()
	if err := e.control().Deny(permission); err != nil {
		e.T.Fatal(err)
	}
}

// ExpireTokens expires every token the sandbox issued.
func (e *Env) ExpireTokens() {
	e.T.Helper()
	if err := e.control().ExpireTokens(); err != nil {
		e.T.Fatal(err)
	}
}

// Tokens is every JWT the sandbox issued.
func (e *Env) Tokens() []string {
	e.T.Helper()
	toks, err := e.control().Tokens()
	if err != nil {
		e.T.Fatal(err)
	}
	return toks
}

// Call calls a tool; a protocol error fails the test.
func (e *Env) Call(name string, args any) *mcp.CallToolResult {
	e.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := e.S.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		e.T.Fatalf("%s: protocol error: %v", name, err)
	}
	if res.IsError && strings.Contains(Text(res), "%!") { // every error path's message, in every test
		e.T.Errorf("%s: a formatting escape in the message: %s", name, Text(res))
	}
	return res
}

// Text is a result's text content.
func Text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// OK calls a tool that must succeed and returns its structured result.
func (e *Env) OK(name string, args any) map[string]any {
	e.T.Helper()
	res := e.Call(name, args)
	if res.IsError {
		e.T.Fatalf("%s(%v) failed: %s", name, args, Text(res))
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(Text(res)), &m); err != nil {
		e.T.Fatalf("%s: text is not a JSON object: %v: %s", name, err, Text(res))
	}
	raw, _ := json.Marshal(res.StructuredContent)
	var sc map[string]any
	if err := json.Unmarshal(raw, &sc); err != nil || len(sc) != len(m) {
		e.T.Fatalf("%s: structured content differs from the text: %s", name, raw)
	}
	return m
}

// Fail calls a tool that must answer a tool error and returns its text.
func (e *Env) Fail(name string, args any) string {
	e.T.Helper()
	res := e.Call(name, args)
	if !res.IsError {
		e.T.Fatalf("%s(%v) succeeded, want a tool error: %s", name, args, Text(res))
	}
	return Text(res)
}

// Items returns a list result's items.
func Items(m map[string]any) []map[string]any {
	arr, _ := m["items"].([]any)
	out := make([]map[string]any, 0, len(arr))
	for _, it := range arr {
		out = append(out, it.(map[string]any))
	}
	return out
}

// Refused reports whether a call was refused, as a protocol error (an
// unknown tool) or a tool error.
func (e *Env) Refused(name string, args any) bool {
	e.T.Helper()
	res, err := e.S.CallTool(e.T.Context(), &mcp.CallToolParams{Name: name, Arguments: args})
	return err != nil || res.IsError
}

// syncBuffer is the server's stderr, safe to read while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) WriteString(p string) (int, error) { return s.Write([]byte(p)) }

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// validationSchema is the schema a tool's arguments are validated against:
// its input type's (schemas.For, with every limit tools/list leaves out),
// plus the confirmation token a guarded tool takes.
func validationSchema(t testing.TB, tl tool.Tool) []byte {
	t.Helper()
	m, err := schemas.For(tl.InputType())
	if err != nil {
		t.Fatalf("%s: %v", tl.Name, err)
	}
	if tl.Guarded() {
		m["properties"].(map[string]any)[tool.TokenArg] = map[string]any{"type": "string"}
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
