package schemas

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"

	jsv "github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox/apicheck"
)

// inputs2026 are the 27 tools of the 2026 API and their input types.
var inputs2026 = map[string]reflect.Type{
	"create_exception":              reflect.TypeFor[CreateException](),
	"get_exception":                 reflect.TypeFor[GetException](),
	"update_exception":              reflect.TypeFor[UpdateException](),
	"list_image_exceptions":         reflect.TypeFor[ImageSha](),
	"assign_image_exceptions":       reflect.TypeFor[AssignImageExceptions](),
	"unassign_image_exceptions":     reflect.TypeFor[UnassignImageExceptions](),
	"list_container_exceptions":     reflect.TypeFor[ContainerSha](),
	"assign_container_exceptions":   reflect.TypeFor[AssignContainerExceptions](),
	"unassign_container_exceptions": reflect.TypeFor[UnassignContainerExceptions](),
	"list_policies":                 reflect.TypeFor[None](),
	"get_policy":                    reflect.TypeFor[GetPolicy](),
	"get_default_policy":            reflect.TypeFor[DefaultPolicy](),
	"create_policy":                 reflect.TypeFor[CreatePolicy](),
	"update_policy":                 reflect.TypeFor[UpdatePolicy](),
	"activate_policy":               reflect.TypeFor[ActivatePolicy](),
	"deactivate_policy":             reflect.TypeFor[DeactivatePolicy](),
	"delete_policy":                 reflect.TypeFor[PolicyID](),
	"create_tag":                    reflect.TypeFor[CreateTag](),
	"update_tag":                    reflect.TypeFor[UpdateTag](),
	"evaluate_tag":                  reflect.TypeFor[EvaluateTag](),
	"assign_tags":                   reflect.TypeFor[AssignTags](),
	"create_report_schedule":        reflect.TypeFor[CreateReportSchedule](),
	"update_report_schedule":        reflect.TypeFor[UpdateReportSchedule](),
	"list_k8s_postures":             reflect.TypeFor[ListParams](),
	"count_k8s_postures":            reflect.TypeFor[None](),
	"get_k8s_control":               reflect.TypeFor[K8sControlID](),
	"get_k8s_control_evidence":      reflect.TypeFor[K8sControlID](),
}

// check validates args against t's validation schema as a tool does (null
// is absent) and runs the input's own checks; it returns the problem.
func check(t *testing.T, typ reflect.Type, args map[string]any) error {
	t.Helper()
	s, err := For(typ)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(s)
	doc, _ := jsv.UnmarshalJSON(bytes.NewReader(raw))
	c := jsv.NewCompiler()
	c.AddResource("mem://s", doc)
	compiled, err := c.Compile("mem://s")
	if err != nil {
		t.Fatalf("%s: %v", typ, err)
	}
	stripNulls(args)
	b, _ := json.Marshal(args)
	v, _ := jsv.UnmarshalJSON(bytes.NewReader(b))
	if err := compiled.Validate(v); err != nil {
		return err
	}
	in := reflect.New(typ).Interface()
	if err := json.Unmarshal(b, in); err != nil {
		return err
	}
	if val, ok := in.(interface{ Validate() error }); ok {
		return val.Validate()
	}
	return nil
}

// stripNulls drops null values at every depth: the documented samples'
// nulls are all in optional fields, which a tool takes as absent.
func stripNulls(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
				continue
			}
			stripNulls(e)
		}
	case []any:
		for _, e := range x {
			stripNulls(e)
		}
	}
}

