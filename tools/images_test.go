package tools_test

import (
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

// ---- helpers for the images, containers and controls tests ----

// invRaw GETs a path (with its query) from the test's sandbox directly, as
// the API answers it.
func invRaw(t testing.TB, e *Env, pathQuery string) []byte {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.URL+sandbox.Base+pathQuery, nil)
	req.Header.Set("Authorization", "Bearer "+e.SB.IssueToken())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", pathQuery, resp.StatusCode, b)
	}
	return b
}

// invRefused calls a tool with bad input: it must fail naming want, and
// send nothing to the API.
func invRefused(t testing.TB, e *Env, tool string, args map[string]any, want string) {
	t.Helper()
	before := e.SB.Total()
	msg := e.Fail(tool, args)
	if !strings.Contains(msg, want) {
		t.Errorf("%s(%v): error %q does not name %q", tool, args, msg, want)
	}
	if n := e.SB.Total(); n != before {
		t.Errorf("%s(%v): bad input sent %d request(s)", tool, args, n-before)
	}
}

func invNum(v any) int {
	f, _ := v.(float64)
	return int(f)
}

// invWalk follows a cursor list to its end and returns every item. The
// calls after the first send the cursor with keep's arguments only.
func invWalk(t testing.TB, e *Env, tool string, args map[string]any, keep ...string) []map[string]any {
	t.Helper()
	var all []map[string]any
	for calls := 0; ; calls++ {
		if calls > 2000 {
			t.Fatalf("%s: the cursor never ends", tool)
		}
		m := e.OK(tool, args)
		all = append(all, Items(m)...)
		cur, _ := m["cursor"].(string)
		if cur == "" {
			return all
		}
		next := map[string]any{"cursor": cur}
		for _, k := range keep {
			next[k] = args[k]
		}
		args = next
	}
}

// invSevs reads the flattened counts by severity of a list item.
func invSevs(it map[string]any) [6]int {
	var n [6]int
	for s := 1; s <= 5; s++ {
		n[s] = invNum(it["sev"+string(rune('0'+s))])
	}
	return n
}

func apiSevs(c sandbox.VulnCounts) [6]int {
	v := func(p *int) int {
		if p == nil {
			return 0
		}
		return *p
	}
	return [6]int{0, v(c.Severity1Count), v(c.Severity2Count), v(c.Severity3Count), v(c.Severity4Count), v(c.Severity5Count)}
}

func repoStrings(rs []sandbox.Repo) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Registry+"/"+r.Repository+":"+r.Tag)
	}
	return out
}

// invFirst is the first item that pred accepts.
func invFirst[T any](t testing.TB, items []T, pred func(T) bool) T {
	t.Helper()
	for _, it := range items {
		if pred(it) {
			return it
		}
	}
	var zero T
	t.Fatalf("no such %T in the sandbox", zero)
	return zero
}

// imageBy finds the first sandbox image that pred accepts.
func imageBy(t testing.TB, e *Env, pred func(sandbox.Image) bool) sandbox.Image {
	t.Helper()
	return invFirst(t, e.SB.InventoryImages(), pred)
}

// ---- images ----

