package tools_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

// gateway sends one request to the sandbox as a user of the API would
// (the set-up a test needs that no tool of this branch makes), and fails
// the test unless it succeeds.
func gateway(t *testing.T, e *Env, method, path, body string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(method, e.URL+sandbox.Base+path, bytes.NewReader([]byte(body)))
	req.Header.Set("Authorization", "Bearer "+e.SB.IssueToken())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d %v", method, path, resp.StatusCode, m)
	}
	return m
}

func qidsOf(m map[string]any) map[float64]bool {
	out := map[float64]bool{}
	for _, it := range Items(m) {
		out[it["qid"].(float64)] = true
	}
	return out
}

// get_image_vulnerabilities: applyException (2026) is sent when given; by
// default what an active exception covers is left out, with false it is
// listed. sort goes to Qualys as the guide writes it and orders the
// page. The default view has lastFound and the layer that brought it.
func TestImageVulnerabilitiesApplyException(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	var list struct {
		Data []struct{ Sha, UUID string } `json:"data"`
	}
	json.Unmarshal(invRaw(t, e, "/images?filter="+url.QueryEscape("vulnerabilities.qid:376187")+"&pageSize=1"), &list)
	if len(list.Data) == 0 {
		t.Fatal("no Log4Shell image in the sandbox: the test checks nothing")
	}
	sha, uuid := list.Data[0].Sha, list.Data[0].UUID
	path := "/images/" + sha + "/vuln"
	if !qidsOf(e.OK("get_image_vulnerabilities", map[string]any{"imageSha": sha}))[376187] {
		t.Fatal("Log4Shell is not listed before any exception")
	}
	x := gateway(t, e, "POST", "/exception", `{"name":"log4j-accepted","reason":"RISK_ACCEPTED","explanation":"patched in sprint 12","scope":"IMAGE",`+
		`"listId":"`+sandbox.QIDListLog4j+`","exceptionType":"VULNERABILITY","entityAssignmentRequest":{"idsToAdd":["`+uuid+`"]},"startDate":"1600000000000","endDate":"4102358400000"}`)
	if len(x) == 0 {
		t.Fatal("no exception made")
	}
	def := e.OK("get_image_vulnerabilities", map[string]any{"imageSha": sha, "applyException": nil})
	if qidsOf(def)[376187] || lastQuery(e, "GET", path) != "type=DETAILS" && lastQuery(e, "GET", path) != "" {
		t.Errorf("default: Log4Shell listed %v, query %q", qidsOf(def)[376187], lastQuery(e, "GET", path))
	}
	all := e.OK("get_image_vulnerabilities", map[string]any{"imageSha": sha, "applyException": false})
	if !qidsOf(all)[376187] || lastQuery(e, "GET", path) != "applyException=false" {
		t.Errorf("applyException false: Log4Shell listed %v, query %q", qidsOf(all)[376187], lastQuery(e, "GET", path))
	}
	if e.OK("get_image_vulnerabilities", map[string]any{"imageSha": sha, "applyException": true}); lastQuery(e, "GET", path) != "applyException=true" {
		t.Errorf("applyException true: query %q", lastQuery(e, "GET", path))
	}
	layer := regexp.MustCompile(`^[0-9a-f]{12}$`)
	for _, v := range Items(all) {
		if v["lastFound"] == nil || !layer.MatchString(invStr(v["layerSha"])) {
			t.Errorf("a vulnerability without lastFound or its layer: %v", v)
		}
	}
	// sort: the guide's token as it stands, or a field: sent as the guide writes it
	byQid := e.OK("get_image_vulnerabilities", map[string]any{"imageSha": sha, "sort": "vulnerabilities.qid:asc"})
	if q, _ := url.ParseQuery(lastQuery(e, "GET", path)); q.Get("sort") != "vulnerabilities.qid:asc" {
		t.Errorf("sort sent as %q", q.Get("sort"))
	}
	items := Items(byQid)
	if !slices.IsSortedFunc(items, func(a, b map[string]any) int { return int(a["qid"].(float64) - b["qid"].(float64)) }) || len(items) < 2 {
		t.Errorf("sorted by qid: %v", items)
	}
	e.OK("get_image_vulnerabilities", map[string]any{"imageSha": sha, "sort": "severity:desc"})
	if q, _ := url.ParseQuery(lastQuery(e, "GET", path)); q.Get("sort") != "vulnerabilities.severity:desc" {
		t.Errorf("sort sent as %q", q.Get("sort"))
	}
	invRefused(t, e, "get_image_vulnerabilities", map[string]any{"imageSha": sha, "applyException": "no"}, "applyException")
}