// Every input type makes a schema whose published form is lean: the 27
// tools' schemas average at most 320 bytes (a definition's name, a
// 100-byte description and hints take the rest of what the catalogue's
// average of 460 leaves them beside the 64 tools of before) and none
// leaves less than 250 bytes of the catalogue's 1,200 for the rest.
func TestInputs2026Lean(t *testing.T) {
	if len(inputs2026) != 27 {
		t.Fatalf("%d tools", len(inputs2026))
	}
	total := 0
	for name, typ := range inputs2026 {
		s, err := For(typ)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		pub := Publish(s)
		Nullable(pub)
		raw, _ := json.Marshal(pub)
		total += len(raw)
		t.Logf("%-30s %4d %s", name, len(raw), raw)
		if len(raw) > 950 { // a definition's name, hints and a 150-byte description fit in the catalogue's 1,200
			t.Errorf("%s: published schema %d bytes, over 950", name, len(raw))
		}
		if v, _ := json.Marshal(s); !strings.Contains(string(v), `"additionalProperties":false`) {
			t.Errorf("%s: the validation schema refuses no unknown argument", name)
		}
	}
	if avg := total / len(inputs2026); avg > 320 {
		t.Errorf("the 27 published schemas average %d bytes", avg)
	}
}

// sampleTools2026 maps each documented 2026 request to its tool, the
// arguments its path gives (named by the tool's input), and, for a
// request whose body picks the tool (ASSIGN or DEASSIGN, ACTIVE or
// INACTIVE), which.
var sampleTools2026 = []struct {
	method string
	path   *regexp.Regexp
	tool   string
	params []string
}{
	{"POST", regexp.MustCompile(`^/exception$`), "create_exception", nil},
	{"GET", regexp.MustCompile(`^/exception/([\w-]+)$`), "get_exception", []string{"exceptionId"}},
	{"PUT", regexp.MustCompile(`^/exception/([\w-]+)$`), "update_exception", []string{"exceptionId"}},
	{"GET", regexp.MustCompile(`^/images/(\w+)/exceptions$`), "list_image_exceptions", []string{"imageSha"}},
	{"PUT", regexp.MustCompile(`^/images/([\w-]+)/exceptions$`), "assign_image_exceptions", []string{"imageUuid"}},
	{"GET", regexp.MustCompile(`^/containers/(\w+)/exceptions$`), "list_container_exceptions", []string{"containerSha"}},
	{"PUT", regexp.MustCompile(`^/containers/([\w-]+)/exceptions$`), "assign_container_exceptions", []string{"containerUuid"}},
	{"POST", regexp.MustCompile(`^/centralizedPolicy$`), "create_policy", nil},
	{"GET", regexp.MustCompile(`^/centralizedPolicy$`), "list_policies", nil},
	{"GET", regexp.MustCompile(`^/centralizedPolicy/defaultPolicy/(\w+)$`), "get_default_policy", []string{"policyType"}},
	{"GET", regexp.MustCompile(`^/centralizedPolicy/([\w-]+)$`), "get_policy", []string{"policyId"}},
	{"PUT", regexp.MustCompile(`^/centralizedPolicy/([\w-]+)$`), "update_policy", []string{"policyId"}},
	{"PUT", regexp.MustCompile(`^/centralizedPolicy/([\w-]+)/mode$`), "deactivate_policy", []string{"policyId"}},
	{"DELETE", regexp.MustCompile(`^/centralizedPolicy/([\w-]+)$`), "delete_policy", []string{"policyId"}},
	{"POST", regexp.MustCompile(`^/tag/create$`), "create_tag", nil},
	{"PUT", regexp.MustCompile(`^/tag/update$`), "update_tag", nil},
	{"POST", regexp.MustCompile(`^/tag/assign$`), "assign_tags", nil},
}

