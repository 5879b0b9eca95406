package apicheck

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// docOp is an operation the OpenAPI document (2021) lacks, as the newer
// documents define it: the release notes (v1.17, v1.21) and the current
// CS API pages (2026). Its query parameters are those its parameter table
// lists; its body is the union of its samples' shapes, with the fields
// the table names that no sample shows (or types more precisely).
type docOp struct {
	method, path string
	source       string   // the document and table that define it
	query        []string // "name" (a string), or "name:integer", "name:boolean", "name:array" (may repeat)
	required     []string // the query parameters the table marks mandatory
	bodyFrom     []string // "METHOD path" of the samples whose bodies make its body
	bodyRequired []string // the body fields the table marks required
	// fields are the body fields the table names and no sample shows, or
	// types more precisely: "a.b[].c" -> the field's schema (JSON). A
	// sample's null keeps the field nullable.
	fields  map[string]string
	body    *openapi3.Schema
	samples []string
	missing bool // the path is a document's, the method is not
}

var listQuery = []string{"filter", "pageNumber:integer", "pageSize:integer", "sort"}

const (
	a26  = "the CS API guide (docs.qualys.com/en/cs/api): "
	v117 = "release notes v1.17: "
	v121 = "release notes v1.21: "
)

// Schemas the 2026 tables share.
const (
	boolean  = `{"type":"boolean"}`
	integer  = `{"type":"integer"}`
	strArray = `{"type":"array","items":{"type":"string"}}`
	weekDays = `["SUNDAY","MONDAY","TUESDAY","WEDNESDAY","THURSDAY","FRIDAY","SATURDAY"]`
	window   = `{"type":"array","items":{"type":"object","properties":{"repeatOnDays":{"type":"array","items":{"type":"string","enum":` + weekDays + `}},"allDayToggle":{"type":"boolean"},"startTime":{"type":"string"},"endTime":{"type":"string"}}}}`
	// ruleMeta is a policy rule's metaData as written: an object whose
	// fields depend on the rule's type (the create page's sample, and the
	// types' table of the public client).
	ruleMeta = `{"type":"object","properties":{"operator":{"type":"string","enum":["GREATER_THAN","GREATER_THAN_EQUAL_TO"]},"threshold":{"type":"integer"},"severityLevel":{"type":"integer"},` +
		`"value":{},"values":{"type":"array"},"options":{"type":"array","items":{"type":"object","properties":{"id":{"type":"string"},"enabled":{"type":"boolean"}}}}}}`
	k8sFilters = `{"type":"array","nullable":true,"items":{"type":"object","properties":{"cluster":{"type":"object","nullable":true,"properties":{"clusterUid":{"type":"string"},"clusterName":{"type":"string"}}},` +
		`"namespace":{"type":"object","nullable":true,"properties":{"namespaceUuid":{"type":"string"},"namespaceValue":{"type":"string"},"clusterUid":{"type":"string"}}}}}}`
	ruleAdd        = `{"type":"array","items":{"type":"object","properties":{"entityType":{"type":"string","enum":["IMAGE","CONTAINER"]},"rule":{"type":"string"}}}}`
	reportSchedule = `{"type":"object","nullable":true,"properties":{"recurrenceType":{"type":"string","enum":["DAILY","WEEKLY","MONTHLY"]},"selectedDayOfWeeks":{"type":"array","nullable":true,"items":{"type":"string","enum":` + weekDays + `}},` +
		`"customMessage":{"type":"string"},"emailNotification":{"type":["integer","boolean"]},"emailSubject":{"type":"string"},"recipient":{"type":"string"},"sendAsAttachment":{"type":["integer","boolean"]},"zip":{"type":"integer"}}}`
	expireAfter = `{"type":"string","enum":["1","7","30","90"]}`
)

// ruleTypes are the policy rule types the pages list, in both spellings
// of the malware rule (the guide's and the client's).
var ruleTypes = `{"type":"string","enum":["IMAGESCAN_VULN_SEVERITYCOUNT","IMAGESCAN_VULN_CVSSV3_SEVERITYCOUNT","IMAGESCAN_VULN_SECRETS_SEVERITYCOUNT","IMAGESCAN_VULN_RESTRICTED_CVES",` +
	`"IMAGESCAN_VULN_RESTRICTED_QIDS","IMAGESCAN_VULN_QDS_SEVERITY","IMAGESCAN_VULN_RESTRICTED_SOFTWARES","IMAGESCAN_VULN_RESTRICTED_IMAGES","IMAGESCAN_VULN_RESTRICTED_OLDER_IMAGES",` +
	`"IMAGESCAN_VULN_RESTRICTED_malware_IMAGES","IMAGESCAN_VULN_RESTRICTED_MALWARE_IMAGES","PODSECURITY"]}`

