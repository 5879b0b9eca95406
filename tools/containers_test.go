package tools_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

func TestListContainers(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	all := e.SB.InventoryContainers()
	if len(all) != sandbox.DefaultInventory {
		t.Fatalf("%d containers", len(all))
	}
	bySha := map[string]sandbox.Container{}
	for _, c := range all {
		bySha[c.Sha] = c
	}
	m := e.OK("list_containers", map[string]any{"pageSize": 50})
	if invNum(m["count"]) != len(all) || len(Items(m)) != 50 {
		t.Fatalf("count %v", m["count"])
	}
	for _, it := range Items(m) {
		c := bySha[invStr(it["sha"])]
		if it["name"] != c.Name || it["imageId"] != c.ImageID || it["state"] != c.State || it["host"] != c.Host.Hostname ||
			it["created"] != c.Created.Time().Format("2006-01-02") || invSevs(it) != apiSevs(c.Vulnerabilities) {
			t.Errorf("item %v, container %+v", it, c)
		}
		for k := range it {
			if !slices.Contains([]string{"sha", "name", "imageId", "state", "host", "created", "sev1", "sev2", "sev3", "sev4", "sev5", "vulns"}, k) {
				t.Errorf("field %s is not in the default projection", k)
			}
		}
	}

	// Which running containers have high or critical vulnerabilities?
	m = e.OK("list_containers", map[string]any{"filter": "state:`RUNNING` and vulnerabilities.severity:[4 .. 5]", "pageSize": 1000})
	want := 0
	for _, c := range all {
		if s := apiSevs(c.Vulnerabilities); c.State == "RUNNING" && s[4]+s[5] > 0 {
			want++
		}
	}
	if invNum(m["count"]) != want || want == 0 {
		t.Fatalf("running with severity 4-5: %v, want %d", m["count"], want)
	}
	for _, it := range Items(m) {
		if s := invSevs(it); it["state"] != "RUNNING" || s[4]+s[5] == 0 {
			t.Errorf("%v does not match", it)
		}
	}
	c := all[7]
	for filter, pred := range map[string]func(sandbox.Container) bool{
		"host.hostname:`" + c.Host.Hostname + "`":             func(o sandbox.Container) bool { return o.Host.Hostname == c.Host.Hostname },
		"imageId:`" + c.ImageID + "` and not state:`DELETED`": func(o sandbox.Container) bool { return o.ImageID == c.ImageID && o.State != "DELETED" },
		"name:" + c.Name[:strings.Index(c.Name, "-")]:         func(o sandbox.Container) bool { return strings.Contains(o.Name, c.Name[:strings.Index(c.Name, "-")]) },
	} {
		want := 0
		for _, o := range all {
			if pred(o) {
				want++
			}
		}
		if got := e.OK("list_containers", map[string]any{"filter": filter, "pageSize": 1}); invNum(got["count"]) != want {
			t.Errorf("%s: %v, want %d", filter, got["count"], want)
		}
	}

	invRefused(t, e, "list_containers", map[string]any{"pageSize": 1001}, "pageSize")
	invRefused(t, e, "list_containers", map[string]any{"pageNumber": 201}, "list_containers_with_details")
	invRefused(t, e, "list_containers", map[string]any{"sort": strings.Repeat("x", 101)}, "sort")
}

// Paging through the whole inventory with the cursor gives each container
// exactly once, though many share an update time (the page boundaries fall
// inside ties).
func TestContainersCursorEachOnce(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	all := e.SB.InventoryContainers()
	ties := map[int64]int{}
	for _, c := range all {
		ties[c.Updated.Ms]++
	}
	if len(ties) > len(all)/2 {
		t.Fatalf("the inventory has too few ties to test: %d update times", len(ties))
	}
	for _, limit := range []int{97, 250} {
		got := invWalk(t, e, "list_containers_with_details", map[string]any{"limit": limit})
		seen := map[string]int{}
		for _, it := range got {
			seen[invStr(it["sha"])]++
		}
		for _, c := range all {
			if seen[c.Sha] != 1 {
				t.Fatalf("limit %d: container %s seen %d times", limit, c.Sha, seen[c.Sha])
			}
		}
		if len(got) != len(all) {
			t.Fatalf("limit %d: %d items for %d containers", limit, len(got), len(all))
		}
	}
	// Each call sent limit and, after the first, the Link header's query.
	for _, r := range e.SB.Requests() {
		if r.Path == "/containers/list" && !strings.Contains(r.Query, "limit=") {
			t.Errorf("query %s", r.Query)
		}
	}
	running := invWalk(t, e, "list_containers_with_details", map[string]any{"filter": "state:`RUNNING`", "limit": 100})
	want := 0
	for _, c := range all {
		if c.State == "RUNNING" {
			want++
		}
	}
	if len(running) != want {
		t.Errorf("running: %d, want %d", len(running), want)
	}
	for _, it := range running {
		if it["state"] != "RUNNING" {
			t.Fatalf("the filter was lost on a later page: %v", it)
		}
	}
}

