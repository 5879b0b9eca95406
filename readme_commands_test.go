package main

// The shell commands of the README and docs/ run as written: the binary's
// (as built by `go build -o qualys-cs-mcp .`, run as ./qualys-cs-mcp) when
// they need no Qualys account, and the MCP Inspector's --cli ones when
// Node 22 and the pinned Inspector are installed (.ci/run installs them);
// every other command of ours has its flags checked.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// docFiles are the README and the pages of docs/.
func docFiles(t *testing.T) []string {
	t.Helper()
	pages, _ := filepath.Glob("docs/*.md")
	if len(pages) < 5 {
		t.Fatalf("docs/: %v", pages)
	}
	return append([]string{"README.md"}, pages...)
}

// shBlock is one ```sh block: its file and its commands, comments taken
// off and continued lines joined.
type shBlock struct {
	file  string
	lines []string
}

func shBlocks(t *testing.T) []shBlock {
	t.Helper()
	var blocks []shBlock
	readme := 0
	for _, f := range docFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(string(b), -1) {
			var lines []string
			cont := ""
			for _, l := range strings.Split(m[1], "\n") {
				l = strings.TrimSpace(regexp.MustCompile(`\s+#\s.*$`).ReplaceAllString(l, ""))
				if more, ok := strings.CutSuffix(l, "\\"); ok {
					cont += more
					continue
				}
				if l = cont + l; l != "" {
					lines = append(lines, l)
				}
				cont = ""
			}
			blocks = append(blocks, shBlock{f, lines})
			if f == "README.md" {
				readme++
			}
		}
	}
	if readme < 3 {
		t.Fatalf("README.md: %d sh blocks", readme)
	}
	return blocks
}