// Each documented request of the new operations, its path's IDs, query
// and body given verbatim as arguments (null as absent), is taken by its
// tool's input (but for the assign page's template, whose placeholders
// are not values); the changed operations' samples take the new fields.
func TestDocumentedSamplesAsArguments2026(t *testing.T) {
	all, err := apicheck.Samples()
	if err != nil {
		t.Fatal(err)
	}
	used := map[int]bool{}
	for _, s := range all {
		i := -1
		for k, m := range sampleTools2026 {
			if m.method == s.Method && m.path.MatchString(s.Path) {
				i = k
				break
			}
		}
		if i < 0 {
			continue // an operation the catalogue had before 2026: the tools' tests send those samples
		}
		used[i] = true
		m := sampleTools2026[i]
		args := map[string]any{}
		if s.Body != nil {
			json.Unmarshal(s.Body, &args)
		}
		for k, v := range s.Query {
			args[k] = queryValue(v[0])
		}
		for k, v := range m.path.FindStringSubmatch(s.Path)[1:] {
			args[m.params[k]] = v
		}
		err := check(t, inputs2026[m.tool], args)
		if strings.Contains(s.Note, "template") {
			if err == nil {
				t.Errorf("%s (%s): the page's template, placeholders and all, was taken", s, m.tool)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s (%s): %v", s, m.tool, err)
		}
	}
	for k, m := range sampleTools2026 {
		if !used[k] {
			t.Errorf("sampleTools2026[%d] (%s %s) matches no sample", k, m.method, m.path)
		}
	}
}

func queryValue(v string) any {
	switch v {
	case "true":
		return true
	case "false":
		return false
	}
	var n int
	if err := json.Unmarshal([]byte(v), &n); err == nil {
		return n
	}
	return v
}

// The older names are taken and sent as the newer: the v1.21 window name
// (in config, at depth), v1.21's interval name for the 2026 table's, the
// older exception assignment name, the older policy type spellings; given
// with the newer name and another value, refused naming both; never
// published.
func TestAliases(t *testing.T) {
	window := []any{map[string]any{"repeatOnDays": []any{"SUNDAY"}, "startTime": "01:00", "endTime": "02:00"}}
	for _, c := range []struct {
		typ        reflect.Type
		args, want map[string]any
	}{
		{reflect.TypeFor[UpdateSensorProfile](), map[string]any{"sensorProfileId": "p", "config": map[string]any{"weeklyInactiveWindowSchedules": window}},
			map[string]any{"sensorProfileId": "p", "config": map[string]any{"weeklyBlackoutWindowSchedules": window}}},
		{reflect.TypeFor[CreateSensorProfile](), map[string]any{"profileName": "p", "profileType": "General", "associatedSensorIds": []any{}, "config": map[string]any{"weeklyBlackoutWindowSchedules": window}},
			map[string]any{"profileName": "p", "profileType": "General", "associatedSensorIds": []any{}, "config": map[string]any{"weeklyBlackoutWindowSchedules": window}}},
		{reflect.TypeFor[CreateSchedule](), map[string]any{"registryId": "r", "onDemand": false, "schedule": "01:00", "filters": []any{}, "scheduleScanIntervalInDays": 7, "weekDay": "MONDAY"},
			map[string]any{"registryId": "r", "onDemand": false, "schedule": "01:00", "filters": []any{}, "scheduleIntervalInDays": 7, "weekDay": "MONDAY"}},
		{reflect.TypeFor[UpdateException](), map[string]any{"exceptionId": "e", "imageSelectionType": "STATIC"},
			map[string]any{"exceptionId": "e", "entityAssignmentType": "STATIC"}},
		{reflect.TypeFor[CreatePolicy](), map[string]any{"policyName": "p", "policyType": "IMAGESCAN", "centralizedPolicyRules": []any{}},
			map[string]any{"policyName": "p", "policyType": "CICD", "centralizedPolicyRules": []any{}}},
		{reflect.TypeFor[DefaultPolicy](), map[string]any{"policyType": "K8S_Admission_Controller"}, map[string]any{"policyType": "K8S_ADMISSION_CONTROLLER"}},
	} {
		s, err := For(c.typ)
		if err != nil {
			t.Fatal(err)
		}
		if err := Canonical(s, c.args); err != nil {
			t.Errorf("%s: %v", c.typ, err)
		}
		if !reflect.DeepEqual(mustJSON(c.args), mustJSON(c.want)) {
			t.Errorf("%s: sent %s, want %s", c.typ, mustJSON(c.args), mustJSON(c.want))
		}
		pub, _ := json.Marshal(Publish(s))
		for _, old := range []string{"weeklyInactiveWindowSchedules", "scheduleScanIntervalInDays", "imageSelectionType"} {
			if strings.Contains(string(pub), old) {
				t.Errorf("%s: the older name %s is published", c.typ, old)
			}
		}
	}
	// both names, two values: refused by the input's checks and by Canonical
	both := map[string]any{"sensorProfileId": "p", "config": map[string]any{"weeklyInactiveWindowSchedules": window, "weeklyBlackoutWindowSchedules": []any{}}}
	if err := check(t, reflect.TypeFor[UpdateSensorProfile](), both); err == nil || !strings.Contains(err.Error(), "weeklyInactiveWindowSchedules") {
		t.Errorf("the window under both names: %v", err)
	}
	s, _ := For(reflect.TypeFor[UpdateSensorProfile]())
	if err := Canonical(s, both); err == nil || !strings.Contains(err.Error(), "config.weeklyInactiveWindowSchedules") || !strings.Contains(err.Error(), "config.weeklyBlackoutWindowSchedules") {
		t.Errorf("Canonical of both names: %v", err)
	}
	sched := map[string]any{"registryId": "r", "scheduleId": "s", "scheduleIntervalInDays": 1, "scheduleScanIntervalInDays": 7}
	if err := check(t, reflect.TypeFor[UpdateSchedule](), sched); err == nil || !strings.Contains(err.Error(), "scheduleScanIntervalInDays") {
		t.Errorf("the interval under both names: %v", err)
	}
	exc := map[string]any{"exceptionId": "e", "imageSelectionType": "STATIC", "entityAssignmentType": "DYNAMIC", "dynamicFilter": "repo.tag:x"}
	if err := check(t, reflect.TypeFor[UpdateException](), exc); err == nil || !strings.Contains(err.Error(), "imageSelectionType") {
		t.Errorf("the assignment type under both names: %v", err)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// The inputs' own checks refuse what the API would, naming the field.
func TestInputs2026Checks(t *testing.T) {
	exc := func(mod func(m map[string]any)) map[string]any {
		m := map[string]any{"name": "n", "reason": "RISK_ACCEPTED", "scope": "IMAGE", "listId": "l", "startDate": "1000", "endDate": "2000"}
		mod(m)
		return m
	}
	rule := map[string]any{"name": "Rule1", "type": "IMAGESCAN_VULN_SEVERITYCOUNT", "action": "DENY"}
	for _, c := range []struct {
		tool string
		args map[string]any
		want string // "" passes
	}{
		{"create_exception", exc(func(map[string]any) {}), ""},
		{"create_exception", exc(func(m map[string]any) { m["endDate"] = "500" }), "endDate"},
		{"create_exception", exc(func(m map[string]any) { m["endDate"] = "2026-12-31" }), "endDate"},
		{"create_exception", exc(func(m map[string]any) { m["entityAssignmentType"] = "DYNAMIC" }), "dynamicFilter"},
		{"create_exception", exc(func(m map[string]any) {
			m["entityAssignmentType"], m["dynamicFilter"] = "DYNAMIC", "repo.tag:x"
			m["entityAssignmentRequest"] = map[string]any{"idsToAdd": []any{"u"}}
		}), "idsToAdd"},
		{"create_exception", exc(func(m map[string]any) { m["exceptionType"] = "COMPLIANCE" }), "exceptionType"},
		{"create_exception", exc(func(m map[string]any) { delete(m, "listId") }), "listId"},
		{"assign_image_exceptions", map[string]any{"imageUuid": "u", "exceptionIds": []any{"e"}, "exceptionEvent": "DEASSIGN"}, "exceptionEvent"},
		{"unassign_image_exceptions", map[string]any{"imageUuid": "u", "exceptionIds": []any{"e"}, "exceptionEvent": "DEASSIGN"}, ""},
		{"unassign_container_exceptions", map[string]any{"containerUuid": "u", "exceptionIds": []any{}}, "exceptionIds"},
		{"create_policy", map[string]any{"policyName": "p", "policyType": "CICD", "centralizedPolicyRules": []any{rule}}, ""},
		{"create_policy", map[string]any{"policyName": "p", "policyType": "CI", "centralizedPolicyRules": []any{rule}}, "policyType"},
		{"create_policy", map[string]any{"policyName": "p", "policyType": "CICD", "centralizedPolicyRules": []any{map[string]any{"name": "Rx", "type": "X", "action": "DENY"}}}, "type"},
		{"create_policy", map[string]any{"policyName": "p", "policyType": "CICD", "centralizedPolicyRules": []any{rule, rule}}, "unique"},
		{"create_policy", map[string]any{"policyName": "p", "policyType": "CICD", "centralizedPolicyRules": []any{map[string]any{"name": "R1", "type": "PODSECURITY", "action": "DENY", "isEnabled": false}}}, "enabled"},
		{"create_policy", map[string]any{"policyName": "p", "policyType": "CICD", "centralizedPolicyRules": []any{map[string]any{"name": "1R", "type": "PODSECURITY", "action": "DENY"}}}, "name"},
		{"create_policy", map[string]any{"policyName": "p", "policyType": "CICD", "centralizedPolicyRules": []any{rule}, "isDefault": true}, "isDefault"},
		{"deactivate_policy", map[string]any{"policyId": "p", "policyMode": "ACTIVE"}, "policyMode"},
		{"create_tag", map[string]any{"name": "t", "tagInfoDataList": []any{map[string]any{"entityType": "IMAGE", "rule": "container.state:RUNNING"}}}, "rule"},
		{"update_tag", map[string]any{"name": "t"}, "exactly one"},
		{"update_tag", map[string]any{"name": "t", "entityTypeRuleToUpdate": map[string]any{"container": "container.state:RUNNING"}}, ""},
		{"assign_tags", map[string]any{"entityType": "IMAGE", "tagName": "x"}, "entityUUID"},
		{"assign_tags", map[string]any{"entityType": "IMAGE", "entitySha": "abc"}, "tagsToAdd"},
		{"create_report_schedule", map[string]any{"name": "s", "templateName": "CS_IMAGE_VULNERABILITY", "expireAfter": "7", "eventTime": "2026-06-01T00:00:00Z", "eventEndTime": "2026-12-01T00:00:00Z"}, ""},
		{"create_report_schedule", map[string]any{"name": "s", "templateName": "T", "expireAfter": "14", "eventTime": "2026-06-01T00:00:00Z", "eventEndTime": "2026-12-01T00:00:00Z"}, "expireAfter"},
		{"create_report_schedule", map[string]any{"name": "s", "templateName": "T", "expireAfter": "7", "eventTime": "2026-06-01T00:00:00+02:00", "eventEndTime": "2026-12-01T00:00:00Z"}, "eventTime"},
		{"update_report_schedule", map[string]any{"reportingScheduleId": "r", "reportScheduleDetails": map[string]any{"recurrenceType": "WEEKLY"}}, "selectedDayOfWeeks"},
		{"update_report_schedule", map[string]any{"reportingScheduleId": "r", "reportScheduleDetails": map[string]any{"recurrenceType": "DAILY", "emailNotification": 1}}, "recipient"},
		{"update_report_schedule", map[string]any{"reportingScheduleId": "r", "reportScheduleDetails": map[string]any{"recurrenceType": "WEEKLY", "selectedDayOfWeeks": []any{"Monday"}}}, "selectedDayOfWeeks"},
		{"list_k8s_postures", map[string]any{"limit": 5}, "limit"},
		{"list_k8s_postures", map[string]any{"pageSize": 5000}, "pageSize"},
		{"get_k8s_control", map[string]any{"controlId": "20001"}, ""},
		{"get_k8s_control", map[string]any{"controlId": "../x"}, "controlId"},
	} {
		err := check(t, inputs2026[c.tool], c.args)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s %v: refused: %v", c.tool, c.args, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s %v: want a refusal naming %q, got %v", c.tool, c.args, c.want, err)
		}
	}
	// the changed operations' new fields
	repos := []any{map[string]any{"repoTags": []any{map[string]any{"repo": "a"}}}}
	for _, c := range []struct {
		typ  reflect.Type
		args map[string]any
		want string
	}{
		{reflect.TypeFor[CreateSensorProfile](), map[string]any{"profileName": "r", "profileType": "RUNTIME", "associatedSensorIds": []any{}, "runtimeSensor": "disable", "ignoreProcesses": "/usr/bin/cat"}, ""},
		{reflect.TypeFor[CreateSensorProfile](), map[string]any{"profileName": "r", "profileType": "General", "associatedSensorIds": []any{}, "runtimeSensor": "disable"}, "RUNTIME"},
		{reflect.TypeFor[CreateSensorProfile](), map[string]any{"profileName": "r", "profileType": "RUNTIME", "associatedSensorIds": []any{}, "runtimeSensor": "off"}, "enable or disable"},
		{reflect.TypeFor[CreateSensorProfile](), map[string]any{"profileName": "r", "profileType": "Cluster", "associatedSensorIds": []any{}, "config": map[string]any{"vulnerabilityManagement": map[string]any{"containerScanningInterval": 36}}}, "containerScanningInterval"},
		{reflect.TypeFor[CreateSchedule](), map[string]any{"registryId": "r", "onDemand": false, "schedule": "01:00", "filters": repos, "scheduleIntervalInDays": 3, "weekDay": "MONDAY"}, "weekDay"},
		{reflect.TypeFor[CreateSchedule](), map[string]any{"registryId": "r", "onDemand": false, "schedule": "01:00", "filters": repos, "scheduleIntervalInDays": 7, "weekDay": "Monday"}, "weekDay"},
		{reflect.TypeFor[CreateSchedule](), map[string]any{"registryId": "r", "onDemand": false, "schedule": "01:00", "filters": repos, "scheduleIntervalInDays": 7, "weekDay": "MONDAY"}, ""},
		{reflect.TypeFor[DeleteSchedulesBulk](), map[string]any{"registryId": "r"}, "scheduleIds"},
		{reflect.TypeFor[DeleteSchedulesBulk](), map[string]any{"registryId": "r", "filter": "status:Finished"}, ""},
		{reflect.TypeFor[ImageVulnsWithExceptions](), map[string]any{"imageSha": "abc", "applyException": false}, ""},
		{reflect.TypeFor[GetImageWithScans](), map[string]any{"imageSha": "abc", "scanDetails": "malware,viruses"}, "scanDetails"},
		{reflect.TypeFor[GetImageWithScans](), map[string]any{"imageSha": "abc", "scanDetails": []any{"malware"}}, "scanDetails"},
		{reflect.TypeFor[BulkImagesWithScans](), map[string]any{"scanDetails": "malware, secrets"}, ""},
		{reflect.TypeFor[BulkImagesWithScans](), map[string]any{"scanDetails": "compliance"}, "scanDetails"},
		{reflect.TypeFor[UpdateSensorProfileWithPropagation](), map[string]any{"sensorProfileId": "p", "isVulnPropagation": true}, ""},
		{reflect.TypeFor[UpdateSensorProfileWithPropagation](), map[string]any{"sensorProfileId": "p", "runtimeSensor": "disable", "ignoreProcesses": "/cat"}, ""},
		{reflect.TypeFor[UpdateSensorProfileWithPropagation](), map[string]any{"sensorProfileId": "p", "runtimeSensor": "off"}, "enable or disable"},
		{reflect.TypeFor[UpdateSensorProfileWithPropagation](), map[string]any{"sensorProfileId": "p", "profileType": "General", "runtimeSensor": "enable"}, "RUNTIME"},
	} {
		err := check(t, c.typ, c.args)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s %v: refused: %v", c.typ, c.args, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s %v: want a refusal naming %q, got %v", c.typ, c.args, c.want, err)
		}
	}
}
