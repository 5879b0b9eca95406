package tools_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

// The two request bodies of the v1.21 release notes' "Create or Update a
// Registry Schedule" samples, as printed.
const (
	scheduleSample1 = `{"filters": [{"days": 90, "repoTags": [{"repo": "azuretest", "tag": null}]}],
		"name": "Automatic Scan Schedule", "onDemand": false, "schedule": "06:55", "forceScan": true,
		"registryType": "Azure", "scheduleIntervalInDays": 7, "additionalFilters": null}`
	scheduleSample2 = `{"filters": [{"days": null, "repoTags": [{"repo": "azuretest", "tag": null}]}],
		"name": "Automatic Scan Schedule", "onDemand": false, "schedule": "09:30", "forceScan": true,
		"registryType": "Azure", "scheduleIntervalInDays": 1,
		"additionalFilters": {"numberOfTags": 5, "sortCriteria": "createdDate"}}`
)

func schedules(e *Env, registryID string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, s := range Items(e.OK("list_registry_schedules", map[string]any{"registryId": registryID, "pageSize": 100})) {
		out[s["scheduleUuid"].(string)] = s
	}
	return out
}

func TestListSchedulesV121Fields(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	res := e.OK("list_registry_schedules", map[string]any{"registryId": azureReg})
	if res["count"] != float64(4) || len(Items(res)) != 4 {
		t.Fatalf("list: %v", res)
	}
	s := schedules(e, azureReg)
	withErr := s[sandbox.ErrorScheduleID]
	errs := withErr["errors"].([]any)[0].(map[string]any)
	ctxp := errs["contextParams"].(map[string]any)
	if errs["errorCode"] != "CMS-1204" || ctxp["sensorHostname"] != "container3" || ctxp["sensorHostIpv4"] != "10.115.67.170" {
		t.Fatalf("errors: %v", withErr["errors"])
	}
	if withErr["jobScanningCompletionDate"] != "2022-11-24T10:48:36Z" || withErr["status"] != "Finished" || withErr["forceScan"] != true {
		t.Fatalf("schedule: %v", withErr)
	}
	if af := s[sandbox.TagsScheduleID]["additionalFilters"].(map[string]any); af["numberOfTags"] != float64(5) || af["sortCriteria"] != "createdDate" {
		t.Fatalf("additionalFilters: %v", af)
	}
	created := s[sandbox.CreatedScheduleID]
	if created["status"] != "Created" || created["scheduleIntervalInDays"] != float64(7) || created["filters"].([]any)[0].(map[string]any)["days"] != float64(90) {
		t.Fatalf("created: %v", created)
	}
	fin := Items(e.OK("list_registry_schedules", map[string]any{"registryId": azureReg, "filter": "status:`Finished`"}))
	if len(fin) != 3 {
		t.Fatalf("filter: %d", len(fin))
	}
}

func TestCreateScheduleSendsTheSampleBodies(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	for i, sample := range []string{scheduleSample1, scheduleSample2} {
		seedBody := mustJSON(t, sample)
		args := dropNulls(without(mustJSON(t, sample), "registryType")).(map[string]any) // the tool fills in the registry's type
		args["registryId"] = azureReg
		res := e.OK("create_registry_schedule", args)
		id, _ := res["scheduleUuid"].(string)
		if id == "" || res["created"] != true {
			t.Fatalf("sample %d: %v", i+1, res)
		}
		sent := lastBody(t, e, "POST", "/registry/"+azureReg+"/schedule")
		if !sameJSON(sent, seedBody) {
			a, _ := json.Marshal(sent)
			t.Fatalf("sample %d: sent %s\nwant %s", i+1, a, sample)
		}
		got := schedules(e, azureReg)[id]
		if got["schedule"] != seedBody["schedule"] || got["forceScan"] != true || got["status"] != "Created" || got["name"] != "Automatic Scan Schedule" {
			t.Fatalf("sample %d stored: %v", i+1, got)
		}
	}
	if n := len(schedules(e, azureReg)); n != 6 {
		t.Fatalf("schedules: %d", n)
	}
	// an on-demand scan is queued at once
	od := e.OK("create_registry_schedule", map[string]any{"registryId": quayReg, "onDemand": true, "filters": []any{map[string]any{"repoTags": []any{map[string]any{"repo": "quay-mirror/app", "tag": "latest"}}}}})
	if schedules(e, quayReg)[od["scheduleUuid"].(string)]["status"] != "Queued" {
		t.Fatal("on-demand scan not queued")
	}
	// Qualys refuses a forced automatic rescan of Docker Hub; the tool passes the reason on
	msg := e.Fail("create_registry_schedule", map[string]any{"registryId": dockerReg, "onDemand": false, "schedule": "01:00", "forceScan": true,
		"filters": []any{map[string]any{"repoTags": []any{map[string]any{"repo": "library/nginx"}}}}})
	if !strings.Contains(msg, "Azure Container Registry") {
		t.Fatal(msg)
	}
	if msg := e.Fail("create_registry_schedule", map[string]any{"registryId": "00000000-0000-4000-8000-000000000000", "onDemand": true, "filters": []any{map[string]any{"repoTags": []any{map[string]any{"repo": "x"}}}}}); !strings.Contains(msg, "not found") {
		t.Fatal(msg)
	}
}

