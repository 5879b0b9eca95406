package apicheck

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
)

func validator(t *testing.T) *Validator {
	t.Helper()
	v, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// The OpenAPI document is the one Qualys published, byte for byte: its
// digest is the one documents/SOURCE.md records.
func TestOpenAPIIsAsPublished(t *testing.T) {
	src, err := os.ReadFile("documents/SOURCE.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("sha256: `([0-9a-f]{64})`").FindSubmatch(src)
	if m == nil {
		t.Fatal("SOURCE.md records no sha256 of the OpenAPI document")
	}
	sum := sha256.Sum256(OpenAPI())
	if got := hex.EncodeToString(sum[:]); got != string(m[1]) {
		t.Fatalf("the OpenAPI document's sha256 is %s, SOURCE.md records %s: it is not the document as published", got, m[1])
	}
}

// Every seed sample is there, names its source, and reads as data.
func TestSeedSamples(t *testing.T) {
	s, err := Samples(Seeds()...)
	if err != nil {
		t.Fatal(err)
	}
	bodies, answers := 0, 0
	for _, x := range s {
		t.Logf("%s %v %s", x, x.Query, x.Body)
		if x.Release == "" || x.Section == "" || x.File == "" || x.Line < 1 {
			t.Errorf("%s: does not name its release, section, seed file and line", x)
		}
		if x.Body != nil {
			bodies++
			if !json.Valid(x.Body) {
				t.Errorf("%s: body is not JSON", x)
			}
		}
		if x.Response != nil {
			answers++
		}
	}
	if len(s) != 19 || bodies != 5 || answers < 12 {
		t.Fatalf("%d samples, %d bodies, %d answers", len(s), bodies, answers)
	}
	if all, _ := Samples(); len(all) < len(s) {
		t.Fatalf("all samples: %d, fewer than the seeds' %d", len(all), len(s))
	}
}

func TestDocumentJudges(t *testing.T) {
	v := validator(t)
	for _, c := range []struct {
		method, url, body string
		want              string // "" passes
	}{
		{"GET", "/csapi/v1.3/images?filter=a&pageNumber=1&pageSize=5&sort=created:desc", "", ""},
		{"GET", "/csapi/v1.3/images?pageNo=1", "", "unknown query parameter(s) pageNo"},
		{"GET", "/csapi/v1.3/images?pageSize=many", "", "pageSize"},
		{"POST", "/csapi/v1.3/reports", `{"name":"r","templateName":"CS_IMAGE_VULNERABILITY"}`, ""},
		{"POST", "/csapi/v1.3/reports", `{"name":"r","colour":"red"}`, "colour"},
		{"POST", "/csapi/v1.3/reports", `{"name":7}`, "name"},
		{"GET", "/csapi/v1.3/images/abc", `{"x":1}`, "body"},
		{"GET", "/csapi/v1.3/nothing", "", "neither"},
		{"PUT", "/csapi/v1.3/sensorProfile/6963d471", `{"profileName":"p","associatedRegistryIds":null,"config":{"vulnerabilityManagement":{"globalScanningFlag":true}}}`, ""},
		{"POST", "/csapi/v1.3/sensorProfile", `{"profileName":"p","profileType":"General"}`, "associatedSensorIds"},
		{"POST", "/csapi/v1.3/sensorProfile", `{"profileName":"p","profileType":"General","associatedSensorIds":[],"colour":1}`, "colour"},
		{"PUT", "/csapi/v1.3/sensorProfile/x", `{"config":{"vulnerabilityManagement":{"globalScanningFlag":"yes"}}}`, "globalScanningFlag"},
		{"GET", "/csapi/v1.3/sensorProfile/sensor/associate?pageSize=5", "", "sensorProfileType"},
		{"GET", "/csapi/v1.3/sensors/profile/associate?sensorType=GENERAL&filter=x", "", "filter"},
		{"PUT", "/csapi/v1.3/sensors/abc/profile/detach", "", ""},
	} {
		r := httptest.NewRequest(c.method, "http://gw"+c.url, strings.NewReader(c.body))
		if c.body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		err := v.Validate(r)
		t.Logf("%s %s: %v", c.method, c.url, err)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s %s: refused: %v", c.method, c.url, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s %s %s: want a refusal naming %q, got %v", c.method, c.url, c.body, c.want, err)
		}
	}
}

