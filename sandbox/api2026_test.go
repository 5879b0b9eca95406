package sandbox_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox/apicheck"
)

// gw is a sandbox judged by the API's documents, and a way to call it.
type gw struct {
	t     *testing.T
	sb    *sandbox.Server
	token string
}

func newGW(t *testing.T) *gw {
	v, err := apicheck.New()
	if err != nil {
		t.Fatal(err)
	}
	sb := sandbox.New(sandbox.Options{Validate: v.Validate})
	return &gw{t: t, sb: sb, token: sb.IssueToken()}
}

// do sends a request (path under /csapi/v1.3, query included) and reads
// the answer's status and JSON (nil when there is none).
func (g *gw) do(method, path, body string) (int, any) {
	g.t.Helper()
	r := httptest.NewRequest(method, "http://gw"+sandbox.Base+path, strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+g.token)
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	g.sb.ServeHTTP(w, r)
	raw, _ := io.ReadAll(w.Result().Body)
	var v any
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &v); err != nil {
			g.t.Fatalf("%s %s: the answer is not JSON: %s", method, path, raw)
		}
	}
	return w.Code, v
}

// ok sends a request that must succeed, and returns its answer.
func (g *gw) ok(method, path, body string) any {
	g.t.Helper()
	code, v := g.do(method, path, body)
	if code != http.StatusOK {
		g.t.Fatalf("%s %s %s: %d %v", method, path, body, code, v)
	}
	return v
}

// refused sends a request that must be refused with a message naming want.
func (g *gw) refused(method, path, body, want string) {
	g.t.Helper()
	code, v := g.do(method, path, body)
	if code < 400 || !strings.Contains(fmt.Sprint(v), want) {
		g.t.Errorf("%s %s %s: %d %v, want a refusal naming %q", method, path, body, code, v, want)
	}
}

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }

func items(v any) []map[string]any {
	var out []map[string]any
	for _, e := range obj(v)["data"].([]any) {
		out = append(out, obj(e))
	}
	return out
}

// answered checks an answer against a documented one: every field the
// document shows is there, of the same JSON type, and, where exact says
// so, of the same value; lists are compared item by item as far as the
// document shows them.
func answered(t *testing.T, where string, got, doc any, exact bool, skip map[string]string) {
	t.Helper()
	switch d := doc.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			t.Errorf("%s: answered %T, the document shows an object", where, got)
			return
		}
		for k, dv := range d {
			if _, why := skip[k]; why {
				continue
			}
			gv, has := g[k]
			if !has {
				t.Errorf("%s: no %s in the answer, which the document shows", where, k)
				continue
			}
			answered(t, where+"."+k, gv, dv, exact, skip)
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) < len(d) && exact {
			t.Errorf("%s: answered %v, the document shows %d items", where, got, len(d))
			return
		}
		for i := range min(len(d), len(g)) {
			answered(t, fmt.Sprintf("%s[%d]", where, i), g[i], d[i], exact, skip)
		}
	default:
		switch {
		case exact && !reflect.DeepEqual(got, doc):
			t.Errorf("%s: answered %v, the document shows %v", where, got, doc)
		case doc != nil && got != nil && reflect.TypeOf(doc) != reflect.TypeOf(got):
			t.Errorf("%s: answered a %T (%v), the document shows a %T", where, got, got, doc)
		}
	}
}

