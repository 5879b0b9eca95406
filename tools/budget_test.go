package tools_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/toolsets"
)

// The default list results against the raw API bodies they come from, on
// the sandbox: the images, containers and sensors lists must be at most 30%.
// (Byte counts are deterministic: the inventory is generated from a seed.)
func TestResultBytesVsRawBody(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	for _, c := range []struct {
		tool  string
		limit float64 // the most the result may be, as a share of the raw body
	}{
		{"list_images", 0.30},
		{"list_containers", 0.30},
		{"list_sensors", 0.30},
	} {
		res := Text(e.Call(c.tool, map[string]any{}))
		reqs := e.SB.Requests()
		last := reqs[len(reqs)-1]
		raw := invRaw(t, e, last.Path+"?"+last.Query)
		ratio := float64(len(res)) / float64(len(raw))
		t.Logf("%-16s default result %6d bytes, raw API body %6d bytes: %.1f%%", c.tool, len(res), len(raw), 100*ratio)
		if ratio > c.limit {
			t.Errorf("%s: the default result is %.1f%% of the raw body, over %.0f%%", c.tool, 100*ratio, 100*c.limit)
		}
	}
}

// budgetAnswer checks one result against the budget: never over it, always
// valid JSON, and a cut result says so and how to continue.
func budgetAnswer(t *testing.T, name, text string, budget int) map[string]any {
	t.Helper()
	if len(text) > budget {
		t.Errorf("%s: %d bytes, over the %d-byte budget", name, len(text), budget)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		t.Fatalf("%s: not valid JSON: %v: %.200s", name, err, text)
	}
	if m["truncated"] == true {
		note := invStr(m["note"])
		continues := m["cursor"] != nil || m["nextPage"] != nil || strings.Contains(note, "Ask") || strings.Contains(note, "narrow")
		if note == "" || !continues {
			t.Errorf("%s: a cut without a note on how to continue: %v", name, m["note"])
		}
	}
	return m
}

// The budget holds on the largest answers the sandbox gives.
func TestBudgetHoldsOnLargestAnswers(t *testing.T) {
	const budget = 8000
	e := NewEnv(t, EnvOptions{Flags: []string{"--result-budget", fmt.Sprint(budget)}})
	img := e.SB.InventoryImages()[0]
	ctr := e.SB.InventoryContainers()[0]
	all := []string{"*"}
	cut := 0
	for _, c := range []struct {
		tool string
		args map[string]any
	}{
		{"list_images", map[string]any{"pageSize": 1000, "fields": all}},
		{"list_images", map[string]any{"pageSize": 1000}},
		{"list_containers", map[string]any{"pageSize": 1000, "fields": all}},
		{"list_images_with_details", map[string]any{"limit": 250, "fields": all}},
		{"list_containers_with_details", map[string]any{"limit": 250, "fields": all}},
		{"list_containers_with_details", map[string]any{"limit": 250}},
		{"get_image", map[string]any{"imageSha": img.Sha, "fields": all}},
		{"get_container", map[string]any{"containerSha": ctr.Sha, "fields": all}},
		{"get_image_vulnerabilities", map[string]any{"imageSha": img.Sha, "fields": all}},
		{"get_container_vulnerabilities", map[string]any{"containerSha": ctr.Sha, "fields": all}},
		{"get_image_software", map[string]any{"imageSha": img.Sha}},
		{"get_container_compliance", map[string]any{"containerSha": ctr.Sha}},
		{"get_image_associations", map[string]any{"imageSha": img.Sha}},
		{"list_controls", map[string]any{"pageSize": 1000, "fields": all}},
	} {
		m := budgetAnswer(t, c.tool, Text(e.Call(c.tool, c.args)), budget)
		if m["truncated"] == true {
			cut++
		}
	}
	if cut < 8 {
		t.Errorf("only %d answers needed cutting: the budget was not tested", cut)
	}
}

// A cut answer continues exactly where it was cut: following the page or
// the cursor the notes give returns every record once.
func TestBudgetCutContinues(t *testing.T) {
	const budget = 6000
	e := NewEnv(t, EnvOptions{Flags: []string{"--result-budget", fmt.Sprint(budget)}})

	// A page-number list: continue with nextPage and nextPageSize.
	seen := map[string]int{}
	args := map[string]any{"pageSize": 1000}
	skip := 0
	for calls := 0; ; calls++ {
		if calls > 200 {
			t.Fatal("the pages never end")
		}
		m := budgetAnswer(t, "list_images", Text(e.Call("list_images", args)), budget)
		for _, it := range Items(m)[skip:] {
			seen[invStr(it["sha"])]++
		}
		skip = invNum(m["nextPageShown"])
		if m["nextPage"] == nil {
			break
		}
		size := args["pageSize"]
		if m["nextPageSize"] != nil {
			size = m["nextPageSize"]
		}
		args = map[string]any{"pageNumber": m["nextPage"], "pageSize": size}
	}
	images := e.SB.InventoryImages()
	for _, im := range images {
		if seen[im.Sha] != 1 {
			t.Fatalf("list_images: image %s seen %d times", im.Sha, seen[im.Sha])
		}
	}
	if len(seen) != len(images) {
		t.Fatalf("list_images: %d seen of %d", len(seen), len(images))
	}

	// A cursor list: the cursor of a cut page skips what was shown.
	got := invWalk(t, e, "list_containers_with_details", map[string]any{"limit": 60})
	ctrs := map[string]int{}
	for _, it := range got {
		ctrs[invStr(it["sha"])]++
	}
	for _, c := range e.SB.InventoryContainers() {
		if ctrs[c.Sha] != 1 {
			t.Fatalf("list_containers_with_details: container %s seen %d times", c.Sha, ctrs[c.Sha])
		}
	}

	// A list the API gives whole: the cursor pages through it here.
	img := images[0]
	first := e.OK("get_image_vulnerabilities", map[string]any{"imageSha": img.Sha, "fields": []string{"*"}})
	if first["truncated"] != true {
		t.Fatalf("not cut: %v", first["count"])
	}
	vulns := invWalk(t, e, "get_image_vulnerabilities", map[string]any{"imageSha": img.Sha, "fields": []string{"*"}}, "imageSha", "fields")
	qids := map[float64]int{}
	for _, v := range vulns {
		qids[v["qid"].(float64)]++
	}
	if len(vulns) != invNum(first["count"]) || len(qids) != len(vulns) {
		t.Errorf("%d vulnerabilities (%d distinct) of %v", len(vulns), len(qids), first["count"])
	}
}

// The tool definitions stay small: each at most 900 bytes.
func TestInventoryToolDefinitionSizes(t *testing.T) {
	all, err := toolsets.All()
	if err != nil {
		t.Fatal(err)
	}
	total, n := 0, 0
	for _, tl := range all {
		if tl.Toolset != "images" && tl.Toolset != "containers" && tl.Toolset != "controls" {
			continue
		}
		b, _ := json.Marshal(tl.MCP())
		total += len(b)
		n++
		if len(b) > 900 {
			t.Errorf("%s: %d bytes in tools/list, over 900", tl.Name, len(b))
		}
	}
	if n != 21 {
		t.Errorf("%d tools in images, containers and controls, want 21", n)
	}
	t.Logf("images, containers and controls: %d tools, %d bytes in tools/list, %d on average", n, total, total/max(n, 1))
}
