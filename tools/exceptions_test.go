package tools_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

// log4jQIDs are the QIDs of the sandbox's QID list sandbox.QIDListLog4j.
var log4jQIDs = []float64{376187, 376209}

// log4jAsset finds an image (or a container) carrying Log4Shell (QID
// 376187): its SHA and UUID.
func log4jAsset(t *testing.T, e *Env, tool string) (sha, uuid string) {
	t.Helper()
	items := Items(e.OK(tool, map[string]any{"filter": "vulnerabilities.qid:376187", "pageSize": 5, "fields": []string{"uuid"}}))
	if len(items) == 0 {
		t.Fatalf("%s: no asset carries QID 376187: the test would check nothing", tool)
	}
	return items[0]["sha"].(string), items[0]["uuid"].(string)
}

// imageQIDs are the QIDs get_image_vulnerabilities lists for an image
// (Qualys leaves out what an active exception covers).
func imageQIDs(t *testing.T, e *Env, sha string) map[float64]bool {
	t.Helper()
	out := map[float64]bool{}
	for _, v := range Items(e.OK("get_image_vulnerabilities", map[string]any{"imageSha": sha, "fields": []string{"qid"}})) {
		out[v["qid"].(float64)] = true
	}
	return out
}

// epoch is t as the exceptions' dates: epoch milliseconds, as a string.
func epoch(t time.Time) string { return fmt.Sprint(t.UnixMilli()) }

// newException creates an exception of the Log4j QID list on the assets,
// through the tool, and returns its ID.
func newException(t *testing.T, e *Env, name, scope string, assets ...string) string {
	t.Helper()
	res := e.OK("create_exception", map[string]any{"name": name, "reason": "RISK_ACCEPTED", "scope": scope, "listId": sandbox.QIDListLog4j,
		"explanation": "no fix until the vendor ships one", "startDate": epoch(time.Now().Add(-time.Hour)), "endDate": epoch(time.Now().Add(30 * 24 * time.Hour)),
		"entityAssignmentRequest": map[string]any{"idsToAdd": assets}})
	id, _ := res["exceptionId"].(string)
	if res["created"] != true || id == "" {
		t.Fatalf("create_exception: %v", res)
	}
	return id
}

