package main

// The client set-up examples and server.json must parse and name only flags
// the binary accepts (from its --help) and environment variables it reads
// (from the getenv calls of the code linked into the binary). The examples
// also run: examples_run_test.go and examples_compose_test.go.

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// envNames lists the environment variables the binary reads: the getenv
// calls in the project's files linked into the shipped binary.
func envNames(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if .Module}}{{if .Module.Main}}{{.Dir}}{{range .GoFiles}} {{.}}{{end}}{{end}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var files []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		for _, name := range f[1:] {
			files = append(files, filepath.Join(f[0], name))
		}
	}
	re := regexp.MustCompile(`(?i)getenv\("(QUALYS_[A-Z0-9_]+)"\)`)
	var names []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			if !slices.Contains(names, m[1]) {
				names = append(names, m[1])
			}
		}
	}
	for _, must := range []string{"QUALYS_USERNAME", "QUALYS_PASSWORD", "QUALYS_POD", "QUALYS_MCP_STATE_KEY"} {
		if !slices.Contains(names, must) {
			t.Fatalf("found no getenv(%q) in %v; the scan is broken", must, files)
		}
	}
	return names
}

// checker checks the flags and variables one example names.
type checker struct {
	t     *testing.T
	flags map[string]bool // name: takes a value
	env   []string
}

func (c checker) args(where string, args []string) {
	wantValue := false
	for _, a := range args {
		if wantValue {
			wantValue = false
			continue
		}
		if !strings.HasPrefix(a, "-") {
			c.t.Errorf("%s: %q is neither a flag nor a flag's value", where, a)
			continue
		}
		name, _, inline := strings.Cut(strings.TrimLeft(a, "-"), "=")
		takes, ok := c.flags[name]
		if !ok {
			c.t.Errorf("%s: the binary has no flag %q", where, a)
		}
		wantValue = takes && !inline
	}
	if wantValue {
		c.t.Errorf("%s: the last flag of %q has no value", where, args)
	}
}

func (c checker) vars(where string, env map[string]string) {
	for k := range env {
		if !slices.Contains(c.env, k) {
			c.t.Errorf("%s: the binary does not read %s (it reads %v)", where, k, c.env)
		}
	}
}

type stdioServer struct {
	Type    string            `json:"type"`
	Command string            `json:"command"`
	Args    []string          `json:"args"`
	Env     map[string]string `json:"env"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
}

func (c checker) server(where string, s stdioServer) {
	switch {
	case s.URL != "":
		if !regexp.MustCompile(`^https?://[^/]+/mcp$`).MatchString(s.URL) {
			c.t.Errorf("%s: url %q is not the server's /mcp endpoint", where, s.URL)
		}
	case strings.TrimSuffix(filepath.Base(s.Command), ".exe") != "qualys-cs-mcp":
		c.t.Errorf("%s: command %q, want qualys-cs-mcp (or its absolute path)", where, s.Command)
	}
	c.args(where, s.Args)
	c.vars(where, s.Env)
	for k, v := range s.Env {
		if strings.Contains(k, "PASSWORD") && !strings.HasSuffix(k, "_FILE") && !strings.HasPrefix(v, "${input:") {
			c.t.Errorf("%s: %s is written into the file; use QUALYS_PASSWORD_FILE or an input prompt", where, k)
		}
	}
}

// clientFile is an MCP client's configuration: Claude Desktop's and
// Cursor's mcpServers, or VS Code's servers and inputs.
type clientFile struct {
	MCPServers map[string]stdioServer `json:"mcpServers"`
	Servers    map[string]stdioServer `json:"servers"`
	Inputs     []input                `json:"inputs"`
}

type input struct {
	Type, ID, Description string
	Password              bool
}

func (f clientFile) servers() map[string]stdioServer {
	if f.Servers != nil {
		return f.Servers
	}
	return f.MCPServers
}

// clientFile parses a client's configuration and checks each server in it;
// an ${input:ID} must name a declared input, a password one for a secret.
func (c checker) clientFile(where string, raw []byte) clientFile {
	var f clientFile
	decodeJSON(c.t, where, raw, &f)
	if len(f.servers()) == 0 || f.Servers != nil && f.MCPServers != nil {
		c.t.Errorf("%s: want servers (VS Code) or mcpServers, one of them", where)
	}
	inputs := map[string]input{}
	for _, in := range f.Inputs {
		inputs[in.ID] = in
	}
	for name, s := range f.servers() {
		c.server(where+": "+name, s)
		for k, v := range s.Env {
			if id, ok := strings.CutPrefix(v, "${input:"); ok {
				if in, ok := inputs[strings.TrimSuffix(id, "}")]; !ok || in.Type != "promptString" || strings.Contains(k, "PASSWORD") && !in.Password {
					c.t.Errorf("%s: %s uses %s, which is not a (password) input prompt", where, k, v)
				}
			}
		}
	}
	return f
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	decodeJSON(t, path, b, v)
}