// Every request the current pages document, sent as it stands, is
// accepted and answered as the page shows: every field the page shows,
// of its JSON type, and where the sandbox holds the page's own data (the
// paths below), of its value, but for IDs a create makes anew.
func TestDocumentedSamples2026(t *testing.T) {
	g := newGW(t)
	all, err := apicheck.Samples()
	if err != nil {
		t.Fatal(err)
	}
	exact := map[string]bool{}
	for _, p := range []string{"/exception/760b9868-8f41-4754-b51c-0d59d27e9945", "/exception/9e9f0cdc-7740-454b-abae-591002af4c65",
		"/exception/" + sandbox.DocExceptionID, "/images/" + sandbox.DocExceptionImageSha + "/exceptions", "/images/" + sandbox.DocImageUUID + "/exceptions",
		"/containers/" + sandbox.DocExceptionContainerSha + "/exceptions", "/containers/" + sandbox.DocContainerUUID + "/exceptions",
		"/centralizedPolicy/" + sandbox.DocPolicyID, "/tag/create", "/tag/update", "/images/" + sandbox.DocComplianceSha + "/compliance"} {
		exact[p] = true
	}
	fresh := map[string]string{"tagId": "the create sample's new tag", "exceptionId": "a create's new ID", "uuid": "a create's new ID"}
	n := 0
	for _, s := range all {
		if s.URL == "" || strings.Contains(s.Path, "{") {
			continue // the seeds' samples (the tools' tests send them), and answers shown without their request
		}
		path := s.Path
		if len(s.Query) > 0 {
			path += "?" + s.Query.Encode()
		}
		n++
		code, got := g.do(s.Method, path, string(s.Body))
		if strings.Contains(s.Note, "template") {
			if code != http.StatusBadRequest && code != http.StatusNotFound {
				t.Errorf("%s: the page's template (placeholders) answered %d %v", s, code, got)
			}
			continue
		}
		if code != http.StatusOK {
			t.Errorf("%s: %d %v", s, code, got)
			continue
		}
		if s.Response == nil {
			continue
		}
		var doc any
		json.Unmarshal(s.Response, &doc)
		if old := obj(doc)["imageSelectionType"]; old != nil { // the older details page's name: answered as the newer page names it
			delete(obj(doc), "imageSelectionType")
			obj(doc)["entityAssignmentType"] = old
		}
		skip := map[string]string{}
		if s.Method == "POST" {
			skip = fresh
		}
		answered(t, s.String(), got, doc, exact[s.Path] && !s.Cut, skip)
	}
	if n < 25 {
		t.Fatalf("only %d samples sent", n)
	}
	// the page's assign template, with real values: the page's answer
	tagged := g.ok("POST", "/tag/assign", `{"entityUUID":"`+sandbox.DocTaggedImageUUID+`","tagsToAdd":[{"tagUuid":"`+sandbox.DocTagUUID+`","isCascadeToContainer":true}],"entityType":"IMAGE","moduleCode":"CS"}`)
	if obj(tagged)["entityUUID"] != sandbox.DocTaggedImageUUID || obj(tagged)["cascadingKafkaJobUuid"] == nil {
		t.Errorf("tag assign: %v", tagged)
	}
	if !slices.Contains(g.sb.TagsOf(sandbox.DocTaggedImageUUID), "Tag-101") {
		t.Errorf("the assigned tag is not on the image: %v", g.sb.TagsOf(sandbox.DocTaggedImageUUID))
	}
	// what the samples changed: the policy read INACTIVE, the deleted one is gone, the schedule left
	if p := obj(g.ok("GET", "/centralizedPolicy/"+sandbox.DocPolicyID, "")); p["policyMode"] != "INACTIVE" {
		t.Errorf("after the mode sample the policy reads %v", p["policyMode"])
	}
	g.refused("GET", "/centralizedPolicy/"+sandbox.DocCreatedPolicyID, "", "not found")
	for _, sc := range items(g.ok("GET", "/registry/"+sandbox.BulkRegistryID+"/schedule", "")) {
		if sc["scheduleUuid"] == sandbox.BulkScheduleID {
			t.Error("the bulk deletion sample's schedule is still there")
		}
	}
	if got := items(g.ok("GET", "/images/"+sandbox.DocExceptionImageSha+"/exceptions", "")); len(got) != 1 {
		t.Errorf("the exception sample's image: %v", got)
	}
}