// get_image and list_images_with_details send scanDetails as given and
// show the malware and secrets findings; without it, nothing is asked
// and nothing shown. The bulk list's next page, from the cursor alone,
// asks for them again.
func TestImageScanDetails(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	sha := e.SB.InventoryImages()[0].Sha
	plain := e.OK("get_image", map[string]any{"imageSha": sha})
	if plain["scanDetails"] != nil || lastQuery(e, "GET", "/images/"+sha) != "" {
		t.Errorf("scanDetails without asking: %v", plain["scanDetails"])
	}
	got := e.OK("get_image", map[string]any{"imageSha": sha, "scanDetails": "malware,secrets"})
	sd, _ := got["scanDetails"].(map[string]any)
	if sd["malware"] == nil || sd["secrets"] == nil || sd["compliance"] != nil || lastQuery(e, "GET", "/images/"+sha) != "scanDetails=malware%2Csecrets" {
		t.Errorf("get_image scanDetails: %v, query %q", got["scanDetails"], lastQuery(e, "GET", "/images/"+sha))
	}
	invRefused(t, e, "get_image", map[string]any{"imageSha": sha, "scanDetails": "malware,viruses"}, "scanDetails")
	invRefused(t, e, "list_images_with_details", map[string]any{"scanDetails": "compliance"}, "scanDetails")

	first := e.OK("list_images_with_details", map[string]any{"limit": 2, "scanDetails": "malware, secrets"})
	next := e.OK("list_images_with_details", map[string]any{"cursor": first["cursor"]})
	q, _ := url.ParseQuery(lastQuery(e, "GET", "/images/list"))
	if q.Get("scanDetails") != "malware, secrets" || q.Get("paginationQuery") == "" {
		t.Errorf("the next page asked %v", q)
	}
	for _, it := range append(Items(first), Items(next)...) {
		sd, _ := it["scanDetails"].(map[string]any)
		if sd["malware"] == nil || sd["secrets"] == nil {
			t.Errorf("an image without its scan details: %v", it)
		}
	}
}

// The 2026 answer fields that matter are in the default views: software
// lifecycle, container risk and QDS, criticality.
func TestDefaultViewsShow2026Fields(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	busy := imageBy(t, e, func(im sandbox.Image) bool { return im.AssociatedContainersCount > 0 })
	stages := map[string]bool{}
	lifecycle := regexp.MustCompile(`^(GA|EOL|EOS)(; eos \d{4}-\d\d-\d\d)?(; eol \d{4}-\d\d-\d\d)?(; approximate)?$`)
	for _, im := range e.SB.InventoryImages()[:20] {
		for _, p := range Items(e.OK("get_image_software", map[string]any{"imageSha": im.Sha})) {
			l := invStr(p["lifecycle"])
			if !lifecycle.MatchString(l) {
				t.Fatalf("a package's lifecycle %q: %v", l, p)
			}
			stages[strings.Split(l, ";")[0]] = true
			if strings.HasPrefix(l, "EOL") && !strings.Contains(l, "eol 20") {
				t.Errorf("an EOL package without its date: %v", p)
			}
		}
	}
	if !stages["GA"] || !stages["EOL"] || !stages["EOS"] {
		t.Errorf("lifecycle stages seen: %v", stages)
	}
	ctr := invFirst(t, e.SB.InventoryContainers(), func(c sandbox.Container) bool { return c.ImageUUID == busy.UUID && c.State == "RUNNING" })
	c := e.OK("get_container", map[string]any{"containerSha": ctr.Sha})
	for _, f := range []string{"riskScore", "maxQdsScore", "qdsSeverity", "criticality"} {
		if c[f] == nil {
			t.Errorf("get_container does not show %s: %v", f, c)
		}
	}
	im := e.OK("get_image", map[string]any{"imageSha": busy.Sha})
	if im["lastUsedDate"] == nil {
		t.Errorf("get_image does not show lastUsedDate: %v", im)
	}
}