// Page-number paging stops at 10,000 records: the answer says so and names
// the cursor tool, which goes on.
func TestContainersPastTenThousand(t *testing.T) {
	if testing.Short() {
		t.Skip("a 12,000-container inventory")
	}
	sb := NewSandbox(t, sandbox.Options{Username: "tester", Password: "canary-pass-7f3a", Scale: 12000})
	e := NewEnv(t, EnvOptions{Sandbox: sb, Flags: []string{"--result-budget", "1000000"}})
	m := e.OK("list_containers", map[string]any{"pageSize": 1000, "pageNumber": 10})
	if invNum(m["count"]) != 12000 || len(Items(m)) != 1000 || m["nextPage"] != nil || !strings.Contains(invStr(m["note"]), "list_containers_with_details") {
		t.Fatalf("page 10: count %v nextPage %v note %v", m["count"], m["nextPage"], m["note"])
	}
	invRefused(t, e, "list_containers", map[string]any{"pageSize": 1000, "pageNumber": 11}, "list_containers_with_details")
	got := invWalk(t, e, "list_containers_with_details", map[string]any{"limit": 250})
	seen := map[string]bool{}
	for _, it := range got {
		seen[invStr(it["sha"])] = true
	}
	if len(got) != 12000 || len(seen) != 12000 {
		t.Fatalf("the cursor gave %d items, %d distinct", len(got), len(seen))
	}
}

func TestContainerReads(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	var drift sandbox.Container
	for _, c := range e.SB.InventoryContainers() {
		m := e.OK("get_container", map[string]any{"containerSha": c.Sha})
		if m["isDrift"] == true {
			drift = c
			if m["sha"] != c.Sha || m["uuid"] != c.UUID || m["imageSha"] == nil || m["host"] != c.Host.Hostname || invSevs(m) != apiSevs(c.Vulnerabilities) {
				t.Fatalf("get_container: %v", m)
			}
			break
		}
	}
	if drift.Sha == "" {
		t.Fatal("no drift container")
	}
	if m := e.OK("get_container", map[string]any{"containerSha": drift.ContainerID, "fields": []string{"environment"}}); m["environment"] == nil || m["sha"] != drift.Sha {
		t.Errorf("by containerId with environment: %v", m)
	}

	want := apiSevs(drift.Vulnerabilities)
	total := 0
	for _, n := range want {
		total += n
	}
	vulns := e.OK("get_container_vulnerabilities", map[string]any{"containerSha": drift.Sha})
	driftItems := 0
	for _, v := range Items(vulns) {
		if v["drift"] == true {
			driftItems++
		}
	}
	if invNum(vulns["count"]) != total || driftItems == 0 {
		t.Errorf("vulnerabilities: count %v (want %d), %d from drift", vulns["count"], total, driftItems)
	}
	if strings.Contains(e.SB.Requests()[len(e.SB.Requests())-1].Query, "sort") {
		t.Errorf("the container vuln API takes no sort")
	}
	high := e.OK("get_container_vulnerabilities", map[string]any{"containerSha": drift.Sha, "minSeverity": 5, "sort": "qid:asc"})
	if invNum(high["count"]) != want[5] {
		t.Errorf("minSeverity 5: %v, want %d", high["count"], want[5])
	}
	for i, v := range Items(high)[1:] {
		if invNum(v["qid"]) < invNum(Items(high)[i]["qid"]) {
			t.Errorf("not by qid")
		}
	}
	cnt := e.OK("get_container_vulnerability_count", map[string]any{"containerSha": drift.Sha})
	if invNum(cnt["total"]) != total || invNum(cnt["sev4"]) != want[4] {
		t.Errorf("count %v, want %v", cnt, want)
	}

	sw := e.OK("get_container_software", map[string]any{"containerSha": drift.Sha, "vulnerableOnly": true})
	if invNum(sw["count"]) == 0 {
		t.Errorf("software %v", sw)
	}
	comp := e.OK("get_container_compliance", map[string]any{"containerSha": drift.Sha, "posture": "PASS"})
	pass := invNum(comp["postureCounts"].(map[string]any)["PASS"])
	if invNum(comp["count"]) != pass {
		t.Errorf("PASS only: %v, want %d", comp["count"], pass)
	}

	invRefused(t, e, "get_container", map[string]any{"containerSha": "x?y"}, "containerSha")
	invRefused(t, e, "get_container_vulnerabilities", map[string]any{"containerSha": drift.Sha, "minSeverity": 0}, "minSeverity")
	invRefused(t, e, "get_container_vulnerability_count", map[string]any{}, "containerSha")
	invRefused(t, e, "get_container_software", map[string]any{"containerSha": drift.Sha, "cursor": 5}, "cursor")
	invRefused(t, e, "get_container_compliance", map[string]any{"containerSha": drift.Sha, "posture": "pass"}, "posture")
	if msg := e.Fail("get_container_vulnerabilities", map[string]any{"containerSha": strings.Repeat("f", 64)}); !strings.Contains(msg, "not found") {
		t.Errorf("unknown container: %s", msg)
	}
}