// Exceptions: state behaves as the guide says. An exception assigned to
// an image shows in that image's exceptions and hides its QIDs from the
// image's vulnerabilities (unless applyException=false) while active; an
// unassigned one leaves; an IMAGE exception shows on the image's
// containers; DEASSIGN of one not there, a DYNAMIC one, or one of the
// other scope is refused.
func TestExceptionsState(t *testing.T) {
	g := newGW(t)
	// an image with Log4Shell
	imgs := items(g.ok("GET", "/images?filter="+url.QueryEscape("vulnerabilities.qid:376187")+"&pageSize=5", ""))
	if len(imgs) == 0 {
		t.Fatal("no Log4Shell image in the inventory: the test checks nothing")
	}
	sha, uuid := imgs[0]["sha"].(string), imgs[0]["uuid"].(string)
	qids := func(apply string) map[float64]bool {
		out := map[float64]bool{}
		q := "/images/" + sha + "/vuln?type=DETAILS"
		if apply != "" {
			q += "&applyException=" + apply
		}
		for _, v := range obj(g.ok("GET", q, ""))["details"].([]any) {
			out[obj(v)["qid"].(float64)] = true
		}
		return out
	}
	if !qids("")[376187] {
		t.Fatal("Log4Shell not listed before any exception")
	}
	body := func(name, start, end string, ids ...string) string {
		b, _ := json.Marshal(map[string]any{"name": name, "reason": "RISK_ACCEPTED", "explanation": "patch in sprint 12", "scope": "IMAGE",
			"listId": sandbox.QIDListLog4j, "exceptionType": "VULNERABILITY", "entityAssignmentRequest": map[string]any{"idsToAdd": append([]string{}, ids...), "additionFilter": nil},
			"startDate": start, "endDate": end})
		return string(b)
	}
	id := obj(g.ok("POST", "/exception", body("log4j-accepted", "1600000000000", "4102358400000")))["exceptionId"].(string)
	// not yet on the image: created without it
	if got := items(g.ok("GET", "/images/"+sha+"/exceptions", "")); len(got) != 0 {
		t.Fatalf("an unassigned exception shows on the image: %v", got)
	}
	g.ok("PUT", "/images/"+uuid+"/exceptions", `{"exceptionEvent":"ASSIGN","exceptionIds":["`+id+`"]}`)
	on := items(g.ok("GET", "/images/"+sha+"/exceptions", ""))
	if len(on) != 1 || on[0]["uuid"] != id || on[0]["name"] != "log4j-accepted" || on[0]["scope"] != nil {
		t.Fatalf("the image's exceptions after ASSIGN: %v", on)
	}
	if qids("")[376187] || qids("true")[376187] || !qids("false")[376187] {
		t.Fatalf("Log4Shell with an active exception: default %v, true %v, false %v", qids("")[376187], qids("true")[376187], qids("false")[376187])
	}
	// the image's containers show it too
	if cs := items(g.ok("GET", "/containers?filter="+url.QueryEscape("imageSha:"+sha)+"&pageSize=1", "")); len(cs) > 0 {
		if got := items(g.ok("GET", "/containers/"+cs[0]["sha"].(string)+"/exceptions", "")); !slices.ContainsFunc(got, func(m map[string]any) bool { return m["uuid"] == id }) {
			t.Errorf("an IMAGE exception does not show on the image's container: %v", got)
		}
	}
	// an exception past its end hides nothing
	old := obj(g.ok("POST", "/exception", body("expired", "1600000000000", "1600000001000", uuid)))["exceptionId"].(string)
	// its details, with and without the QIDs
	d := obj(g.ok("GET", "/exception/"+old+"?includeQids=true", ""))
	if d["entityAssignmentType"] != "STATIC" || !reflect.DeepEqual(d["qids"], []any{376187.0, 376209.0}) || d["endDate"] != "1600000001000" {
		t.Errorf("details: %v", d)
	}
	if d := obj(g.ok("GET", "/exception/"+old, "")); d["qids"] != nil {
		t.Errorf("details without includeQids carry qids: %v", d)
	}
	// unassign: it leaves, and the QID is back
	g.ok("PUT", "/images/"+uuid+"/exceptions", `{"exceptionEvent":"DEASSIGN","exceptionIds":["`+id+`"]}`)
	if got := items(g.ok("GET", "/images/"+sha+"/exceptions", "")); len(got) != 1 || got[0]["uuid"] != old {
		t.Fatalf("after DEASSIGN: %v", got)
	}
	if !qids("")[376187] {
		t.Fatal("Log4Shell still hidden after the exception left (the other one has ended)")
	}
	g.refused("PUT", "/images/"+uuid+"/exceptions", `{"exceptionEvent":"DEASSIGN","exceptionIds":["`+id+`"]}`, "not assigned")
	g.refused("PUT", "/images/"+sha+"/exceptions", `{"exceptionEvent":"ASSIGN","exceptionIds":["`+id+`"]}`, "not found") // the path takes the UUID
	g.refused("PUT", "/containers/"+sandbox.DocContainerUUID+"/exceptions", `{"exceptionEvent":"ASSIGN","exceptionIds":["`+id+`"]}`, "scope IMAGE")
	g.refused("PUT", "/images/"+uuid+"/exceptions", `{"exceptionEvent":"ASSIGN","exceptionIds":["9e9f0cdc-7740-454b-abae-591002af4c65"]}`, "DYNAMIC")
	g.refused("PUT", "/images/"+uuid+"/exceptions", `{"exceptionEvent":"ASSIGN","exceptionIds":["00000000-0000-4000-8000-000000000000"]}`, "not found")
	// update replaces the fields; without entityAssignmentRequest its assets stay
	upd := strings.Replace(body("log4j-accepted-v2", "1600000000000", "4102358400000"), `,"entityAssignmentRequest":{"additionFilter":null,"idsToAdd":[]}`, "", 1)
	g.ok("PUT", "/images/"+uuid+"/exceptions", `{"exceptionEvent":"ASSIGN","exceptionIds":["`+id+`"]}`)
	g.ok("PUT", "/exception/"+id, upd)
	if got := items(g.ok("GET", "/images/"+sha+"/exceptions", "")); !slices.ContainsFunc(got, func(m map[string]any) bool { return m["name"] == "log4j-accepted-v2" }) {
		t.Errorf("after an update without entityAssignmentRequest the image lost the exception: %v", got)
	}
	// the documents refuse a misnamed field; the gateway a bad value
	g.refused("POST", "/exception", strings.Replace(body("x", "1", "2"), `"listId"`, `"qidListId"`, 1), "qidListId")
	g.refused("POST", "/exception", body("x", "5", "2"), "endDate must be after")
	g.refused("POST", "/exception", strings.Replace(body("x", "1", "2"), sandbox.QIDListLog4j, "11111111-1111-4111-8111-111111111111", 1), "not a QID list")
	g.refused("POST", "/exception", body("x", "1", "2", "not-an-image"), "idsToAdd")
	dyn := strings.Replace(body("dyn", "1", "4102358400000"), `"entityAssignmentRequest":{"additionFilter":null,"idsToAdd":[]}`, `"entityAssignmentType":"DYNAMIC","dynamicFilter":"repo.repository:`+"`library/nginx`"+`"`, 1)
	dynID := obj(g.ok("POST", "/exception", dyn))["exceptionId"].(string)
	nginx := items(g.ok("GET", "/images?filter="+url.QueryEscape("repo.repository:`library/nginx`")+"&pageSize=1", ""))[0]
	if got := items(g.ok("GET", "/images/"+nginx["sha"].(string)+"/exceptions", "")); !slices.ContainsFunc(got, func(m map[string]any) bool { return m["uuid"] == dynID }) {
		t.Errorf("a DYNAMIC exception does not show on the image its filter matches: %v", got)
	}
	g.refused("POST", "/exception", strings.Replace(dyn, "repo.repository", "image.os", 1), "image.os")
}

