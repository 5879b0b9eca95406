package tools_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/schemas"
)

const (
	north    = sandbox.NorthProfileID
	general  = sandbox.GeneralProfileID
	defaultP = schemas.DefaultProfileID
	genSens  = "f1edef37-8d72-4f5d-87ed-9d6da981cffe" // GENERAL, on General-test2
	freeGen  = "13b7a4cd-693c-4fe5-87d5-98fcf3f0b8a5" // GENERAL, on Default
	regSens  = "e9f3c631-e440-443f-92d0-73624647b707" // REGISTRY, on North
	freeReg1 = "3a00f41d-8bb8-41d2-b2c2-54ed50131082"
	freeReg2 = "7cbc434a-5387-4591-940d-c8bfd131a699"
	unknownS = "88db9156-6c9e-45cc-8fce-11b889bb76b4" // GENERAL, status Unknown
)

// lastBody is the JSON body of the last request the sandbox saw for
// method and path.
func lastBody(t *testing.T, e *Env, method, path string) map[string]any {
	t.Helper()
	reqs := e.SB.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Method == method && reqs[i].Path == path {
			var m map[string]any
			if err := json.Unmarshal(reqs[i].Body, &m); err != nil {
				t.Fatalf("%s %s body: %v: %s", method, path, err, reqs[i].Body)
			}
			return m
		}
	}
	t.Fatalf("no %s %s request", method, path)
	return nil
}

// sameJSON compares two JSON objects, treating null as absent.
func sameJSON(a, b map[string]any) bool {
	norm := func(m map[string]any) any {
		raw, _ := json.Marshal(m)
		var v any
		json.Unmarshal(raw, &v)
		return dropNulls(v)
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

func dropNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if val == nil {
				delete(x, k)
			} else {
				x[k] = dropNulls(val)
			}
		}
	case []any:
		for i := range x {
			x[i] = dropNulls(x[i])
		}
	}
	return v
}

func mustJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSensorProfileReads(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	lst := e.OK("list_sensor_profiles", map[string]any{"sort": "created:desc"})
	if lst["count"] != float64(5) || len(Items(lst)) != 5 { // Default, North, General-test2 and the two the v1.17 samples name
		t.Fatalf("list: %v", lst)
	}
	p := e.OK("get_sensor_profile", map[string]any{"sensorProfileId": general})
	vm := p["config"].(map[string]any)["vulnerabilityManagement"].(map[string]any)
	if p["profileName"] != "General-test2" || vm["scanningPolicy"] != "DynamicWithStaticScanningAsFallback" || p["associatedSensorsCount"] != float64(1) {
		t.Fatalf("get: %v", p)
	}
	regs := Items(e.OK("list_sensor_profile_registries", map[string]any{"sensorProfileId": north}))
	if len(regs) != 1 || regs[0]["registryName"] != "reg1" {
		t.Fatalf("registries: %v", regs)
	}
	sens := Items(e.OK("list_sensor_profile_sensors", map[string]any{"sensorProfileId": north}))
	if len(sens) != 1 || sens[0]["uuid"] != regSens {
		t.Fatalf("sensors: %v", sens)
	}
	assoc := Items(e.OK("list_associable_sensors", map[string]any{"sensorProfileType": "General"}))
	for _, s := range assoc {
		if s["sensorType"] != "GENERAL" || s["associatedSensorProfile"] != defaultP {
			t.Fatalf("associable: %v", s)
		}
	}
	if len(assoc) != 2 {
		t.Fatalf("associable sensors: %d", len(assoc))
	}
	profs := Items(e.OK("list_associable_sensor_profiles", map[string]any{"sensorType": "GENERAL"}))
	if len(profs) != 1 || profs[0]["profileId"] != general {
		t.Fatalf("associable profiles: %v", profs)
	}
	// the query names the API's own parameters
	q := e.SB.Requests()
	if last := q[len(q)-1]; !strings.Contains(last.Query, "sensorType=GENERAL") || !strings.Contains(last.Query, "pageNumber=1") || strings.Contains(last.Query, "pageNo=") {
		t.Fatalf("query: %s", last.Query)
	}
	e.Fail("get_sensor_profile", map[string]any{"sensorProfileId": "9aee8879-d536-4efd-b23d-41dcb77a4a32"})
}

