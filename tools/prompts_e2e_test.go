package tools_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/prompts"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/toolsets"
)

func getPrompt(t *testing.T, e *Env, name string, args map[string]string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := e.S.GetPrompt(ctx, &mcp.GetPromptParams{Name: name, Arguments: args})
	if err != nil {
		return "", err
	}
	if len(res.Messages) != 1 || res.Messages[0].Role != "user" {
		t.Fatalf("%s: want one user message, got %+v", name, res.Messages)
	}
	tc, ok := res.Messages[0].Content.(*mcp.TextContent)
	if !ok || tc.Text == "" {
		t.Fatalf("%s: not a text message: %#v", name, res.Messages[0].Content)
	}
	return tc.Text, nil
}

func TestPromptsListAndGet(t *testing.T) {
	for _, http := range []bool{false, true} {
		e := NewEnv(t, EnvOptions{HTTP: http, Protocol: "2025-11-25"})
		if e.S.InitializeResult().Capabilities.Prompts == nil {
			t.Fatal("the prompts capability is not declared")
		}
		res, err := e.S.ListPrompts(context.Background(), &mcp.ListPromptsParams{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		required := map[string][]string{}
		for _, p := range res.Prompts {
			names = append(names, p.Name)
			if p.Description == "" || p.Title == "" || len(p.Arguments) == 0 {
				t.Errorf("%s: description, title and arguments are required: %+v", p.Name, p)
			}
			for _, a := range p.Arguments {
				if a.Description == "" {
					t.Errorf("%s.%s: no description", p.Name, a.Name)
				}
				if a.Required {
					required[p.Name] = append(required[p.Name], a.Name)
				}
			}
		}
		want := prompts.Names()
		slices.Sort(names)
		slices.Sort(want)
		if !slices.Equal(names, want) {
			t.Fatalf("prompts/list: %v, want %v", names, want)
		}
		if !slices.Equal(required["cve_exposure"], []string{"cve"}) || len(required["triage"]) != 0 ||
			!slices.Equal(required["sensor_profile_setup"], []string{"profileType", "profileName"}) {
			t.Errorf("required arguments: %v", required)
		}

		text, err := getPrompt(t, e, "cve_exposure", map[string]string{"cve": "CVE-2021-44228"})
		if err != nil || !strings.Contains(text, "vulnerabilities.cveids:`CVE-2021-44228`") || !strings.Contains(text, "list_images") {
			t.Fatalf("cve_exposure: %v: %s", err, text)
		}
		if _, err := getPrompt(t, e, "cve_exposure", nil); err == nil || !strings.Contains(err.Error(), `"cve" is required`) {
			t.Errorf("missing argument: %v", err)
		}
		if _, err := getPrompt(t, e, "sensor_health", map[string]string{"staleHours": "soon"}); err == nil || !strings.Contains(err.Error(), "staleHours") {
			t.Errorf("bad argument: %v", err)
		}
		if _, err := getPrompt(t, e, "no_such_prompt", nil); err == nil {
			t.Error("an unknown prompt answered")
		}
	}
}

// A server that offers only read tools offers only the prompts that read.
func TestPromptsFollowTheOfferedTools(t *testing.T) {
	for flags, want := range map[string][]string{
		"--read-only":                             {"cve_exposure", "sensor_health", "triage"},
		"--toolsets=sensors,sensor_profiles":      {"sensor_health", "sensor_profile_setup"},
		"--tools=list_sensors,get_sensor_profile": nil,
		"--toolsets=images,exceptions":            {"accept_risk"},
		"--toolsets=" + toolsets.DefaultToolsets:  {"accept_risk", "cve_exposure", "onboard_registry", "triage"},
	} {
		e := NewEnv(t, EnvOptions{Flags: []string{flags}})
		res, err := e.S.ListPrompts(context.Background(), &mcp.ListPromptsParams{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range res.Prompts {
			names = append(names, p.Name)
		}
		slices.Sort(names)
		if !slices.Equal(names, want) {
			t.Errorf("%s: prompts %v, want %v", flags, names, want)
		}
	}
}

// filtersFor finds the QQL a prompt gives a tool: "tool with filter `...`".
func filtersFor(text, tool string) []string {
	re := regexp.MustCompile(regexp.QuoteMeta(tool) + " with filter `(.+?)`[ .(,]")
	var out []string
	for _, m := range re.FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	return out
}

// The QQL the sensor health prompt teaches finds exactly the sensors it
// means on the sandbox.
func TestSensorHealthPromptQQLWorks(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	text, err := getPrompt(t, e, "sensor_health", map[string]string{"staleHours": "24"})
	if err != nil {
		t.Fatal(err)
	}
	filters := filtersFor(text, "list_sensors")
	if len(filters) != 2 {
		t.Fatalf("want the lost and the stale filter, got %q in %s", filters, text)
	}
	all := Items(e.OK("list_sensors", map[string]any{"pageSize": 1000}))
	uuids := func(items []map[string]any, keep func(map[string]any) bool) []string {
		var out []string
		for _, s := range items {
			if keep(s) {
				out = append(out, s["uuid"].(string))
			}
		}
		slices.Sort(out)
		return out
	}
	lost := uuids(all, func(s map[string]any) bool { return strings.EqualFold(s["status"].(string), "UNKNOWN") })
	stale := uuids(all, func(s map[string]any) bool {
		at, err := time.Parse(time.RFC3339, s["lastCheckedIn"].(string))
		return err == nil && time.Since(at) > 24*time.Hour
	})
	if len(lost) == 0 || len(stale) == 0 || len(stale) == len(all) {
		t.Fatalf("the sandbox has no lost or stale sensors to find: %v %v", lost, stale)
	}
	for i, want := range [][]string{lost, stale} {
		got := uuids(Items(e.OK("list_sensors", map[string]any{"filter": filters[i], "pageSize": 1000})), func(map[string]any) bool { return true })
		if !slices.Equal(got, want) {
			t.Errorf("filter %s: %v, want %v", filters[i], got, want)
		}
	}
}

// The profile the set-up prompt proposes is created as proposed.
func TestProfileSetupPromptCreates(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	text, err := getPrompt(t, e, "sensor_profile_setup", map[string]string{
		"profileType": "General", "profileName": "weekend-rest", "inactiveDays": "SATURDAY, SUNDAY", "inactiveStart": "01:00", "inactiveEnd": "05:00"})
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`Pass config (\{.*?\}) \(`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no config: %s", text)
	}
	var config map[string]any
	if err := json.Unmarshal([]byte(m[1]), &config); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range Items(e.OK("list_associable_sensors", map[string]any{"sensorProfileType": "General"})) {
		if v, _ := s["sensorVersion"].(string); atLeast(v, 1, 21) {
			ids = append(ids, s["uuid"].(string))
		}
	}
	if len(ids) == 0 {
		t.Fatal("no associable General sensor at 1.21.0+")
	}
	res := e.OK("create_sensor_profile", map[string]any{"profileName": "weekend-rest", "profileType": "General", "associatedSensorIds": ids, "config": config})
	got := e.OK("get_sensor_profile", map[string]any{"sensorProfileId": res["profileUuid"]})
	w := got["config"].(map[string]any)["weeklyBlackoutWindowSchedules"].([]any)[0].(map[string]any)
	if w["startTime"] != "01:00" || w["endTime"] != "05:00" || w["allDayToggle"] != false || len(w["repeatOnDays"].([]any)) != 2 {
		t.Fatalf("window: %v", w)
	}
}

// Where the images and containers tools are offered, the QQL the triage and
// CVE prompts give them is accepted.
func TestInventoryPromptQQLAccepted(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	res, err := e.S.ListTools(context.Background(), &mcp.ListToolsParams{})
	if err != nil {
		t.Fatal(err)
	}
	offered := map[string]bool{}
	for _, tl := range res.Tools {
		offered[tl.Name] = true
	}
	ran := 0
	for name, args := range map[string]map[string]string{
		"triage":       {"minSeverity": "4"},
		"cve_exposure": {"cve": "CVE-2021-44228"},
	} {
		text, err := getPrompt(t, e, name, args)
		if err != nil {
			t.Fatal(err)
		}
		for _, tool := range []string{"list_images", "list_containers"} {
			fs := filtersFor(text, tool)
			if len(fs) == 0 {
				t.Fatalf("%s gives %s no filter: %s", name, tool, text)
			}
			if !offered[tool] {
				continue
			}
			for _, f := range fs {
				e.OK(tool, map[string]any{"filter": f, "pageSize": 5})
				ran++
			}
		}
	}
	t.Logf("%d filters run", ran)
}

// atLeast reports whether a sensor version like "1.21.0-0" is at least
// major.minor.
func atLeast(version string, major, minor int) bool {
	var a, b int
	if _, err := fmt.Sscanf(version, "%d.%d", &a, &b); err != nil {
		return false
	}
	return a > major || (a == major && b >= minor)
}