// An exception made through the tools hides its QIDs from the image, keeps
// its assets through an update that merges, and, taken off after the user
// confirms, shows them again; the preview named them.
func TestExceptionLifecycle(t *testing.T) {
	e := NewEnv(t, EnvOptions{Elicit: Accept})
	sha, uuid := log4jAsset(t, e, "list_images")
	if !imageQIDs(t, e, sha)[376187] {
		t.Fatal("Log4Shell not listed before any exception")
	}

	// the older name imageSelectionType is sent as entityAssignmentType;
	// exceptionType, the server's to fill, is sent; null is absent
	start, end := epoch(time.Now().Add(-time.Hour)), epoch(time.Now().Add(90*24*time.Hour))
	res := e.OK("create_exception", map[string]any{"name": "log4j-accepted", "reason": "RISK_ACCEPTED", "scope": "IMAGE", "listId": sandbox.QIDListLog4j,
		"explanation": "patched in the next release", "startDate": start, "endDate": end, "imageSelectionType": "STATIC", "dynamicFilter": nil,
		"entityAssignmentRequest": map[string]any{"idsToAdd": []string{uuid}, "additionFilter": nil}})
	id, _ := res["exceptionId"].(string)
	if id == "" || res["created"] != true {
		t.Fatalf("create: %v", res)
	}
	want := map[string]any{"name": "log4j-accepted", "reason": "RISK_ACCEPTED", "scope": "IMAGE", "listId": sandbox.QIDListLog4j, "explanation": "patched in the next release",
		"startDate": start, "endDate": end, "entityAssignmentType": "STATIC", "exceptionType": "VULNERABILITY", "entityAssignmentRequest": map[string]any{"idsToAdd": []any{uuid}}}
	if got := lastBody(t, e, "POST", "/exception"); !sameJSON(got, want) || strings.Contains(fmt.Sprint(got), "null") {
		t.Fatalf("create body %v\nwant %v", got, want)
	}
	qids := imageQIDs(t, e, sha)
	if qids[376187] {
		t.Fatal("the exception does not hide Log4Shell")
	}
	listed := Items(e.OK("list_image_exceptions", map[string]any{"imageSha": sha}))
	if !slices.ContainsFunc(listed, func(x map[string]any) bool { return x["uuid"] == id && x["name"] == "log4j-accepted" }) {
		t.Fatalf("list_image_exceptions: %v", listed)
	}
	got := e.OK("get_exception", map[string]any{"exceptionId": id, "includeQids": true})
	if fmt.Sprint(got["qids"]) != fmt.Sprint([]any{376187.0, 376209.0}) || !strings.HasPrefix(fmt.Sprint(got["endDate"]), time.Now().Add(90*24*time.Hour).UTC().Format("2006-01-02")) {
		t.Fatalf("get_exception: %v", got)
	}
	if q := e.SB.Requests(); !strings.Contains(q[len(q)-1].Query, "includeQids=true") {
		t.Fatalf("get_exception query: %s", q[len(q)-1].Query)
	}

	// an update changes what it names and keeps the rest, assets too
	e.OK("update_exception", map[string]any{"exceptionId": id, "explanation": "vendor fix due in May", "reason": nil, "entityAssignmentRequest": map[string]any{"idsToAdd": nil}})
	body := lastBody(t, e, "PUT", "/exception/"+id)
	if body["explanation"] != "vendor fix due in May" || body["name"] != "log4j-accepted" || body["listId"] != sandbox.QIDListLog4j || body["endDate"] != end ||
		body["reason"] != "RISK_ACCEPTED" || body["exceptionType"] != "VULNERABILITY" || body["entityAssignmentRequest"] != nil {
		t.Fatalf("update body: %v", body)
	}
	if imageQIDs(t, e, sha)[376187] {
		t.Fatal("the update took the exception off the image")
	}
	// a date that, merged, ends before the start is refused, naming it; nothing sent
	before := e.SB.Count("PUT", "")
	if msg := e.Fail("update_exception", map[string]any{"exceptionId": id, "endDate": "1000"}); !strings.Contains(msg, "endDate") || e.SB.Count("PUT", "") != before {
		t.Fatalf("end before start: %s", msg)
	}

	// taken off: the preview says which QIDs are open again; one PUT
	e.OK("unassign_image_exceptions", map[string]any{"imageUuid": uuid, "exceptionIds": []string{id}})
	if len(e.Elicited) != 1 {
		t.Fatalf("elicited %d times", len(e.Elicited))
	}
	p := e.Elicited[0]
	for _, w := range []string{`"log4j-accepted"`, "Open again on this image", "QID 376187 (severity 5", `"CVE-2021-44228"`, `"` + uuid + `"`} {
		if !strings.Contains(p, w) {
			t.Errorf("the preview does not say %s: %s", w, p)
		}
	}
	if b := lastBody(t, e, "PUT", "/images/"+uuid+"/exceptions"); e.SB.Count("PUT", "/images/") != 1 || b["exceptionEvent"] != "DEASSIGN" || fmt.Sprint(b["exceptionIds"]) != fmt.Sprint([]any{id}) {
		t.Fatalf("unassign sent %d PUTs, last %v", e.SB.Count("PUT", "/images/"), b)
	}
	if !imageQIDs(t, e, sha)[376187] {
		t.Fatal("Log4Shell still hidden after the exception left the image")
	}
	// assign it back: hidden again
	out := e.OK("assign_image_exceptions", map[string]any{"imageUuid": uuid, "exceptionIds": []string{id}})
	if out["imageUuid"] != uuid || imageQIDs(t, e, sha)[376187] {
		t.Fatalf("assign: %v", out)
	}
}