// operationTable is what the documents' tables say of each operation; the
// body schemas are read from their samples.
func operationTable() []*docOp {
	profileBody := []string{"POST /sensorProfile", "PUT /sensorProfile/{sensorProfileId}"}
	// The 2026 guide's Create/Update a Sensor Profile tables: profile types
	// Cluster and RUNTIME, the runtime sensor's fields, the blackout window
	// under its new name (v1.21's weeklyInactiveWindowSchedules stays: its
	// sample is documented), and a filter string the tables list.
	profileFields := map[string]string{
		"profileType":                          `{"type":"string","enum":["Registry","General","CICD","Cluster","RUNTIME"]}`,
		"runtimeSensor":                        `{"type":"string","enum":["enable","disable"]}`,
		"ignoreProcesses":                      str,
		"filter":                               str,
		"config.weeklyBlackoutWindowSchedules": window,
		"config.weeklyInactiveWindowSchedules": window,
		"config.vulnerabilityManagement.containerScanningInterval": `{"type":"integer","enum":[12,24,48]}`,
		"config.vulnerabilityManagement.scanningPolicy":            `{"type":"string","enum":["DynamicWithStaticScanningAsFallback","Dynamic"]}`,
	}
	exceptionBody := []string{"POST /exception", "PUT /exception/{exceptionId}"}
	exceptionFields := map[string]string{
		"reason":               `{"type":"string","enum":["RISK_ACCEPTED","FALSE_POSITIVE"]}`,
		"scope":                `{"type":"string","enum":["IMAGE","CONTAINER"]}`,
		"exceptionType":        `{"type":"string","enum":["VULNERABILITY"]}`,
		"entityAssignmentType": `{"type":"string","enum":["STATIC","DYNAMIC"]}`,
		"dynamicFilter":        str, // the table types it integer; it holds QQL (the details page's sample)
	}
	exceptionRequired := []string{"name", "reason", "scope", "exceptionType", "listId", "startDate", "endDate"}
	assign := map[string]string{"exceptionEvent": `{"type":"string","enum":["ASSIGN","DEASSIGN"]}`}
	policyBody := []string{"POST /centralizedPolicy", "PUT /centralizedPolicy/{policyId}"}
	policyFields := map[string]string{
		"policyType":                        `{"type":"string","enum":["CICD","K8S_ADMISSION_CONTROLLER","K8S_Admission_Controller","IMAGESCAN"]}`,
		"policyMode":                        `{"type":"string","enum":["ACTIVE","INACTIVE"]}`,
		"k8sFilters":                        k8sFilters,
		"centralizedPolicyRules[].type":     ruleTypes,
		"centralizedPolicyRules[].action":   `{"type":"string","enum":["ALLOW","DENY"]}`,
		"centralizedPolicyRules[].metaData": ruleMeta,
	}
	reportFields := map[string]string{
		"name": str, "description": str, "filter": str, "displayColumns": strArray, "templateName": str,
		"expireAfter": expireAfter, "eventTime": str, "eventEndTime": str, "action": `{"type":"string","enum":["CREATE"]}`,
		"reportScheduleDetails": reportSchedule,
	}
	updateReportFields := map[string]string{"displayColumns": strArray, "eventTime": str, "eventEndTime": str, "expireAfter": expireAfter, "reportScheduleDetails": reportSchedule}
	return []*docOp{
		{method: "GET", path: "/sensorProfile", query: listQuery, source: v117 + "Fetch a list of sensor profiles"},
		// v1.17: profileName, profileType, associatedSensorIds "(Required)"; associatedRegistryIds too, for
		// the Registry profiles v1.17 had; v1.21's General sample sends it null.
		{method: "POST", path: "/sensorProfile", bodyFrom: profileBody, bodyRequired: []string{"profileName", "profileType", "associatedSensorIds"}, fields: profileFields,
			source: v117 + "Create a sensor profile; " + v121 + "Create or Update a Sensor Profile; " + a26 + "Create a Sensor Profile"},
		{method: "GET", path: "/sensorProfile/{sensorProfileId}", source: v117 + "Fetch details for a sensor profile"},
		// 2026: isVulnPropagation is in the update page's input parameters,
		// beside the path's ID, not in its body table: a query parameter.
		{method: "PUT", path: "/sensorProfile/{sensorProfileId}", bodyFrom: profileBody, fields: profileFields, query: []string{"isVulnPropagation:boolean"},
			source: v117 + "Update a sensor profile; " + v121 + "Create or Update a Sensor Profile; " + a26 + "Update a Sensor Profile (release 1.42)"},
		{method: "DELETE", path: "/sensorProfile/{sensorProfileId}", source: v117 + "Delete a sensor profile"},
		{method: "GET", path: "/sensorProfile/{sensorProfileId}/registry", query: listQuery, source: v117 + "Fetch registries associated with a sensor profile"},
		{method: "GET", path: "/sensorProfile/{sensorProfileId}/sensor", query: listQuery, source: v117 + "Fetch sensors associated with a sensor profile"},
		{method: "GET", path: "/sensorProfile/sensor/associate", query: append([]string{"sensorProfileType"}, listQuery...), required: []string{"sensorProfileType"},
			source: v121 + "Fetch Sensors that Could be Associated with a Sensor Profile"},
		// v1.21's table: sensorType (mandatory, default GENERAL), pageNumber, pageSize, sort; no filter.
		{method: "GET", path: "/sensors/profile/associate", query: []string{"sensorType", "pageNumber:integer", "pageSize:integer", "sort"},
			source: v121 + "Fetch Sensor Profiles That Could be Associated with a Sensor"},
		{method: "PUT", path: "/sensors/{sensorId}/profile/{profileId}/attach", source: v121 + "Attach a Sensor Profile to a Sensor"},
		{method: "PUT", path: "/sensors/{sensorId}/profile/detach", source: v121 + "Detach a Sensor Profile from a Sensor"},

		// ---- 2026: exceptions ----
		{method: "POST", path: "/exception", bodyFrom: exceptionBody, fields: exceptionFields, bodyRequired: exceptionRequired, source: a26 + "Create an Exception"},
		{method: "GET", path: "/exception/{exceptionId}", query: []string{"includeQids:boolean"}, source: a26 + "Fetch Details of an Exception"},
		{method: "PUT", path: "/exception/{exceptionId}", bodyFrom: exceptionBody, fields: exceptionFields, bodyRequired: exceptionRequired, source: a26 + "Update an Exception"},
		{method: "GET", path: "/images/{imageSha}/exceptions", source: a26 + "Fetch Exceptions Associated with an Image"},
		{method: "PUT", path: "/images/{imageId}/exceptions", bodyFrom: []string{"PUT /images/{imageId}/exceptions"}, fields: assign, bodyRequired: []string{"exceptionEvent", "exceptionIds"},
			source: a26 + "Update Exceptions Associated with an Image"},
		{method: "GET", path: "/containers/{containerSha}/exceptions", source: a26 + "Fetch Exceptions Associated with a Container"},
		{method: "PUT", path: "/containers/{containerId}/exceptions", bodyFrom: []string{"PUT /containers/{containerId}/exceptions"}, fields: assign, bodyRequired: []string{"exceptionEvent", "exceptionIds"},
			source: a26 + "Update Exceptions Associated with a Container"},

		// ---- 2026: centralized policies ----
		{method: "GET", path: "/centralizedPolicy", source: "no Qualys page; the public client anmolparida/centralized-policies sends no parameters"},
		{method: "POST", path: "/centralizedPolicy", bodyFrom: policyBody, fields: policyFields, bodyRequired: []string{"policyName", "policyType", "centralizedPolicyRules"}, source: a26 + "Create a Policy"},
		{method: "GET", path: "/centralizedPolicy/{policyId}", query: []string{"version:integer"}, source: a26 + "Show Details of a Centralized Policy"},
		{method: "PUT", path: "/centralizedPolicy/{policyId}", bodyFrom: policyBody, fields: policyFields, bodyRequired: []string{"policyName", "policyType", "centralizedPolicyRules"},
			source: a26 + "Update a Policy (release 1.36)"},
		{method: "DELETE", path: "/centralizedPolicy/{policyId}", source: "no Qualys page; the public client anmolparida/centralized-policies"},
		{method: "GET", path: "/centralizedPolicy/defaultPolicy/{policyType}", source: a26 + "Show Default Policy Details"},
		{method: "PUT", path: "/centralizedPolicy/{policyId}/mode", bodyFrom: []string{"PUT /centralizedPolicy/{policyId}/mode"}, fields: map[string]string{"policyMode": `{"type":"string","enum":["ACTIVE","INACTIVE"]}`},
			bodyRequired: []string{"policyMode"}, source: "release 1.36 (the path); the public client anmolparida/centralized-policies (the body)"},

		// ---- 2026: tags ----
		{method: "POST", path: "/tag/create", bodyFrom: []string{"POST /tag/create"}, fields: map[string]string{"tagInfoDataList": ruleAdd}, bodyRequired: []string{"name"},
			source: a26 + "Create Dynamic Tag (release 1.41)"},
		{method: "PUT", path: "/tag/update", bodyFrom: []string{"PUT /tag/update"}, fields: map[string]string{"entityTypeToAdd": ruleAdd,
			"entityTypeRuleToUpdate": `{"type":"object","properties":{"image":{"type":"string"},"container":{"type":"string"}}}`}, bodyRequired: []string{"name"},
			source: a26 + "Update Dynamic Tag"},
		// release 1.41's table shows "tagName=<name of the dynamic tag>": a query parameter; no body.
		{method: "POST", path: "/tag/evaluateTags", query: []string{"tagName"}, required: []string{"tagName"}, source: "release 1.41 (Re-evaluate Dynamic Tags)"},
		// the page's sample is a template: its entityType is "IMAGE / CONTAINER", so the check takes any string there
		{method: "POST", path: "/tag/assign", bodyFrom: []string{"POST /tag/assign"}, bodyRequired: []string{"entityType"}, source: a26 + "Assign Tags to an Asset (release 1.43)"},

		// ---- 2026: report schedules ----
		{method: "POST", path: "/reports/schedule", fields: reportFields,
			bodyRequired: []string{"name", "templateName", "expireAfter", "eventTime", "eventEndTime", "action", "reportScheduleDetails"}, source: a26 + "Create a Report Schedule"},
		{method: "PUT", path: "/reports/schedule/{reportingScheduleID}", fields: updateReportFields, source: a26 + "Update an Active Report Schedule (release 1.35)"},

		// ---- 2026: Kubernetes posture (release 1.38: only the list's parameter table is legible) ----
		{method: "GET", path: "/k8s_postures/list", query: []string{"filter", "limit:integer", "pageNumber:integer", "pageSize:integer", "sort"}, source: "release 1.38 (Fetch a List of K8s Control Postures)"},
		{method: "GET", path: "/k8s_postures/count", source: "release 1.38 (no parameter table legible)"},
		{method: "GET", path: "/k8s_postures/control/{controlId}", source: "release 1.38"},
		{method: "GET", path: "/k8s_postures/control/{controlId}/evidence", source: "release 1.38"},

		// ---- 2026: the bulk schedule deletion's path ----
		{method: "DELETE", path: "/registry/{registryId}/schedule/bulk", query: []string{"scheduleIds:array", "filter"},
			source: a26 + "Delete Multiple or All Registry Schedules in Bulk"},
	}
}