func TestListImages(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	all := e.SB.InventoryImages()
	if len(all) < 200 || len(all) > 400 {
		t.Fatalf("a few hundred images expected, got %d", len(all))
	}
	byID := map[string]sandbox.Image{}
	for _, im := range all {
		byID[im.Sha] = im
	}

	m := e.OK("list_images", map[string]any{"pageSize": 20, "sort": "created:desc"})
	items := Items(m)
	if invNum(m["count"]) != len(all) || len(items) != 20 || invNum(m["nextPage"]) != 2 {
		t.Fatalf("count %v, %d items, nextPage %v", m["count"], len(items), m["nextPage"])
	}
	last := ""
	for _, it := range items {
		im, ok := byID[invStr(it["sha"])]
		if !ok {
			t.Fatalf("unknown sha in %v", it)
		}
		for k := range it {
			if !slices.Contains([]string{"sha", "repo", "operatingSystem", "created", "lastScanned", "associatedContainersCount", "sev1", "sev2", "sev3", "sev4", "sev5", "vulns"}, k) {
				t.Errorf("field %s is not in the default projection", k)
			}
		}
		created := im.Created.Time().Format("2006-01-02")
		if it["created"] != created || it["operatingSystem"] != im.OperatingSystem {
			t.Errorf("created %v / OS %v, want %s / %s", it["created"], it["operatingSystem"], created, im.OperatingSystem)
		}
		if last != "" && invStr(it["created"]) > last {
			t.Errorf("not sorted by created:desc")
		}
		last = invStr(it["created"])
		var repos []string
		for _, r := range it["repo"].([]any) {
			repos = append(repos, r.(string))
		}
		if !slices.Equal(repos, repoStrings(im.Repo)) {
			t.Errorf("repo %v, want %v", repos, repoStrings(im.Repo))
		}
		if got, want := invSevs(it), apiSevs(im.Vulnerabilities); got != want {
			t.Errorf("counts %v, want %v", got, want)
		}
		if invNum(it["associatedContainersCount"]) != im.AssociatedContainersCount {
			t.Errorf("associatedContainersCount %v, want %d", it["associatedContainersCount"], im.AssociatedContainersCount)
		}
	}

	// More fields by name, or all.
	it := Items(e.OK("list_images", map[string]any{"pageSize": 1, "fields": []string{"uuid", "imageId"}}))[0]
	if it["uuid"] == nil || it["imageId"] == nil || it["repoDigests"] != nil {
		t.Errorf("fields uuid, imageId: %v", it)
	}
	it = Items(e.OK("list_images", map[string]any{"pageSize": 1, "fields": []string{"*"}}))[0]
	if it["repoDigests"] == nil || it["vulnerabilities"] == nil || it["sha"] == nil {
		t.Errorf("fields *: %v", it)
	}
	for k, v := range it {
		if v == nil {
			t.Errorf("null %s not dropped", k)
		}
	}

	// QQL: exact values, numeric ranges and CVEs.
	m = e.OK("list_images", map[string]any{"filter": "repo.repository:`library/nginx` and vulnerabilities.severity:[4 .. 5]", "pageSize": 1000})
	want := 0
	for _, im := range all {
		if im.Repo[0].Repository == "library/nginx" && apiSevs(im.Vulnerabilities)[4]+apiSevs(im.Vulnerabilities)[5] > 0 {
			want++
		}
	}
	if invNum(m["count"]) != want || want == 0 {
		t.Fatalf("nginx with severity 4-5: %v, want %d", m["count"], want)
	}
	log4j := e.OK("list_images", map[string]any{"filter": "vulnerabilities.cveids:`CVE-2021-44228`", "pageSize": 1000})
	if invNum(log4j["count"]) == 0 {
		t.Fatal("no image carries Log4Shell")
	}
	hit := invStr(Items(log4j)[0]["sha"])
	vulns := e.OK("get_image_vulnerabilities", map[string]any{"imageSha": hit, "filter": "cveids:CVE-2021-44228"})
	if invNum(vulns["count"]) != 1 || invNum(Items(vulns)[0]["qid"]) != 376187 {
		t.Errorf("the Log4Shell image's vulnerabilities: %v", vulns)
	}
	recent := e.OK("list_images", map[string]any{"filter": "created:[now-30d .. now]", "pageSize": 1000})
	want = 0
	for _, im := range all {
		if time.Since(im.Created.Time()) <= 30*24*time.Hour {
			want++
		}
	}
	if d := invNum(recent["count"]) - want; d < -1 || d > 1 {
		t.Errorf("created in the last 30 days: %v, want %d", recent["count"], want)
	}

	// Bad input: nothing is sent.
	invRefused(t, e, "list_images", map[string]any{"pageSize": 0}, "pageSize")
	invRefused(t, e, "list_images", map[string]any{"pageSize": 1000, "pageNumber": 11}, "list_images_with_details")
	invRefused(t, e, "list_images", map[string]any{"fields": "uuid"}, "fields")
	invRefused(t, e, "list_images", map[string]any{"color": "red"}, "color")
	if msg := e.Fail("list_images", map[string]any{"filter": "repo.repository nginx"}); !strings.Contains(msg, "filter") {
		t.Errorf("a broken filter: %s", msg)
	}
}

