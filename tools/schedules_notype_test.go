package tools_test

import (
	"strings"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

// A registry whose answer names no type: create_registry_schedule asks
// for registryType, with no formatting escape and nothing sent; given
// one, it sends that.
func TestScheduleForARegistryWithoutType(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	args := map[string]any{"registryId": dockerReg, "onDemand": true, "filters": []any{map[string]any{"repoTags": []any{map[string]any{"repo": "x"}}}}}
	noType := sandbox.Fault{Status: 200, Body: `{"registryUuid":"` + dockerReg + `"}`}
	e.Inject("GET", "/registry/"+dockerReg, noType)
	msg := e.Fail("create_registry_schedule", args)
	if strings.Contains(msg, "%!") || !strings.Contains(msg, `"registryType": is needed: Qualys' answer for registry "`+dockerReg+`" names no type`) {
		t.Errorf("%s", msg)
	}
	if n := e.SB.Count("POST", "/registry/"); n != 0 {
		t.Errorf("%d schedules sent", n)
	}
	e.Inject("GET", "/registry/"+dockerReg, noType)
	args["registryType"] = "DockerHub"
	e.OK("create_registry_schedule", args)
}