func TestUpdateScheduleIsAMerge(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	before := schedules(e, azureReg)
	e.OK("update_registry_schedule", map[string]any{"registryId": azureReg, "scheduleId": sandbox.CreatedScheduleID, "name": "weekly"})
	after := schedules(e, azureReg)
	b, a := before[sandbox.CreatedScheduleID], after[sandbox.CreatedScheduleID]
	if a["name"] != "weekly" || !sameJSON(without(b, "name", "updated"), without(a, "name", "updated")) {
		t.Fatalf("other fields changed:\n%v\n%v", b, a)
	}
	body := lastBody(t, e, "PUT", "/registry/"+azureReg+"/schedule/"+sandbox.CreatedScheduleID)
	want := mustJSON(t, scheduleSample1) // the seeded schedule is sample 1
	want["name"] = "weekly"
	if !sameJSON(body, want) {
		t.Fatalf("PUT body %v", body)
	}
	// additionalFilters merges field by field
	e.OK("update_registry_schedule", map[string]any{"registryId": azureReg, "scheduleId": sandbox.TagsScheduleID, "additionalFilters": map[string]any{"numberOfTags": 20}})
	af := schedules(e, azureReg)[sandbox.TagsScheduleID]["additionalFilters"].(map[string]any)
	if af["numberOfTags"] != float64(20) || af["sortCriteria"] != "createdDate" {
		t.Fatalf("additionalFilters: %v", af)
	}
	for id, s := range schedules(e, azureReg) {
		if id != sandbox.CreatedScheduleID && id != sandbox.TagsScheduleID && !sameJSON(s, before[id]) {
			t.Fatalf("schedule %s changed: %v", id, s)
		}
	}
	if msg := e.Fail("update_registry_schedule", map[string]any{"registryId": azureReg, "scheduleId": sandbox.RunningScheduleID, "name": "x"}); !strings.Contains(msg, `"scheduleId"`) || !strings.Contains(msg, "has no schedule") {
		t.Fatal(msg)
	}
	if msg := e.Fail("update_registry_schedule", map[string]any{"registryId": ecrReg, "scheduleId": sandbox.RunningScheduleID, "name": "x"}); !strings.Contains(msg, "Running") {
		t.Fatal(msg)
	}
}

