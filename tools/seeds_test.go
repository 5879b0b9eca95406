package tools_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox/apicheck"
)

// sampleTool maps the release notes' sample requests to the tool that
// makes them: which tool, the path parameters it takes from the sample's
// path, and where the request the tool sends is not the sample's, what
// differs and why (these go to docs/api-notes.md too).
type sampleTool struct {
	method string
	path   *regexp.Regexp // the sample's path; its groups are the params, in order
	tool   string
	params []string
	// the documented differences between the sample and the tool's request
	wantPath string         // "" is the sample's
	addQuery url.Values     // the tool always sends these when the sample does not
	dropQ    []string       // sample query parameters the tool does not send
	addArgs  map[string]any // arguments the sample lacks and the tool needs
	sends    map[string]any // body members the tool sends otherwise than the sample
	why      string
	renamed  map[string]string // body fields sent under the newest document's name: "a.b" -> "c" sends a.b as a.c
	refused  string            // the sample is a template the tool refuses, naming this field, and nothing is sent
}

// The nulls a sample body may lose on the way: where the API takes absent
// and null alike, the server does not send null (null means "not given").
var nullsAlike = map[string]string{
	"filters[].days":                         "no age filter (v1.21 sample 2; the OpenAPI's days is optional)",
	"filters[].repoTags[].tag":               "every tag (v1.21 samples; the OpenAPI's tag is optional)",
	"additionalFilters":                      "no tag cap (v1.21 sample 1; the field is optional)",
	"updatedBy":                              "Qualys sets it on every update (v1.21 sample)",
	"entityAssignmentRequest.additionFilter": "ignored when idsToAdd is given (2026: Create an Exception)",
}

var pageDefaults = url.Values{"pageNumber": {"1"}, "pageSize": {"50"}}

// The blackout window's name: v1.21's samples write it
// weeklyInactiveWindowSchedules; the 2026 guide weeklyBlackoutWindowSchedules.
var blackoutWindow = map[string]string{"config.weeklyInactiveWindowSchedules": "weeklyBlackoutWindowSchedules"}

const blackoutWhy = "config.weeklyInactiveWindowSchedules (v1.21) is sent as weeklyBlackoutWindowSchedules, the 2026 guide's name for it"

const pagingWhy = "pageNumber=1 and pageSize=50 are sent where the sample has none (v1.17: pageSize \"(Required)\", default 50; pages from 1)"

const id = `([0-9a-f-]{12,36})`

var sampleTools = []sampleTool{
	{method: "POST", path: regexp.MustCompile(`^/sensorProfile$`), tool: "create_sensor_profile", renamed: blackoutWindow, why: blackoutWhy},
	{method: "PUT", path: regexp.MustCompile(`^/sensorProfile/` + id + `$`), tool: "update_sensor_profile", params: []string{"sensorProfileId"}, renamed: blackoutWindow, why: blackoutWhy},
	{method: "GET", path: regexp.MustCompile(`^/sensorProfile$`), tool: "list_sensor_profiles"},
	{method: "GET", path: regexp.MustCompile(`^/sensorProfile/` + id + `$`), tool: "get_sensor_profile", params: []string{"sensorProfileId"},
		dropQ: []string{"pageNo", "pageSize", "sort"}, why: "v1.21's details sample pages and sorts one profile: the v1.17 table takes only sensorProfileId, so none is sent"},
	{method: "GET", path: regexp.MustCompile(`^/sensorProfile/` + id + `/registry$`), tool: "list_sensor_profile_registries", params: []string{"sensorProfileId"}, addQuery: pageDefaults, why: pagingWhy},
	{method: "GET", path: regexp.MustCompile(`^/sensorProfile/` + id + `/sensor$`), tool: "list_sensor_profile_sensors", params: []string{"sensorProfileId"}, addQuery: pageDefaults, why: pagingWhy},
	{method: "GET", path: regexp.MustCompile(`^/sensorProfile/associate$`), tool: "list_associable_sensors",
		wantPath: "/sensorProfile/sensor/associate", addArgs: map[string]any{"sensorProfileType": "Registry"}, addQuery: url.Values{"sensorProfileType": {"Registry"}, "pageNumber": {"1"}, "pageSize": {"50"}},
		why: "v1.17's section says /sensorProfile/associate; its table and v1.21 say /sensorProfile/sensor/associate with sensorProfileType (v1.17 had only Registry profiles): v1.21 holds"},
	{method: "DELETE", path: regexp.MustCompile(`^/sensorProfile/` + id + `$`), tool: "delete_sensor_profile", params: []string{"sensorProfileId"}},
	{method: "GET", path: regexp.MustCompile(`^/sensors/profile/associate$`), tool: "list_associable_sensor_profiles", addQuery: pageDefaults, why: pagingWhy},
	{method: "GET", path: regexp.MustCompile(`^/sensorProfile/sensor/associate$`), tool: "list_associable_sensors", addQuery: url.Values{"pageNumber": {"1"}},
		dropQ: []string{"pageNo"}, why: "v1.21's sample sends pageNo=0: v1.3 takes only pageNumber (from 1), which is sent instead"},
	{method: "GET", path: regexp.MustCompile(`^/sensors$`), tool: "list_sensors"},
	{method: "GET", path: regexp.MustCompile(`^/sensors/` + `([0-9a-f-]{12,36})` + `$`), tool: "get_sensor", params: []string{"sensorId"}},
	{method: "PUT", path: regexp.MustCompile(`^/sensors/` + id + `/profile/` + id + `/attach$`), tool: "attach_sensor_profile", params: []string{"sensorId", "profileId"}},
	{method: "PUT", path: regexp.MustCompile(`^/sensors/` + id + `/profile/detach$`), tool: "detach_sensor_profile", params: []string{"sensorId"}},
	{method: "POST", path: regexp.MustCompile(`^/registry/` + id + `/schedule$`), tool: "create_registry_schedule", params: []string{"registryId"}},
	{method: "GET", path: regexp.MustCompile(`^/registry/` + id + `/schedule$`), tool: "list_registry_schedules", params: []string{"registryId"}},
}

