package main

// How the real binary starts and stops: what stdio says it waits for, a
// clean exit 0 with one "stopped" line on SIGINT and SIGTERM (stdio and
// HTTP), and --audit-log making its folder on a fresh machine.

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// started is the binary running with its stdin and stdout as pipes and its
// stderr collected.
type started struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
	mu     sync.Mutex
	stderr bytes.Buffer
}

func (s *started) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.Write(p)
}

func (s *started) errText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.String()
}

func startBin(t *testing.T, env []string, args ...string) *started {
	t.Helper()
	s := &started{cmd: exec.Command(binary, args...)}
	s.cmd.Env = append(withoutQualys(), env...)
	s.cmd.Stderr = s
	var err error
	if s.stdin, err = s.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.stdout = bufio.NewReader(out)
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.cmd.Process.Kill(); s.cmd.Wait() })
	return s
}

func withoutQualys() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "QUALYS_") {
			env = append(env, kv)
		}
	}
	return env
}

// waitStderr waits until stderr holds want.
func (s *started) waitStderr(t *testing.T, want string) {
	t.Helper()
	for range 600 {
		if strings.Contains(s.errText(), want) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("stderr never said %q: %s", want, s.errText())
}

// stop sends sig and returns the exit code.
func (s *started) stop(t *testing.T, sig os.Signal) int {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return s.cmd.ProcessState.ExitCode()
	case <-time.After(time.Minute):
		t.Fatalf("%v: still running a minute later; stderr: %s", sig, s.errText())
		return -1
	}
}

func TestStdioSaysWhatItWaitsForAndStopsCleanly(t *testing.T) {
	const waiting = "serving MCP on stdio: waiting for an MCP client on stdin (Ctrl-C to stop)"
	for _, sig := range []os.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			s := startBin(t, nil, "--sandbox")
			s.waitStderr(t, waiting)
			// A client is served before the signal comes.
			io.WriteString(s.stdin, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`+"\n")
			if line, err := s.stdout.ReadString('\n'); err != nil || !strings.Contains(line, `"serverInfo"`) {
				t.Fatalf("initialize: %v: %q", err, line)
			}
			if code := s.stop(t, sig); code != 0 {
				t.Errorf("exit %d after %v, want 0", code, sig)
			}
			lines := strings.Split(strings.TrimSpace(s.errText()), "\n")
			if len(lines) != 2 || !strings.Contains(lines[0], waiting) || !strings.Contains(lines[1], "msg=stopped signal="+sig.String()) {
				t.Errorf("stderr: want the waiting line and one stopped line, got:\n%s", s.errText())
			}
		})
	}
	// The client closing stdin ends it as cleanly.
	s := startBin(t, nil, "--sandbox")
	s.waitStderr(t, waiting)
	s.stdin.Close()
	if err := s.cmd.Wait(); err != nil {
		t.Fatalf("stdin closed: %v: %s", err, s.errText())
	}
	if !strings.Contains(s.errText(), "stopped: the client closed stdin") {
		t.Errorf("stdin closed: %s", s.errText())
	}
}

func TestHTTPStopsCleanly(t *testing.T) {
	for _, sig := range []os.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			s := startBin(t, nil, "--sandbox", "--http", "127.0.0.1:0")
			s.waitStderr(t, "serving streamable HTTP")
			if code := s.stop(t, sig); code != 0 {
				t.Errorf("exit %d after %v, want 0", code, sig)
			}
			if errs := s.errText(); !strings.Contains(errs, "msg=stopped signal="+sig.String()) || strings.Contains(errs, "context canceled") {
				t.Errorf("stderr: %s", errs)
			}
		})
	}
}

// --audit-log makes its folder (0700) where it is missing, as on a fresh
// machine, and the audit trail lands there.
func TestAuditLogMakesItsFolder(t *testing.T) {
	home := t.TempDir()
	path := filepath.Join(home, ".qualys-cs-mcp", "logs", "audit.jsonl")
	r := runBin(t, "", nil, "call", "--sandbox", "--yes", "--audit-log", path, "delete_sensors", `{"filter": "status:`+"`UNKNOWN`"+`"}`)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	for _, dir := range []string{filepath.Dir(path), filepath.Dir(filepath.Dir(path))} {
		if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v, mode %v: want a folder of mode 0700", dir, err, fi)
		}
	}
	if b, err := os.ReadFile(path); err != nil || !strings.Contains(string(b), `"tool":"delete_sensors"`) {
		t.Errorf("the audit log: %v: %s", err, b)
	}
	// A folder it cannot make is refused, naming the flag.
	r = runBin(t, "", nil, "--sandbox", "--audit-log", filepath.Join(path, "under-a-file", "audit.jsonl"))
	if r.code == 0 || !strings.Contains(r.errOut, "--audit-log") {
		t.Errorf("an impossible folder: exit %d: %s", r.code, r.errOut)
	}
}
