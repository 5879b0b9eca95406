package tools_test

import (
	"regexp"
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
	{method: "POST", path: regexp.MustCompile(`^/tag/assign$`), tool: "assign_tags", refused: "entityType"}, // the page's request is a template of placeholders
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
	var page []apicheck.Sample
	for _, s := range samples {
		if s.File == "" && !exceptionOrPolicyPath.MatchString(s.Path) && !strings.Contains(s.Path, "{") {
			page = append(page, s) // not the release notes', the exceptions' and policies', nor an answer without its request
		}
	}
	e := NewEnv(t, EnvOptions{Elicit: Accept})
	runSamples(t, e, page, pageSamples, "pageSamples")
	n := len(page)
	if n < 11 {
		t.Fatalf("only %d samples read", n)
	}
	if len(e.Elicited) != 1 || !strings.Contains(e.Elicited[0], "f677b189-8b54-46ba-9d24-624b7e98767d") {
		t.Errorf("the bulk delete was not confirmed by the user naming its schedule: %v", e.Elicited)
	}
}