// Policies: create, read a version, update (a new version), switch the
// mode (a deactivated policy reads INACTIVE), list, delete (gone).
func TestPoliciesState(t *testing.T) {
	g := newGW(t)
	body := `{"policyName":"block-criticals","policyType":"CICD","policyMode":"ACTIVE","description":"no sev 5","centralizedPolicyRules":[` +
		`{"name":"Sev5","type":"IMAGESCAN_VULN_SEVERITYCOUNT","action":"DENY","isEnabled":true,"stopProcessing":false,"sortOrder":0,"metaData":{"operator":"GREATER_THAN","severityLevel":5,"threshold":0}}],` +
		`"assetType":"CICD","isDefault":false,"tagIds":["` + sandbox.DocTagUUID + `"]}`
	id := obj(g.ok("POST", "/centralizedPolicy", body))["uuid"].(string)
	p := obj(g.ok("GET", "/centralizedPolicy/"+id, ""))
	rule := obj(p["centralizedPolicyRules"].([]any)[0])
	if p["policyMode"] != "ACTIVE" || p["version"] != 1.0 || rule["metaData"] != `{"operator":"GREATER_THAN","severityLevel":5,"threshold":0}` ||
		obj(p["tagIds"].([]any)[0])["name"] != "Tag-101" {
		t.Fatalf("created policy: %v", p)
	}
	g.ok("PUT", "/centralizedPolicy/"+id, strings.Replace(body, "no sev 5", "no sev 5, v2", 1))
	if v := obj(g.ok("GET", "/centralizedPolicy/"+id, "")); v["version"] != 2.0 || v["description"] != "no sev 5, v2" {
		t.Errorf("after update: %v", v)
	}
	if v := obj(g.ok("GET", "/centralizedPolicy/"+id+"?version=1", "")); v["version"] != 1.0 || v["description"] != "no sev 5" {
		t.Errorf("version 1: %v", v)
	}
	g.refused("GET", "/centralizedPolicy/"+id+"?version=3", "", "version")
	g.ok("PUT", "/centralizedPolicy/"+id+"/mode", `{"policyMode":"INACTIVE"}`)
	if v := obj(g.ok("GET", "/centralizedPolicy/"+id, "")); v["policyMode"] != "INACTIVE" {
		t.Errorf("a deactivated policy reads %v", v["policyMode"])
	}
	g.ok("PUT", "/centralizedPolicy/"+id+"/mode", `{"policyMode":"ACTIVE"}`)
	if v := obj(g.ok("GET", "/centralizedPolicy/"+id, "")); v["policyMode"] != "ACTIVE" {
		t.Errorf("a reactivated policy reads %v", v["policyMode"])
	}
	if list := items(g.ok("GET", "/centralizedPolicy", "")); !slices.ContainsFunc(list, func(m map[string]any) bool { return m["uuid"] == id && m["policyName"] == "block-criticals" }) {
		t.Errorf("list: %v", list)
	}
	def := obj(g.ok("GET", "/centralizedPolicy/defaultPolicy/CICD", ""))
	g.refused("DELETE", "/centralizedPolicy/"+def["uuid"].(string), "", "default")
	g.ok("DELETE", "/centralizedPolicy/"+id, "")
	g.refused("GET", "/centralizedPolicy/"+id, "", "not found")
	g.refused("PUT", "/centralizedPolicy/"+id+"/mode", `{"policyMode":"ACTIVE"}`, "not found")
	// refusals: a rule type, a rule name, no enabled rule, an unknown tag, a misnamed field
	g.refused("POST", "/centralizedPolicy", strings.Replace(body, `"IMAGESCAN_VULN_SEVERITYCOUNT"`, `"IMAGESCAN_VULN_SEVERITY"`, 1), "type")
	g.refused("POST", "/centralizedPolicy", strings.Replace(body, `"Sev5"`, `"5ev"`, 1), "rule name")
	g.refused("POST", "/centralizedPolicy", strings.Replace(body, `"isEnabled":true`, `"isEnabled":false`, 1), "enabled rule")
	g.refused("POST", "/centralizedPolicy", strings.Replace(body, sandbox.DocTagUUID, "11111111-1111-4111-8111-111111111111", 1), "tagIds")
	g.refused("POST", "/centralizedPolicy", strings.Replace(body, `"policyMode"`, `"mode"`, 1), "mode")
}

