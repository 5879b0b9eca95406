package tools_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

func complete(t *testing.T, e *Env, ref *mcp.CompleteReference, arg, value string, ctx map[string]string) []string {
	t.Helper()
	p := &mcp.CompleteParams{Ref: ref, Argument: mcp.CompleteParamsArgument{Name: arg, Value: value}}
	if ctx != nil {
		p.Context = &mcp.CompleteContext{Arguments: ctx}
	}
	res, err := e.S.Complete(t.Context(), p)
	if err != nil {
		t.Fatalf("complete %s %q: %v", arg, value, err)
	}
	return res.Completion.Values
}

// completion/complete offers the prompts' arguments (their values, or
// what a list call answers) and IDs for a resource template's arguments.
func TestCompletions(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	init := e.S.InitializeResult()
	if init.Capabilities.Completions == nil {
		t.Fatal("the server does not announce completions")
	}
	prompt := func(name string) *mcp.CompleteReference {
		return &mcp.CompleteReference{Type: "ref/prompt", Name: name}
	}
	for _, c := range []struct {
		prompt, arg, value string
		ctx                map[string]string
		want               []string
	}{
		{"sensor_profile_setup", "profileType", "", nil, []string{"General", "CICD"}},
		{"sensor_profile_setup", "inactiveDays", "SATURDAY,su", nil, []string{"SATURDAY,SUNDAY"}},
		{"sensor_health", "sensorType", "g", nil, []string{"GENERAL"}},
		{"onboard_registry", "registryType", "go", nil, []string{"GOOGLE_ARTIFACT_REGISTRY"}},
		{"onboard_registry", "sensorProfile", "", nil, []string{"North", "ecprofile-draft", "sample-v1.17"}}, // the Registry profiles, from list_sensor_profiles
		{"onboard_registry", "repos", "", map[string]string{"registryUri": "https://azuretest.azurecr.io"}, []string{"azuretest", "nginx"}},
		{"onboard_registry", "repos", "azuretest,n", map[string]string{"registryUri": "https://azuretest.azurecr.io"}, []string{"azuretest,nginx"}},
		{"triage", "scope", "state:`RUNNING` and repo.re", nil, []string{"state:`RUNNING` and repo.registry:", "state:`RUNNING` and repo.repository:"}},
		{"triage", "minSeverity", "", nil, []string{"1", "2", "3", "4", "5"}},
		{"triage", "nothing", "", nil, []string{}},
	} {
		got := complete(t, e, prompt(c.prompt), c.arg, c.value, c.ctx)
		if !slices.Equal(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("%s %s %q: %v, want %v", c.prompt, c.arg, c.value, got, c.want)
		}
	}
	// IDs of a resource template's arguments, from the list calls
	res := &mcp.CompleteReference{Type: "ref/resource", URI: "qualys://sensorProfile/{sensorProfileId}"}
	if got := complete(t, e, res, "sensorProfileId", "8aee", nil); !slices.Equal(got, []string{sandbox.NorthProfileID}) {
		t.Errorf("sensorProfileId 8aee: %v", got)
	}
	if got := complete(t, e, res, "registryId", "", nil); !slices.Contains(got, sandbox.AzureRegistryID) || len(got) < 5 {
		t.Errorf("registryId: %v", got)
	}
	img := e.SB.InventoryImages()[0].Sha
	if got := complete(t, e, res, "imageSha", img[:10], nil); !slices.Contains(got, img) || !strings.HasPrefix(got[0], img[:10]) {
		t.Errorf("imageSha %s: %v", img[:10], got)
	}
}