func TestCancelScheduleGuard(t *testing.T) {
	args := map[string]any{"registryId": ecrReg, "scheduleId": sandbox.RunningScheduleID}
	e := NewEnv(t, EnvOptions{Elicit: Decline})
	e.OK("cancel_registry_schedule", args)
	if schedules(e, ecrReg)[sandbox.RunningScheduleID]["status"] != "Running" || e.SB.Count("POST", "/registry/") != 0 {
		t.Fatal("declined cancel changed something")
	}
	if msg := e.Elicited[0]; !strings.Contains(msg, `"nightly-ecr" ("Running")`) || !strings.Contains(msg, `registry "ecr-prod"`) {
		t.Fatalf("preview: %s", msg)
	}
	e = NewEnv(t, EnvOptions{Elicit: Accept})
	res := e.OK("cancel_registry_schedule", args)
	if schedules(e, ecrReg)[sandbox.RunningScheduleID]["status"] != "Canceled" || res["cancelled"] == true {
		t.Fatalf("accepted cancel: %v", res)
	}
	// a finished schedule cannot be cancelled: the preview says so, Qualys refuses
	msg := e.Fail("cancel_registry_schedule", map[string]any{"registryId": azureReg, "scheduleId": sandbox.FinishedScheduleID})
	if !strings.Contains(msg, "Finished") || !strings.Contains(e.Elicited[len(e.Elicited)-1], "it will refuse") {
		t.Fatal(msg)
	}
}

func TestDeleteScheduleGuard(t *testing.T) {
	args := map[string]any{"registryId": azureReg, "scheduleId": sandbox.CreatedScheduleID}
	e := NewEnv(t, EnvOptions{Elicit: Decline})
	e.OK("delete_registry_schedule", args)
	if _, ok := schedules(e, azureReg)[sandbox.CreatedScheduleID]; !ok || e.SB.Count("DELETE", "") != 0 {
		t.Fatal("declined delete changed something")
	}
	if msg := e.Elicited[0]; !strings.Contains(msg, `unnamed schedule "`+sandbox.CreatedScheduleID+`" ("Created")`) || !strings.Contains(msg, `"azuretest"`) {
		t.Fatalf("preview: %s", msg)
	}
	e = NewEnv(t, EnvOptions{Elicit: Accept})
	e.OK("delete_registry_schedule", args)
	if _, ok := schedules(e, azureReg)[sandbox.CreatedScheduleID]; ok {
		t.Fatal("not deleted")
	}
	msg := e.Fail("delete_registry_schedule", map[string]any{"registryId": ecrReg, "scheduleId": sandbox.RunningScheduleID})
	if !strings.Contains(msg, "A running schedule cannot be deleted") || !strings.Contains(msg, "cancel_registry_schedule") {
		t.Fatal(msg)
	}
	if _, ok := schedules(e, ecrReg)[sandbox.RunningScheduleID]; !ok {
		t.Fatal("running schedule deleted")
	}
}

func TestDeleteSchedulesGuard(t *testing.T) {
	e := NewEnv(t, EnvOptions{Elicit: Accept})
	queued := e.OK("create_registry_schedule", map[string]any{"registryId": azureReg, "onDemand": true, "name": "now",
		"filters": []any{map[string]any{"repoTags": []any{map[string]any{"repo": "azuretest"}}}}})["scheduleUuid"].(string)
	args := map[string]any{"registryId": azureReg, "scheduleIds": []string{sandbox.FinishedScheduleID, sandbox.ErrorScheduleID, queued}}
	res := e.OK("delete_registry_schedules", args)
	if msg := e.Elicited[0]; !strings.Contains(msg, "Delete 3 scan schedule(s)") || !strings.Contains(msg, `"now" ("Queued")`) || !strings.Contains(msg, "Qualys skips") {
		t.Fatalf("preview: %s", msg)
	}
	left := schedules(e, azureReg)
	if _, ok := left[sandbox.FinishedScheduleID]; ok || left[queued] == nil || len(left) != 3 {
		t.Fatalf("left: %v", left)
	}
	if d := res["deleted"].([]any); len(d) != 2 || len(res["notDeleted"].([]any)) != 1 || !strings.Contains(res["note"].(string), "cancel") {
		t.Fatalf("result: %v", res)
	}
	// the 2026 guide's bulk path, the IDs repeated in the query, sent once
	if q := lastQuery(e, "DELETE", "/registry/"+azureReg+"/schedule/bulk"); !strings.Contains(q, "scheduleIds="+sandbox.FinishedScheduleID+"&scheduleIds=") {
		t.Fatalf("query: %s", q)
	}
	if n := e.SB.Count("DELETE", ""); n != 1 || res["deletionJobId"] == nil {
		t.Fatalf("%d DELETE requests, answer %v: want one, answered with its deletionJobId", n, res)
	}

	e = NewEnv(t, EnvOptions{Elicit: Decline})
	e.OK("delete_registry_schedules", map[string]any{"registryId": azureReg, "scheduleIds": []string{sandbox.FinishedScheduleID}})
	if len(schedules(e, azureReg)) != 4 || e.SB.Count("DELETE", "") != 0 {
		t.Fatal("declined delete changed something")
	}
	// an unknown schedule is named before anything is sent
	msg := e.Fail("delete_registry_schedules", map[string]any{"registryId": azureReg, "scheduleIds": []string{sandbox.RunningScheduleID}})
	if !strings.Contains(msg, `"scheduleIds"`) || e.SB.Count("DELETE", "") != 0 {
		t.Fatal(msg)
	}
}