func TestCreateSensorProfileSendsSeedBody(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	// the v1.17 sample, less createdBy/updatedBy, which the server sets
	seed := `{"profileName":"ecprofile","description":"ecprofile desc","profileType":"Registry",
	  "associatedRegistryIds":["1ec46398-23be-40fc-8cde-8b4bd916d5fa","fe88284c-5fb3-4bc7-b2a0-33208e8d7d41"],
	  "associatedSensorIds":["3a00f41d-8bb8-41d2-b2c2-54ed50131082","7cbc434a-5387-4591-940d-c8bfd131a699"]}`
	res := e.OK("create_sensor_profile", mustJSON(t, seed))
	id, _ := res["profileUuid"].(string)
	if id == "" {
		t.Fatalf("no profileUuid: %v", res)
	}
	if got := lastBody(t, e, "POST", "/sensorProfile"); !sameJSON(got, mustJSON(t, seed)) {
		t.Fatalf("body sent %v, want the seed's", got)
	}
	p := e.OK("get_sensor_profile", map[string]any{"sensorProfileId": id})
	if p["associatedSensorsCount"] != float64(2) || p["associatedRegistriesCount"] != float64(2) {
		t.Fatalf("created profile: %v", p)
	}
	s := e.OK("get_sensor", map[string]any{"sensorId": freeReg1})
	if s["associatedSensorProfile"] != id || s["associatedSensorProfileName"] != "ecprofile" {
		t.Fatalf("sensor not attached: %v", s)
	}
	// a General profile with config and an inactive window, under v1.21's
	// name: sent under the 2026 guide's
	gen := e.OK("create_sensor_profile", map[string]any{"profileName": "nights", "profileType": "General", "associatedSensorIds": []string{freeGen},
		"config": map[string]any{"weeklyInactiveWindowSchedules": []any{map[string]any{"repeatOnDays": []string{"SATURDAY", "SUNDAY"}, "startTime": "22:00", "endTime": "23:30"}}}})
	if body := lastBody(t, e, "POST", "/sensorProfile"); body["config"].(map[string]any)["weeklyInactiveWindowSchedules"] != nil {
		t.Fatalf("the window was sent under v1.21's name: %v", body["config"])
	}
	got := e.OK("get_sensor_profile", map[string]any{"sensorProfileId": gen["profileUuid"]})
	w := got["config"].(map[string]any)["weeklyBlackoutWindowSchedules"].([]any)[0].(map[string]any)
	if w["startTime"] != "22:00" || len(w["repeatOnDays"].([]any)) != 2 {
		t.Fatalf("config: %v", got["config"])
	}
	// a Registry profile needs registries: named, and nothing sent
	before := e.SB.Total()
	msg := e.Fail("create_sensor_profile", map[string]any{"profileName": "x", "profileType": "Registry", "associatedSensorIds": []string{freeReg2}})
	if !strings.Contains(msg, "associatedRegistryIds") || e.SB.Total() != before {
		t.Fatalf("registry profile without registries: %s", msg)
	}
	// the sandbox's own refusal reaches the assistant
	msg = e.Fail("create_sensor_profile", map[string]any{"profileName": "bad", "profileType": "General", "associatedSensorIds": []string{freeReg2}})
	if !strings.Contains(msg, "REGISTRY sensor") {
		t.Fatalf("type mismatch: %s", msg)
	}
}