func TestListImagesWithDetails(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	all := e.SB.InventoryImages()
	before := e.SB.Count("GET", "/images/list")
	got := invWalk(t, e, "list_images_with_details", map[string]any{"limit": 37})
	seen := map[string]int{}
	for _, it := range got {
		seen[invStr(it["sha"])]++
	}
	for _, im := range all {
		if seen[im.Sha] != 1 {
			t.Fatalf("image %s seen %d times", im.Sha, seen[im.Sha])
		}
	}
	if len(got) != len(all) {
		t.Fatalf("%d items for %d images", len(got), len(all))
	}
	calls := e.SB.Count("GET", "/images/list") - before
	if want := (len(all) + 36) / 37; calls != want {
		t.Errorf("%d calls, want %d", calls, want)
	}
	for _, r := range e.SB.Requests() {
		if r.Path == "/images/list" && !strings.Contains(r.Query, "limit=37") {
			t.Errorf("query %s lost the limit", r.Query)
		}
	}
	// The bulk list shows the QIDs (it has no severities).
	if it := got[0]; it["qids"] == nil && it["vulns"] == nil {
		t.Errorf("no vulnerabilities in %v", it)
	}

	// A filter is kept across pages; the cursor alone continues.
	first := e.OK("list_images_with_details", map[string]any{"filter": "repo.repository:`library/alpine`", "limit": 2})
	cur := invStr(first["cursor"])
	if cur == "" {
		t.Fatal("no cursor")
	}
	next := e.OK("list_images_with_details", map[string]any{"cursor": cur})
	for _, it := range append(Items(first), Items(next)...) {
		if !strings.Contains(it["repo"].([]any)[0].(string), "library/alpine:") {
			t.Errorf("the filter was lost: %v", it["repo"])
		}
	}
	if e.OK("list_images_with_details", map[string]any{"cursor": cur, "filter": "repo.repository:`library/alpine`"}) == nil {
		t.Fatal("unreachable")
	}

	// Bad cursors and limits are refused without a request.
	invRefused(t, e, "list_images_with_details", map[string]any{"cursor": cur, "filter": "state:`RUNNING`"}, "filter")
	invRefused(t, e, "list_images_with_details", map[string]any{"cursor": "not-a-cursor"}, "cursor")
	invRefused(t, e, "list_images_with_details", map[string]any{"cursor": cur[:len(cur)-6]}, "cursor")
	other := e.OK("list_containers_with_details", map[string]any{"limit": 1})
	invRefused(t, e, "list_images_with_details", map[string]any{"cursor": other["cursor"]}, "list_containers_with_details")
	invRefused(t, e, "list_images_with_details", map[string]any{"limit": 251}, "limit")
	invRefused(t, e, "list_images_with_details", map[string]any{"limit": 0}, "limit")
}