func TestScheduleBadInput(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	filters := []any{map[string]any{"repoTags": []any{map[string]any{"repo": "azuretest"}}}}
	ok := map[string]any{"registryId": azureReg, "onDemand": false, "schedule": "06:55", "filters": filters}
	refused(t, e, "create_registry_schedule", without(ok, "onDemand"), "onDemand")
	refused(t, e, "create_registry_schedule", without(ok, "filters"), "filters")
	refused(t, e, "create_registry_schedule", without(ok, "schedule"), "schedule")
	refused(t, e, "create_registry_schedule", put(ok, "schedule", "25:00"), "schedule")
	refused(t, e, "create_registry_schedule", put(ok, "schedule", "6:55"), "schedule")
	refused(t, e, "create_registry_schedule", put(ok, "onDemand", "no"), "onDemand")
	refused(t, e, "create_registry_schedule", put(ok, "scheduleIntervalInDays", 0), "scheduleIntervalInDays")
	refused(t, e, "create_registry_schedule", put(ok, "additionalFilters", map[string]any{"numberOfTags": 21}), "additionalFilters.numberOfTags")
	refused(t, e, "create_registry_schedule", put(ok, "additionalFilters", map[string]any{"numberOfTags": 0}), "additionalFilters.numberOfTags")
	refused(t, e, "create_registry_schedule", put(ok, "additionalFilters", map[string]any{"numberOfTags": 5, "sortCriteria": "name"}), "additionalFilters.sortCriteria")
	refused(t, e, "create_registry_schedule", put(ok, "additionalFilters", map[string]any{"sortCriteria": "createdDate"}), "additionalFilters.numberOfTags")
	refused(t, e, "create_registry_schedule", put(ok, "filters", []any{map[string]any{"days": 0, "repoTags": []any{map[string]any{"repo": "a"}}}}), "filters.0.days")
	refused(t, e, "create_registry_schedule", put(ok, "filters", []any{map[string]any{"repoTags": []any{map[string]any{"tag": "a"}}}}), "filters.0.repoTags.0.repo")
	refused(t, e, "update_registry_schedule", map[string]any{"registryId": azureReg, "name": "x"}, "scheduleId")
	refused(t, e, "update_registry_schedule", map[string]any{"registryId": azureReg, "scheduleId": sandbox.TagsScheduleID, "forceScan": "yes"}, "forceScan")
	refused(t, e, "update_registry_schedule", map[string]any{"registryId": azureReg, "scheduleId": sandbox.TagsScheduleID, "filters": []any{}}, "filters")
	refused(t, e, "list_registry_schedules", map[string]any{"registryId": azureReg, "pageNumber": 0}, "pageNumber")
	for _, tool := range []string{"cancel_registry_schedule", "delete_registry_schedule"} {
		refused(t, e, tool, map[string]any{"registryId": azureReg}, "scheduleId")
		refused(t, e, tool, map[string]any{"scheduleId": sandbox.TagsScheduleID}, "registryId")
		refused(t, e, tool, map[string]any{"registryId": azureReg, "scheduleId": "x` or name:`*"}, "scheduleId")
	}
	refused(t, e, "delete_registry_schedules", map[string]any{"registryId": azureReg, "scheduleIds": []string{}}, "scheduleIds")
	refused(t, e, "delete_registry_schedules", map[string]any{"registryId": azureReg, "scheduleIds": []string{"../x"}}, "scheduleIds.0")
}