// Tags: create a dynamic tag (re-evaluated, it tags what its rule
// matches), add and change its rules, evaluate, assign by SHA or UUID
// with cascade; refusals name the problem.
func TestTagsState(t *testing.T) {
	g := newGW(t)
	nginx := items(g.ok("GET", "/images?filter="+url.QueryEscape("repo.repository:`library/nginx`")+"&pageSize=1", ""))[0]
	got := obj(g.ok("POST", "/tag/create", `{"name":"nginx-images","reevaluate":true,"tagInfoDataList":[{"entityType":"IMAGE","rule":"image.repo.repository:`+"`library/nginx`"+`"}]}`))
	if got["name"] != "nginx-images" || len(got["entityTagInfo"].([]any)) != 1 {
		t.Fatalf("create: %v", got)
	}
	if !slices.Contains(g.sb.TagsOf(nginx["uuid"].(string)), "nginx-images") {
		t.Errorf("a re-evaluated dynamic tag is not on the image its rule matches")
	}
	g.refused("POST", "/tag/create", `{"name":"nginx-images","tagInfoDataList":[]}`, "already exists")
	g.refused("POST", "/tag/create", `{"name":"bad","tagInfoDataList":[{"entityType":"IMAGE","rule":"container.state:RUNNING"}]}`, "not a image field")
	g.ok("PUT", "/tag/update", `{"name":"nginx-images","reevaluate":false,"entityTypeToAdd":[{"entityType":"CONTAINER","rule":"container.state:RUNNING"}]}`)
	g.refused("PUT", "/tag/update", `{"name":"nginx-images","entityTypeToAdd":[{"entityType":"CONTAINER","rule":"container.state:STOPPED"}]}`, "entityTypeRuleToUpdate")
	g.refused("PUT", "/tag/update", `{"name":"nginx-images","entityTypeToAdd":[{"entityType":"CONTAINER","rule":"container.state:STOPPED"}],"entityTypeRuleToUpdate":{"image":"image.os:x"}}`, "exactly one")
	g.refused("PUT", "/tag/update", `{"name":"nobody","entityTypeRuleToUpdate":{"image":"image.os:x"}}`, "not found")
	g.ok("POST", "/tag/evaluateTags?tagName=nginx-images", "")
	g.refused("POST", "/tag/evaluateTags?tagName=Tag-101", "", "no dynamic rule")
	// assign by SHA, cascading to the image's containers; a new tagName makes the tag
	running := items(g.ok("GET", "/containers?filter="+url.QueryEscape("state:RUNNING")+"&pageSize=1", ""))[0]
	img := obj(g.ok("GET", "/images/"+running["imageId"].(string), ""))
	a := obj(g.ok("POST", "/tag/assign", `{"entitySha":"`+img["sha"].(string)+`","tagsToAdd":[{"tagUuid":"`+sandbox.DocTagUUID+`","isCascadeToContainer":true}],"tagName":"team-payments","entityType":"IMAGE"}`))
	if a["entityUUID"] != img["uuid"] || !slices.Contains(g.sb.TagsOf(running["uuid"].(string)), "Tag-101") ||
		!slices.Contains(g.sb.TagsOf(img["uuid"].(string)), "team-payments") {
		t.Errorf("assign: %v; image tags %v; container tags %v", a, g.sb.TagsOf(img["uuid"].(string)), g.sb.TagsOf(running["uuid"].(string)))
	}
	g.refused("POST", "/tag/assign", `{"entityType":"IMAGE","tagName":"x"}`, "entityUUID or entitySha")
	g.refused("POST", "/tag/assign", `{"entityUUID":"`+img["uuid"].(string)+`","entityType":"IMAGE"}`, "tagsToAdd or tagName")
	g.refused("POST", "/tag/assign", `{"entityUUID":"`+img["uuid"].(string)+`","entityType":"IMAGE","tagsToAdd":[{"tagUuid":"nope"}]}`, "not found")
	g.refused("POST", "/tag/assign", `{"entityUUID":"`+img["uuid"].(string)+`","entityType":"IMAGE","tags":[]}`, "tags")
}

