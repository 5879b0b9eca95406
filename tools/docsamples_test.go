package tools_test

import (
	"encoding/json"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox/apicheck"
)

// pageSamples maps the current pages' samples (2026) of the tags toolset,
// the bulk schedule deletion and the changed image and report operations
// to the tools that make them, as sampleTools does the release notes'.
// (The exceptions' and policies' samples have their own test.)
var pageSamples = []sampleTool{
	{method: "POST", path: regexp.MustCompile(`^/tag/create$`), tool: "create_tag"},
	{method: "PUT", path: regexp.MustCompile(`^/tag/update$`), tool: "update_tag"},
	{method: "POST", path: regexp.MustCompile(`^/tag/assign$`), tool: "assign_tags"},
	{method: "DELETE", path: regexp.MustCompile(`^/registry/` + id + `/schedule/bulk$`), tool: "delete_registry_schedules", params: []string{"registryId"}},
	{method: "GET", path: regexp.MustCompile(`^/images$`), tool: "list_images"},
	{method: "GET", path: regexp.MustCompile(`^/images/list$`), tool: "list_images_with_details"},
	{method: "GET", path: regexp.MustCompile(`^/images/([0-9a-f]{64})$`), tool: "get_image", params: []string{"imageSha"}},
	{method: "GET", path: regexp.MustCompile(`^/images/([0-9a-f]{12,64})/vuln$`), tool: "get_image_vulnerabilities", params: []string{"imageSha"}},
	{method: "GET", path: regexp.MustCompile(`^/images/([0-9a-f]{64})/compliance$`), tool: "get_image_compliance", params: []string{"imageSha"}},
	{method: "GET", path: regexp.MustCompile(`^/reports$`), tool: "list_reports"},
}

// exceptionOrPolicyPath is a request of the exceptions or policies
// toolsets.
var exceptionOrPolicyPath = regexp.MustCompile(`^/(exception|centralizedPolicy)(/|$)|^/(images|containers)/[^/]+/exceptions$`)

// sampleArgs turns a documented request into a tool's arguments, as a
// model would write them from the page: the query's values typed as the
// tool's schema types them (a URL's query is text; a repeated parameter
// is an array), the body's members, the path's IDs.
func sampleArgs(t *testing.T, s apicheck.Sample, m sampleTool) map[string]any {
	t.Helper()
	var schema struct {
		Properties map[string]struct {
			Type any `json:"type"`
		} `json:"properties"`
	}
	for _, tl := range allTools(t) {
		if tl.Name == m.tool {
			json.Unmarshal(validationSchema(t, tl), &schema)
		}
	}
	args := map[string]any{}
	for k, vs := range s.Query {
		switch schema.Properties[k].Type {
		case "integer":
			n, err := strconv.Atoi(vs[0])
			if err != nil {
				t.Fatalf("%s: %s=%s is not an integer", s, k, vs[0])
			}
			args[k] = n
		case "boolean":
			b, err := strconv.ParseBool(vs[0])
			if err != nil {
				t.Fatalf("%s: %s=%s is not a boolean", s, k, vs[0])
			}
			args[k] = b
		case "array":
			args[k] = vs
		default:
			args[k] = vs[0]
		}
	}
	if s.Body != nil {
		if err := json.Unmarshal(s.Body, &args); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range m.path.FindStringSubmatch(s.Path)[1:] {
		args[m.params[k]] = v
	}
	return args
}

// TestEveryPageSampleAsArguments passes every request the current pages
// document for these tools, as it stands, to the tool that makes it, and
// checks the request the sandbox receives is the page's: method, path,
// query and body. The assign page's request is a template (its values
// are placeholders): the tool refuses it naming the field, and sends
// nothing. The bulk delete is a destructive tool: the user accepts it.
// A sample with no mapping fails the test.
func TestEveryPageSampleAsArguments(t *testing.T) {
	samples, err := apicheck.Samples()
	if err != nil {
		t.Fatal(err)
	}
	e := NewEnv(t, EnvOptions{Elicit: Accept})
	used := map[int]bool{}
	n := 0
	for _, s := range samples {
		if s.File != "" || exceptionOrPolicyPath.MatchString(s.Path) {
			continue // the release notes' samples, and the exceptions' and policies'
		}
		if strings.Contains(s.Path, "{") {
			continue // an answer the page shows without its request
		}
		n++
		i := sampleIndex(pageSamples, s)
		if i < 0 {
			t.Errorf("%s: a sample with no tool mapped to it (add it to pageSamples)", s)
			continue
		}
		used[i] = true
		m := pageSamples[i]
		args := sampleArgs(t, s, m)
		before := e.SB.Total()
		if strings.Contains(s.Note, "template") {
			msg := e.Fail(m.tool, args)
			if !strings.Contains(msg, `"entityType"`) || e.SB.Total() != before {
				t.Errorf("%s (%s): the page's template: %s; %d requests sent", s, m.tool, msg, e.SB.Total()-before)
			}
			continue
		}
		reqs := len(e.SB.Requests())
		e.OK(m.tool, args)
		var got []string
		for _, r := range e.SB.Requests()[reqs:] {
			if r.Method == s.Method && r.Path == s.Path {
				got = append(got, r.Query)
				gotQ, _ := url.ParseQuery(r.Query)
				if !reflect.DeepEqual(gotQ, s.Query) && !(len(gotQ) == 0 && len(s.Query) == 0) {
					t.Errorf("%s (%s): query %v, the page's %v", s, m.tool, gotQ, s.Query)
				}
				var want, sent any
				if s.Body != nil {
					json.Unmarshal(s.Body, &want)
				}
				if len(r.Body) > 0 {
					json.Unmarshal(r.Body, &sent)
				}
				if !reflect.DeepEqual(want, sent) {
					t.Errorf("%s (%s): body %s, the page's %s", s, m.tool, r.Body, s.Body)
				}
			}
		}
		if len(got) != 1 {
			t.Errorf("%s (%s): %d %s %s requests reached the sandbox, want 1", s, m.tool, len(got), s.Method, s.Path)
		}
	}
	for k, m := range pageSamples {
		if !used[k] {
			t.Errorf("pageSamples[%d] (%s %s) matches no sample", k, m.method, m.path)
		}
	}
	if n < 11 {
		t.Fatalf("only %d samples read", n)
	}
	if len(e.Elicited) != 1 || !strings.Contains(e.Elicited[0], "f677b189-8b54-46ba-9d24-624b7e98767d") {
		t.Errorf("the bulk delete was not confirmed by the user naming its schedule: %v", e.Elicited)
	}
}
