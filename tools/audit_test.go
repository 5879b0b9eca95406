package tools_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

func TestAuditLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	e := NewEnv(t, EnvOptions{Flags: append([]string{"--audit-log", path}, tokenFlags...)})
	e.OK("list_sensors", nil) // reads are not audited
	e.OK("attach_sensor_profile", map[string]any{"sensorId": freeGen, "profileId": general})
	e.OK("update_sensor_profile", map[string]any{"sensorProfileId": general, "description": "audited"})
	e.Inject("PUT", "/sensorProfile", sandbox.Fault{Status: 409})
	e.Fail("update_sensor_profile", map[string]any{"sensorProfileId": general, "description": "refused"})
	args := map[string]any{"sensorProfileId": north}
	tok := tokenFlow(t, e, "delete_sensor_profile", args)
	e.Fail("delete_sensor_profile", with(args, "confirmation_token", tok+"x"))
	e.OK("delete_sensor_profile", with(args, "confirmation_token", tok))

	events := auditEvents(t, path, tok)
	want := []string{"attach_sensor_profile:call:ok", "update_sensor_profile:call:ok", "update_sensor_profile:call:error",
		"delete_sensor_profile:guard:token issued", "delete_sensor_profile:guard:token refused",
		"delete_sensor_profile:call:error", "delete_sensor_profile:guard:consented:model/token", "delete_sensor_profile:call:ok"}
	if strings.Join(events, ",") != strings.Join(want, ",") {
		t.Fatalf("audit events:\n%v\nwant\n%v", events, want)
	}
	// what a reader needs: which target, what was sent, how Qualys answered
	trail, _ := os.ReadFile(path)
	lines := auditLines(t, trail)
	for i, w := range []struct{ target, detail string }{
		{`{"profileId":"` + general + `","sensorId":"` + freeGen + `"}`, "PUT /sensors/" + freeGen + "/profile/" + general + "/attach: HTTP 200"},
		{`{"profileUuid":"` + general + `","sensorProfileId":"` + general + `"}`, "PUT /sensorProfile/" + general + ": HTTP 200"},
		{`{"sensorProfileId":"` + general + `"}`, "PUT /sensorProfile/" + general + ": HTTP 409; Qualys rejected the request (HTTP 409)"},
	} {
		target, _ := json.Marshal(lines[i]["target"])
		if string(target) != w.target || !strings.HasPrefix(lines[i]["detail"].(string), w.detail) {
			t.Errorf("line %d: target %s, detail %q; want %s, %q", i, target, lines[i]["detail"], w.target, w.detail)
		}
	}
	// the handler's changes to its arguments do not reach the line
	if a := lines[1]["args"].(map[string]any); a["sensorProfileId"] != general || a["description"] != "audited" {
		t.Errorf("update_sensor_profile's arguments: %v", a)
	}
	if d := lines[7]["detail"]; d != "DELETE /sensorProfile/"+north+": HTTP 200" {
		t.Errorf("delete detail %q", d)
	}
}