// decodeJSON decodes b into v, refusing fields v does not have.
func decodeJSON(t *testing.T, where string, b []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
}

func TestClientExamples(t *testing.T) {
	c := checker{t: t, flags: flagsFromHelp(t), env: envNames(t)}
	files, _ := filepath.Glob("examples/*")
	if len(files) < 4 {
		t.Fatalf("examples: %v", files)
	}
	seen := 0
	for _, f := range files {
		switch filepath.Base(f) {
		case "claude_desktop_config.json", "cursor-mcp.json", "vscode-mcp.json":
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			cfg := c.clientFile(f, raw)
			if filepath.Base(f) == "vscode-mcp.json" && !slices.ContainsFunc(cfg.Inputs, func(in input) bool { return in.Password }) {
				t.Errorf("%s: no password input prompt", f)
			}
			seen += len(cfg.servers())
		case "loadbalanced":
			seen += c.loadBalanced(f)
		case "claude-code.sh":
			if out, err := exec.Command("bash", "-n", f).CombinedOutput(); err != nil {
				t.Fatalf("%s: %v: %s", f, err, out)
			}
			seen += c.claudeCode(f)
		default:
			t.Errorf("%s: no check for this example; add one", f)
		}
	}
	if seen < 8 {
		t.Fatalf("checked only %d servers", seen)
	}
}

// claudeCode checks each `claude mcp add` line of the script.
func (c checker) claudeCode(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.claudeCodeLines(path, string(b))
}

// claudeCodeLines checks the `claude mcp add` lines of a text.
func (c checker) claudeCodeLines(path, text string) int {
	n := 0
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "claude mcp add ") {
			continue
		}
		n++
		words := shellWords(line)
		env := map[string]string{}
		var cmd []string
		for i := 3; i < len(words); i++ {
			switch w := words[i]; {
			case w == "-e" || w == "--env":
				k, v, _ := strings.Cut(words[i+1], "=")
				env[k] = v
				i++
			case w == "--":
				cmd = words[i+1:]
				i = len(words)
			}
		}
		c.vars(path, env)
		if cmd == nil {
			if !slices.Contains(words, "--transport") {
				c.t.Errorf("%s: %q runs no command and names no transport", path, line)
			}
			continue
		}
		if cmd[0] != "qualys-cs-mcp" {
			c.t.Errorf("%s: runs %q", path, cmd[0])
		}
		c.args(path, cmd[1:])
	}
	return n
}

// loadBalanced checks the load-balanced example: the script parses, and
// the replicas of the script and of compose.yaml use only flags and
// variables the binary has.
func (c checker) loadBalanced(dir string) int {
	// Each file runs in a test: run.sh builds and starts gateway/ and proxy/
	// (TestLoadBalancedExample); compose.yaml and nginx.conf run as a
	// deployment (TestComposeDeploymentRuns).
	exercised := []string{"compose.yaml", "gateway/main.go", "nginx.conf", "proxy/main.go", "run.sh"}
	var files []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, rel)
		}
		return err
	})
	if !slices.Equal(files, exercised) {
		c.t.Errorf("%s holds %v; the tests run %v: give a new file a test", dir, files, exercised)
	}
	script := filepath.Join(dir, "run.sh")
	if out, err := exec.Command("bash", "-n", script).CombinedOutput(); err != nil {
		c.t.Fatalf("%s: %v: %s", script, err, out)
	}
	b, _ := os.ReadFile(script)
	m := regexp.MustCompile(`"\$dir/qualys-cs-mcp" (.*) 2>`).FindStringSubmatch(string(b))
	if m == nil {
		c.t.Fatalf("%s: no replica command found", script)
	}
	c.args(script, shellWords(m[1]))
	env := map[string]string{}
	for _, v := range regexp.MustCompile(`(QUALYS_[A-Z_]+)=`).FindAllStringSubmatch(string(b), -1) {
		env[v[1]] = ""
	}
	c.vars(script, env)

	compose := filepath.Join(dir, "compose.yaml")
	b, _ = os.ReadFile(compose)
	cm := regexp.MustCompile(`(?m)^  command: (\[.*\])$`).FindStringSubmatch(string(b))
	var args []string
	if cm == nil || json.Unmarshal([]byte(cm[1]), &args) != nil {
		c.t.Fatalf("%s: no replica command found", compose)
	}
	c.args(compose, args)
	env = map[string]string{}
	for _, v := range regexp.MustCompile(`(?m)^    (QUALYS_[A-Z_]+):`).FindAllStringSubmatch(string(b), -1) {
		env[v[1]] = ""
	}
	if len(env) < 6 {
		c.t.Fatalf("%s: found only %v", compose, env)
	}
	c.vars(compose, env)
	if strings.Contains(string(b), "QUALYS_PASSWORD:") || strings.Contains(string(b), "STATE_PASSWORD:") {
		c.t.Errorf("%s: a password is written into the file; use a _FILE variable and a secret", compose)
	}
	return 2
}

