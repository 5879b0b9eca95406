package tools_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

// Fields the documents put in request bodies that the server derives
// (registryType of a schedule, registryType and registryUri of a registry
// update, profileId and registryUuid beside the same ID in the path) are
// accepted when they agree, and refused naming both values when they do
// not, before anything is written.
func TestDerivedFieldsAgreeOrAreRefused(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	writes := func() int { return e.SB.Count("POST", "") + e.SB.Count("PUT", "") }
	filters := []any{map[string]any{"repoTags": []any{map[string]any{"repo": "azuretest"}}}}
	sched := map[string]any{"registryId": sandbox.AzureRegistryID, "onDemand": true, "filters": filters}
	for _, c := range []struct {
		tool  string
		args  map[string]any
		field string
		both  []string
	}{
		{"create_registry_schedule", put(sched, "registryType", "AWS"), "registryType", []string{`"AWS"`, `"Azure"`}},
		{"update_registry_schedule", map[string]any{"registryId": sandbox.AzureRegistryID, "scheduleId": sandbox.CreatedScheduleID, "registryType": "DockerHub"}, "registryType", []string{`"DockerHub"`, `"Azure"`}},
		{"update_registry", map[string]any{"registryId": sandbox.AzureRegistryID, "registryType": "AWS"}, "registryType", []string{`"AWS"`, `"Azure"`}},
		{"update_registry", map[string]any{"registryId": sandbox.AzureRegistryID, "registryUri": "https://other.example"}, "registryUri", []string{"other.example", "azuretest.azurecr.io"}},
		{"update_registry", map[string]any{"registryId": sandbox.AzureRegistryID, "registryUuid": sandbox.DockerRegistryID}, "registryUuid", []string{sandbox.DockerRegistryID, sandbox.AzureRegistryID}},
		{"update_sensor_profile", map[string]any{"sensorProfileId": sandbox.GeneralProfileID, "profileId": sandbox.NorthProfileID}, "profileId", []string{sandbox.GeneralProfileID, sandbox.NorthProfileID}},
	} {
		before := writes()
		msg := e.Fail(c.tool, c.args)
		if !strings.Contains(msg, `"`+c.field+`"`) {
			t.Errorf("%s: the refusal does not name %s: %s", c.tool, c.field, msg)
		}
		for _, v := range c.both {
			if !strings.Contains(msg, v) {
				t.Errorf("%s: the refusal does not say %s: %s", c.tool, v, msg)
			}
		}
		if writes() != before {
			t.Errorf("%s: a write reached the sandbox", c.tool)
		}
	}
	// agreeing values pass, silently
	out := e.OK("create_registry_schedule", put(sched, "registryType", "Azure"))
	if out["note"] != nil || out["scheduleUuid"] == nil {
		t.Errorf("an agreeing registryType: %v", out)
	}
	out = e.OK("update_registry", map[string]any{"registryId": sandbox.AzureRegistryID, "registryType": "Azure", "registryUri": "https://azuretest.azurecr.io/", "registryUuid": sandbox.AzureRegistryID, "registryName": "azure-renamed"})
	if out["note"] != nil {
		t.Errorf("agreeing registry fields: %v", out)
	}
}

// Fields Qualys sets (createdBy, updatedBy, created, updated) are taken
// as the documents' samples send them, passed on, and named in the
// result's note as ignored; null ones are not given at all.
func TestSetByQualysNamedInTheNote(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	out := e.OK("update_sensor_profile", map[string]any{"sensorProfileId": sandbox.GeneralProfileID, "profileId": sandbox.GeneralProfileID,
		"createdBy": "test_zp53", "created": "1669108423070", "updatedBy": nil, "updated": "1669111816485", "description": "rests on Sundays"})
	note, _ := out["note"].(string)
	for _, f := range []string{"createdBy", "created", "updated"} {
		if !strings.Contains(note, f) {
			t.Errorf("the note does not name %s: %v", f, out)
		}
	}
	if strings.Contains(note, "updatedBy") || strings.Contains(note, "profileId") {
		t.Errorf("the note names a field that was null or derived: %s", note)
	}
	reqs := e.SB.Requests()
	var body map[string]any
	json.Unmarshal(reqs[len(reqs)-1].Body, &body)
	if body["createdBy"] != "test_zp53" || body["profileId"] != sandbox.GeneralProfileID || body["description"] != "rests on Sundays" {
		t.Errorf("the PUT body: %v", body)
	}
	if _, ok := body["updatedBy"]; ok {
		t.Errorf("a null updatedBy was sent: %v", body)
	}
	got := e.OK("get_sensor_profile", map[string]any{"sensorProfileId": sandbox.GeneralProfileID})
	if got["createdBy"] != "test_zp53" || got["description"] != "rests on Sundays" || got["updatedBy"] != "tester" {
		t.Errorf("the profile after the update: %v", got)
	}
}