func TestGetImage(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	im := imageBy(t, e, func(im sandbox.Image) bool { return im.AssociatedContainersCount > 1 })
	for _, id := range []string{im.Sha, im.ImageID} {
		m := e.OK("get_image", map[string]any{"imageSha": id})
		if m["sha"] != im.Sha || m["uuid"] != im.UUID || m["operatingSystem"] != im.OperatingSystem {
			t.Fatalf("get_image(%s): %v", id, m)
		}
		if created, _ := time.Parse(time.RFC3339, invStr(m["created"])); !created.Equal(im.Created.Time().Truncate(time.Second)) {
			t.Errorf("created %v, want %v", m["created"], im.Created.Time())
		}
		if hosts, _ := m["host"].([]any); len(hosts) != im.AssociatedHostsCount {
			t.Errorf("hosts %v, want %d", m["host"], im.AssociatedHostsCount)
		}
		if invSevs(m) != apiSevs(im.Vulnerabilities) {
			t.Errorf("counts %v", m)
		}
		if m["layers"] != nil {
			t.Errorf("layers are asked for by name")
		}
	}
	if m := e.OK("get_image", map[string]any{"imageSha": im.Sha, "fields": []string{"layers"}}); len(m["layers"].([]any)) == 0 {
		t.Errorf("layers: %v", m["layers"])
	}
	if msg := e.Fail("get_image", map[string]any{"imageSha": strings.Repeat("a", 64)}); !strings.Contains(msg, "not found") || !strings.Contains(msg, "imageSha") {
		t.Errorf("unknown sha: %s", msg)
	}
	invRefused(t, e, "get_image", map[string]any{"imageSha": "../sensors"}, "imageSha")
	invRefused(t, e, "get_image", map[string]any{}, "imageSha")
}

func TestImageVulnerabilities(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	im := imageBy(t, e, func(im sandbox.Image) bool { s := apiSevs(im.Vulnerabilities); return s[5] > 0 && s[2] > 0 })
	want := apiSevs(im.Vulnerabilities)
	total := 0
	for _, n := range want {
		total += n
	}

	m := e.OK("get_image_vulnerabilities", map[string]any{"imageSha": im.Sha})
	items := Items(m)
	if invNum(m["count"]) != total || len(items) != total {
		t.Fatalf("count %v, %d items, want %d", m["count"], len(items), total)
	}
	by := m["bySeverity"].(map[string]any)
	for s := 1; s <= 5; s++ {
		if invNum(by["sev"+string(rune('0'+s))]) != want[s] {
			t.Errorf("bySeverity %v, want %v", by, want)
		}
	}
	for i, it := range items {
		if it["qid"] == nil || it["title"] == nil || it["severity"] == nil || it["typeDetected"] == nil {
			t.Errorf("item %v lacks a default field", it)
		}
		if i > 0 && invNum(it["severity"]) > invNum(items[i-1]["severity"]) {
			t.Errorf("not most severe first")
		}
		if it["result"] != nil || it["threatIntel"] != nil {
			t.Errorf("result and threatIntel are asked for by name: %v", it)
		}
	}
	sw := items[0]["software"].([]any)
	if len(sw) == 0 || !strings.Contains(sw[0].(string), " ") {
		t.Errorf("software %v", sw)
	}

	// minSeverity, fixableOnly and the API's own filter and type.
	high := e.OK("get_image_vulnerabilities", map[string]any{"imageSha": im.Sha, "minSeverity": 4})
	if invNum(high["count"]) != want[4]+want[5] {
		t.Errorf("minSeverity 4: %v, want %d", high["count"], want[4]+want[5])
	}
	fix := e.OK("get_image_vulnerabilities", map[string]any{"imageSha": im.Sha, "fixableOnly": true, "fields": []string{"result"}})
	if invNum(fix["count"]) != invNum(m["fixable"]) {
		t.Errorf("fixableOnly: %v, want %v", fix["count"], m["fixable"])
	}
	for _, it := range Items(fix) {
		if it["patchAvailable"] != true || it["result"] == nil {
			t.Errorf("fixableOnly with result: %v", it)
		}
	}
	five := e.OK("get_image_vulnerabilities", map[string]any{"imageSha": im.Sha, "filter": "severity:5", "sort": "qid:asc"})
	if invNum(five["count"]) != want[5] {
		t.Errorf("filter severity:5: %v, want %d", five["count"], want[5])
	}
	if !strings.Contains(e.SB.Requests()[len(e.SB.Requests())-1].Query, "filter=severity%3A5") {
		t.Errorf("the filter did not go to the API")
	}
	sum := e.OK("get_image_vulnerabilities", map[string]any{"imageSha": im.Sha, "type": "SUMMARY"})
	conf := sum["summary"].(map[string]any)["confirmed"].(map[string]any)
	pot := sum["summary"].(map[string]any)["potential"].(map[string]any)
	if invNum(conf["total"])+invNum(pot["total"]) != total || sum["items"] != nil {
		t.Errorf("summary %v", sum)
	}

	// The count tool agrees.
	cnt := e.OK("get_image_vulnerability_count", map[string]any{"imageSha": im.Sha})
	if invNum(cnt["total"]) != total || invNum(cnt["sev5"]) != want[5] || cnt["imageSha"] != im.Sha {
		t.Errorf("count %v, want %v", cnt, want)
	}

	invRefused(t, e, "get_image_vulnerabilities", map[string]any{"imageSha": im.Sha, "minSeverity": 6}, "minSeverity")
	invRefused(t, e, "get_image_vulnerabilities", map[string]any{"imageSha": im.Sha, "type": "FULL"}, "type")
	invRefused(t, e, "get_image_vulnerabilities", map[string]any{"imageSha": im.Sha, "fixableOnly": "yes"}, "fixableOnly")
	invRefused(t, e, "get_image_vulnerability_count", map[string]any{"imageSha": "a b"}, "imageSha")
}