// shellWords splits a line as the shell would, for quotes only.
func shellWords(line string) []string {
	var words []string
	var cur strings.Builder
	in, quote := false, rune(0)
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

func TestServerJSON(t *testing.T) {
	var s struct {
		Schema      string `json:"$schema"`
		Name        string `json:"name"`
		Title       string `json:"title"`
		Description string `json:"description"`
		Version     string `json:"version"`
		Repository  struct {
			URL    string `json:"url"`
			Source string `json:"source"`
		} `json:"repository"`
		Packages []struct {
			RegistryType     string                `json:"registryType"`
			Identifier       string                `json:"identifier"`
			Transport        struct{ Type string } `json:"transport"`
			PackageArguments []struct {
				Type, Name, Description, Default string
			} `json:"packageArguments"`
			EnvironmentVariables []struct {
				Name, Description string
				IsRequired        bool     `json:"isRequired"`
				IsSecret          bool     `json:"isSecret"`
				Choices           []string `json:"choices"`
			} `json:"environmentVariables"`
		} `json:"packages"`
	}
	readJSON(t, "server.json", &s)
	if !regexp.MustCompile(`^io\.github\.[a-zA-Z0-9-]+/[a-zA-Z0-9._-]+$`).MatchString(s.Name) ||
		!strings.HasSuffix(s.Repository.URL, "/"+strings.TrimPrefix(s.Name, "io.github.")) {
		t.Errorf("name %q does not match the repository %q", s.Name, s.Repository.URL)
	}
	if s.Version != version || len(s.Description) == 0 || len(s.Description) > 100 || !strings.Contains(s.Schema, "server.schema.json") {
		t.Errorf("version %q (binary: %s), description of %d bytes, schema %q", s.Version, version, len(s.Description), s.Schema)
	}
	c := checker{t: t, flags: flagsFromHelp(t), env: envNames(t)}
	if len(s.Packages) == 0 {
		t.Fatal("no packages")
	}
	for _, p := range s.Packages {
		if p.Transport.Type != "stdio" || !strings.HasSuffix(p.Identifier, ":"+version) {
			t.Errorf("package %s: transport %q, or its tag is not the version %s", p.Identifier, p.Transport.Type, version)
		}
		for _, a := range p.PackageArguments {
			// The registry passes a named argument as "--name value".
			if takes, ok := c.flags[strings.TrimLeft(a.Name, "-")]; a.Type != "named" || !ok || !takes {
				t.Errorf("server.json: argument %s is not a flag of the binary that takes a value", a.Name)
			}
		}
		for _, e := range p.EnvironmentVariables {
			c.vars("server.json", map[string]string{e.Name: ""})
			if strings.Contains(e.Name, "PASSWORD") != e.IsSecret {
				t.Errorf("server.json: %s isSecret %v", e.Name, e.IsSecret)
			}
		}
	}
}

// TestREADMEListsEveryFlag: docs/configuration.md's table names every flag
// the binary accepts.
func TestREADMEListsEveryFlag(t *testing.T) {
	doc, err := os.ReadFile("docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	for flag := range flagsFromHelp(t) {
		if !strings.Contains(string(doc), "| `--"+flag) {
			t.Errorf("docs/configuration.md does not document --%s", flag)
		}
	}
}

// The load-balanced example runs here: redis-server, the emulated gateway,
// three replicas and the balancer on loopback, and its --check behaves as
// one service (a token used once across replicas, one login).
func TestLoadBalancedExample(t *testing.T) {
	for _, bin := range []string{"redis-server", "curl"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s is not installed (.ci/run installs redis-server): skipping the load-balanced example", bin)
		}
	}
	var ports []string
	var listeners []net.Listener
	for i := 0; i < 6; i++ { // free loopback ports (held until all are picked)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		listeners = append(listeners, ln)
		ports = append(ports, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	}
	closeAll := func() {
		for _, ln := range listeners {
			ln.Close()
		}
	}
	defer closeAll()
	cmd := exec.Command("bash", "examples/loadbalanced/run.sh", "--check")
	cmd.Env = append(os.Environ(), "REDIS_PORT="+ports[0], "GATEWAY_PORT="+ports[1], "LB_PORT="+ports[2], "REPLICA_PORTS="+strings.Join(ports[3:], " "))
	cmd.WaitDelay = 10 * time.Second
	closeAll()
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "load-balanced example: OK") {
		t.Fatalf("run.sh --check: %v\n%s", err, out)
	}
}
