package tools_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

func TestPolicyReads(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	lst := e.OK("list_policies", map[string]any{})
	if lst["count"] != float64(4) || len(Items(lst)) != 4 {
		t.Fatalf("list: %v", lst)
	}
	for _, p := range Items(lst) {
		if p["uuid"] == sandbox.DocPolicyID && (p["policyName"] != "Policy123" || fmt.Sprint(p["centralizedPolicyRules"]) != "[Rule123 (IMAGESCAN_VULN_SEVERITYCOUNT, DENY)]") {
			t.Fatalf("list item: %v", p)
		}
	}
	// the current version, its rules' metaData an object (Qualys answers a string), its tags by name
	p := e.OK("get_policy", map[string]any{"policyId": sandbox.DocPolicyID})
	rule := p["centralizedPolicyRules"].([]any)[0].(map[string]any)
	meta, _ := rule["metaData"].(map[string]any)
	tag := p["tagIds"].([]any)[0].(map[string]any)
	if p["version"] != float64(2) || meta["operator"] != "GREATER_THAN" || tag["name"] != "Tag-101" || p["policyMode"] != "ACTIVE" {
		t.Fatalf("get_policy: %v", p)
	}
	if p1 := e.OK("get_policy", map[string]any{"policyId": sandbox.DocPolicyID, "version": 1}); p1["version"] != float64(1) {
		t.Fatalf("version 1: %v", p1)
	}
	if q := e.SB.Requests(); q[len(q)-1].Query != "version=1" {
		t.Fatalf("query %q", q[len(q)-1].Query)
	}
	// the create page's spelling of the type is sent as the current pages write it
	d := e.OK("get_default_policy", map[string]any{"policyType": "K8S_Admission_Controller"})
	if d["isDefault"] != true || d["policyType"] != "K8S_ADMISSION_CONTROLLER" || e.SB.Count("GET", "/centralizedPolicy/defaultPolicy/K8S_ADMISSION_CONTROLLER") != 1 {
		t.Fatalf("default policy: %v", d)
	}
	if msg := e.Fail("get_default_policy", map[string]any{"policyType": "RUNTIME"}); !strings.Contains(msg, "policyType") {
		t.Fatal(msg)
	}
}

// A policy update merges over the policy as read: rules' metaData go back
// as objects, tags as UUIDs; a mode change is refused by name (the guarded
// tools do that), nothing sent.
func TestUpdatePolicyMerges(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	e.OK("update_policy", map[string]any{"policyId": sandbox.DocPolicyID, "description": "blocks criticals", "policyMode": "ACTIVE"})
	body := lastBody(t, e, "PUT", "/centralizedPolicy/"+sandbox.DocPolicyID)
	want := mustJSON(t, `{"policyName":"Policy123","policyType":"CICD","policyMode":"ACTIVE","description":"blocks criticals","assetType":"CICD",
	  "centralizedPolicyRules":[{"name":"Rule123","type":"IMAGESCAN_VULN_SEVERITYCOUNT","action":"DENY","isEnabled":true,"stopProcessing":false,"sortOrder":0,
	    "metaData":{"operator":"GREATER_THAN","severityLevel":1,"threshold":1}}],"tagIds":["`+sandbox.DocTagUUID+`"]}`)
	if !sameJSON(body, want) {
		t.Fatalf("update body %v\nwant %v", body, want)
	}
	p := e.OK("get_policy", map[string]any{"policyId": sandbox.DocPolicyID})
	if p["version"] != float64(3) || p["description"] != "blocks criticals" || p["policyName"] != "Policy123" || len(p["centralizedPolicyRules"].([]any)) != 1 {
		t.Fatalf("after update: %v", p)
	}
	before := e.SB.Count("PUT", "")
	for _, mode := range []string{"INACTIVE"} {
		if msg := e.Fail("update_policy", map[string]any{"policyId": sandbox.DocPolicyID, "policyMode": mode}); !strings.Contains(msg, "policyMode") || !strings.Contains(msg, "deactivate_policy") {
			t.Fatal(msg)
		}
	}
	if msg := e.Fail("update_policy", map[string]any{"policyId": sandbox.DocPolicyID, "centralizedPolicyRules": []any{map[string]any{"name": "1bad", "type": "IMAGESCAN_VULN_SEVERITYCOUNT", "action": "DENY"}}}); !strings.Contains(msg, "centralizedPolicyRules.0.name") {
		t.Fatal(msg)
	}
	// the public client's field names are not the pages': refused by name
	rule := map[string]any{"name": "Gate", "type": "IMAGESCAN_VULN_SEVERITYCOUNT", "action": "DENY", "order": 0}
	if msg := e.Fail("create_policy", map[string]any{"policyName": "x", "policyType": "CICD", "centralizedPolicyRules": []any{rule}}); !strings.Contains(msg, "centralizedPolicyRules.0.order") {
		t.Fatal(msg)
	}
	if msg := e.Fail("update_policy", map[string]any{"policyId": sandbox.DocPolicyID, "name": "renamed"}); !strings.Contains(msg, `"name"`) {
		t.Fatal(msg)
	}
	if e.SB.Count("PUT", "") != before || e.SB.Count("POST", "/centralizedPolicy") != 0 {
		t.Fatal("a refused call was sent")
	}
}