func TestImageSoftwareComplianceAssociationsRegistries(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	im := imageBy(t, e, func(im sandbox.Image) bool { return len(im.RegistryUUID) > 0 && im.AssociatedContainersCount > 0 })

	sw := e.OK("get_image_software", map[string]any{"imageSha": im.Sha})
	vulnerable := e.OK("get_image_software", map[string]any{"imageSha": im.Sha, "vulnerableOnly": true})
	if invNum(sw["count"]) == 0 || invNum(vulnerable["count"]) == 0 || invNum(vulnerable["count"]) > invNum(sw["count"]) {
		t.Fatalf("software %v, vulnerable %v", sw["count"], vulnerable["count"])
	}
	qids := 0
	for _, p := range Items(vulnerable) {
		if p["name"] == nil || p["version"] == nil {
			t.Errorf("package %v", p)
		}
		qids += len(p["vulnerabilities"].([]any))
	}
	vc := e.OK("get_image_vulnerability_count", map[string]any{"imageSha": im.Sha})
	if qids != invNum(vc["total"]) {
		t.Errorf("the packages carry %d QIDs, the image %v", qids, vc["total"])
	}
	named := e.OK("get_image_software", map[string]any{"imageSha": im.Sha, "filter": "name:`" + invStr(Items(sw)[0]["name"]) + "`"})
	if invNum(named["count"]) != 1 {
		t.Errorf("software by name: %v", named)
	}

	comp := e.OK("get_image_compliance", map[string]any{"imageSha": im.Sha})
	counts := comp["postureCounts"].(map[string]any)
	n := 0
	for _, v := range counts {
		n += invNum(v)
	}
	if n == 0 || n != invNum(comp["count"]) || comp["lastComplianceScanned"] == nil {
		t.Fatalf("compliance %v", comp)
	}
	if fails := e.OK("get_image_compliance", map[string]any{"imageSha": im.Sha, "posture": "FAIL"}); invNum(fails["count"]) != invNum(counts["FAIL"]) {
		t.Errorf("FAIL only: %v, want %v", fails["count"], counts["FAIL"])
	} else {
		for _, c := range Items(fails) {
			if c["posture"] != "FAIL" || c["controlId"] == nil {
				t.Errorf("control %v", c)
			}
		}
	}

	var containers []string
	hosts := 0
	for _, it := range invWalk(t, e, "get_image_associations", map[string]any{"imageSha": im.Sha}, "imageSha") {
		switch it["type"] {
		case "CONTAINER":
			containers = append(containers, invStr(it["sha"]))
			if it["imageId"] != im.ImageID {
				t.Errorf("container %v is not of the image", it)
			}
		case "HOST":
			hosts++
		}
	}
	var want []string
	for _, c := range e.SB.InventoryContainers() {
		if c.ImageID == im.ImageID {
			want = append(want, c.Sha)
		}
	}
	sort.Strings(containers)
	sort.Strings(want)
	if !slices.Equal(containers, want) || hosts != im.AssociatedHostsCount {
		t.Errorf("associations: %d containers (want %d), %d hosts (want %d)", len(containers), len(want), hosts, im.AssociatedHostsCount)
	}
	onlyHosts := e.OK("get_image_associations", map[string]any{"imageSha": im.Sha, "type": "HOST"})
	if invNum(onlyHosts["count"]) != hosts {
		t.Errorf("type HOST: %v", onlyHosts)
	}

	regs := e.OK("get_image_registries", map[string]any{"imageSha": im.Sha})
	if invNum(regs["count"]) == 0 || Items(regs)[0]["registryUuid"] != im.RegistryUUID[0] {
		t.Errorf("registries %v, want %v", regs, im.RegistryUUID)
	}

	invRefused(t, e, "get_image_software", map[string]any{"imageSha": im.Sha, "vulnerableOnly": 1}, "vulnerableOnly")
	invRefused(t, e, "get_image_compliance", map[string]any{"imageSha": im.Sha, "posture": "OK"}, "posture")
	invRefused(t, e, "get_image_associations", map[string]any{"imageSha": im.Sha, "type": "POD"}, "type")
	invRefused(t, e, "get_image_registries", map[string]any{"imageSha": ""}, "imageSha")
}

