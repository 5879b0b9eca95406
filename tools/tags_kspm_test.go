package tools_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/extras"
)

// lastRequest is the last request of this method and path the sandbox
// received, and whether there was one.
func lastRequest(e *Env, method, path string) (sandbox.Request, bool) {
	reqs := e.SB.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Method == method && reqs[i].Path == path {
			return reqs[i], true
		}
	}
	return sandbox.Request{}, false
}

// sentBody is the JSON body of the last such request.
func sentBody(t *testing.T, e *Env, method, path string) map[string]any {
	t.Helper()
	r, ok := lastRequest(e, method, path)
	if !ok {
		t.Fatalf("no %s %s reached the sandbox", method, path)
	}
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("%s %s: body %q: %v", method, path, r.Body, err)
	}
	return m
}

// Dynamic tags: a tag created with reevaluate is on what its rule
// matches; a rule added and one changed; evaluate sends the tag's name in
// the query; assign by SHA cascades to the image's containers and sends
// moduleCode CS. Refusals name the field and send nothing; null is
// absent.
func TestTagsEndToEnd(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	nginx := imageBy(t, e, func(im sandbox.Image) bool {
		return slices.ContainsFunc(im.Repo, func(r sandbox.Repo) bool { return r.Repository == "library/nginx" })
	})
	got := e.OK("create_tag", map[string]any{"name": "nginx-images", "reevaluate": true,
		"tagInfoDataList": []any{map[string]any{"entityType": "IMAGE", "rule": "image.repo.repository:`library/nginx`"}}})
	if got["name"] != "nginx-images" || got["tagId"] == nil || len(got["entityTagInfo"].([]any)) != 1 {
		t.Fatalf("create_tag answered %v", got)
	}
	if !slices.Contains(e.SB.TagsOf(nginx.UUID), "nginx-images") {
		t.Errorf("the re-evaluated tag is not on the image its rule matches: %v", e.SB.TagsOf(nginx.UUID))
	}
	e.OK("update_tag", map[string]any{"name": "nginx-images", "reevaluate": nil,
		"entityTypeToAdd": []any{map[string]any{"entityType": "CONTAINER", "rule": "container.state:RUNNING"}}})
	if b := sentBody(t, e, "PUT", "/tag/update"); b["reevaluate"] != nil || len(b) != 2 {
		t.Errorf("update_tag sent %v: the null reevaluate is absent", b)
	}
	upd := e.OK("update_tag", map[string]any{"name": "nginx-images", "entityTypeRuleToUpdate": map[string]any{"image": "image.repo.repository:`library/redis`"}})
	if !strings.Contains(fmt.Sprint(upd["entityTagInfo"]), "library/redis") {
		t.Errorf("update_tag answered %v", upd)
	}
	refused(t, e, "update_tag", map[string]any{"name": "nginx-images"}, "entityTypeToAdd")
	refused(t, e, "update_tag", map[string]any{"name": "nginx-images", "entityTypeRuleToUpdate": map[string]any{"image": "container.state:RUNNING"}}, "entityTypeRuleToUpdate.image")
	refused(t, e, "create_tag", map[string]any{"name": "x", "tagInfo": []any{}}, "tagInfo")
	refused(t, e, "create_tag", map[string]any{"name": "x", "tagInfoDataList": []any{map[string]any{"entityType": "POD", "rule": "pod.x:y"}}}, "tagInfoDataList.0.entityType")

	ev := e.OK("evaluate_tag", map[string]any{"tagName": "nginx-images"})
	if r, _ := lastRequest(e, "POST", "/tag/evaluateTags"); r.Query != "tagName=nginx-images" || len(r.Body) != 0 || ev["evaluated"] != true || ev["tagName"] != "nginx-images" {
		t.Errorf("evaluate_tag sent %q %q, answered %v", r.Query, r.Body, ev)
	}
	if msg := e.Fail("evaluate_tag", map[string]any{"tagName": "Tag-101"}); !strings.Contains(msg, "no dynamic rule") {
		t.Errorf("Qualys' refusal is not passed on: %s", msg)
	}

	// assign by SHA, cascading to the containers of a running image
	busy := imageBy(t, e, func(im sandbox.Image) bool { return im.AssociatedContainersCount > 0 })
	ctr := invFirst(t, e.SB.InventoryContainers(), func(c sandbox.Container) bool { return c.ImageUUID == busy.UUID && c.State != "DELETED" })
	a := e.OK("assign_tags", map[string]any{"entityType": "IMAGE", "entitySha": busy.Sha, "subscriptionId": nil,
		"tagsToAdd": []any{map[string]any{"tagUuid": sandbox.DocTagUUID, "isCascadeToContainer": true}}})
	b := sentBody(t, e, "POST", "/tag/assign")
	if a["entityUUID"] != busy.UUID || a["cascadingKafkaJobUuid"] == nil || b["moduleCode"] != "CS" || slices.Contains(keys(b), "subscriptionId") {
		t.Errorf("assign_tags answered %v, sent %v", a, b)
	}
	if !slices.Contains(e.SB.TagsOf(busy.UUID), "Tag-101") || !slices.Contains(e.SB.TagsOf(ctr.UUID), "Tag-101") {
		t.Errorf("tags: image %v, its container %v", e.SB.TagsOf(busy.UUID), e.SB.TagsOf(ctr.UUID))
	}
	// a new name makes the tag
	e.OK("assign_tags", map[string]any{"entityType": "CONTAINER", "entityUUID": ctr.UUID, "tagName": "team-payments"})
	if !slices.Contains(e.SB.TagsOf(ctr.UUID), "team-payments") {
		t.Errorf("tagName did not tag the container: %v", e.SB.TagsOf(ctr.UUID))
	}
	refused(t, e, "assign_tags", map[string]any{"entityType": "IMAGE", "tagName": "x"}, "entityUUID")
	refused(t, e, "assign_tags", map[string]any{"entityType": "IMAGE", "entityUUID": busy.UUID}, "tagsToAdd")
	refused(t, e, "assign_tags", map[string]any{"entityType": "IMAGE", "entityUUID": busy.UUID, "tags": []any{"x"}}, "tags")
	refused(t, e, "assign_tags", map[string]any{"entityType": "IMAGE", "entityUUID": busy.UUID, "tagName": "x", "moduleCode": "VM"}, "moduleCode")
}