// Declined, an unassignment sends nothing; what another exception still
// covers is not said to open again; an exception not on the image, or of
// the other scope, is refused by name before anything is sent.
func TestUnassignExceptionsDeclinedAndRefused(t *testing.T) {
	e := NewEnv(t, EnvOptions{Elicit: Decline})
	sha, uuid := log4jAsset(t, e, "list_images")
	one := newException(t, e, "first", "IMAGE", uuid)
	two := newException(t, e, "second", "IMAGE", uuid)
	res := e.OK("unassign_image_exceptions", map[string]any{"imageUuid": uuid, "exceptionIds": []string{one}})
	if res["cancelled"] != true || e.SB.Count("PUT", "/images/") != 0 {
		t.Fatalf("declined: %v, %d PUTs", res, e.SB.Count("PUT", "/images/"))
	}
	if len(e.Elicited) != 1 || !strings.Contains(e.Elicited[0], "Nothing is open again") || strings.Contains(e.Elicited[0], "QID 376187") {
		t.Fatalf("with %s still on the image, nothing opens: %v", two, e.Elicited)
	}
	if imageQIDs(t, e, sha)[376187] {
		t.Fatal("a declined unassignment changed the image")
	}
	// both leaving: both named, Log4Shell open again
	e.OK("unassign_image_exceptions", map[string]any{"imageUuid": uuid, "exceptionIds": []string{one, two}})
	if p := e.Elicited[1]; !strings.Contains(p, `"first"`) || !strings.Contains(p, `"second"`) || !strings.Contains(p, "QID 376187") {
		t.Fatalf("preview: %s", p)
	}
	for _, c := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"imageUuid": uuid, "exceptionIds": []string{sandbox.DocContainerExceptionID}}, "is not on image"},
		{map[string]any{"imageUuid": "00000000-0000-0000-0000-000000000000", "exceptionIds": []string{one}}, "imageUuid"},
		{map[string]any{"imageUuid": uuid, "exceptionIds": []string{one}, "exceptionEvent": "ASSIGN"}, "exceptionEvent"},
		{map[string]any{"imageUuid": uuid, "exceptionIds": []string{}}, "exceptionIds"},
	} {
		if msg := e.Fail("unassign_image_exceptions", c.args); !strings.Contains(msg, c.want) {
			t.Errorf("%v: %s, want %q", c.args, msg, c.want)
		}
	}
	if n := e.SB.Count("PUT", ""); n != 0 {
		t.Fatalf("refused calls sent %d PUTs", n)
	}
	// an IMAGE exception shows on the image's containers; the container tool points to the image's
	ctrs := Items(e.OK("list_containers", map[string]any{"filter": "imageSha:`" + sha + "`", "fields": []string{"uuid"}}))
	if len(ctrs) == 0 {
		t.Skip("the image runs no container")
	}
	if msg := e.Fail("unassign_container_exceptions", map[string]any{"containerUuid": ctrs[0]["uuid"], "exceptionIds": []string{one}}); !strings.Contains(msg, "unassign_image_exceptions") {
		t.Fatalf("IMAGE exception through the container tool: %s", msg)
	}
}

// Container exceptions: assigned by UUID, listed by SHA, and taken off
// after the user confirms, naming what opens again on the container.
func TestContainerExceptions(t *testing.T) {
	e := NewEnv(t, EnvOptions{Elicit: Accept})
	sha, uuid := log4jAsset(t, e, "list_containers")
	id := newException(t, e, "ctr-accepted", "CONTAINER")
	out := e.OK("assign_container_exceptions", map[string]any{"containerUuid": uuid, "exceptionIds": []string{id}, "exceptionEvent": "ASSIGN"})
	if out["ContainerUuid"] != uuid {
		t.Fatalf("assign: %v", out)
	}
	if b := lastBody(t, e, "PUT", "/containers/"+uuid+"/exceptions"); b["exceptionEvent"] != "ASSIGN" {
		t.Fatalf("assign body: %v", b)
	}
	listed := Items(e.OK("list_container_exceptions", map[string]any{"containerSha": sha}))
	if !slices.ContainsFunc(listed, func(x map[string]any) bool { return x["uuid"] == id }) {
		t.Fatalf("list_container_exceptions: %v", listed)
	}
	e.OK("unassign_container_exceptions", map[string]any{"containerUuid": uuid, "exceptionIds": []string{id}})
	if len(e.Elicited) != 1 || !strings.Contains(e.Elicited[0], "Open again on this container") || !strings.Contains(e.Elicited[0], "QID 376187") {
		t.Fatalf("preview: %v", e.Elicited)
	}
	if b := lastBody(t, e, "PUT", "/containers/"+uuid+"/exceptions"); b["exceptionEvent"] != "DEASSIGN" || e.SB.Count("PUT", "/containers/") != 2 {
		t.Fatalf("unassign: %v", b)
	}
	if slices.ContainsFunc(Items(e.OK("list_container_exceptions", map[string]any{"containerSha": sha})), func(x map[string]any) bool { return x["uuid"] == id }) {
		t.Fatal("still on the container")
	}
}