// operations reads each operation's body schema from the samples: the
// union of their shapes (a field seen null in one sample and a string in
// another is a nullable string), then the table's fields.
func operations(samples []Sample) ([]*docOp, error) {
	ops := operationTable()
	byOp := map[string][]Sample{}
	for _, s := range samples {
		if op := matchOp(ops, s.Method, s.Path); op != nil && !op.missing {
			byOp[op.method+" "+op.path] = append(byOp[op.method+" "+op.path], s)
		}
	}
	for _, op := range ops {
		for _, s := range byOp[op.method+" "+op.path] {
			op.samples = append(op.samples, s.String())
		}
		for _, from := range op.bodyFrom {
			for _, s := range byOp[from] {
				if s.Body == nil {
					continue
				}
				var v any
				if err := json.Unmarshal(s.Body, &v); err != nil {
					return nil, fmt.Errorf("%s: %w", s, err)
				}
				op.body = union(op.body, shapeOf(v))
			}
		}
		if len(op.bodyFrom) > 0 && op.body == nil {
			return nil, fmt.Errorf("no sample body for %s %s in the documents", op.method, op.path)
		}
		if len(op.fields) > 0 && op.body == nil {
			op.body = strictObject()
		}
		for _, where := range sortedKeys(op.fields) {
			var s openapi3.Schema
			if err := json.Unmarshal([]byte(op.fields[where]), &s); err != nil {
				return nil, fmt.Errorf("%s %s: field %s: %w", op.method, op.path, where, err)
			}
			strict(&s)
			op.body = withField(op.body, strings.Split(where, "."), &s)
		}
		if op.body != nil {
			b := *op.body
			b.Required = op.bodyRequired
			op.body = &b
		}
	}
	return ops, nil
}

