package tools_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

func TestOneAuthForConcurrentCalls(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	var wg sync.WaitGroup
	errs := make(chan string, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if res := e.Call("list_sensors", map[string]any{"pageSize": 1}); res.IsError {
				errs <- Text(res)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Fatal(msg)
	}
	if n := e.SB.AuthCalls(); n != 1 {
		t.Fatalf("/auth calls: %d, want 1", n)
	}
}

func TestExpiredTokenRenewsOnce(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	e.OK("list_sensors", nil)
	e.SB.ExpireTokens()
	e.OK("list_sensors", nil)
	if n := e.SB.AuthCalls(); n != 2 {
		t.Fatalf("/auth calls: %d, want 2", n)
	}
	if n := e.SB.Count("GET", "/sensors"); n != 3 {
		t.Fatalf("GET /sensors: %d, want 3 (one repeated after renewal)", n)
	}
}

func TestPermissionDenied(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	e.SB.Deny("CS.SENSOR.VIEW")
	msg := e.Fail("list_sensors", nil)
	if !strings.Contains(msg, "lacks permission CS.SENSOR.VIEW") || !strings.Contains(msg, "Manager can grant it") {
		t.Fatal(msg)
	}
}

func TestPostIsNeverRepeated(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	e.SB.Inject("POST", "/sensorProfile", sandbox.Fault{Status: 503}, sandbox.Fault{Status: 503})
	msg := e.Fail("create_sensor_profile", map[string]any{"profileName": "p", "profileType": "General", "associatedSensorIds": []string{freeGen}})
	if n := e.SB.Count("POST", "/sensorProfile"); n != 1 {
		t.Fatalf("POST sent %d times", n)
	}
	if !strings.Contains(msg, "may or may not have been applied") {
		t.Fatal(msg)
	}
	// a read is retried through the same faults
	e.SB.Inject("GET", "/sensors", sandbox.Fault{Status: 503}, sandbox.Fault{Status: 502, Header: map[string]string{"Retry-After": "0"}})
	e.OK("list_sensors", nil)
	if n := e.SB.Count("GET", "/sensors"); n != 3 {
		t.Fatalf("GET sent %d times, want 3", n)
	}
}

func TestBadCredentials(t *testing.T) {
	e := NewEnv(t, EnvOptions{EnvVars: []string{"QUALYS_PASSWORD=wrong-password-123"}})
	msg := e.Fail("list_sensors", nil)
	if !strings.Contains(msg, "QUALYS_USERNAME") || strings.Contains(msg, "wrong-password-123") {
		t.Fatal(msg)
	}
	if strings.Contains(e.Stderr.String(), "wrong-password-123") {
		t.Fatal("password in the logs")
	}
}

func TestPreIssuedToken(t *testing.T) {
	sb := NewSandbox(t, sandbox.Options{Username: "tester", Password: "canary-pass-7f3a"})
	e := NewEnv(t, EnvOptions{Sandbox: sb, EnvVars: []string{"QUALYS_TOKEN=" + sb.IssueToken(), "QUALYS_USERNAME=", "QUALYS_PASSWORD="}})
	e.OK("list_sensors", nil)
	if sb.AuthCalls() != 0 {
		t.Fatal("QUALYS_TOKEN should need no /auth call")
	}
}