// A change between the preview and the confirmation refuses the call: the
// preview's target is the asset's exceptions and what would open again.
func TestUnassignRefusesChangedTarget(t *testing.T) {
	e := NewEnv(t, EnvOptions{Flags: tokenFlags})
	_, uuid := log4jAsset(t, e, "list_images")
	one := newException(t, e, "first", "IMAGE", uuid)
	args := map[string]any{"imageUuid": uuid, "exceptionIds": []string{one}}
	tok := tokenFlow(t, e, "unassign_image_exceptions", args)
	newException(t, e, "second", "IMAGE", uuid) // now Log4Shell stays covered: the preview is not what would happen
	if msg := e.Fail("unassign_image_exceptions", with(args, "confirmation_token", tok)); !strings.Contains(msg, "changed since") {
		t.Fatal(msg)
	}
	if e.SB.Count("PUT", "/images/") != 0 {
		t.Fatal("a changed target was unassigned")
	}
}

// Bad input is refused naming the field; nothing reaches Qualys.
func TestExceptionInputRefused(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	base := map[string]any{"name": "x", "reason": "RISK_ACCEPTED", "scope": "IMAGE", "listId": sandbox.QIDListLog4j, "startDate": "1700000000000", "endDate": "1800000000000"}
	for _, c := range []struct {
		args map[string]any
		want string
	}{
		{set(base, "exceptionName", "x"), "exceptionName"},
		{set(base, "endDate", "1600000000000"), "endDate"},
		{set(base, "entityAssignmentType", "DYNAMIC"), "dynamicFilter"},
		{set(set(base, "entityAssignmentType", "DYNAMIC"), "imageSelectionType", "STATIC"), "imageSelectionType"},
		{set(base, "exceptionType", "MALWARE"), "exceptionType"},
		{set(base, "reason", "WONT_FIX"), "reason"},
	} {
		if msg := e.Fail("create_exception", c.args); !strings.Contains(msg, c.want) {
			t.Errorf("%v: %s, want %q", c.args, msg, c.want)
		}
	}
	if e.SB.Count("POST", "/exception") != 0 {
		t.Fatal("refused input reached Qualys")
	}
}

// set is a copy of args with k set to v.
func set(args map[string]any, k string, v any) map[string]any {
	out := map[string]any{k: v}
	for a, b := range args {
		if a != k {
			out[a] = b
		}
	}
	return out
}

// Every destructive tool of exceptions and policies, declined by the user,
// sends nothing that changes anything.
func TestExceptionAndPolicyDestructiveDeclined(t *testing.T) {
	e := NewEnv(t, EnvOptions{Elicit: Decline})
	_, img := log4jAsset(t, e, "list_images")
	_, ctr := log4jAsset(t, e, "list_containers")
	onImage := newException(t, e, "on-image", "IMAGE", img)
	onCtr := newException(t, e, "on-container", "CONTAINER", ctr)
	e.OK("deactivate_policy", map[string]any{"policyId": sandbox.DocCreatedPolicyID}) // declined: stays ACTIVE
	changes := func() int { return e.SB.Count("PUT", "") + e.SB.Count("DELETE", "") + e.SB.Count("POST", "") }
	before := changes()
	for _, c := range []struct {
		tool string
		args map[string]any
	}{
		{"unassign_image_exceptions", map[string]any{"imageUuid": img, "exceptionIds": []string{onImage}}},
		{"unassign_container_exceptions", map[string]any{"containerUuid": ctr, "exceptionIds": []string{onCtr}}},
		{"deactivate_policy", map[string]any{"policyId": sandbox.DocPolicyID}},
		{"delete_policy", map[string]any{"policyId": sandbox.DocPolicyID}},
	} {
		if res := e.OK(c.tool, c.args); res["cancelled"] != true {
			t.Errorf("%s declined: %v", c.tool, res)
		}
	}
	if n := changes() - before; n != 0 {
		t.Fatalf("declined calls sent %d changes", n)
	}
	// activate needs an INACTIVE policy: made so through the accepting path of another session
	a := NewEnv(t, EnvOptions{Elicit: Accept, Sandbox: e.SB})
	a.OK("deactivate_policy", map[string]any{"policyId": sandbox.DocCreatedPolicyID})
	before = changes()
	if res := e.OK("activate_policy", map[string]any{"policyId": sandbox.DocCreatedPolicyID}); res["cancelled"] != true {
		t.Errorf("activate declined: %v", res)
	}
	if n := changes() - before; n != 0 {
		t.Fatalf("declined calls sent %d changes", n)
	}
	if len(e.Elicited) != 6 {
		t.Fatalf("asked %d times, want 6", len(e.Elicited))
	}
	if p := e.OK("get_policy", map[string]any{"policyId": sandbox.DocPolicyID}); p["policyMode"] != "ACTIVE" {
		t.Fatalf("a declined deactivation changed the policy: %v", p)
	}
}