// A read-only server refuses a destructive call even with a valid token
// from another replica: the tool does not exist there.
func TestReadOnlyRefusesDestructiveWithToken(t *testing.T) {
	sb := NewSandbox(t, sandbox.Options{Username: "tester", Password: "canary-pass-7f3a"})
	key := []string{"QUALYS_MCP_STATE_KEY=k"}
	a := NewEnv(t, EnvOptions{Sandbox: sb, EnvVars: key, Flags: tokenFlags})
	tok := tokenFlow(t, a, "delete_sensor_profile", map[string]any{"sensorProfileId": north})
	ro := NewEnv(t, EnvOptions{Sandbox: sb, EnvVars: key, Flags: []string{"--read-only"}})
	res, err := ro.S.ListTools(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tl := range res.Tools {
		if tl.Annotations == nil || !tl.Annotations.ReadOnlyHint {
			t.Errorf("--read-only lists %s", tl.Name)
		}
	}
	if !ro.Refused("delete_sensor_profile", map[string]any{"sensorProfileId": north, "confirmation_token": tok}) {
		t.Fatal("read-only server ran a destructive tool")
	}
	if !profileExists(ro, north) {
		t.Fatal("deleted")
	}
}

// auditEvents reads the audit log as tool:event:outcome (and who, for a
// consent), checking every line (auditLines), and that secret is in none.
func auditEvents(t *testing.T, path, secret string) []string {
	t.Helper()
	trail, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(trail), secret) {
		t.Fatal("a confirmation secret is in the audit log")
	}
	var events []string
	for _, line := range auditLines(t, trail) {
		if line["time"] == nil || line["tool"] == nil {
			t.Fatalf("line lacks time or tool: %v", line)
		}
		ev := line["tool"].(string) + ":" + line["event"].(string) + ":" + line["outcome"].(string)
		if line["outcome"] == "consented" {
			ev += ":" + line["detail"].(string) // who
		}
		events = append(events, ev)
	}
	return events
}

// auditLines parses an audit log and checks what every line must have:
// a call of a write or destructive tool names its target and, when it
// succeeded, the requests it sent and the status Qualys answered.
func auditLines(t *testing.T, trail []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(trail))
	sc.Buffer(nil, 1<<20)
	sent := regexp.MustCompile(`^((POST|PUT|DELETE|PATCH) /\S+: HTTP \d{3}(, |$))+$|^cancelled by the user`)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("not a JSON line: %s", sc.Text())
		}
		out = append(out, line)
		if line["event"] != "call" {
			continue
		}
		detail, _ := line["detail"].(string)
		target, _ := line["target"].(map[string]any)
		switch {
		case len(target) == 0:
			t.Errorf("%s: no target: %s", line["tool"], sc.Text())
		case line["outcome"] == "ok" && !sent.MatchString(detail):
			t.Errorf("%s: the detail does not say what was sent and answered: %q", line["tool"], detail)
		case line["outcome"] == "error" && len(detail) < 20:
			t.Errorf("%s: the detail does not say why it failed: %q", line["tool"], detail)
		}
	}
	return out
}

// The audit log names who consented: the user in the client's form, the
// person on the page by their passkey's name; a page cancelled or expired
// is no consent.
func TestAuditNamesWhoConsented(t *testing.T) {
	dir := t.TempDir()
	formLog, pageLog := filepath.Join(dir, "form.jsonl"), filepath.Join(dir, "page.jsonl")
	form := NewEnv(t, EnvOptions{Elicit: Accept, Flags: []string{"--audit-log", formLog}})
	form.OK("delete_sensor_profile", map[string]any{"sensorProfileId": north})

	user := alice(t)
	page := NewEnv(t, EnvOptions{Flags: []string{"--audit-log", pageLog}, EnvVars: user.Env})
	args := map[string]any{"sensorProfileId": general}
	link := pageLink(t, page.OK("delete_sensor_profile", args))
	cancelOnPage(t, link)
	page.OK("delete_sensor_profile", args)
	link = pageLink(t, page.OK("delete_sensor_profile", args))
	user.confirm(t, link)
	page.OK("delete_sensor_profile", args)

	for _, c := range []struct {
		path string
		id   string
		want []string
	}{
		{formLog, "\x00", []string{"guard:preview shown", "guard:consented:human/form", "call:ok"}},
		{pageLog, strings.TrimPrefix(link[strings.LastIndex(link, "/"):], "/"), []string{"guard:preview shown", "guard:declined", "call:ok",
			"guard:preview shown", "guard:consented:human/passkey:alice", "call:ok"}},
	} {
		got := auditEvents(t, c.path, c.id) // a page's id opens it: it is not logged
		for i := range got {
			got[i] = strings.TrimPrefix(got[i], "delete_sensor_profile:")
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s:\n%v\nwant\n%v", filepath.Base(c.path), got, c.want)
		}
	}
}