// Report schedules: create (recurrent, or once with null details), update
// an Active one; refusals name the field.
func TestReportSchedulesState(t *testing.T) {
	g := newGW(t)
	body := `{"name":"weekly-images","description":"for the Monday review","filter":"","displayColumns":["repo","qid","severity"],"templateName":"CS_IMAGE_VULNERABILITY",` +
		`"expireAfter":"30","eventTime":"2026-06-01T08:00:00Z","eventEndTime":"2099-06-01T08:00:00Z","action":"CREATE",` +
		`"reportScheduleDetails":{"recurrenceType":"WEEKLY","selectedDayOfWeeks":["MONDAY"]}}`
	id := obj(g.ok("POST", "/reports/schedule", body))["reportingScheduleID"].(string)
	g.ok("PUT", "/reports/schedule/"+id, `{"expireAfter":"7","reportScheduleDetails":{"recurrenceType":"DAILY","emailNotification":1,"recipient":"sec@example.com","sendAsAttachment":0,"zip":1}}`)
	rs, ok := g.sb.ReportSchedule(id)
	det := obj(rs["reportScheduleDetails"])
	if !ok || rs["expireAfter"] != "7" || det["recurrenceType"] != "DAILY" || det["recipient"] != "sec@example.com" || rs["name"] != "weekly-images" || rs["status"] != "Active" {
		t.Fatalf("after update: %v", rs)
	}
	once := obj(g.ok("POST", "/reports/schedule", strings.Replace(body, `{"recurrenceType":"WEEKLY","selectedDayOfWeeks":["MONDAY"]}`, "null", 1)))["reportingScheduleID"].(string)
	if rs, _ := g.sb.ReportSchedule(once); rs["reportScheduleDetails"] != nil {
		t.Errorf("a one-time schedule: %v", rs)
	}
	g.refused("PUT", "/reports/schedule/"+id, `{"reportScheduleDetails":{"recurrenceType":"DAILY","emailNotification":1}}`, "recipient")
	g.refused("PUT", "/reports/schedule/"+id, `{"name":"renamed"}`, "name")
	g.refused("POST", "/reports/schedule", strings.Replace(body, `"expireAfter":"30"`, `"expireAfter":"14"`, 1), "expireAfter")
	g.refused("POST", "/reports/schedule", strings.Replace(body, `"WEEKLY","selectedDayOfWeeks":["MONDAY"]`, `"WEEKLY"`, 1), "selectedDayOfWeeks")
	g.refused("POST", "/reports/schedule", strings.Replace(body, `"displayColumns":["repo"`, `"displayColumns":["colour"`, 1), "colour")
	g.refused("POST", "/reports/schedule", strings.Replace(body, `"reportScheduleDetails"`, `"schedule"`, 1), "schedule")
	g.refused("PUT", "/reports/schedule/11111111-1111-4111-8111-111111111111", `{"expireAfter":"7"}`, "not found")
	// a schedule whose end has passed is Completed, and not updated; an end before the start is refused
	past := strings.NewReplacer("2026-06-01", "2020-06-01", "2099-06-01", "2021-06-01").Replace(body)
	ended := obj(g.ok("POST", "/reports/schedule", past))["reportingScheduleID"].(string)
	g.refused("PUT", "/reports/schedule/"+ended, `{"expireAfter":"7"}`, "only an Active schedule")
	g.refused("POST", "/reports/schedule", strings.Replace(body, "2099-06-01T08", "2026-05-01T08", 1), "eventEndTime")
}

