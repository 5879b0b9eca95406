// Command deepjson measures the deepest JSON each entry point of the real
// binary survives (issue 22), on loopback only:
//
//	go run ./bench/deepjson                      # builds the server, probes 1M, 1.5M, 2.1M and 4M levels
//	go run ./bench/deepjson -depths 2100000 -only http
//	go run ./bench/deepjson -depths 65,100,9000 -balanced  # valid JSON just past the limits
//
// For each entry point and depth it starts the binary with --sandbox
// (over stdio, or --http 127.0.0.1:0), sends one message that opens that
// many '[' where the entry point parses (and as many ']' with -balanced), then a ping (stdio) or GET
// /healthz (HTTP), and prints how the message was answered and whether
// the process lived on. Nothing is asserted: the figures go in the notes.
package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

const initialize = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"deepjson","version":"1"}}}`

// probe is one entry point: the message that reaches it with depth '['.
type probe struct {
	name, where string
	message     func(deep string) string
}

func call(tool, args string) string {
	return `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"` + tool + `","arguments":` + args + `}}`
}

var probes = []probe{
	{"stdio line", "mcp-go's stdio reader (encoding/json)", func(d string) string {
		return call("list_sensors", `{"filter":`+d+`}`)
	}},
	{"stdio secret argument", "tools: secretValues (a secret argument's value parsed)", func(d string) string {
		return call("list_sensors", `{"password":"`+d+`"}`)
	}},
	{"stdio cursor", "tools: openCursor (a cursor's decoded text parsed)", func(d string) string {
		return call("list_images", `{"cursor":"`+base64.RawURLEncoding.EncodeToString([]byte(`{"t":"list_images","a":{"x":`+d))+`"}`)
	}},
	{"http initialize", "tools: isInitialize (the body, before mcp-go)", func(d string) string {
		return `{"jsonrpc":"2.0","id":1,"method":"initialize","params":` + d + `}`
	}},
	{"http body", "mcp-go's streamable HTTP parse (encoding/json)", func(d string) string {
		return call("list_sensors", `{"filter":`+d+`}`)
	}},
	{"http secret argument", "tools: secretValues", func(d string) string {
		return call("list_sensors", `{"password":"`+d+`"}`)
	}},
}

func main() {
	bin := flag.String("bin", "", "the server binary (default: build it)")
	depths := flag.String("depths", "1000000,1500000,2100000,4000000", "comma-separated depths")
	only := flag.String("only", "", "probe only the entry points whose name contains this")
	balanced := flag.Bool("balanced", false, "close the arrays too (valid JSON) instead of only opening them")
	flag.Parse()
	if *bin == "" { // build it
		*bin = filepath.Join(os.TempDir(), "deepjson-qualys-cs-mcp")
		if out, err := exec.Command("go", "build", "-o", *bin, ".").CombinedOutput(); err != nil {
			fail(fmt.Errorf("go build: %v\n%s", err, out))
		}
	}
	fmt.Printf("%-22s %-9s %-45s %s\n", "entry point", "depth", "answer", "process")
	for _, p := range probes {
		if !strings.Contains(p.name, *only) {
			continue
		}
		for _, s := range strings.Split(*depths, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				fail(err)
			}
			deep := strings.Repeat("[", n)
			if *balanced {
				deep += strings.Repeat("]", n)
			}
			msg := p.message(deep)
			var answer, state string
			if strings.HasPrefix(p.name, "http") {
				answer, state = overHTTP(*bin, msg, p.name == "http initialize")
			} else {
				answer, state = overStdio(*bin, msg)
			}
			fmt.Printf("%-22s %-9d %-45s %s\n", p.name, n, answer, state)
		}
	}
}

// overStdio sends the message and a ping; the process lives if both are
// answered (a tool call runs beside the ping).
func overStdio(bin, msg string) (answer, state string) {
	cmd := exec.Command(bin, "--sandbox", "--log-level", "error")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		fail(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 64<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	go func() {
		io.WriteString(stdin, initialize+"\n"+`{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n")
		io.WriteString(stdin, msg+"\n")
		io.WriteString(stdin, `{"jsonrpc":"2.0","id":99,"method":"ping"}`+"\n")
	}()
	answer = "none"
	pinged := false
	timeout := time.After(2 * time.Minute)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				cmd.Wait()
				return answer, died(cmd, stderr.String())
			}
			var m struct {
				ID     any `json:"id"`
				Error  *struct{ Code int }
				Result struct{ IsError bool }
			}
			json.Unmarshal([]byte(line), &m)
			switch id := fmt.Sprint(m.ID); {
			case id == "99":
				pinged = true
			case id == "1":
			case m.Error != nil:
				answer = fmt.Sprintf("JSON-RPC error %d", m.Error.Code)
			case id == "2":
				answer = "tool result, isError " + strconv.FormatBool(m.Result.IsError)
			}
			if pinged && answer != "none" {
				return answer, "lives (ping answered)"
			}
		case <-timeout:
			return answer, "no answer in 2 min"
		}
	}
}

// overHTTP posts the message (in a session, unless it is the initialize
// itself), then asks /healthz.
func overHTTP(bin, msg string, isInit bool) (answer, state string) {
	cmd := exec.Command(bin, "--sandbox", "--http", "127.0.0.1:0")
	errs, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		fail(err)
	}
	defer cmd.Process.Kill()
	var log bytes.Buffer
	addr, scanned := make(chan string, 1), make(chan struct{})
	go func() {
		defer close(scanned)
		re := regexp.MustCompile(`addr=http://(\S+)/mcp`)
		sc := bufio.NewScanner(errs)
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case <-time.After(30 * time.Second):
		fail(fmt.Errorf("the server did not start"))
	}
	c := &http.Client{Timeout: 2 * time.Minute}
	session := ""
	if !isInit {
		_, hdr, _ := post(c, base+"/mcp", "", initialize)
		session = hdr.Get("Mcp-Session-Id")
		post(c, base+"/mcp", session, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	}
	status, _, body := post(c, base+"/mcp", session, msg)
	answer = "no answer"
	if status != 0 {
		answer = fmt.Sprintf("HTTP %d %s", status, summary(body))
	}
	resp, err := c.Get(base + "/healthz")
	if err == nil && resp.StatusCode == 200 {
		resp.Body.Close()
		return answer, "lives (/healthz 200)"
	}
	<-scanned
	cmd.Wait()
	return answer, died(cmd, log.String())
}

func post(c *http.Client, url, session, body string) (int, http.Header, string) {
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	if session != "" {
		req.Header.Set("Mcp-Session-Id", session)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, resp.Header, string(b)
}

var codeRE = regexp.MustCompile(`"code":(-?\d+)|"isError":true`)

// summary names a JSON-RPC error code or a tool error in an answer.
func summary(body string) string {
	if m := codeRE.FindStringSubmatch(body); m != nil {
		if m[1] != "" {
			return "JSON-RPC error " + m[1]
		}
		return "tool error"
	}
	return strings.TrimSpace(strings.SplitN(body, "\n", 2)[0])
}

// died says how the process ended, with the runtime's fatal line.
func died(cmd *exec.Cmd, stderr string) string {
	fatal := regexp.MustCompile(`(?m)^(fatal error|runtime: goroutine stack exceeds).*$`).FindString(stderr)
	return fmt.Sprintf("DIED (exit %d) %s", cmd.ProcessState.ExitCode(), fatal)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "deepjson:", err)
	os.Exit(1)
}