func TestDeleteContainers(t *testing.T) {
	e := NewEnv(t, EnvOptions{Elicit: Accept})
	all := e.SB.InventoryContainers()
	gone := invFirst(t, all, func(c sandbox.Container) bool { return c.State == "DELETED" })
	filter := "state:`DELETED` and host.hostname:`" + gone.Host.Hostname + "`"
	var match []string
	for _, c := range all {
		if c.State == "DELETED" && c.Host.Hostname == gone.Host.Hostname {
			match = append(match, c.UUID)
		}
	}
	m := e.OK("delete_containers", map[string]any{"filter": filter})
	if m["deletionJobId"] == nil {
		t.Errorf("answer %v", m)
	}
	if !strings.Contains(e.Elicited[0], gone.Name) || !strings.Contains(e.Elicited[0], "Delete "+strconv.Itoa(len(match))+" container") {
		t.Errorf("preview %q", e.Elicited[0])
	}
	left := e.SB.InventoryContainers()
	if len(left) != len(all)-len(match) {
		t.Fatalf("%d left of %d, %d matched", len(left), len(all), len(match))
	}
	for _, c := range left {
		if slices.Contains(match, c.UUID) {
			t.Fatal("a matched container is still there")
		}
	}

	one := left[0]
	e.OK("delete_containers", map[string]any{"containerIds": []string{one.UUID}})
	last := e.SB.Requests()[len(e.SB.Requests())-1]
	if last.Method != "DELETE" || last.Query != "containerIds="+one.UUID {
		t.Errorf("sent %s %s", last.Method, last.Query)
	}
	if n := len(e.SB.InventoryContainers()); n != len(left)-1 {
		t.Errorf("%d left", n)
	}

	msg := e.Fail("delete_containers", map[string]any{"filter": "state:`RUNNING`"})
	if !strings.Contains(msg, "maxMatches") {
		t.Errorf("over the cap: %s", msg)
	}
	// Raised explicitly, the cap lets the preview through; declining keeps all.
	d := NewEnv(t, EnvOptions{Elicit: Decline})
	before := len(d.SB.InventoryContainers())
	res := d.OK("delete_containers", map[string]any{"filter": "state:`PAUSED`", "maxMatches": 1000})
	if res["cancelled"] != true || len(d.SB.InventoryContainers()) != before || !strings.Contains(d.Elicited[0], "and ") {
		t.Errorf("declined: %v, %d left, preview %q", res, len(d.SB.InventoryContainers()), d.Elicited)
	}

	invRefused(t, e, "delete_containers", map[string]any{}, "containerIds")
	invRefused(t, e, "delete_containers", map[string]any{"filter": " "}, "containerIds")
	invRefused(t, e, "delete_containers", map[string]any{"containerIds": []string{one.UUID}, "filter": "state:`RUNNING`"}, "filter")
	invRefused(t, e, "delete_containers", map[string]any{"filter": "state:`RUNNING`", "maxMatches": 10001}, "maxMatches")
}