// KSPM: the list (paged, filtered), count, a control and its evidence
// agree with each other.
func TestKSPM(t *testing.T) {
	g := newGW(t)
	list := obj(g.ok("GET", "/k8s_postures/list?pageSize=100", ""))
	all := items(list)
	if len(all) < 5 || list["count"] != float64(len(all)) {
		t.Fatalf("list: %v", list)
	}
	count := obj(g.ok("GET", "/k8s_postures/count", ""))
	if count["totalControls"] != float64(len(all)) {
		t.Errorf("count %v, list %d", count, len(all))
	}
	if page := items(g.ok("GET", "/k8s_postures/list?limit=2", "")); len(page) != 2 {
		t.Errorf("limit 2: %d items", len(page))
	}
	failed := items(g.ok("GET", "/k8s_postures/list?filter=posture:FAIL&pageSize=100", ""))
	for _, c := range failed {
		if c["posture"] != "FAIL" {
			t.Errorf("filter posture:FAIL: %v", c)
		}
	}
	id := fmt.Sprint(sandbox.KSPMControlID)
	ctl := obj(g.ok("GET", "/k8s_postures/control/"+id, ""))
	ev := obj(g.ok("GET", "/k8s_postures/control/"+id+"/evidence", ""))
	fails := 0
	for _, e := range items(ev) {
		if e["posture"] == "FAIL" {
			fails++
		}
	}
	if ctl["failedResources"] != float64(fails) || ev["count"] != ctl["passedResources"].(float64)+ctl["failedResources"].(float64) {
		t.Errorf("control %v and its evidence (%d failed of %v) disagree", ctl, fails, ev["count"])
	}
	g.refused("GET", "/k8s_postures/control/999", "", "not found")
	g.refused("GET", "/k8s_postures/list?limit=500", "", "limit")
	g.refused("GET", "/k8s_postures/list?size=5", "", "size")
}

