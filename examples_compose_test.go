package main

// examples/loadbalanced/compose.yaml and nginx.conf run as the deployment
// they describe, without a container runtime: Redis with compose's own
// command line (password, persistence), three replicas with compose's
// command and environment (its secrets as files), and nginx with the
// example's nginx.conf in front of them, each on loopback. Only the hosts
// move to loopback ports, and Qualys is the sandbox. An MCP client then
// talks to the balancer with the bearer token: every call works, and the
// three replicas log in once between them.

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// daemon starts a process for the test and stops it (SIGTERM, by its
// process id) when the test ends; its output goes to log.
func daemon(t *testing.T, log string, env []string, name string, args ...string) {
	t.Helper()
	f, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr, cmd.Env = f, f, env
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		f.Close()
	})
}

func TestComposeDeploymentRuns(t *testing.T) {
	for bin, pkg := range map[string]string{"redis-server": "redis-server", "nginx": "nginx-light"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s is not installed (.ci/run installs it: apt-get install -y %s): skipping compose.yaml's deployment", bin, pkg)
		}
	}
	compose, err := os.ReadFile("examples/loadbalanced/compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	u := freshUser(t)
	dir := t.TempDir()
	secrets := filepath.Join(dir, "secrets")
	os.Mkdir(secrets, 0o700)
	random := func() string {
		b := make([]byte, 32)
		rand.Read(b)
		return base64.StdEncoding.EncodeToString(b)
	}
	// What the file's header says to export and write before `docker compose up`.
	exports := map[string]string{"QUALYS_POD": "US2", "QUALYS_USERNAME": "me", "QUALYS_MCP_STATE_KEY": random(), "QUALYS_MCP_HTTP_TOKEN": random()}
	os.WriteFile(filepath.Join(secrets, "qualys_password"), []byte(examplePassword), 0o600)
	os.WriteFile(filepath.Join(secrets, "redis_password"), []byte(random()+"\n"), 0o600)
	redisPort := freePort(t)
	hosts := map[string]string{"redis:6379": "127.0.0.1:" + redisPort}
	local := func(s string) string {
		s = strings.ReplaceAll(s, "/run/secrets/", secrets+"/")
		for from, to := range hosts {
			s = strings.ReplaceAll(s, from, to)
		}
		return s
	}

	// Redis, with compose's command line.
	m := regexp.MustCompile(`(?m)^    command: \["sh", "-c", "(.*)"\]$`).FindStringSubmatch(string(compose))
	if m == nil {
		t.Fatal("compose.yaml: no redis command found")
	}
	var redisCmd string
	if err := json.Unmarshal([]byte(`"`+m[1]+`"`), &redisCmd); err != nil {
		t.Fatal(err)
	}
	redisCmd = local(strings.ReplaceAll(redisCmd, "$$", "$")) + " --bind 127.0.0.1 --port " + redisPort + " --dir " + dir
	daemon(t, filepath.Join(dir, "redis.log"), os.Environ(), "sh", "-c", redisCmd)
	waitListening(t, "127.0.0.1:"+redisPort)

	// Three replicas, with compose's command and environment.
	m = regexp.MustCompile(`(?m)^  command: (\[.*\])$`).FindStringSubmatch(string(compose))
	var args []string
	if m == nil || json.Unmarshal([]byte(m[1]), &args) != nil {
		t.Fatal("compose.yaml: no replica command found")
	}
	env := u.env(map[string]string{})
	for _, v := range regexp.MustCompile(`(?m)^    (QUALYS_[A-Z_]+): (.*)$`).FindAllStringSubmatch(string(compose), -1) {
		value := regexp.MustCompile(`\$\{([A-Z_]+):\?[^}]*\}`).ReplaceAllStringFunc(v[2], func(ref string) string {
			name := regexp.MustCompile(`[A-Z_]+`).FindString(ref)
			if _, ok := exports[name]; !ok {
				t.Fatalf("compose.yaml needs %s, which its header does not say to set", name)
			}
			return exports[name]
		})
		env = append(env, v[1]+"="+local(value))
	}
	env = append(env, "QUALYS_GATEWAY_URL="+u.gateway) // Qualys, played by the sandbox
	upstreams := map[string]string{}
	for i := 1; i <= 3; i++ {
		addr := "127.0.0.1:" + freePort(t)
		upstreams[fmt.Sprintf("replica-%d:8080", i)] = addr
		replica := append([]string{}, args...)
		for k, a := range replica {
			if a == "0.0.0.0:8080" {
				replica[k] = addr
			}
		}
		daemon(t, filepath.Join(dir, fmt.Sprintf("replica-%d.log", i)), env, filepath.Join(u.home, "go", "bin", "qualys-cs-mcp"), replica...)
	}
	for _, addr := range upstreams {
		waitListening(t, addr)
	}

	// nginx, with the example's nginx.conf as its site.
	site, err := os.ReadFile("examples/loadbalanced/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	lb := "127.0.0.1:" + freePort(t)
	conf := strings.Replace(string(site), "listen 8080;", "listen "+lb+";", 1)
	for from, to := range upstreams {
		if !strings.Contains(conf, "server "+from+";") {
			t.Fatalf("nginx.conf has no upstream %s", from)
		}
		conf = strings.ReplaceAll(conf, "server "+from+";", "server "+to+";")
	}
	os.WriteFile(filepath.Join(dir, "site.conf"), []byte(conf), 0o600)
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;" // its workers read the temporary folders below
	}
	main := fmt.Sprintf(`%s
daemon off;
pid %[2]s/nginx.pid;
error_log %[2]s/nginx-error.log;
events {}
http {
    access_log off;
    client_body_temp_path %[2]s/client;
    proxy_temp_path %[2]s/proxy;
    include %[2]s/site.conf;
}
`, user, dir)
	os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(main), 0o600)
	daemon(t, filepath.Join(dir, "nginx.log"), os.Environ(), "nginx", "-p", dir, "-e", filepath.Join(dir, "nginx-error.log"), "-c", filepath.Join(dir, "nginx.conf"))
	waitListening(t, lb)

	// An MCP client through the balancer, as its users would reach it.
	client := &http.Client{Transport: withHeaders{map[string]string{"Authorization": "Bearer " + exports["QUALYS_MCP_HTTP_TOKEN"]}, http.DefaultTransport}}
	transport := func() mcp.Transport {
		return &mcp.StreamableClientTransport{Endpoint: "http://" + lb + "/mcp", HTTPClient: client, MaxRetries: -1}
	}
	if !u.speak("through nginx", transport()) {
		for _, log := range []string{"nginx-error.log", "replica-1.log", "replica-2.log", "replica-3.log", "redis.log"} {
			b, _ := os.ReadFile(filepath.Join(dir, log))
			t.Logf("%s:\n%s", log, b)
		}
		return
	}
	// Consecutive calls go round the three replicas; they log in once
	// between them, through Redis.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sess, err := mcp.NewClient(&mcp.Implementation{Name: "compose-user", Version: "1"}, nil).Connect(ctx, transport(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	before := u.sb.Count("GET", "/")
	for i := 0; i < 6; i++ {
		if res, err := sess.CallTool(ctx, &mcp.CallToolParams{Name: "list_sensors", Arguments: map[string]any{"pageSize": 1}}); err != nil || res.IsError {
			t.Fatalf("call %d through nginx: %v %+v", i+1, err, res)
		}
	}
	if n := u.sb.Count("GET", "/") - before; n != 6 {
		t.Errorf("6 calls through nginx sent %d requests to Qualys", n)
	}
	if n := u.sb.AuthCalls(); n != 1 {
		t.Errorf("the three replicas logged in to Qualys %d times; sharing the login on Redis, once", n)
	}
	// Without the token the balancer's answer is the replicas' refusal.
	resp, err := http.Post("http://"+lb+"/mcp", "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without the bearer token: HTTP %d, want 401", resp.StatusCode)
	}
}