func strictObject() *openapi3.Schema {
	s := openapi3.NewObjectSchema()
	s.AdditionalProperties = openapi3.AdditionalProperties{Has: openapi3.Ptr(false)}
	return s
}

// strict makes every object of a table's schema refuse fields it does not
// name.
func strict(s *openapi3.Schema) {
	if s.Type.Is(openapi3.TypeObject) && len(s.Properties) > 0 {
		s.AdditionalProperties = openapi3.AdditionalProperties{Has: openapi3.Ptr(false)}
	}
	for _, p := range s.Properties {
		strict(p.Value)
	}
	if s.Items != nil {
		strict(s.Items.Value)
	}
}

// withField is s (copied where it changes) with field path set to f; an
// object on the way that s lacks is made. A field the samples show null
// stays nullable.
func withField(s *openapi3.Schema, path []string, f *openapi3.Schema) *openapi3.Schema {
	c := *s
	name, items := strings.CutSuffix(path[0], "[]")
	props := openapi3.Schemas{}
	for k, v := range s.Properties {
		props[k] = v
	}
	c.Properties = props
	var cur *openapi3.Schema
	if p := props[name]; p != nil {
		cur = p.Value
	}
	if items {
		var item *openapi3.Schema
		if cur != nil && cur.Items != nil {
			item = cur.Items.Value
		}
		if item == nil {
			item = strictObject()
		}
		arr := openapi3.NewArraySchema()
		if cur != nil {
			a := *cur
			arr = &a
		}
		arr.Items = openapi3.NewSchemaRef("", withField(item, path[1:], f))
		props[name] = openapi3.NewSchemaRef("", arr)
		return &c
	}
	if len(path) > 1 {
		if cur == nil || !cur.Type.Is(openapi3.TypeObject) {
			cur = strictObject()
		}
		props[name] = openapi3.NewSchemaRef("", withField(cur, path[1:], f))
		return &c
	}
	g := *f
	g.Nullable = g.Nullable || cur != nil && cur.Nullable
	props[name] = openapi3.NewSchemaRef("", &g)
	return &c
}