func TestInstrumentImage(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	im := imageBy(t, e, func(im sandbox.Image) bool { return len(im.RegistryUUID) > 0 })
	args := map[string]any{"imageSha": im.Sha, "pullRegistryUuid": im.RegistryUUID[0], "pullRepository": im.Repo[0].Repository,
		"pullTag": im.Repo[0].Tag, "pushRepository": im.Repo[0].Repository, "pushTag": im.Repo[0].Tag + "-qualys"}
	m := e.OK("instrument_image", args)
	if m["queued"] != true {
		t.Errorf("answer %v", m)
	}
	got := e.SB.InstrumentRequests()
	want := sandbox.InstrumentRequest{ImageID: im.ImageID, PullRegistryUUID: im.RegistryUUID[0], PullRepository: im.Repo[0].Repository,
		PullTag: im.Repo[0].Tag, PushRepository: im.Repo[0].Repository, PushTag: im.Repo[0].Tag + "-qualys"}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("sandbox got %+v, want %+v", got, want)
	}
	if s := e.OK("get_image", map[string]any{"imageSha": im.Sha}); s["instrumentationState"] != "QUEUED" {
		t.Errorf("instrumentationState %v", s["instrumentationState"])
	}
	if n := e.SB.Count("POST", "/images/"); n != 1 {
		t.Errorf("%d POSTs", n)
	}

	// The API's refusals are named; bad input sends nothing.
	bad := map[string]any{}
	for k, v := range args {
		bad[k] = v
	}
	bad["pullRegistryUuid"] = "00000000-1111-2222-3333-444444444444"
	if msg := e.Fail("instrument_image", bad); !strings.Contains(msg, "not found") {
		t.Errorf("unknown registry: %s", msg)
	}
	delete(bad, "pushTag")
	invRefused(t, e, "instrument_image", bad, "pushTag")
	bad["pushTag"] = ""
	invRefused(t, e, "instrument_image", bad, "pushTag")
}

