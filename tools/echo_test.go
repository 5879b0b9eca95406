package tools_test

// The echo canary: the gateway answers errors that repeat the whole
// request (its Authorization header, its body), as a careless gateway or
// proxy might. The JWT, the Qualys password and a call's secret argument
// must still be found nowhere the process writes: tool results, MCP log
// notifications, stderr at debug, the audit log, the command line's
// output; not even as a prefix left where a message was cut.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox/sandboxtest"
)

// jwtHeader begins every JWT the sandbox issues; finding it anywhere
// means a token, or the start of one left at a cut, escaped.
const jwtHeader = "eyJhbGciOiJIUzI1Ni"

const echoRegPass = "echo-canary-registry-pw-61d0"

func TestUpstreamEchoLeaksNothing(t *testing.T) {
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	wire := &syncBuffer{}
	e := NewEnv(t, EnvOptions{Protocol: "2025-11-25", Wire: wire, Flags: []string{"--audit-log", audit, "--log-level", "debug"}})
	if err := e.S.SetLoggingLevel(t.Context(), &mcp.SetLoggingLevelParams{Level: "debug"}); err != nil {
		t.Fatal(err)
	}
	var outputs []string
	fail := func(tool string, args map[string]any) string {
		t.Helper()
		msg := e.Fail(tool, args)
		outputs = append(outputs, msg)
		return msg
	}
	// A read, with a filter whose length moves the 500-character cuts (the
	// client's of the upstream message, the log notification's of the
	// error) across the echoed Authorization header.
	cutInToken := 0
	for n := 140; n <= 380; n += 3 {
		e.Inject("GET", "/images", sandbox.Fault{Echo: true})
		msg := fail("list_images", map[string]any{"filter": "repo.repository:" + strings.Repeat("a", n)})
		if !strings.Contains(msg, "could not process GET") {
			t.Fatalf("the upstream did not echo: %s", msg)
		}
		if strings.Contains(msg, "Authorization: Bearer ") && !strings.Contains(msg, "Bearer [redacted];") {
			cutInToken++ // the cut fell inside the token (or, masked first, inside its mask)
		}
	}
	if cutInToken < 2 {
		t.Fatalf("%d cuts fell inside the echoed token: the sweep does not test the cut", cutInToken)
	}
	// A write whose request body carries a secret argument.
	e.Inject("POST", "/registry", sandbox.Fault{Echo: true})
	msg := fail("create_registry", map[string]any{"registryType": "DockerHub", "registryUri": "https://registry-1.docker.io",
		"registryName": "echo", "credentialType": "BasicAuth", "credential": map[string]any{"username": "u", "password": echoRegPass}})
	if !strings.Contains(msg, "body: {") || !strings.Contains(msg, "[redacted]") {
		t.Fatalf("the registry body was not echoed, or nothing was masked: %s", msg)
	}
	// A write audited with the echo in its detail.
	e.Inject("PUT", "/sensorProfile", sandbox.Fault{Echo: true})
	fail("update_sensor_profile", map[string]any{"sensorProfileId": general, "description": "echo"})
	// The login: the form body with the password comes back.
	e.ExpireTokens()
	e.Inject("POST", "/auth", sandbox.Fault{Echo: true, Status: 401})
	if msg := fail("list_sensors", nil); !strings.Contains(msg, "password=[redacted]") {
		t.Fatalf("the login form was not echoed and masked: %s", msg)
	}
	e.S.Close() // the server has exited: stderr and the audit log are complete

	outputs = append(outputs, cliEcho(t, e.SB))
	trail, err := os.ReadFile(audit)
	if err != nil || !strings.Contains(string(trail), `"tool":"update_sensor_profile"`) || !strings.Contains(string(trail), "could not process PUT") {
		t.Fatalf("the audit log lacks the echoed write: %v: %s", err, trail)
	}
	var logs []string
	for _, line := range strings.Split(wire.String(), "\n") {
		if strings.HasPrefix(line, "read: ") && strings.Contains(line, `"notifications/message"`) {
			logs = append(logs, line)
		}
	}
	if !strings.Contains(strings.Join(logs, "\n"), "could not process GET") {
		t.Fatal("no log notification carried an echoed error")
	}
	if !strings.Contains(e.Stderr.String(), "could not process GET") {
		t.Fatal("stderr at debug carries no echoed error")
	}
	canaries := map[string]string{"Qualys password": "canary-pass-7f3a", "registry password": echoRegPass, "a JWT's beginning": jwtHeader}
	for i, j := range e.Tokens() {
		canaries[fmt.Sprintf("JWT %d's signature", i)] = j[strings.LastIndex(j, ".")+1:]
	}
	for where, text := range map[string]string{"tool results": strings.Join(outputs[:len(outputs)-1], "\n"), "the command line": outputs[len(outputs)-1],
		"log notifications": strings.Join(logs, "\n"), "stderr": e.Stderr.String(), "the audit log": string(trail)} {
		for name, v := range canaries {
			if n := strings.Count(text, v); n > 0 {
				t.Errorf("%s appears %d times in %s", name, n, where)
			}
		}
	}
}

// cliEcho runs `call` against the sandbox with an echo fault queued and
// returns what it printed (stdout and stderr).
func cliEcho(t *testing.T, sb *sandbox.Server) string {
	t.Helper()
	base, closeSB, err := sb.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer closeSB()
	var out []string
	for _, n := range []int{200, 260, 300} {
		if err := (sandboxtest.Control{URL: base}).Inject("GET", "/images", sandbox.Fault{Echo: true}); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(binary, "call", "--log-level", "debug", "list_images", fmt.Sprintf(`{"filter":"repo.repository:%s"}`, strings.Repeat("b", n)))
		cmd.Env = append(os.Environ(), "QUALYS_GATEWAY_URL="+base, "QUALYS_USERNAME=tester", "QUALYS_PASSWORD=canary-pass-7f3a", "QUALYS_POD=")
		b, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(b), "could not process GET") {
			t.Fatalf("call: %v: %s", err, b)
		}
		out = append(out, string(b))
	}
	return strings.Join(out, "\n")
}