// The changed operations: bulk schedule deletion by IDs or filter, the
// sensor profile's 2026 fields, a schedule's weekly day and its interval
// under either name, and the new answer fields of images and containers.
func TestChangedOperations(t *testing.T) {
	g := newGW(t)
	// bulk deletion: by filter, on the registry of the guide's sample
	reg := "/registry/" + sandbox.AzureRegistryID + "/schedule"
	before := len(items(g.ok("GET", reg+"?pageSize=100", "")))
	job := obj(g.ok("DELETE", reg+"/bulk?filter="+url.QueryEscape("status:Finished"), ""))
	after := items(g.ok("GET", reg+"?pageSize=100", ""))
	if job["deletionJobId"] == nil || len(after) >= before || slices.ContainsFunc(after, func(m map[string]any) bool { return m["status"] == "Finished" }) {
		t.Errorf("bulk by filter: job %v, %d schedules before, after %v", job, before, after)
	}
	g.refused("DELETE", reg+"/bulk", "", "scheduleIds or a filter")
	g.refused("DELETE", reg+"/bulk?scheduleIds=11111111-1111-4111-8111-111111111111", "", "not found")
	// schedules: the 2026 interval's name and weekDay; v1.21's name still taken
	sched := `{"onDemand":false,"schedule":"01:00","filters":[{"repoTags":[{"repo":"azuretest"}]}],"scheduleScanIntervalInDays":7,"weekDay":"MONDAY"}`
	g.ok("POST", reg, sched)
	list := items(g.ok("GET", reg+"?pageSize=100", ""))
	if last := list[len(list)-1]; last["scheduleIntervalInDays"] != 7.0 || last["weekDay"] != "MONDAY" {
		t.Errorf("created weekly schedule: %v", last)
	}
	g.ok("POST", reg, strings.Replace(sched, `"scheduleScanIntervalInDays":7,"weekDay":"MONDAY"`, `"scheduleIntervalInDays":3`, 1))
	g.refused("POST", reg, strings.Replace(sched, `:7,`, `:3,`, 1), "weekDay applies only")
	g.refused("POST", reg, strings.Replace(sched, `"weekDay":"MONDAY"`, `"scheduleIntervalInDays":6`, 1), "disagree")
	// sensor profiles: RUNTIME fields, the blackout window's 2026 name, isVulnPropagation
	prof := obj(g.ok("POST", "/sensorProfile", `{"profileName":"runtime-1","profileType":"RUNTIME","associatedSensorIds":[],"runtimeSensor":"disable","ignoreProcesses":"/usr/bin/cat",`+
		`"config":{"weeklyBlackoutWindowSchedules":[{"repeatOnDays":["SATURDAY"],"allDayToggle":true}],"vulnerabilityManagement":{"containerScanningInterval":24}}}`))
	pid := prof["profileUuid"].(string)
	g.ok("PUT", "/sensorProfile/"+pid+"?isVulnPropagation=true", `{"profileName":"runtime-1","profileType":"RUNTIME","associatedSensorIds":[],"runtimeSensor":"disable",`+
		`"config":{"weeklyBlackoutWindowSchedules":[{"repeatOnDays":["SATURDAY"],"allDayToggle":true}]}}`)
	p := obj(g.ok("GET", "/sensorProfile/"+pid, ""))
	if p["runtimeSensor"] != "disable" || p["isVulnPropagation"] != true || obj(p["config"])["weeklyBlackoutWindowSchedules"] == nil {
		t.Errorf("runtime profile: %v", p)
	}
	g.refused("POST", "/sensorProfile", `{"profileName":"g","profileType":"General","associatedSensorIds":[],"runtimeSensor":"enable"}`, "RUNTIME")
	g.refused("POST", "/sensorProfile", `{"profileName":"g","profileType":"General","associatedSensorIds":[],"config":{"weeklyBlackoutWindowSchedules":[],"weeklyInactiveWindowSchedules":[]}}`, "once")
	g.refused("PUT", "/sensorProfile/"+pid+"?isVulnPropagation=yes", `{"profileName":"runtime-1","profileType":"RUNTIME","associatedSensorIds":[]}`, "isVulnPropagation")
	// images and containers: the 2026 answer fields
	c := items(g.ok("GET", "/containers?filter="+url.QueryEscape("state:RUNNING")+"&pageSize=1", ""))[0]
	cd := obj(g.ok("GET", "/containers/"+c["sha"].(string), ""))
	for _, f := range []string{"riskScore", "maxQdsScore", "qdsSeverity", "criticality", "imageDigest", "sources", "podQlp", "isVulnPropagated"} {
		if _, has := cd[f]; !has {
			t.Errorf("container details lack %s", f)
		}
	}
	im := obj(g.ok("GET", "/images/"+c["imageId"].(string)+"?scanDetails=malware,secrets,compliance", ""))
	sd := obj(im["scanDetails"])
	if sd["malware"] == nil || sd["secrets"] == nil || sd["compliance"] == nil || im["lastUsedDate"] == nil || obj(im["layers"].([]any)[0])["layerNumber"] == nil {
		t.Errorf("image details: scanDetails %v, lastUsedDate %v", sd, im["lastUsedDate"])
	}
	g.refused("GET", "/images/"+c["imageId"].(string)+"?scanDetails=viruses", "", "scanDetails")
	vulns := obj(g.ok("GET", "/images/"+c["imageId"].(string)+"/vuln?type=DETAILS", ""))["details"].([]any)
	if len(vulns) == 0 || obj(vulns[0])["layerSha"] == nil || obj(vulns[0])["firstFound"] == nil || obj(vulns[0])["lastFound"] == nil {
		t.Errorf("an image's vulnerability lacks layerSha, firstFound or lastFound: %v", vulns)
	}
	sw := items(g.ok("GET", "/images/"+c["imageId"].(string)+"/software", ""))
	if len(sw) == 0 || obj(sw[0]["lifecycle"])["stage"] == nil || sw[0]["scanType"] != "DYNAMIC" {
		t.Errorf("software lacks its lifecycle: %v", sw)
	}
	for _, ctl := range obj(g.ok("GET", "/images/"+c["imageId"].(string)+"/compliance", ""))["controls"].([]any) {
		if crit := obj(ctl)["criticality"]; crit != "LOW" && crit != "MEDIUM" && crit != "HIGH" {
			t.Errorf("an image control's criticality %v is not release 1.43's LOW, MEDIUM, HIGH", crit)
		}
	}
}
