package tools_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox/apicheck"
)

const sha64 = `([0-9a-f]{64})`

// samples2026 maps the current pages' samples of the exceptions and
// policies toolsets to the tools that make them (as sampleTools does the
// release notes').
var samples2026 = []sampleTool{
	{method: "POST", path: regexp.MustCompile(`^/exception$`), tool: "create_exception"},
	{method: "GET", path: regexp.MustCompile(`^/exception/` + id + `$`), tool: "get_exception", params: []string{"exceptionId"}},
	{method: "PUT", path: regexp.MustCompile(`^/exception/` + id + `$`), tool: "update_exception", params: []string{"exceptionId"}},
	{method: "GET", path: regexp.MustCompile(`^/images/` + sha64 + `/exceptions$`), tool: "list_image_exceptions", params: []string{"imageSha"}},
	{method: "PUT", path: regexp.MustCompile(`^/images/` + id + `/exceptions$`), tool: "assign_image_exceptions", params: []string{"imageUuid"}},
	{method: "GET", path: regexp.MustCompile(`^/containers/` + sha64 + `/exceptions$`), tool: "list_container_exceptions", params: []string{"containerSha"}},
	{method: "PUT", path: regexp.MustCompile(`^/containers/` + id + `/exceptions$`), tool: "assign_container_exceptions", params: []string{"containerUuid"}},
	{method: "POST", path: regexp.MustCompile(`^/centralizedPolicy$`), tool: "create_policy", sends: map[string]any{"policyType": "CICD"},
		why: "the sample's policyType IMAGESCAN (the early pages' name) is sent as CICD, as the current pages write it"},
	{method: "GET", path: regexp.MustCompile(`^/centralizedPolicy/` + id + `$`), tool: "get_policy", params: []string{"policyId"}},
	{method: "PUT", path: regexp.MustCompile(`^/centralizedPolicy/` + id + `$`), tool: "update_policy", params: []string{"policyId"}},
	{method: "GET", path: regexp.MustCompile(`^/centralizedPolicy/defaultPolicy/(\w+)$`), tool: "get_default_policy", params: []string{"policyType"}},
	{method: "PUT", path: regexp.MustCompile(`^/centralizedPolicy/` + id + `/mode$`), tool: "deactivate_policy", params: []string{"policyId"}},
	{method: "GET", path: regexp.MustCompile(`^/centralizedPolicy$`), tool: "list_policies"},
	{method: "DELETE", path: regexp.MustCompile(`^/centralizedPolicy/` + id + `$`), tool: "delete_policy", params: []string{"policyId"}},
}

// ofExceptionsOrPolicies says whether a documented request is one of the
// exceptions or policies toolsets'.
var ofExceptionsOrPolicies = regexp.MustCompile(`^/(exception|centralizedPolicy)(/|$)|^/(images|containers)/[^/]+/exceptions$`)

// TestEvery2026SampleAsArguments passes every sample of the current pages
// for exceptions and policies, as it stands, to the tool that makes it,
// and checks the request the sandbox then receives is the sample's (as
// TestEverySeedSampleAsArguments does the release notes'). A sample with
// no mapping fails the test; the destructive ones are confirmed by the
// user (form elicitation, accepted).
func TestEvery2026SampleAsArguments(t *testing.T) {
	samples, err := apicheck.Samples()
	if err != nil {
		t.Fatal(err)
	}
	var mine []apicheck.Sample
	for _, s := range samples {
		if s.File == "" && ofExceptionsOrPolicies.MatchString(s.Path) { // not the release notes', nor another toolset's
			mine = append(mine, s)
		}
	}
	e := NewEnv(t, EnvOptions{Elicit: Accept})
	runSamples(t, e, mine, samples2026, "samples2026")
	if len(mine) < 15 {
		t.Fatalf("only %d samples of exceptions and policies read", len(mine))
	}
	if len(e.Elicited) != 2 || !strings.Contains(e.Elicited[0], `"Policy123"`) || !strings.Contains(e.Elicited[1], `"Policy1214"`) {
		t.Errorf("the destructive samples were not confirmed by the user: %v", e.Elicited)
	}
}
