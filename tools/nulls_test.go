package tools_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	jsv "github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
)

// absent, as the leaf of withAt, deletes the property instead of setting it.
var absent = &struct{}{}

// withAt returns v (an instance of s; nil builds the smallest valid one)
// with the value at path set to leaf, building the objects and arrays on
// the way; array items are reached as "0".
func withAt(s map[string]any, v any, path []string, leaf any) any {
	if v == nil {
		v = valid(s)
	}
	if len(path) == 0 {
		return leaf
	}
	switch s["type"] {
	case "object":
		m := v.(map[string]any)
		p := s["properties"].(map[string]any)[path[0]].(map[string]any)
		if len(path) == 1 && leaf == absent {
			delete(m, path[0])
			return m
		}
		m[path[0]] = withAt(p, m[path[0]], path[1:], leaf)
		return m
	case "array":
		arr := v.([]any)
		arr[0] = withAt(s["items"].(map[string]any), arr[0], path[1:], leaf)
		return arr
	}
	panic(fmt.Sprintf("no property %v in a %v", path, s["type"]))
}

// positions lists every property of s at every depth, optional and
// required, as paths (array items as "0").
func positions(s map[string]any, prefix []string) (optional, required [][]string) {
	props, _ := s["properties"].(map[string]any)
	req, _ := s["required"].([]any)
	for _, name := range sortedKeys(props) {
		p := props[name].(map[string]any)
		path := append(append([]string{}, prefix...), name)
		isReq := false
		for _, r := range req {
			isReq = isReq || r == name
		}
		if isReq {
			required = append(required, path)
		} else {
			optional = append(optional, path)
		}
		sub := p
		subPath := path
		if p["type"] == "array" {
			sub, _ = p["items"].(map[string]any)
			subPath = append(append([]string{}, path...), "0")
		}
		if sub != nil && sub["type"] == "object" {
			o, r := positions(sub, subPath)
			optional, required = append(optional, o...), append(required, r...)
		}
	}
	return optional, required
}

// notArgument reports whether the property at path is one the documents
// put in a body but the server or Qualys sets (not published).
func notArgument(s map[string]any, path []string) bool {
	for _, seg := range path {
		if seg == "0" {
			s = s["items"].(map[string]any)
			continue
		}
		s = s["properties"].(map[string]any)[seg].(map[string]any)
	}
	_, ok := s["x-set-by"]
	return ok
}

func decodeArgs(t *testing.T, tl tool.Tool, v any) (string, error) {
	t.Helper()
	raw, _ := json.Marshal(v)
	in, args, _, err := tl.Decode(raw)
	if err != nil {
		return "", err
	}
	got, _ := json.Marshal([]any{in, args})
	return string(got), nil
}

// TestNullIsAbsentAtEveryOptionalPosition: for every tool and every
// optional property at every depth (generated from the tool's validation
// schema), the property given as null decodes exactly as the property not
// given, and where the tool's arguments are a request body the published
// schema accepts it too (a client that validates first must not refuse
// null). A required property given as null is refused, naming its path.
func TestNullIsAbsentAtEveryOptionalPosition(t *testing.T) {
	n, nested := 0, 0
	for _, tl := range allTools(t) {
		var schema map[string]any
		json.Unmarshal(validationSchema(t, tl), &schema)
		var published *jsv.Schema
		if tl.Body {
			doc, _ := jsv.UnmarshalJSON(bytes.NewReader(tl.MCP().RawInputSchema))
			c := jsv.NewCompiler()
			c.AddResource("mem://pub", doc)
			var err error
			if published, err = c.Compile("mem://pub"); err != nil {
				t.Fatalf("%s: published schema: %v", tl.Name, err)
			}
		}
		optional, required := positions(schema, nil)
		for _, path := range optional {
			n++
			if len(path) > 1 {
				nested++
			}
			name := tl.Name + " " + strings.Join(path, ".")
			withNull := withAt(schema, nil, path, nil)
			without := withAt(schema, nil, path, absent)
			a, errA := decodeArgs(t, tl, withNull)
			b, errB := decodeArgs(t, tl, without)
			if fmt.Sprint(errA) != fmt.Sprint(errB) || a != b {
				t.Errorf("%s: null decodes differently from absent:\n null:   %s %v\n absent: %s %v", name, a, errA, b, errB)
			}
			if published != nil && !notArgument(schema, path) {
				raw, _ := json.Marshal(withNull)
				doc, _ := jsv.UnmarshalJSON(bytes.NewReader(raw))
				if err := published.Validate(doc); err != nil {
					t.Errorf("%s: the published schema refuses null: %v", name, err)
				}
			}
		}
		for _, path := range required {
			field := strings.Join(path, ".")
			_, err := decodeArgs(t, tl, withAt(schema, nil, path, nil))
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q", field)) || !strings.Contains(err.Error(), "null") {
				t.Errorf("%s %s: a required field given as null: want an error naming it, got %v", tl.Name, field, err)
			}
		}
	}
	if n < 200 || nested < 40 {
		t.Fatalf("only %d optional positions (%d nested): the generator misses some", n, nested)
	}
	t.Logf("%d optional positions (%d nested) checked", n, nested)
}