func TestDeleteImages(t *testing.T) {
	e := NewEnv(t, EnvOptions{Elicit: Accept})
	unused := imageBy(t, e, func(im sandbox.Image) bool { return im.AssociatedContainersCount == 0 })

	invRefused(t, e, "delete_images", map[string]any{}, "imageIds")
	invRefused(t, e, "delete_images", map[string]any{"imageIds": []string{unused.UUID}, "filter": "sha:x"}, "filter")
	invRefused(t, e, "delete_images", map[string]any{"filter": "sha:x", "maxMatches": 0}, "maxMatches")
	invRefused(t, e, "delete_images", map[string]any{"imageIds": []string{"a/../b"}}, "imageIds")

	// By UUID: the preview names it, then it is gone.
	m := e.OK("delete_images", map[string]any{"imageIds": []string{unused.UUID}})
	if m["deletionJobId"] == nil || m["deleted"] != true {
		t.Errorf("answer %v", m)
	}
	if len(e.Elicited) != 1 || !strings.Contains(e.Elicited[0], unused.ImageID) || !strings.Contains(e.Elicited[0], unused.Repo[0].Repository) {
		t.Errorf("preview %q does not name %s", e.Elicited, unused.ImageID)
	}
	for _, im := range e.SB.InventoryImages() {
		if im.UUID == unused.UUID {
			t.Fatal("the image is still there")
		}
	}
	if msg := e.Fail("delete_images", map[string]any{"imageIds": []string{unused.UUID}}); !strings.Contains(msg, unused.UUID) {
		t.Errorf("a deleted UUID: %s", msg)
	}

	// A filter over the cap needs the cap raised.
	before := e.SB.Count("DELETE", "")
	msg := e.Fail("delete_images", map[string]any{"filter": "operatingSystem:Linux"})
	if !strings.Contains(msg, "maxMatches") || !strings.Contains(msg, "100") {
		t.Errorf("over the cap: %s", msg)
	}
	if e.SB.Count("DELETE", "") != before {
		t.Fatal("deleted over the cap")
	}

	// Images with active containers: the preview says Qualys will refuse.
	busy := imageBy(t, e, func(im sandbox.Image) bool { return im.AssociatedContainersCount > 0 })
	msg = e.Fail("delete_images", map[string]any{"filter": "sha:`" + busy.Sha + "`"})
	if !strings.Contains(e.Elicited[len(e.Elicited)-1], "active containers") || !strings.Contains(msg, "active containers") {
		t.Errorf("busy image: preview %q, error %q", e.Elicited[len(e.Elicited)-1], msg)
	}
}

// The token fallback: nothing goes before the second call with the token,
// and a filter matching nothing is refused.
func TestDeleteImagesTokenFlow(t *testing.T) {
	e := NewEnv(t, EnvOptions{Flags: tokenFlags})
	unused := imageBy(t, e, func(im sandbox.Image) bool { return im.AssociatedContainersCount == 0 })
	args := map[string]any{"filter": "uuid:`" + unused.UUID + "`", "maxMatches": 1}
	m := e.OK("delete_images", args)
	if m["confirmationRequired"] != true || !strings.Contains(invStr(m["preview"]), unused.ImageID) {
		t.Fatalf("preview %v", m)
	}
	if e.SB.Count("DELETE", "") != 0 {
		t.Fatal("deleted before the confirmation")
	}
	args["confirmation_token"] = m["confirmation_token"]
	e.OK("delete_images", args)
	for _, im := range e.SB.InventoryImages() {
		if im.UUID == unused.UUID {
			t.Fatal("not deleted")
		}
	}
	last := e.SB.Requests()[len(e.SB.Requests())-1]
	if last.Method != "DELETE" || !strings.Contains(last.Query, "filter=uuid") {
		t.Errorf("sent %s %s", last.Method, last.Query)
	}
	if msg := e.Fail("delete_images", map[string]any{"filter": "uuid:`" + unused.UUID + "`"}); !strings.Contains(msg, "matches no") {
		t.Errorf("empty filter: %s", msg)
	}
}

func invStr(v any) string {
	s, _ := v.(string)
	return s
}