// sampleIndex is the index of the mapping that makes sample s, or -1.
func sampleIndex(maps []sampleTool, s apicheck.Sample) int {
	return slices.IndexFunc(maps, func(m sampleTool) bool { return m.method == s.Method && m.path.MatchString(s.Path) })
}

// queryArgs turns a sample's query into the tool's arguments, each typed
// as the tool's schema types it (a URL's query is text).
func queryArgs(q url.Values, drop []string, props map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range q {
		if strings.Contains(strings.Join(drop, " "), k) {
			continue
		}
		out[k] = v[0]
		p, _ := props[k].(map[string]any)
		if p["type"] == "array" { // a repeated parameter
			out[k] = v
		}
		if n, err := strconv.Atoi(v[0]); err == nil && p["type"] == "integer" {
			out[k] = n
		}
		if b, err := strconv.ParseBool(v[0]); err == nil && p["type"] == "boolean" {
			out[k] = b
		}
	}
	return out
}

// renameAt moves, in a sample body, each field at a renamed path to its
// newer name, beside it.
func renameAt(v any, renamed map[string]string) {
	for from, to := range renamed {
		parts := strings.Split(from, ".")
		m, _ := v.(map[string]any)
		for _, p := range parts[:len(parts)-1] {
			m, _ = m[p].(map[string]any)
		}
		if old, ok := m[parts[len(parts)-1]]; ok {
			delete(m, parts[len(parts)-1])
			m[to] = old
		}
	}
}

// dropNullsAt removes the nulls at the nullsAlike paths of a sample body.
func dropNullsAt(v any, path string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := strings.TrimPrefix(path+"."+k, ".")
			if _, alike := nullsAlike[p]; alike && e == nil {
				delete(x, k)
				continue
			}
			dropNullsAt(e, p)
		}
	case []any:
		for _, e := range x {
			dropNullsAt(e, path+"[]")
		}
	}
}

// TestEverySeedSampleAsArguments passes every request sample of the
// release notes, as it stands, to the tool that makes it, and checks the
// request the sandbox then receives is the sample's: method, path, query
// and body, but for the differences sampleTools documents and the nulls
// of nullsAlike. A sample with no mapping fails the test.
func TestEverySeedSampleAsArguments(t *testing.T) {
	samples, err := apicheck.Samples(apicheck.Seeds()...)
	if err != nil {
		t.Fatal(err)
	}
	runSamples(t, NewEnv(t, EnvOptions{Elicit: Accept}), samples, sampleTools, "sampleTools")
	if len(samples) < 19 {
		t.Fatalf("only %d samples read", len(samples))
	}
}