// TestAllProblemsInOneAnswer: a call with several bad arguments is told
// about all of them, each by its path, and nothing reaches the API.
func TestAllProblemsInOneAnswer(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	before := e.SB.Total()
	msg := e.Fail("create_sensor_profile", map[string]any{"profileName": "p", "profileType": "Bogus",
		"config": map[string]any{"weeklyInactiveWindowSchedules": []any{map[string]any{"repeatOnDays": []any{"FUNDAY"}, "startTime": "25:00"}}}})
	for _, want := range []string{`"profileType"`, `"associatedSensorIds": is required`, `"config.weeklyInactiveWindowSchedules.0.repeatOnDays.0"`, `"config.weeklyInactiveWindowSchedules.0.startTime"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("the answer lacks %s: %s", want, msg)
		}
	}
	msg = e.Fail("create_registry_schedule", map[string]any{"registryId": "fd05c5d5-7583-4e47-b538-c8b414bd9c86", "onDemand": false,
		"filters": []any{map[string]any{"repoTags": []any{map[string]any{"repo": nil}}}}, "additionalFilters": map[string]any{"numberOfTags": 50}})
	for _, want := range []string{`"filters.0.repoTags.0.repo": is required; null`, `"additionalFilters.numberOfTags"`, `"schedule": is required for an automatic scan`} {
		if !strings.Contains(msg, want) {
			t.Errorf("the answer lacks %s: %s", want, msg)
		}
	}
	if e.SB.Total() != before {
		t.Errorf("%d request(s) reached the sandbox", e.SB.Total()-before)
	}
}

// nullPaths are the paths (a.b[].c) of v's null values.
func nullPaths(v any, path string) []string {
	var out []string
	switch x := v.(type) {
	case nil:
		out = append(out, path)
	case map[string]any:
		for k, e := range x {
			out = append(out, nullPaths(e, strings.TrimPrefix(path+"."+k, "."))...)
		}
	case []any:
		for _, e := range x {
			out = append(out, nullPaths(e, path+"[]")...)
		}
	}
	return out
}

// Hand-written cases for the nested write tools, end to end: nulls at
// optional positions inside objects and arrays of objects are taken as
// not given, the call succeeds, and no null reaches Qualys.
func TestNestedNullsEndToEnd(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	for _, c := range []struct {
		tool string
		args map[string]any
	}{
		{"create_sensor_profile", map[string]any{"profileName": "nulls", "profileType": "General", "description": nil, "associatedRegistryIds": nil,
			"associatedSensorIds": []any{"88db9156-6c9e-45cc-8fce-11b889bb76b4"},
			"config": map[string]any{"weeklyInactiveWindowSchedules": []any{map[string]any{"repeatOnDays": []any{"SUNDAY"}, "allDayToggle": true, "startTime": nil, "endTime": nil}},
				"vulnerabilityManagement": map[string]any{"scanningPolicy": nil, "containerScanningInterval": 48, "imageExclusionRegexList": nil},
				"performanceManagement":   nil}}},
		{"update_sensor_profile", map[string]any{"sensorProfileId": sandbox.GeneralProfileID, "description": nil, "config": map[string]any{"performanceManagement": map[string]any{"logSecurityLevel": nil, "maxLogFileSize": 20}}}},
		{"create_registry", map[string]any{"registryType": "V2-Private", "registryUri": "https://nulls.example", "registryName": "nulls", "dockerHubOrgName": nil,
			"credentialType": "BasicAuth", "credential": map[string]any{"username": "u", "password": "nulls-pass-91", "accessToken": nil}, "aws": nil, "sensorProfileId": nil}},
		{"update_registry", map[string]any{"registryId": sandbox.AzureRegistryID, "registryName": "azure-nulls", "credential": nil, "acr": nil, "gcp": nil}},
		{"create_registry_schedule", map[string]any{"registryId": sandbox.AzureRegistryID, "onDemand": true, "name": nil, "schedule": nil, "forceScan": nil,
			"filters": []any{map[string]any{"days": nil, "repoTags": []any{map[string]any{"repo": "azuretest", "tag": nil}}}}, "additionalFilters": nil}},
		{"update_registry_schedule", map[string]any{"registryId": sandbox.AzureRegistryID, "scheduleId": sandbox.CreatedScheduleID, "name": "renamed", "schedule": nil,
			"filters": []any{map[string]any{"days": nil, "repoTags": []any{map[string]any{"repo": "azuretest", "tag": nil}}}}, "additionalFilters": nil, "scheduleIntervalInDays": nil}},
		{"create_policy", map[string]any{"policyName": "nulls", "policyType": "CICD", "description": nil, "tagIds": nil, "k8sFilters": nil, "policyMode": nil,
			"centralizedPolicyRules": []any{map[string]any{"name": "No_criticals", "type": "IMAGESCAN_VULN_SEVERITYCOUNT", "action": "DENY", "isEnabled": nil, "sortOrder": nil,
				"metaData": map[string]any{"operator": "GREATER_THAN", "severityLevel": 5, "threshold": 0, "values": nil, "value": nil}}}}},
		{"update_exception", map[string]any{"exceptionId": sandbox.DocExceptionID, "explanation": nil, "dynamicFilter": nil, "entityAssignmentRequest": map[string]any{"idsToAdd": nil, "additionFilter": nil}}},
	} {
		given := nullPaths(c.args, "")
		before := len(e.SB.Requests())
		e.OK(c.tool, c.args)
		for _, r := range e.SB.Requests()[before:] {
			var body any
			if r.Method == "GET" || json.Unmarshal(r.Body, &body) != nil {
				continue
			}
			for _, p := range nullPaths(body, "") {
				if slices.Contains(given, p) {
					t.Errorf("%s: the null given at %s reached Qualys: %s %s %s", c.tool, p, r.Method, r.Path, r.Body)
				}
			}
		}
	}
	// null took nothing away: the schedule kept its 06:55 and 7-day interval
	for _, s := range Items(e.OK("list_registry_schedules", map[string]any{"registryId": sandbox.AzureRegistryID})) {
		if s["scheduleUuid"] == sandbox.CreatedScheduleID && (s["name"] != "renamed" || s["schedule"] != "06:55" || s["scheduleIntervalInDays"] != float64(7)) {
			t.Errorf("the updated schedule: %v", s)
		}
	}
}