func TestUpdateSensorProfileSendsSeedBodyAndMerges(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	// the v1.21 sample body, less the fields the server sets
	seed := mustJSON(t, `{"profileName":"General-test2","profileType":"General","description":"",
	  "config":{"weeklyInactiveWindowSchedules":[{"repeatOnDays":["SUNDAY"],"allDayToggle":false,"startTime":"01:15","endTime":"03:00"}],
	    "vulnerabilityManagement":{"globalScanningFlag":true,"scanningPolicy":"DynamicWithStaticScanningAsFallback","containerScanningInterval":48,"imageExclusionRegexList":[]},
	    "performanceManagement":{"maxNoOfArchivedLogFiles":5,"maxLogFileSize":10,"logSecurityLevel":"INFORMATION"}},
	  "associatedSensorIds":["f1edef37-8d72-4f5d-87ed-9d6da981cffe"],"associatedRegistryIds":null}`)
	args := map[string]any{"sensorProfileId": general}
	for k, v := range seed {
		if v != nil {
			args[k] = v
		}
	}
	e.OK("update_sensor_profile", args)
	window := seed["config"].(map[string]any) // sent under the 2026 guide's name
	window["weeklyBlackoutWindowSchedules"] = window["weeklyInactiveWindowSchedules"]
	delete(window, "weeklyInactiveWindowSchedules")
	if got := lastBody(t, e, "PUT", "/sensorProfile/"+general); !sameJSON(got, seed) {
		t.Fatalf("body sent %v\nwant %v", got, seed)
	}

	// one field changes; nothing else is wiped, config merges field by field
	e.OK("update_sensor_profile", map[string]any{"sensorProfileId": general, "description": "night shift",
		"config": map[string]any{"vulnerabilityManagement": map[string]any{"containerScanningInterval": 24}}})
	p := e.OK("get_sensor_profile", map[string]any{"sensorProfileId": general})
	cfg := p["config"].(map[string]any)
	vm := cfg["vulnerabilityManagement"].(map[string]any)
	if p["description"] != "night shift" || p["profileName"] != "General-test2" || vm["containerScanningInterval"] != float64(24) ||
		vm["scanningPolicy"] != "DynamicWithStaticScanningAsFallback" || cfg["performanceManagement"] == nil ||
		cfg["weeklyBlackoutWindowSchedules"] == nil || p["associatedSensorsCount"] != float64(1) {
		t.Fatalf("update wiped fields: %v", p)
	}
	// moving sensors: a sensor dropped from a profile falls back to Default
	e.OK("update_sensor_profile", map[string]any{"sensorProfileId": general, "associatedSensorIds": []string{freeGen}})
	if s := e.OK("get_sensor", map[string]any{"sensorId": genSens}); s["associatedSensorProfile"] != defaultP {
		t.Fatalf("dropped sensor: %v", s)
	}
	e.Fail("update_sensor_profile", map[string]any{"sensorProfileId": "9aee8879-d536-4efd-b23d-41dcb77a4a32", "description": "x"})
}

func TestAttachDetach(t *testing.T) {
	e := NewEnv(t, EnvOptions{Elicit: Accept})
	e.OK("attach_sensor_profile", map[string]any{"sensorId": freeGen, "profileId": general})
	if s := e.OK("get_sensor", map[string]any{"sensorId": freeGen}); s["associatedSensorProfile"] != general || s["associatedSensorProfileName"] != "General-test2" {
		t.Fatalf("attach: %v", s)
	}
	if msg := e.Fail("attach_sensor_profile", map[string]any{"sensorId": regSens, "profileId": general}); !strings.Contains(msg, "cannot be attached") {
		t.Fatalf("type mismatch: %s", msg)
	}
	res := e.OK("detach_sensor_profile", map[string]any{"sensorId": "4ad04dc3cab8"}) // the short sensorId works too
	if res["detached"] != true {
		t.Fatalf("detach: %v", res)
	}
	if s := e.OK("get_sensor", map[string]any{"sensorId": genSens}); s["associatedSensorProfile"] != defaultP {
		t.Fatalf("detach: %v", s)
	}
	if len(e.Elicited) != 1 || !strings.Contains(e.Elicited[0], "General-test2") || !strings.Contains(e.Elicited[0], "test-virtual-machine") {
		t.Fatalf("preview: %v", e.Elicited)
	}
	// nothing to detach: refused before asking
	if msg := e.Fail("detach_sensor_profile", map[string]any{"sensorId": genSens}); !strings.Contains(msg, "Default profile already") {
		t.Fatalf("%s", msg)
	}
}

func TestDeleteSensorProfileFallsBackToDefault(t *testing.T) {
	e := NewEnv(t, EnvOptions{Elicit: Accept})
	e.OK("delete_sensor_profile", map[string]any{"sensorProfileId": north})
	e.Fail("get_sensor_profile", map[string]any{"sensorProfileId": north})
	if s := e.OK("get_sensor", map[string]any{"sensorId": regSens}); s["associatedSensorProfile"] != defaultP {
		t.Fatalf("sensor: %v", s)
	}
	regs := Items(e.OK("list_sensor_profile_registries", map[string]any{"sensorProfileId": defaultP, "pageSize": 100}))
	found := false
	for _, r := range regs {
		found = found || r["registryName"] == "reg1"
	}
	if !found {
		t.Fatalf("reg1 not on Default: %v", regs)
	}
	if msg := e.Fail("delete_sensor_profile", map[string]any{"sensorProfileId": defaultP}); !strings.Contains(msg, "Default profile cannot be deleted") {
		t.Fatal(msg)
	}
}