// The images' and containers' QQL references say that a dynamic tag's
// rule names their fields after image. and container., and are offered
// with the tags toolset alone.
func TestTagRulesQQLReference(t *testing.T) {
	e := NewEnv(t, EnvOptions{Flags: []string{"--toolsets", "tags"}})
	for kind, want := range map[string]string{"images": "`image.repo.repository:nginx`", "containers": "`container.state:`RUNNING``"} {
		text, _ := readText(t, e, extras.QQLURIPrefix+kind)
		if !strings.Contains(text, "create_tag, update_tag") || !strings.Contains(text, want) || !strings.Contains(text, "| `repo.repository` |") && kind == "images" {
			t.Errorf("%s: %s", kind, text)
		}
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// KSPM: no page shows what these answer, so the tools pass Qualys'
// answers through: the list's records and the count, the control and its
// evidence as the sandbox answered them; the list pages by number, the
// evidence by cursor when the budget cuts it, every row once.
func TestKSPMPassesAnswersThrough(t *testing.T) {
	e := NewEnv(t, EnvOptions{Flags: []string{"--result-budget", "2000"}})
	var raw struct {
		Data  []map[string]any `json:"data"`
		Count int              `json:"count"`
	}
	json.Unmarshal(invRaw(t, e, "/k8s_postures/list?pageNumber=1&pageSize=100"), &raw)
	page := e.OK("list_k8s_postures", map[string]any{"pageSize": 3, "filter": nil})
	items := Items(page)
	if len(items) != 3 || invNum(page["count"]) != raw.Count || page["nextPage"] != 2.0 {
		t.Fatalf("list_k8s_postures: %v", page)
	}
	for i, it := range items {
		if w, _ := json.Marshal(raw.Data[i]); fmt.Sprint(it) != fmt.Sprint(raw.Data[i]) {
			t.Errorf("item %d: %v, Qualys answered %s", i, it, w)
		}
	}
	if q := lastQuery(e, "GET", "/k8s_postures/list"); q != "pageNumber=1&pageSize=3" {
		t.Errorf("list_k8s_postures sent %q", q)
	}
	failed := e.OK("list_k8s_postures", map[string]any{"filter": "posture:`FAIL`", "pageSize": 100})
	for _, it := range Items(failed) {
		if it["posture"] != "FAIL" {
			t.Errorf("filter posture:FAIL: %v", it)
		}
	}
	var count map[string]any
	json.Unmarshal(invRaw(t, e, "/k8s_postures/count"), &count)
	if got := e.OK("count_k8s_postures", nil); fmt.Sprint(got) != fmt.Sprint(count) {
		t.Errorf("count_k8s_postures: %v, Qualys answered %v", got, count)
	}
	id := fmt.Sprint(sandbox.KSPMControlID)
	var ctl map[string]any
	json.Unmarshal(invRaw(t, e, "/k8s_postures/control/"+id), &ctl)
	if got := e.OK("get_k8s_control", map[string]any{"controlId": id}); fmt.Sprint(got) != fmt.Sprint(ctl) {
		t.Errorf("get_k8s_control: %v, Qualys answered %v", got, ctl)
	}
	var ev struct {
		Data []map[string]any `json:"data"`
	}
	json.Unmarshal(invRaw(t, e, "/k8s_postures/control/"+id+"/evidence"), &ev)
	first := e.OK("get_k8s_control_evidence", map[string]any{"controlId": id})
	if first["truncated"] != true || first["cursor"] == nil {
		t.Fatalf("a 2,000-byte budget did not cut %d evidence rows: %v", len(ev.Data), first)
	}
	rows := invWalk(t, e, "get_k8s_control_evidence", map[string]any{"controlId": id}, "controlId")
	if len(rows) != len(ev.Data) {
		t.Fatalf("evidence: %d rows walked, Qualys answered %d", len(rows), len(ev.Data))
	}
	for i := range rows {
		if fmt.Sprint(rows[i]) != fmt.Sprint(ev.Data[i]) {
			t.Errorf("evidence row %d: %v, Qualys answered %v", i, rows[i], ev.Data[i])
		}
	}
	invRefused(t, e, "get_k8s_control", map[string]any{"controlId": "../list"}, "controlId")
	invRefused(t, e, "list_k8s_postures", map[string]any{"limit": 5}, "limit")
	if msg := e.Fail("get_k8s_control", map[string]any{"controlId": "999"}); !strings.Contains(msg, "404") && !strings.Contains(msg, "not found") {
		t.Errorf("an unknown control: %s", msg)
	}
}

// Report schedules: create sends action CREATE and, for a one-time
// report, reportScheduleDetails null (the page asks for it), whether the
// details are left out or given as null; update sends the fields given
// and nothing else. Qualys' answer is passed on. A misnamed field is
// refused naming it, before anything is sent.
func TestReportSchedulesEndToEnd(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	weekly := map[string]any{"name": "weekly-images", "description": nil, "templateName": "CS_IMAGE_VULNERABILITY", "expireAfter": "30",
		"eventTime": "2026-06-01T08:00:00Z", "eventEndTime": "2099-06-01T08:00:00Z", "displayColumns": []string{"repo", "qid", "severity"},
		"reportScheduleDetails": map[string]any{"recurrenceType": "WEEKLY", "selectedDayOfWeeks": []string{"MONDAY"}, "emailNotification": 1, "recipient": "sec@example.com"}}
	res := e.OK("create_report_schedule", weekly)
	id, _ := res["reportingScheduleID"].(string)
	b := sentBody(t, e, "POST", "/reports/schedule")
	if id == "" || b["action"] != "CREATE" || slices.Contains(keys(b), "description") || b["name"] != "weekly-images" {
		t.Fatalf("create_report_schedule answered %v, sent %v", res, b)
	}
	if rs, ok := e.SB.ReportSchedule(id); !ok || rs["status"] != "Active" {
		t.Fatalf("the schedule: %v", rs)
	}
	for _, once := range []map[string]any{without(weekly, "reportScheduleDetails"), put(weekly, "reportScheduleDetails", nil)} {
		res := e.OK("create_report_schedule", put(once, "name", "once"))
		raw, _ := lastRequest(e, "POST", "/reports/schedule")
		if !strings.Contains(string(raw.Body), `"reportScheduleDetails":null`) {
			t.Errorf("a one-time schedule sent %s", raw.Body)
		}
		if rs, _ := e.SB.ReportSchedule(res["reportingScheduleID"].(string)); rs["reportScheduleDetails"] != nil {
			t.Errorf("a one-time schedule: %v", rs)
		}
	}
	e.OK("update_report_schedule", map[string]any{"reportingScheduleId": id, "expireAfter": "7", "eventTime": nil})
	if b := sentBody(t, e, "PUT", "/reports/schedule/"+id); len(b) != 1 || b["expireAfter"] != "7" {
		t.Errorf("update_report_schedule sent %v: only the field given", b)
	}
	if rs, _ := e.SB.ReportSchedule(id); rs["expireAfter"] != "7" || rs["name"] != "weekly-images" {
		t.Errorf("after update: %v", rs)
	}
	refused(t, e, "update_report_schedule", map[string]any{"reportingScheduleId": id, "name": "renamed"}, "name")
	refused(t, e, "create_report_schedule", put(weekly, "schedule", "weekly"), "schedule")
	refused(t, e, "create_report_schedule", put(weekly, "eventTime", "2026-06-01T08:00:00+02:00"), "eventTime")
	refused(t, e, "create_report_schedule", put(weekly, "reportScheduleDetails", map[string]any{"recurrenceType": "WEEKLY"}), "reportScheduleDetails.selectedDayOfWeeks")
	refused(t, e, "create_report_schedule", put(weekly, "action", "DELETE"), "action")
	if msg := e.Fail("update_report_schedule", map[string]any{"reportingScheduleId": "11111111-1111-4111-8111-111111111111", "expireAfter": "7"}); !strings.Contains(msg, "not found") {
		t.Errorf("an unknown schedule: %s", msg)
	}
	if r, ok := lastRequest(e, "PUT", "/reports/schedule/11111111-1111-4111-8111-111111111111"); !ok || r.Query != "" {
		t.Errorf("the update's path: %v", r)
	}
}