// Deactivating and activating: declined sends nothing; accepted sends one
// PUT of the mode; the preview names the policy, its type and rules, and
// what decides in its place.
func TestPolicyModes(t *testing.T) {
	d := NewEnv(t, EnvOptions{Elicit: Decline})
	if res := d.OK("deactivate_policy", map[string]any{"policyId": sandbox.DocPolicyID}); res["cancelled"] != true || d.SB.Count("PUT", "") != 0 {
		t.Fatalf("declined: %v", res)
	}
	e := NewEnv(t, EnvOptions{Elicit: Accept})
	e.OK("deactivate_policy", map[string]any{"policyId": sandbox.DocPolicyID, "policyMode": "INACTIVE"})
	p := e.Elicited[0]
	for _, w := range []string{`Deactivate policy "Policy123"`, `"CICD"`, `"Rule123" ("IMAGESCAN_VULN_SEVERITYCOUNT", "DENY")`, `tags "Tag-101"`,
		"stops deciding which images CI/CD builds pass", `the default "CICD" policy "Default CICD Policy"`, `"Policy1214"`} {
		if !strings.Contains(p, w) {
			t.Errorf("the preview does not say %s: %s", w, p)
		}
	}
	if b := lastBody(t, e, "PUT", "/centralizedPolicy/"+sandbox.DocPolicyID+"/mode"); b["policyMode"] != "INACTIVE" || e.SB.Count("PUT", "") != 1 {
		t.Fatalf("mode body %v, %d PUTs", b, e.SB.Count("PUT", ""))
	}
	if got := e.OK("get_policy", map[string]any{"policyId": sandbox.DocPolicyID}); got["policyMode"] != "INACTIVE" {
		t.Fatalf("after: %v", got)
	}
	// already INACTIVE: refused by name, nothing asked or sent
	if msg := e.Fail("deactivate_policy", map[string]any{"policyId": sandbox.DocPolicyID}); !strings.Contains(msg, "INACTIVE already") || len(e.Elicited) != 1 {
		t.Fatal(msg)
	}
	e.OK("activate_policy", map[string]any{"policyId": sandbox.DocPolicyID})
	if p := e.Elicited[1]; !strings.Contains(p, "starts deciding which images CI/CD builds pass") || !strings.Contains(p, `in place of "Default CICD Policy"`) ||
		!strings.Contains(p, `Also ACTIVE for this type: "Policy1214"`) {
		t.Fatalf("activate preview: %s", p)
	}
	if b := lastBody(t, e, "PUT", "/centralizedPolicy/"+sandbox.DocPolicyID+"/mode"); b["policyMode"] != "ACTIVE" || e.SB.Count("PUT", "") != 2 {
		t.Fatalf("mode body %v", b)
	}
	if msg := e.Fail("activate_policy", map[string]any{"policyId": sandbox.DocPolicyID, "policyMode": "INACTIVE"}); !strings.Contains(msg, "policyMode") {
		t.Fatal(msg)
	}
}

// Deleting: the preview names the policy by name, type and mode and what
// it stops deciding; one DELETE once accepted; a target changed between
// preview and confirmation is refused.
func TestDeletePolicy(t *testing.T) {
	e := NewEnv(t, EnvOptions{Elicit: Accept})
	res := e.OK("delete_policy", map[string]any{"policyId": sandbox.DocCreatedPolicyID})
	p := e.Elicited[0]
	for _, w := range []string{`Delete policy "Policy1214"`, `"CICD", "ACTIVE"`, "It stops deciding which images CI/CD builds pass", `"Default CICD Policy"`} {
		if !strings.Contains(p, w) {
			t.Errorf("the preview does not say %s: %s", w, p)
		}
	}
	if res["deleted"] != true || e.SB.Count("DELETE", "/centralizedPolicy/") != 1 || !e.Refused("get_policy", map[string]any{"policyId": sandbox.DocCreatedPolicyID}) {
		t.Fatalf("delete: %v", res)
	}

	tok := NewEnv(t, EnvOptions{Flags: tokenFlags})
	args := map[string]any{"policyId": sandbox.DocPolicyID}
	token := tokenFlow(t, tok, "delete_policy", args)
	tok.OK("update_policy", map[string]any{"policyId": sandbox.DocPolicyID, "description": "changed meanwhile"})
	if msg := tok.Fail("delete_policy", with(args, "confirmation_token", token)); !strings.Contains(msg, "changed since") || tok.SB.Count("DELETE", "") != 0 {
		t.Fatal(msg)
	}
}