// runSamples checks each sample with the tool the table maps it to
// (checkSample); a sample no entry maps, or an entry no sample matches,
// fails the test.
func runSamples(t *testing.T, e *Env, samples []apicheck.Sample, table []sampleTool, name string) {
	t.Helper()
	used := map[int]bool{}
	for _, s := range samples {
		i := sampleIndex(table, s)
		if i < 0 {
			t.Errorf("%s: a sample with no tool mapped to it (add it to %s)", s, name)
			continue
		}
		used[i] = true
		checkSample(t, e, s, table[i])
	}
	for k, m := range table {
		if !used[k] {
			t.Errorf("%s[%d] (%s %s) matches no sample", name, k, m.method, m.path)
		}
	}
}

// checkSample passes one documented sample, as it stands, to the tool m
// maps it to, and checks the request the sandbox then receives is the
// sample's: method, path, query and body, but for the differences m
// documents and the nulls of nullsAlike.
func checkSample(t *testing.T, e *Env, s apicheck.Sample, m sampleTool) {
	t.Helper()
	props := toolProps(t, m.tool)
	args := queryArgs(s.Query, m.dropQ, props)
	if s.Body != nil {
		if err := json.Unmarshal(s.Body, &args); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range m.addArgs {
		args[k] = v
	}
	for k, v := range m.path.FindStringSubmatch(s.Path)[1:] {
		args[m.params[k]] = v
	}
	before := len(e.SB.Requests())
	if m.refused != "" {
		if msg := e.Fail(m.tool, args); !strings.Contains(msg, `"`+m.refused+`"`) || len(e.SB.Requests()) != before {
			t.Errorf("%s (%s): the page's template: %s; %d requests sent", s, m.tool, msg, len(e.SB.Requests())-before)
		}
		return
	}
	out := e.OK(m.tool, args)
	wantPath := s.Path
	if m.wantPath != "" {
		wantPath = m.wantPath
	}
	var got *struct{ q, body string }
	n := 0
	for _, r := range e.SB.Requests()[before:] {
		if r.Method == s.Method && r.Path == wantPath {
			got, n = &struct{ q, body string }{r.Query, string(r.Body)}, n+1
		}
	}
	if n != 1 {
		t.Errorf("%s (%s): %d %s %s requests reached the sandbox, want 1", s, m.tool, n, s.Method, wantPath)
		return
	}
	wantQ := url.Values{}
	for k, v := range s.Query {
		if !strings.Contains(strings.Join(m.dropQ, " "), k) {
			wantQ[k] = v
		}
	}
	for k, v := range m.addQuery {
		if wantQ.Get(k) == "" {
			wantQ[k] = v
		}
	}
	if gotQ, _ := url.ParseQuery(got.q); !reflect.DeepEqual(gotQ, wantQ) && !(len(gotQ) == 0 && len(wantQ) == 0) {
		t.Errorf("%s (%s): query %v, want %v", s, m.tool, gotQ, wantQ)
	}
	var want, sent any
	if s.Body != nil {
		json.Unmarshal(s.Body, &want)
		dropNullsAt(want, "")
		renameAt(want, m.renamed)
		for k, v := range m.sends {
			want.(map[string]any)[k] = v
		}
	}
	if got.body != "" {
		json.Unmarshal([]byte(got.body), &sent)
	}
	if !reflect.DeepEqual(want, sent) {
		w, _ := json.Marshal(want)
		t.Errorf("%s (%s): body\n %s\nwant\n %s", s, m.tool, got.body, w)
	}
	if s.Body != nil && strings.Contains(string(s.Body), "createdBy") && !strings.Contains(fmt.Sprint(out["note"]), "createdBy") {
		t.Errorf("%s (%s): the note does not name the fields Qualys sets: %v", s, m.tool, out)
	}
}

// toolProps are the properties of a tool's validation schema.
func toolProps(t *testing.T, name string) map[string]any {
	t.Helper()
	for _, tl := range allTools(t) {
		if tl.Name == name {
			var schema map[string]any
			json.Unmarshal(validationSchema(t, tl), &schema)
			return schema["properties"].(map[string]any)
		}
	}
	t.Fatalf("no tool %s", name)
	return nil
}