// sampleRequest is a documented sample as an HTTP request, verbatim.
func sampleRequest(s Sample) *http.Request {
	u := "http://gw" + Base + s.Path
	if len(s.Query) > 0 {
		u += "?" + s.Query.Encode()
	}
	r := httptest.NewRequest(s.Method, u, bytes.NewReader(s.Body))
	if s.Body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	return r
}

// Every documented sample request, pasted verbatim, passes the check (but
// for the v1.21 sample's pageNo, which v1.3 does not take: the release
// notes say so themselves).
func TestEveryDocumentedSampleVerbatim(t *testing.T) {
	v := validator(t)
	all, err := Samples()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range all {
		if strings.Contains(s.Path, "{") {
			continue // the page shows the answer only
		}
		err := v.Validate(sampleRequest(s))
		if s.Query.Has("pageNo") {
			if err == nil || !strings.Contains(err.Error(), "pageNo") {
				t.Errorf("%s: pageNo is not v1.3's, yet passed: %v", s, err)
			}
			continue
		}
		n++
		if err != nil {
			t.Errorf("%s: refused: %v", s, err)
		}
	}
	if n < 40 {
		t.Fatalf("only %d samples checked", n)
	}
}

// The 2026 operations are judged strictly: a misnamed field, an unknown
// query parameter, a value outside a table's list, or a missing required
// field is refused, naming it; the documented shape passes.
func TestNewOperationsJudged(t *testing.T) {
	v := validator(t)
	exc := `{"name":"n","reason":"RISK_ACCEPTED","explanation":"x","scope":"IMAGE","listId":"l","exceptionType":"VULNERABILITY","entityAssignmentType":"DYNAMIC","dynamicFilter":"repo.tag:latest","startDate":"1","endDate":"2"}`
	pol := `{"policyName":"p","policyType":"K8S_ADMISSION_CONTROLLER","policyMode":"INACTIVE","k8sFilters":[{"cluster":{"clusterUid":"u","clusterName":"c"},"namespace":null}],` +
		`"centralizedPolicyRules":[{"name":"r_one","type":"PODSECURITY","action":"ALLOW","isEnabled":true,"stopProcessing":false,"sortOrder":0,"metaData":{"options":[{"id":"root_container","enabled":true}]}}]}`
	for _, c := range []struct {
		method, url, body string
		want              string // "" passes
	}{
		{"POST", "/exception", exc, ""},
		{"POST", "/exception", strings.Replace(exc, `"reason"`, `"reasons"`, 1), "reasons"},
		{"POST", "/exception", strings.Replace(exc, `"RISK_ACCEPTED"`, `"ACCEPTED"`, 1), "reason"},
		{"POST", "/exception", strings.Replace(exc, `"listId":"l",`, ``, 1), "listId"},
		{"PUT", "/exception/e1", strings.Replace(exc, `"entityAssignmentType"`, `"imageSelectionType"`, 1), "imageSelectionType"},
		{"GET", "/exception/e1?includeQids=true", "", ""},
		{"GET", "/exception/e1?includeQids=yes", "", "includeQids"},
		{"GET", "/exception/e1?withQids=true", "", "withQids"},
		{"DELETE", "/exception/e1", "", "have no"},
		{"PUT", "/images/u1/exceptions", `{"exceptionEvent":"DEASSIGN","exceptionIds":["a"]}`, ""},
		{"PUT", "/images/u1/exceptions", `{"exceptionEvent":"REMOVE","exceptionIds":["a"]}`, "exceptionEvent"},
		{"PUT", "/containers/u1/exceptions", `{"exceptionEvent":"ASSIGN","exceptionId":["a"]}`, "exceptionId"},
		{"GET", "/containers/s1/exceptions?pageSize=5", "", "pageSize"},
		{"POST", "/centralizedPolicy", pol, ""},
		{"POST", "/centralizedPolicy", strings.Replace(pol, `"sortOrder"`, `"order"`, 1), "order"},
		{"POST", "/centralizedPolicy", strings.Replace(pol, `"ALLOW"`, `"FAIL"`, 1), "action"},
		{"PUT", "/centralizedPolicy/p1", strings.Replace(pol, `"k8sFilters"`, `"K8sFilters"`, 1), "K8sFilters"},
		{"GET", "/centralizedPolicy/p1?version=2", "", ""},
		{"GET", "/centralizedPolicy/p1?version=two", "", "version"},
		{"GET", "/centralizedPolicy?pageSize=10", "", "pageSize"},
		{"PUT", "/centralizedPolicy/p1/mode", `{"policyMode":"INACTIVE"}`, ""},
		{"PUT", "/centralizedPolicy/p1/mode", `{"mode":"INACTIVE"}`, "mode"},
		{"PUT", "/centralizedPolicy/p1/mode", `{"policyMode":"OFF"}`, "policyMode"},
		{"DELETE", "/centralizedPolicy/p1", "", ""},
		{"GET", "/centralizedPolicy/defaultPolicy/CICD", "", ""},
		{"POST", "/tag/create", `{"name":"t","reevaluate":false,"tagInfoDataList":[{"entityType":"CONTAINER","rule":"container.state:RUNNING"}]}`, ""},
		{"POST", "/tag/create", `{"name":"t","tagInfoDataList":[{"entityType":"HOST","rule":"x"}]}`, "entityType"},
		{"PUT", "/tag/update", `{"name":"t","entityTypeRuleToUpdate":{"container":"container.state:RUNNING"}}`, ""},
		{"PUT", "/tag/update", `{"name":"t","entityTypeRuleToUpdate":{"pod":"x"}}`, "pod"},
		{"POST", "/tag/evaluateTags?tagName=t", "", ""},
		{"POST", "/tag/evaluateTags", "", "tagName"},
		{"POST", "/tag/evaluateTags?tagName=t", `{"tagName":"t"}`, "no body"},
		{"POST", "/tag/assign", `{"entityUUID":"u","entityType":"IMAGE","tagsToAdd":[{"tagUuid":"t","isCascadeToContainer":false}]}`, ""},
		{"POST", "/tag/assign", `{"entityUuid":"u","entityType":"IMAGE"}`, "entityUuid"},
		{"POST", "/reports/schedule", `{"name":"s","templateName":"CS_IMAGE_VULNERABILITY","expireAfter":"7","eventTime":"2026-06-01T00:00:00Z","eventEndTime":"2026-12-01T00:00:00Z","action":"CREATE","reportScheduleDetails":{"recurrenceType":"WEEKLY","selectedDayOfWeeks":["MONDAY"]}}`, ""},
		{"POST", "/reports/schedule", `{"name":"s","templateName":"CS_IMAGE_VULNERABILITY","expireAfter":"7","eventTime":"t","eventEndTime":"t","action":"CREATE","reportScheduleDetails":null}`, ""},
		{"POST", "/reports/schedule", `{"name":"s","templateName":"T","expireAfter":"5","eventTime":"t","eventEndTime":"t","action":"CREATE","reportScheduleDetails":null}`, "expireAfter"},
		{"POST", "/reports/schedule", `{"name":"s","templateName":"T","expireAfter":"7","eventTime":"t","eventEndTime":"t","action":"CREATE"}`, "reportScheduleDetails"},
		{"PUT", "/reports/schedule/r1", `{"expireAfter":"30","reportScheduleDetails":{"recurrenceType":"DAILY","emailNotification":1,"recipient":"a@b.c"}}`, ""},
		{"PUT", "/reports/schedule/r1", `{"name":"renamed"}`, "name"},
		{"GET", "/k8s_postures/list?filter=x&limit=10&pageNumber=1&pageSize=5&sort=controlId:asc", "", ""},
		{"GET", "/k8s_postures/list?limit=ten", "", "limit"},
		{"GET", "/k8s_postures/count?filter=x", "", "filter"},
		{"GET", "/k8s_postures/control/1234/evidence", "", ""},
		{"DELETE", "/registry/r1/schedule/bulk?scheduleIds=a&scheduleIds=b", "", ""},
		{"DELETE", "/registry/r1/schedule/bulk?filter=status:Finished", "", ""},
		{"DELETE", "/registry/r1/schedule/bulk?scheduleId=a", "", "scheduleId"},
		{"DELETE", "/registry/r1/schedule/bulk?filter=a&filter=b", "", "filter"},
		{"PUT", "/sensorProfile/p1?isVulnPropagation=true", `{"profileName":"p","profileType":"RUNTIME","runtimeSensor":"disable","ignoreProcesses":"/usr/bin/cat","config":{"weeklyBlackoutWindowSchedules":[{"repeatOnDays":["MONDAY"],"startTime":"01:00","endTime":"02:00"}]}}`, ""},
		{"PUT", "/sensorProfile/p1?isVulnPropagation=maybe", `{"profileName":"p"}`, "isVulnPropagation"},
		{"POST", "/sensorProfile", `{"profileName":"p","profileType":"Cluster","associatedSensorIds":[],"config":{"weeklyBlackoutWindowSchedule":[]}}`, "weeklyBlackoutWindowSchedule"},
		{"POST", "/sensorProfile", `{"profileName":"p","profileType":"Node","associatedSensorIds":[]}`, "profileType"},
		{"POST", "/sensorProfile", `{"profileName":"p","profileType":"General","associatedSensorIds":[],"config":{"vulnerabilityManagement":{"containerScanningInterval":36}}}`, "containerScanningInterval"},
		{"POST", "/registry/r1/schedule", `{"onDemand":false,"schedule":"01:00","filters":[{"repoTags":[{"repo":"a"}]}],"scheduleScanIntervalInDays":7,"weekDay":"MONDAY"}`, ""},
		{"POST", "/registry/r1/schedule", `{"onDemand":false,"filters":[],"weekday":"MONDAY"}`, "weekday"},
		{"GET", "/images/abc/vuln?applyException=false", "", ""},
		{"GET", "/images/abc/vuln?applyExceptions=false", "", "applyExceptions"},
		{"GET", "/images/abc?scanDetails=malware,secrets", "", ""},
	} {
		r := httptest.NewRequest(c.method, "http://gw"+Base+c.url, strings.NewReader(c.body))
		if c.body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		err := v.Validate(r)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s %s %s: refused: %v", c.method, c.url, c.body, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s %s %s: want a refusal naming %q, got %v", c.method, c.url, c.body, c.want, err)
		}
	}
}