// matchOp finds the operation a request is: among the templates the path
// fits (literal segments first), the one with the method; an operation
// marked missing when the path is a document's and the method is not.
func matchOp(ops []*docOp, method, path string) *docOp {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	best, bestLit := (*docOp)(nil), -1
	pathKnown := ""
	for _, op := range ops {
		lit, ok := fits(op.path, segs)
		if !ok {
			continue
		}
		if pathKnown == "" {
			pathKnown = op.path
		}
		if op.method == method && lit > bestLit {
			best, bestLit = op, lit
		}
	}
	if best != nil {
		return best
	}
	if pathKnown != "" {
		return &docOp{method: method, path: pathKnown, missing: true}
	}
	return nil
}

// fits says whether a path template fits a path's segments, and how many
// of its segments are literal.
func fits(template string, segs []string) (int, bool) {
	ts := strings.Split(strings.Trim(template, "/"), "/")
	if len(ts) != len(segs) {
		return 0, false
	}
	lit := 0
	for i, s := range ts {
		switch {
		case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"):
		case s == segs[i]:
			lit++
		default:
			return 0, false
		}
	}
	return lit, true
}

func (op *docOp) check(r *http.Request, body []byte) error {
	where := fmt.Sprintf("%s %s in the documents", op.method, op.path)
	if op.missing {
		return &Error{404, fmt.Sprintf("the documents have no %s %s", op.method, op.path)}
	}
	var names []string
	types := map[string]string{}
	for _, q := range op.query {
		name, typ, _ := strings.Cut(q, ":")
		names = append(names, name)
		types[name] = typ
	}
	if err := unknownQueryOf(r, names, where); err != nil {
		return err
	}
	q := r.URL.Query()
	for _, p := range op.required {
		if q.Get(p) == "" {
			return &Error{400, fmt.Sprintf("%s does not allow this request: query parameter %q is required", where, p)}
		}
	}
	for _, name := range sortedKeys(q) {
		vals, typ := q[name], types[name]
		if len(vals) > 1 && typ != "array" {
			return &Error{400, fmt.Sprintf("%s does not allow this request: query parameter %q is given %d times; it takes one value", where, name, len(vals))}
		}
		for _, v := range vals {
			switch _, err := strconv.Atoi(v); {
			case typ == "integer" && err != nil:
				return &Error{400, fmt.Sprintf("%s does not allow this request: query parameter %q must be an integer, not %q", where, name, v)}
			case typ == "boolean" && v != "true" && v != "false":
				return &Error{400, fmt.Sprintf("%s does not allow this request: query parameter %q must be true or false, not %q", where, name, v)}
			}
		}
	}
	if op.body == nil {
		if len(body) > 0 {
			return &Error{400, where + " does not allow this request: it takes no body"}
		}
		return nil
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return &Error{400, where + " does not allow this request: the body is not JSON"}
	}
	if err := op.body.VisitJSON(v, openapi3.MultiErrors()); err != nil {
		return &Error{400, fmt.Sprintf("%s does not allow this request: %s", where, reason(openapi3.MultiError{&openapi3filter.RequestError{RequestBody: &openapi3.RequestBody{}, Err: err}}))}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// shapeOf is the schema a sample value shows: its type, and for objects
// and arrays what they hold; null says only that the field may be null.
func shapeOf(v any) *openapi3.Schema {
	switch x := v.(type) {
	case nil:
		return &openapi3.Schema{Nullable: true}
	case string:
		return openapi3.NewStringSchema()
	case bool:
		return openapi3.NewBoolSchema()
	case float64:
		if x == math.Trunc(x) {
			return openapi3.NewIntegerSchema()
		}
		return openapi3.NewFloat64Schema()
	case []any:
		s := openapi3.NewArraySchema()
		var items *openapi3.Schema
		for _, e := range x {
			items = union(items, shapeOf(e))
		}
		if items != nil {
			s.Items = openapi3.NewSchemaRef("", items)
		}
		return s
	case map[string]any:
		s := strictObject()
		for k, e := range x {
			s.WithPropertyRef(k, openapi3.NewSchemaRef("", shapeOf(e)))
		}
		return s
	}
	return &openapi3.Schema{}
}

// union is a schema that takes what a or b takes.
func union(a, b *openapi3.Schema) *openapi3.Schema {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	nullable := a.Nullable || b.Nullable
	switch {
	case a.Type == nil || a.Type.IsEmpty():
		c := *b
		c.Nullable = nullable
		return &c
	case b.Type == nil || b.Type.IsEmpty():
		c := *a
		c.Nullable = nullable
		return &c
	case !slices.Equal(a.Type.Slice(), b.Type.Slice()):
		if a.Type.Is(openapi3.TypeNumber) && b.Type.Is(openapi3.TypeInteger) || a.Type.Is(openapi3.TypeInteger) && b.Type.Is(openapi3.TypeNumber) {
			return &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeNumber}, Nullable: nullable}
		}
		return &openapi3.Schema{Nullable: nullable} // two types: anything
	}
	c := *a
	c.Nullable = nullable
	switch {
	case a.Type.Is(openapi3.TypeArray):
		var ai, bi *openapi3.Schema
		if a.Items != nil {
			ai = a.Items.Value
		}
		if b.Items != nil {
			bi = b.Items.Value
		}
		if u := union(ai, bi); u != nil {
			c.Items = openapi3.NewSchemaRef("", u)
		}
	case a.Type.Is(openapi3.TypeObject):
		c.Properties = openapi3.Schemas{}
		for k, p := range a.Properties {
			c.Properties[k] = p
		}
		for k, p := range b.Properties {
			if q, ok := c.Properties[k]; ok {
				c.Properties[k] = openapi3.NewSchemaRef("", union(q.Value, p.Value))
			} else {
				c.Properties[k] = p
			}
		}
	}
	return &c
}