// pinnedInspector is the Inspector version .ci/tools.sh installs.
func pinnedInspector(t *testing.T) string {
	b, err := os.ReadFile(".ci/tools.sh")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^INSPECTOR_VERSION=(\S+)`).FindSubmatch(b)
	if m == nil {
		t.Fatal(".ci/tools.sh pins no INSPECTOR_VERSION")
	}
	return string(m[1])
}

// inspector finds the installed Inspector and a PATH with Node 22.19+,
// or says why not.
func inspector(version string) (bin, path, missing string) {
	bin = os.Getenv("QUALYS_CS_MCP_INSPECTOR")
	if bin == "" {
		bin, _ = filepath.Abs(filepath.Join(".ci/npm", "@modelcontextprotocol+inspector@"+version, "node_modules/.bin/mcp-inspector"))
	}
	if _, err := os.Stat(bin); err != nil {
		return "", "", "the MCP Inspector " + version + " is not installed (.ci/run installs it: . .ci/tools.sh; npm_tool @modelcontextprotocol/inspector " + version + ")"
	}
	path, node := os.Getenv("PATH"), "node"
	if node22, _ := filepath.Abs(".ci/node22/node_modules/node/bin"); fileExists(filepath.Join(node22, "node")) {
		path, node = node22+string(os.PathListSeparator)+path, filepath.Join(node22, "node")
	}
	cmd := exec.Command(node, "-e", "const [a,b]=process.versions.node.split('.').map(Number); process.exit(a>22||(a==22&&b>=19)?0:1)")
	cmd.Env = append(os.Environ(), "PATH="+path)
	if cmd.Run() != nil {
		return "", "", "Node 22.19 or newer is not on PATH (.ci/run installs it: . .ci/tools.sh; use_node22)"
	}
	return bin, path, ""
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// binArgs checks a ./qualys-cs-mcp command's arguments: the subcommand and
// its positional arguments, and flags the binary has.
func (c checker) binArgs(line string, words []string) {
	var flags []string
	var pos []string
	for i := 0; i < len(words); i++ {
		w := words[i]
		if w == "<" || w == "&" {
			break
		}
		if strings.HasPrefix(w, "-") && w != "-" {
			flags = append(flags, w)
			name, _, inline := strings.Cut(strings.TrimLeft(w, "-"), "=")
			if c.flags[name] && !inline && i+1 < len(words) {
				flags = append(flags, words[i+1])
				i++
			}
			continue
		}
		pos = append(pos, w)
	}
	c.args(line, flags)
	switch {
	case len(pos) == 0:
	case pos[0] == "tools" && len(pos) == 1:
	case pos[0] == "call" && (len(pos) == 2 || len(pos) == 3):
		if len(pos) == 3 && pos[2] != "-" && !json.Valid([]byte(pos[2])) {
			c.t.Errorf("%s: the arguments are not JSON", line)
		}
	default:
		c.t.Errorf("%s: positional arguments %q", line, pos)
	}
}

func TestREADMECommandsRun(t *testing.T) {
	c := checker{t: t, flags: flagsFromHelp(t), env: envNames(t)}
	version := pinnedInspector(t)
	npx := "npx @modelcontextprotocol/inspector@"
	dir := filepath.Dir(binary) // holds the binary as ./qualys-cs-mcp
	if filepath.Base(binary) != "qualys-cs-mcp" {
		t.Fatalf("the test binary is %s", binary)
	}
	ran := 0
	for _, block := range shBlocks(t) {
		var background []*exec.Cmd
		for _, line := range block.lines {
			words := shellWords(line)
			run, env, path := false, os.Environ(), ""
			switch {
			case line == "go build -o qualys-cs-mcp .", line == "go test ./...", line == "go install .", line == "bash .ci/run":
				continue // what every test run does, or CI
			case strings.HasPrefix(line, "go run . "):
				c.binArgs(line, words[3:])
				continue
			case regexp.MustCompile(`^go test \./tools(/[a-z/]+)? -run '\^\$' -bench `).MatchString(line):
				if _, err := os.Stat(strings.TrimPrefix(words[2], "./")); err != nil {
					t.Errorf("%s: %q: no package %s", block.file, line, words[2])
				}
				continue // the benchmarks of the Performance section
			case strings.HasPrefix(line, "claude mcp add "):
				c.claudeCodeLines(block.file, line)
				continue
			case strings.HasPrefix(line, "printf ") && strings.HasSuffix(line, " | go run . --sandbox"):
				line = strings.TrimSuffix(line, "go run . --sandbox") + "./qualys-cs-mcp --sandbox"
				run = true
			case strings.HasPrefix(line, "curl -s http://127.0.0.1:"):
				if addr := strings.TrimPrefix(strings.Fields(line)[2], "http://"); !slices.ContainsFunc(block.lines, func(l string) bool { return strings.Contains(l, " --metrics "+strings.Split(addr, "/")[0]) }) {
					t.Errorf("%s: %q scrapes no --metrics listener of its block", block.file, line)
				}
				continue
			case regexp.MustCompile(`^OTEL_[A-Z_]+=\S+ \./qualys-cs-mcp `).MatchString(line): // the OpenTelemetry SDK's variables
				line = line[strings.Index(line, "./qualys-cs-mcp"):]
				words = shellWords(line)
				c.binArgs(line, words[1:])
				run = slices.Contains(words, "--sandbox")
			case strings.HasPrefix(line, "./qualys-cs-mcp"):
				c.binArgs(line, words[1:])
				run = (slices.Contains(words, "--sandbox") || len(words) > 1 && words[1] == "tools") && !slices.Contains(words, "<")
			case strings.HasPrefix(line, npx):
				if v, _, _ := strings.Cut(strings.TrimPrefix(words[1], "@modelcontextprotocol/inspector@"), " "); v != version {
					t.Errorf("%s: Inspector %s; .ci/tools.sh pins %s", line, v, version)
				}
				if slices.Contains(words, "--cli") && words[2] != "--cli" {
					t.Errorf("%s: Inspector 2.x takes --cli first", line)
				}
				target := words[2]
				if target == "--cli" {
					target = words[3]
				}
				if strings.HasPrefix(target, "./") {
					end := slices.Index(words, "--method")
					if end < 0 {
						end = len(words)
					}
					c.binArgs(line, words[slices.Index(words, target)+1:end])
				}
				if words[2] != "--cli" {
					continue // the web UI: it serves a page and opens a browser
				}
				bin, p, missing := inspector(version)
				if missing != "" {
					t.Logf("not run (%s): %s", missing, line)
					continue
				}
				line = strings.Replace(line, npx+version, "'"+bin+"'", 1)
				path, run = p, true
			default:
				t.Errorf("%s: %q is neither run nor checked by this test; add a case", block.file, line)
				continue
			}
			if !run {
				continue
			}
			for i, kv := range env {
				if strings.HasPrefix(kv, "QUALYS_") {
					env[i] = "IGNORED_" + kv
				}
				if path != "" && strings.HasPrefix(kv, "PATH=") {
					env[i] = "PATH=" + path
				}
			}
			if bg, ok := strings.CutSuffix(line, " &"); ok {
				addr := ""
				if m := regexp.MustCompile(`--http (\S+)`).FindStringSubmatch(bg); m != nil {
					addr = m[1]
				}
				if l, err := net.Listen("tcp", addr); err != nil {
					t.Logf("not run, %s is taken: %s", addr, line)
					background = nil
					break // the rest of the block needs this server
				} else {
					l.Close()
				}
				cmd := exec.Command("bash", "-c", "exec "+bg)
				cmd.Dir, cmd.Env = dir, env
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				background = append(background, cmd)
				waitListening(t, addr)
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			cmd := exec.CommandContext(ctx, "bash", "-c", line)
			cmd.Dir, cmd.Env = dir, env
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			err := cmd.Run()
			cancel()
			ran++
			text := strings.TrimSpace(out.String())
			switch {
			case err != nil:
				t.Errorf("%s: %v\nstdout: %s\nstderr: %s", line, err, text, errOut.String())
			case strings.HasPrefix(line, "printf "):
				answered(t, line, text)
			case strings.Contains(line, " tools") && !strings.Contains(line, " call ") && !strings.Contains(line, "--method"):
				if !strings.HasPrefix(text, "TOOL") {
					t.Errorf("%s: %q", line, text)
				}
			case !json.Valid([]byte(text)) || len(text) < 20:
				t.Errorf("%s: not a JSON answer: %q", line, text)
			}
		}
		for _, cmd := range background {
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
		}
	}
	if ran < 4 {
		t.Errorf("ran %d README commands", ran)
	}
}

// answered checks what a server wrote on stdout to the requests that line
// piped into it: one JSON-RPC result for each request with an id, in order.
func answered(t *testing.T, line, out string) {
	t.Helper()
	want := strings.Count(line, `"id":`)
	var got []string
	for _, l := range strings.Split(out, "\n") {
		var m struct {
			ID     json.RawMessage `json:"id"`
			Result json.RawMessage `json:"result"`
		}
		if err := json.Unmarshal([]byte(l), &m); err != nil || m.Result == nil {
			t.Errorf("%s: not a JSON-RPC result: %.300s", line, l)
		}
		got = append(got, string(m.ID))
	}
	if len(got) != want || want < 2 || got[len(got)-1] != fmt.Sprint(want) {
		t.Errorf("%s: answers to ids %v, want %d in order", line, got, want)
	}
}

// waitListening waits until something accepts connections on addr.
func waitListening(t *testing.T, addr string) {
	t.Helper()
	for range 200 {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s", addr)
}

// docs/conformance.md names every conformance scenario .ci/conformance.sh runs or
// leaves out, and the versions it pins.
func TestREADMEConformance(t *testing.T) {
	script, err := os.ReadFile(".ci/conformance.sh")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("docs/conformance.md")
	if err != nil {
		t.Fatal(err)
	}
	tools, _ := os.ReadFile(".ci/tools.sh")
	n := 0
	for _, list := range []string{"APPLIES", "APPLIES_PRE", "NOT_APPLICABLE"} {
		m := regexp.MustCompile(`(?s)\n` + list + `=\(([^)]*)\)`).FindSubmatch(script)
		if m == nil {
			t.Fatalf(".ci/conformance.sh has no %s list", list)
		}
		for _, s := range strings.Fields(string(m[1])) {
			n++
			if !strings.Contains(string(readme), "`"+s+"`") {
				t.Errorf("docs/conformance.md does not name the conformance scenario %s (%s)", s, list)
			}
		}
	}
	if n < 30 {
		t.Errorf("%d scenarios in .ci/conformance.sh", n)
	}
	for _, pin := range []string{"CONFORMANCE_VERSION", "CONFORMANCE_PRE"} {
		m := regexp.MustCompile(`(?m)^` + pin + `=(\S+)`).FindSubmatch(tools)
		if m == nil || !strings.Contains(string(readme), "conformance` "+string(m[1])) && !strings.Contains(string(readme), "pre-release "+string(m[1])) {
			t.Errorf("docs/conformance.md does not name %s %s", pin, m)
		}
	}
}