const (
	notesStart = "<!-- changes-2026:start (generated by TestAPINotes2026; UPDATE_API_NOTES=1 go test ./sandbox/apicheck -run APINotes) -->"
	notesEnd   = "<!-- changes-2026:end -->"
)

// docs/api-notes.md lists the new fields and parameters the 2026
// pages add to the 2021 document's operations, as the check applies them
// (Changes2026).
func TestAPINotes2026(t *testing.T) {
	const file = "../../docs/api-notes.md"
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("| operation | field | OpenAPI v1.3 (2021) says | the 2026 page says | the server |\n|---|---|---|---|---|\n")
	cell := func(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
	for _, d := range Changes2026() {
		kind, name, _ := strings.Cut(d.Where, " ")
		fmt.Fprintf(&b, "| %s | %s `%s` | %s | %s | %s |\n", cell(strings.Join(d.Ops, ", ")), kind, name, cell(d.Spec), cell(d.Newer), cell(d.Held))
	}
	doc := string(raw)
	i, j := strings.Index(doc, notesStart), strings.Index(doc, notesEnd)
	if i < 0 || j < i {
		t.Fatalf("%s has no changes-2026 markers", file)
	}
	want := doc[:i] + notesStart + "\n" + b.String() + doc[j:]
	if want == doc {
		return
	}
	if os.Getenv("UPDATE_API_NOTES") != "" {
		if err := os.WriteFile(file, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s's table is not Changes2026: run UPDATE_API_NOTES=1 go test ./sandbox/apicheck -run APINotes", file)
}
