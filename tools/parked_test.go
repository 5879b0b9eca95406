package tools_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/consent"
)

// Destructive calls that wait for a person are bounded over HTTP: one
// session parks at most consent.MaxWaitingPerSession, and the next is
// refused at once; when the connection cap is reached, a parked call's
// connection gives way, so /healthz and a new session still get in.
// Nothing is deleted.
func TestParkedCallsAreBounded(t *testing.T) {
	e := NewEnv(t, EnvOptions{HTTP: true, Protocol: "2025-11-25", Flags: []string{"--max-conns", "10"}, EnvVars: alice(t).Env})
	sid := rawInitialize(t, e.Endpoint)
	calls := consent.MaxWaitingPerSession + 4
	done := make(chan string, calls)
	for i := range calls { // each on a connection of its own, as a client's concurrent calls are
		go func() {
			body := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"_meta":{"progressToken":"park-%d"},"name":"delete_sensor_profile","arguments":{"sensorProfileId":%q}}}`, 10+i, i, sandbox.NorthProfileID)
			done <- rawPost(e.Endpoint, sid, body)
		}()
		time.Sleep(150 * time.Millisecond) // parked before the next comes: the cap on connections is for newcomers
	}
	refused := 0
	for waiting := true; waiting; {
		select {
		case answer := <-done:
			if !strings.Contains(answer, "already wait") {
				t.Fatalf("a call past the cap: %s", answer)
			}
			refused++
		case <-time.After(time.Second): // the rest are parked: they wait for the person
			waiting = false
		}
	}
	if refused != calls-consent.MaxWaitingPerSession {
		t.Fatalf("%d of %d calls refused at once, want %d", refused, calls, calls-consent.MaxWaitingPerSession)
	}

	probe := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	health := strings.TrimSuffix(e.Endpoint, "/mcp") + "/healthz"
	for i := range 20 { // each on a new connection: past the cap, a parked call's gives way
		resp, err := probe.Get(health)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("/healthz probe %d: %v %v\n%s", i, resp, err, e.Stderr.String())
		}
		resp.Body.Close()
	}
	other := Dial(t, e.Endpoint, EnvOptions{Sandbox: e.SB, Protocol: "2025-11-25"})
	other.OK("list_sensor_profiles", map[string]any{})
	ended := 0
	for len(done) > 0 {
		if answer := <-done; strings.Contains(answer, `\"deleted\":true`) {
			t.Fatalf("a parked call deleted: %s", answer)
		}
		ended++
	}
	if ended == 0 {
		t.Fatal("no parked call gave way to the newcomers")
	}
	if n := e.SB.Count("DELETE", ""); n != 0 || !profileExists(other, sandbox.NorthProfileID) {
		t.Fatalf("%d deletes", n)
	}
	t.Logf("%d calls refused at once, %d parked calls ended to make room for 20 probes and a session", refused, ended)
}

// rawInitialize opens a session with plain HTTP requests: its ID.
func rawInitialize(t *testing.T, endpoint string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	sid := resp.Header.Get("Mcp-Session-Id")
	if sid == "" {
		t.Fatalf("initialize: %s", resp.Status)
	}
	rawPost(endpoint, sid, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	return sid
}

// rawPost posts one message of session sid on a connection of its own and
// reads the whole answer (an SSE stream to its end); a transport error is
// the answer's text.
func rawPost(endpoint, sid, body string) string {
	req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Session-Id", sid)
	req.Header.Set("MCP-Protocol-Version", "2025-11-25")
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Do(req)
	if err != nil {
		return "transport: " + err.Error()
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return string(b) + " transport: " + err.Error()
	}
	return string(b)
}
