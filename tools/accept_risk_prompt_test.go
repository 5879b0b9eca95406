package tools_test

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

// The accept_risk prompt, followed step by step through the tools it
// names with the values it gives, ends in an exception with the end date
// asked for, on the image, hiding the accepted QIDs.
func TestAcceptRiskPromptDriven(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	sha, _ := log4jAsset(t, e, "list_images")
	text, err := getPrompt(t, e, "accept_risk", map[string]string{"imageSha": sha, "days": "14", "listId": sandbox.QIDListLog4j})
	if err != nil {
		t.Fatal(err)
	}
	step := func(tool string) string { // the step that calls tool first
		for _, line := range strings.Split(text, "\n") {
			if strings.Contains(line, "Call "+tool+" ") {
				return line
			}
		}
		t.Fatalf("the prompt does not call %s: %s", tool, text)
		return ""
	}
	// 1-2: the image, its critical vulnerabilities, what is accepted already
	if !strings.Contains(step("get_image"), "imageSha `"+sha+"`") {
		t.Fatalf("get_image step: %s", step("get_image"))
	}
	img := e.OK("get_image", map[string]any{"imageSha": sha, "fields": []string{"uuid"}})
	uuid := img["uuid"].(string)
	sev := regexp.MustCompile(`minSeverity (\d)`).FindStringSubmatch(step("get_image_vulnerabilities"))
	if sev == nil || sev[1] != "5" {
		t.Fatalf("severity: %s", step("get_image_vulnerabilities"))
	}
	minSev, _ := strconv.Atoi(sev[1])
	var critical []float64
	for _, v := range Items(e.OK("get_image_vulnerabilities", map[string]any{"imageSha": sha, "minSeverity": minSev})) {
		critical = append(critical, v["qid"].(float64))
	}
	if !slices.Contains(critical, 376187) {
		t.Fatalf("Log4Shell is not among the critical vulnerabilities: %v", critical)
	}
	if len(Items(e.OK("list_image_exceptions", map[string]any{"imageSha": sha}))) != 0 {
		t.Fatal("the image has exceptions already: the test would not see the new one")
	}
	// 5: create, with the values the prompt gives
	create := step("create_exception")
	m := regexp.MustCompile(`reason (\w+), .*scope (\w+), listId, startDate (\d+) \(now\) and endDate (\d+) \((\d{4}-\d\d-\d\d), 14 days on`).FindStringSubmatch(create)
	if m == nil || !strings.Contains(text, "listId "+sandbox.QIDListLog4j) {
		t.Fatalf("create step: %s", create)
	}
	start, _ := strconv.ParseInt(m[3], 10, 64)
	end, _ := strconv.ParseInt(m[4], 10, 64)
	if d := time.UnixMilli(end).Sub(time.UnixMilli(start)); d != 14*24*time.Hour || time.Since(time.UnixMilli(start)) > time.Hour || m[5] != time.UnixMilli(end).UTC().Format(time.DateOnly) {
		t.Fatalf("dates: %v", m)
	}
	res := e.OK("create_exception", map[string]any{"name": "accept log4j", "reason": m[1], "explanation": "no fixed build until the vendor ships one",
		"scope": m[2], "listId": sandbox.QIDListLog4j, "startDate": m[3], "endDate": m[4]})
	id := res["exceptionId"].(string)
	// 6: its QIDs are the chosen ones
	if !strings.Contains(step("get_exception"), "includeQids true") {
		t.Fatalf("get_exception step: %s", step("get_exception"))
	}
	x := e.OK("get_exception", map[string]any{"exceptionId": id, "includeQids": true})
	for _, q := range x["qids"].([]any) {
		if !slices.Contains(log4jQIDs, q.(float64)) {
			t.Fatalf("qids: %v", x["qids"])
		}
	}
	// 7: assigned to the image by its UUID
	if !strings.Contains(step("assign_image_exceptions"), "imageUuid") {
		t.Fatalf("assign step: %s", step("assign_image_exceptions"))
	}
	e.OK("assign_image_exceptions", map[string]any{"imageUuid": uuid, "exceptionIds": []string{id}})
	// 8: what the prompt says to verify holds
	for _, v := range Items(e.OK("get_image_vulnerabilities", map[string]any{"imageSha": sha, "minSeverity": minSev})) {
		if v["qid"] == 376187.0 {
			t.Fatal("Log4Shell still listed after the exception")
		}
	}
	on := Items(e.OK("list_image_exceptions", map[string]any{"imageSha": sha}))
	if len(on) != 1 || on[0]["uuid"] != id || !strings.HasPrefix(on[0]["endDate"].(string), m[5]) {
		t.Fatalf("on the image: %v", on)
	}
}
