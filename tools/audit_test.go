package tools_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

func TestAuditLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	e := NewEnv(t, EnvOptions{Flags: append([]string{"--audit-log", path}, tokenFlags...)})
	e.OK("list_sensors", nil) // reads are not audited
	e.OK("attach_sensor_profile", map[string]any{"sensorId": freeGen, "profileId": general})
	args := map[string]any{"sensorProfileId": north}
	tok := tokenFlow(t, e, "delete_sensor_profile", args)
	e.Fail("delete_sensor_profile", with(args, "confirmation_token", tok+"x"))
	e.OK("delete_sensor_profile", with(args, "confirmation_token", tok))

	events := auditEvents(t, path, tok)
	want := []string{"attach_sensor_profile:call:ok", "delete_sensor_profile:guard:token issued", "delete_sensor_profile:guard:token refused",
		"delete_sensor_profile:call:error", "delete_sensor_profile:guard:consented:model/token", "delete_sensor_profile:call:ok"}
	if strings.Join(events, ",") != strings.Join(want, ",") {
		t.Fatalf("audit events:\n%v\nwant\n%v", events, want)
	}
}

// A read-only server refuses a destructive call even with a valid token
// from another replica: the tool does not exist there.
func TestReadOnlyRefusesDestructiveWithToken(t *testing.T) {
	sb := sandbox.New(sandbox.Options{Username: "tester", Password: "canary-pass-7f3a"})
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
// consent), checking every line, and that secret is in none.
func auditEvents(t *testing.T, path, secret string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var events []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("not a JSON line: %s", sc.Text())
		}
		if line["time"] == nil || line["tool"] == nil {
			t.Fatalf("line lacks time or tool: %s", sc.Text())
		}
		if strings.Contains(sc.Text(), secret) {
			t.Fatal("a confirmation secret is in the audit log")
		}
		ev := line["tool"].(string) + ":" + line["event"].(string) + ":" + line["outcome"].(string)
		if line["outcome"] == "consented" {
			ev += ":" + line["detail"].(string) // who
		}
		events = append(events, ev)
	}
	return events
}

// The audit log names who consented: the user in the client's form, the
// user on the page; a page cancelled or expired is no consent.
func TestAuditNamesWhoConsented(t *testing.T) {
	dir := t.TempDir()
	formLog, pageLog := filepath.Join(dir, "form.jsonl"), filepath.Join(dir, "page.jsonl")
	form := NewEnv(t, EnvOptions{Elicit: Accept, Flags: []string{"--audit-log", formLog}})
	form.OK("delete_sensor_profile", map[string]any{"sensorProfileId": north})

	page := NewEnv(t, EnvOptions{Flags: []string{"--audit-log", pageLog}})
	args := map[string]any{"sensorProfileId": general}
	link := pageLink(t, page.OK("delete_sensor_profile", args))
	decideOnPage(t, link, "cancel")
	page.OK("delete_sensor_profile", args)
	link = pageLink(t, page.OK("delete_sensor_profile", args))
	decideOnPage(t, link, "confirm")
	page.OK("delete_sensor_profile", args)

	for _, c := range []struct {
		path string
		id   string
		want []string
	}{
		{formLog, "\x00", []string{"guard:preview shown", "guard:consented:human/form", "call:ok"}},
		{pageLog, strings.TrimPrefix(link[strings.LastIndex(link, "/"):], "/"), []string{"guard:preview shown", "guard:declined", "call:ok",
			"guard:preview shown", "guard:consented:human/page", "call:ok"}},
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