// update_sensor_profile: isVulnPropagation is the update's query
// parameter; a RUNTIME profile's runtimeSensor and ignoreProcesses are
// carried over from the profile as read, or changed; a profile keeps its
// type, and runtime fields on another type are refused naming them, with
// no update sent.
func TestUpdateSensorProfile2026(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	id := e.OK("create_sensor_profile", map[string]any{"profileName": "runtime-1", "profileType": "RUNTIME", "associatedSensorIds": []string{},
		"runtimeSensor": "disable", "ignoreProcesses": "/usr/bin/cat"})["profileUuid"].(string)
	path := "/sensorProfile/" + id
	e.OK("update_sensor_profile", map[string]any{"sensorProfileId": id, "description": "nights", "isVulnPropagation": true})
	b := sentBody(t, e, "PUT", path)
	if q := lastQuery(e, "PUT", path); q != "isVulnPropagation=true" || b["runtimeSensor"] != "disable" || b["ignoreProcesses"] != "/usr/bin/cat" || b["isVulnPropagation"] != nil {
		t.Fatalf("update sent ?%s %v", q, b)
	}
	e.OK("update_sensor_profile", map[string]any{"sensorProfileId": id, "runtimeSensor": "enable", "isVulnPropagation": nil})
	if p := e.OK("get_sensor_profile", map[string]any{"sensorProfileId": id}); p["runtimeSensor"] != "enable" || p["ignoreProcesses"] != "/usr/bin/cat" || lastQuery(e, "PUT", path) != "" {
		t.Errorf("after changing runtimeSensor: %v, query %q", p, lastQuery(e, "PUT", path))
	}
	puts := e.SB.Count("PUT", path)
	for _, c := range []struct {
		args  map[string]any
		field string
	}{
		{map[string]any{"sensorProfileId": id, "profileType": "General"}, "profileType"},
		{map[string]any{"sensorProfileId": sandbox.GeneralProfileID, "runtimeSensor": "disable"}, "runtimeSensor"},
		{map[string]any{"sensorProfileId": id, "runtimeSensor": "off"}, "runtimeSensor"},
		{map[string]any{"sensorProfileId": id, "isVulnPropagation": "yes"}, "isVulnPropagation"},
	} {
		if msg := e.Fail("update_sensor_profile", c.args); !strings.Contains(msg, `"`+c.field+`"`) {
			t.Errorf("%v: %s", c.args, msg)
		}
	}
	if e.SB.Count("PUT", "/sensorProfile/") != puts {
		t.Error("a refused update was sent")
	}
	// the profile's own type, given, agrees
	e.OK("update_sensor_profile", map[string]any{"sensorProfileId": id, "profileType": "RUNTIME", "description": "days"})
}

// delete_registry_schedules by filter (2026): the preview names the
// schedules the filter matches; declined, nothing is sent; accepted, one
// DELETE of the guide's bulk path with the filter; IDs and a filter
// together are refused.
func TestDeleteSchedulesByFilter(t *testing.T) {
	args := map[string]any{"registryId": azureReg, "filter": "status:`Finished`"}
	e := NewEnv(t, EnvOptions{Elicit: Decline})
	e.OK("delete_registry_schedules", args)
	if e.SB.Count("DELETE", "") != 0 || len(e.Elicited) != 1 || !strings.Contains(e.Elicited[0], sandbox.FinishedScheduleID) || strings.Contains(e.Elicited[0], sandbox.CreatedScheduleID) {
		t.Fatalf("declined: %d DELETE sent; preview %v", e.SB.Count("DELETE", ""), e.Elicited)
	}
	e = NewEnv(t, EnvOptions{Elicit: Accept})
	res := e.OK("delete_registry_schedules", args)
	q, _ := url.ParseQuery(lastQuery(e, "DELETE", "/registry/"+azureReg+"/schedule/bulk"))
	if e.SB.Count("DELETE", "") != 1 || q.Get("filter") != "status:`Finished`" || len(q) != 1 {
		t.Fatalf("accepted: %d DELETE, query %v", e.SB.Count("DELETE", ""), q)
	}
	left := schedules(e, azureReg)
	if _, ok := left[sandbox.FinishedScheduleID]; ok || left[sandbox.CreatedScheduleID] == nil || res["deletionJobId"] == nil ||
		!slices.Contains(res["deleted"].([]any), any(sandbox.FinishedScheduleID)) {
		t.Fatalf("result %v; left %v", res, left)
	}
	refused(t, e, "delete_registry_schedules", map[string]any{"registryId": azureReg, "filter": "status:`Finished`", "scheduleIds": []string{sandbox.CreatedScheduleID}}, "filter")
	refused(t, e, "delete_registry_schedules", map[string]any{"registryId": azureReg, "filter": nil}, "scheduleIds")
	if msg := e.Fail("delete_registry_schedules", map[string]any{"registryId": azureReg, "filter": "status:`Finished`"}); !strings.Contains(msg, "matches no schedule") {
		t.Errorf("a filter that matches nothing: %s", msg)
	}
}

// An older document's name is taken from a model and sent as the newest
// document names it (schemas.Canonical, in every tool's decoding): a
// schedule's scheduleScanIntervalInDays as scheduleIntervalInDays; both
// given apart is refused naming the older, and nothing is sent.
func TestOlderNamesSentAsNewer(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	filters := []any{map[string]any{"repoTags": []any{map[string]any{"repo": "azuretest"}}}}
	e.OK("create_registry_schedule", map[string]any{"registryId": azureReg, "onDemand": false, "schedule": "01:00", "filters": filters,
		"scheduleScanIntervalInDays": 7, "weekDay": "MONDAY"})
	b := sentBody(t, e, "POST", "/registry/"+azureReg+"/schedule")
	if b["scheduleIntervalInDays"] != 7.0 || b["scheduleScanIntervalInDays"] != nil || b["weekDay"] != "MONDAY" {
		t.Errorf("sent %v", b)
	}
	refused(t, e, "create_registry_schedule", map[string]any{"registryId": azureReg, "onDemand": false, "schedule": "01:00", "filters": filters,
		"scheduleScanIntervalInDays": 7, "scheduleIntervalInDays": 3}, "scheduleScanIntervalInDays")
}
