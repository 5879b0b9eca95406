package sandbox

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// invAPI serves /images*, /containers* and /controls* from the inventory.
// Its handlers run under the server's lock (s.locked).
type invAPI struct {
	inv   *inventory // nil until first used
	st    *state
	scale int
	now   func() time.Time
	user  string // who the gateway's changes are by
}

// inventoryRoutes serves the inventory, generated on first use (most
// sandboxes never need it).
func (s *Server) inventoryRoutes() {
	a := &invAPI{st: s.state, scale: s.opts.Scale, now: s.opts.Now, user: s.opts.Username}
	s.registerInventory(a)
	routes := map[string]http.HandlerFunc{
		"GET /images":                       a.listImages,
		"GET /images/list":                  a.bulkImages,
		"DELETE /images":                    a.deleteImages,
		"GET /images/{imageSha}":            a.withImage(a.getImage),
		"GET /images/{imageSha}/vuln":       a.withImage(a.imageVulns),
		"GET /images/{imageSha}/vuln/count": a.withImage(func(w http.ResponseWriter, r *http.Request, im *image) { writeJSON(w, http.StatusOK, counts(im.vulns)) }),
		"GET /images/{imageSha}/software":   a.withImage(func(w http.ResponseWriter, r *http.Request, im *image) { softwareAnswer(w, r, im.pkgs, true) }),
		"GET /images/{imageSha}/compliance": a.withImage(func(w http.ResponseWriter, r *http.Request, im *image) {
			complianceAnswer(w, im.uuid, im.sha, im.created, imageCriticality(im.compliance))
		}),
		"GET /images/{imageSha}/association":          a.withImage(a.imageAssociations),
		"GET /images/{imageSha}/associatedRegistries": a.withImage(a.imageRegistries),
		"POST /images/{imageSha}/instrument":          a.withImage(a.instrument),
		"GET /containers":                             a.listContainers,
		"GET /containers/list":                        a.bulkContainers,
		"DELETE /containers":                          a.deleteContainers,
		"GET /containers/{containerSha}": a.withContainer(func(w http.ResponseWriter, r *http.Request, c *container) {
			writeJSON(w, http.StatusOK, c.detailsJSON(false))
		}),
		"GET /containers/{containerSha}/vuln": a.withContainer(a.containerVulns),
		"GET /containers/{containerSha}/vuln/count": a.withContainer(func(w http.ResponseWriter, r *http.Request, c *container) {
			writeJSON(w, http.StatusOK, counts(c.image.vulns, c.drift))
		}),
		"GET /containers/{containerSha}/software": a.withContainer(func(w http.ResponseWriter, r *http.Request, c *container) {
			softwareAnswer(w, r, append(append([]*pkgInst{}, c.image.pkgs...), c.driftSoftware...), false)
		}),
		"GET /containers/{containerSha}/compliance": a.withContainer(func(w http.ResponseWriter, r *http.Request, c *container) {
			complianceAnswer(w, c.uuid, c.sha, c.created, c.compliance)
		}),
		"GET /controls":             func(w http.ResponseWriter, r *http.Request) { listAnswer(w, r, a.inv.controls, "data") },
		"GET /controls/{controlId}": a.getControl,
	}
	maps.Copy(routes, a.exceptionRoutes())
	maps.Copy(routes, a.tagRoutes())
	maps.Copy(routes, a.kspmRoutes())
	for pattern, h := range routes {
		method, path, _ := strings.Cut(pattern, " ")
		s.mux.HandleFunc(method+" "+Base+path, s.locked(func(w http.ResponseWriter, r *http.Request) {
			a.load()
			h(w, r)
		}))
	}
}

// load generates the inventory if it is not yet; the server's lock is held.
func (a *invAPI) load() *inventory {
	if a.inv == nil {
		a.inv = newInventory(a.scale, a.now(), a.st.registries)
	}
	return a.inv
}

func (a *invAPI) withImage(h func(http.ResponseWriter, *http.Request, *image)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("imageSha")
		if im := a.inv.image(id); im != nil {
			h(w, r, im)
			return
		}
		notFound(w, "Image", id)
	}
}

func (a *invAPI) withContainer(h func(http.ResponseWriter, *http.Request, *container)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("containerSha")
		if c := a.inv.containerBy[id]; c != nil {
			h(w, r, c)
			return
		}
		notFound(w, "Container", id)
	}
}

// search returns the indexes of the docs the request's filter matches,
// sorted by its sort (or defSort).
func search(w http.ResponseWriter, r *http.Request, docs []map[string]any, defSort string) ([]int, bool) {
	q := r.URL.Query()
	if f := unknownQQLField(r); f != "" {
		badRequest(w, "invalid filter: %q is not a QQL field of this list", f)
		return nil, false
	}
	pred, err := parseQQL(q.Get("filter"))
	if err != nil {
		badRequest(w, "invalid filter: %v", err)
		return nil, false
	}
	var idx []int
	for i, d := range docs {
		if pred(d) {
			idx = append(idx, i)
		}
	}
	srt := q.Get("sort")
	if srt == "" {
		srt = defSort
	}
	if srt != "" {
		field, dir, _ := strings.Cut(srt, ":")
		desc := strings.EqualFold(dir, "desc")
		keys := make(map[int][]any, len(idx))
		for _, i := range idx {
			keys[i] = sortValue(lookup(docs[i], field))
		}
		sort.SliceStable(idx, func(i, j int) bool {
			c := compare(keys[idx[i]], keys[idx[j]])
			if desc {
				return c > 0
			}
			return c < 0
		})
	}
	return idx, true
}

// sortValue is a field's first value, as compare reads it, read once.
func sortValue(vals []any) []any {
	if len(vals) == 0 || vals[0] == nil {
		return nil
	}
	s := fmt.Sprint(vals[0])
	if n, ok := number(s); ok {
		return []any{n}
	}
	return []any{s}
}

// pageOf answers one page of the matching items as {data, count, groups}.
func pageOf(w http.ResponseWriter, r *http.Request, docs []map[string]any, render func(i int) any) {
	idx, ok := search(w, r, docs, "created:desc")
	if !ok {
		return
	}
	pg, ok := page(w, r, idx)
	if !ok {
		return
	}
	data := make([]any, 0, len(pg))
	for _, i := range pg {
		data = append(data, render(i))
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "count": len(idx), "groups": map[string]any{}})
}

func (a *invAPI) listImages(w http.ResponseWriter, r *http.Request) {
	docs, _ := a.inv.docs()
	pageOf(w, r, docs, func(i int) any { return a.inv.images[i].listJSON() })
}

func (a *invAPI) listContainers(w http.ResponseWriter, r *http.Request) {
	_, docs := a.inv.docs()
	pageOf(w, r, docs, func(i int) any { return a.inv.containers[i].listJSON() })
}

func (a *invAPI) bulkImages(w http.ResponseWriter, r *http.Request) {
	docs, _ := a.inv.docs()
	kinds, ok := scanDetailsParam(w, r, "malware", "secrets")
	if !ok {
		return
	}
	bulk(w, r, docs, func(i int) any {
		b := a.inv.images[i].bulkJSON()
		b.ScanDetails = a.inv.images[i].scanDetails(kinds)
		return b
	})
}

// scanDetailsParam reads ?scanDetails=: comma-separated kinds of scan
// findings, of those allowed.
func scanDetailsParam(w http.ResponseWriter, r *http.Request, allowed ...string) (string, bool) {
	v := r.URL.Query().Get("scanDetails")
	for _, k := range strings.Split(v, ",") {
		if k = strings.TrimSpace(k); v != "" && !slices.Contains(allowed, k) {
			badRequest(w, "scanDetails takes %s, comma-separated; not %q", strings.Join(allowed, ", "), k)
			return "", false
		}
	}
	return v, true
}

// imageCriticality is an image's compliance as release 1.43 answers it:
// criticality LOW (was MINIMAL), MEDIUM (MEDIUM, SERIOUS) or HIGH
// (CRITICAL, URGENT).
func imageCriticality(results []ControlResult) []ControlResult {
	out := slices.Clone(results)
	for i := range out {
		out[i].Criticality = map[string]string{"MINIMAL": "LOW", "MEDIUM": "MEDIUM", "SERIOUS": "MEDIUM", "CRITICAL": "HIGH", "URGENT": "HIGH"}[out[i].Criticality]
	}
	return out
}

func (a *invAPI) bulkContainers(w http.ResponseWriter, r *http.Request) {
	_, docs := a.inv.docs()
	bulk(w, r, docs, func(i int) any { return a.inv.containers[i].detailsJSON(true) })
}

// bulk answers /images/list and /containers/list: records in order of
// update (then uuid), limit at a time, and the next page's query in the
// Link header, as `updated>=T AND not uuid:[the ones at T already sent]`.
func bulk(w http.ResponseWriter, r *http.Request, docs []map[string]any, render func(i int) any) {
	q := r.URL.Query()
	limit := 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 250 {
			badRequest(w, "limit must be between 1 and 250")
			return
		}
		limit = n
	}
	after, err := parseQQL(q.Get("paginationQuery"))
	if err != nil {
		badRequest(w, "invalid paginationQuery: %v", err)
		return
	}
	idx, ok := search(w, r, docs, "")
	if !ok {
		return
	}
	type sortKey struct {
		t float64
		u string
	}
	keys := make(map[int]sortKey, len(idx))
	for _, i := range idx {
		t, _ := number(fmt.Sprint(docs[i]["updated"]))
		keys[i] = sortKey{t, fmt.Sprint(docs[i]["uuid"])}
	}
	key := func(i int) (float64, string) { return keys[i].t, keys[i].u }
	sort.Slice(idx, func(i, j int) bool {
		a, b := keys[idx[i]], keys[idx[j]]
		return a.t < b.t || a.t == b.t && a.u < b.u
	})
	var rest []int
	for _, i := range idx {
		if after(docs[i]) {
			rest = append(rest, i)
		}
	}
	pg := rest[:min(limit, len(rest))]
	data := make([]any, 0, len(pg))
	for _, i := range pg {
		data = append(data, render(i))
	}
	w.Header().Set("Link", "null")
	if len(rest) > len(pg) {
		lastT, lastU := key(pg[len(pg)-1])
		var sent []string
		for _, i := range idx {
			t, u := key(i)
			if t == lastT && u <= lastU {
				sent = append(sent, u)
			}
		}
		next := url.Values{"limit": {strconv.Itoa(limit)}, "paginationQuery": {fmt.Sprintf("updated>=%s AND not uuid:[%s]", docs[pg[len(pg)-1]]["updated"], strings.Join(sent, ", "))}}
		if f := q.Get("filter"); f != "" {
			next.Set("filter", f)
		}
		w.Header().Set("Link", fmt.Sprintf("<http://%s%s?%s>; rel=next", r.Host, r.URL.Path, next.Encode()))
	}
	writeJSON(w, http.StatusOK, map[string]any{"limit": limit, "data": data})
}

func (a *invAPI) getImage(w http.ResponseWriter, r *http.Request, im *image) {
	kinds, ok := scanDetailsParam(w, r, "malware", "secrets", "compliance")
	if !ok {
		return
	}
	d := im.detailsJSON()
	d.ScanDetails = im.scanDetails(kinds)
	writeJSON(w, http.StatusOK, d)
}

// matchVulns filters and sorts vulnerabilities by their docs; a filter may
// name the fields bare (severity:5) or as vulnerabilities.severity:5.
func matchVulns(w http.ResponseWriter, r *http.Request, vulns []*vulnInst) ([]*vulnInst, bool) {
	docs := make([]map[string]any, len(vulns))
	for i, v := range vulns {
		d := make(map[string]any, len(v.doc)+1)
		for k, val := range v.doc {
			d[k] = val
		}
		d["vulnerabilities"] = v.doc
		docs[i] = d
	}
	idx, ok := search(w, r, docs, "qid:asc")
	if !ok {
		return nil, false
	}
	out := make([]*vulnInst, len(idx))
	for n, i := range idx {
		out[n] = vulns[i]
	}
	return out, true
}

func vulnType(w http.ResponseWriter, r *http.Request) (details, summary, ok bool) {
	switch t := strings.ToUpper(r.URL.Query().Get("type")); t {
	case "", "ALL":
		return true, true, true
	case "DETAILS":
		return true, false, true
	case "SUMMARY":
		return false, true, true
	default:
		badRequest(w, "type must be ALL, DETAILS or SUMMARY, not %s", t)
		return false, false, false
	}
}

// summary is the vulnSummary: counts by severity of the confirmed and
// potential vulnerabilities, and of those with a patch.
func summary(vulns []*vulnInst) map[string]any {
	var conf, pot, confFix, potFix []*vulnInst
	for _, v := range vulns {
		if v.potential {
			pot = append(pot, v)
			if v.def.Fix != "" {
				potFix = append(potFix, v)
			}
		} else {
			conf = append(conf, v)
			if v.def.Fix != "" {
				confFix = append(confFix, v)
			}
		}
	}
	return map[string]any{"confirmed": counts(conf), "potential": counts(pot),
		"patchAvailability": map[string]any{"confirmed": counts(confFix), "potential": counts(potFix)}}
}

func fullVulns(vulns []*vulnInst, container bool) []Vulnerability {
	out := make([]Vulnerability, 0, len(vulns))
	for _, v := range vulns {
		out = append(out, v.full(container))
	}
	return out
}

func (a *invAPI) imageVulns(w http.ResponseWriter, r *http.Request, im *image) {
	details, summ, ok := vulnType(w, r)
	if !ok {
		return
	}
	all := im.vulns
	switch apply := r.URL.Query().Get("applyException"); apply {
	case "", "true": // the 2026 default: what an active exception covers is left out
		skip := a.inv.exceptions.excepted(im, a.now().UnixMilli())
		all = slices.DeleteFunc(slices.Clone(all), func(v *vulnInst) bool { return skip[v.def.QID] })
	case "false":
	default:
		badRequest(w, "applyException must be true or false")
		return
	}
	vulns, ok := matchVulns(w, r, all)
	if !ok {
		return
	}
	out := map[string]any{"details": nil, "vulnSummary": nil}
	if details {
		out["details"] = fullVulns(vulns, false)
	}
	if summ {
		out["vulnSummary"] = summary(vulns)
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *invAPI) containerVulns(w http.ResponseWriter, r *http.Request, c *container) {
	details, summ, ok := vulnType(w, r)
	if !ok {
		return
	}
	vulns, ok1 := matchVulns(w, r, c.image.vulns)
	drift, ok2 := matchVulns(w, r, c.drift)
	if !ok1 || !ok2 {
		return
	}
	out := map[string]any{"details": nil, "VunlSummary": nil}
	if details {
		out["details"] = map[string]any{"vulns": fullVulns(vulns, true), "driftVulns": fullVulns(drift, true)}
	}
	if summ {
		out["VunlSummary"] = summary(append(append([]*vulnInst{}, vulns...), drift...))
	}
	writeJSON(w, http.StatusOK, out)
}

func softwareAnswer(w http.ResponseWriter, r *http.Request, pkgs []*pkgInst, image bool) {
	sw := softwareJSON(pkgs)
	docs := make([]map[string]any, len(sw))
	for i := range sw {
		docs[i] = asMap(sw[i])
	}
	idx, ok := search(w, r, docs, "")
	if !ok {
		return
	}
	data := make([]Software, 0, len(idx))
	var bySev [6]int
	for _, i := range idx {
		data = append(data, sw[i])
		top := 0
		for _, v := range sw[i].Vulnerabilities {
			top = max(top, v.Severity)
		}
		if top > 0 {
			bySev[top]++
		}
	}
	sev := map[string]int{}
	for s := 1; s <= 5; s++ {
		sev[fmt.Sprintf("severity%dCount", s)] = bySev[s]
	}
	out := map[string]any{"count": len(data), "data": data, "softwareCountBySeverity": sev}
	if image {
		out["driftSoftwareCountByDriftReason"] = map[string]any{}
		out["driftSoftwareCountBySeverity"] = map[string]any{}
	}
	writeJSON(w, http.StatusOK, out)
}

func complianceAnswer(w http.ResponseWriter, uuid, sha string, created int64, controls []ControlResult) {
	var last int64
	for _, c := range controls {
		last = max(last, c.LastEvaluated.Ms)
	}
	writeJSON(w, http.StatusOK, PolicyCompliance{CustomerUUID: customerUUID, UUID: uuid, Sha: sha, Created: ms(created),
		Updated: ms(last), Controls: controls, LastComplianceScanned: ms(last)})
}

func (a *invAPI) imageAssociations(w http.ResponseWriter, r *http.Request, im *image) {
	typ := strings.ToUpper(r.URL.Query().Get("type"))
	if typ == "" {
		typ = "ALL"
	}
	if typ != "ALL" && typ != "CONTAINER" && typ != "DRIFT" && typ != "HOST" {
		badRequest(w, "type must be CONTAINER, DRIFT, HOST or ALL, not %s", typ)
		return
	}
	_, cdocs := a.inv.docs()
	pos := make(map[*container]int, len(a.inv.containers))
	for i, c := range a.inv.containers {
		pos[c] = i
	}
	docs := make([]map[string]any, len(im.containers))
	for i, c := range im.containers {
		docs[i] = cdocs[pos[c]]
	}
	idx, ok := search(w, r, docs, "")
	if !ok {
		return
	}
	var containers, drift []Container
	type hostRow struct {
		Host
		counts map[string]int
	}
	hosts := map[string]*hostRow{}
	var order []string
	for _, i := range idx {
		c := im.containers[i]
		containers = append(containers, c.listJSON())
		if len(c.drift) > 0 {
			drift = append(drift, c.listJSON())
		}
		if c.state == "DELETED" {
			continue
		}
		h := hosts[c.host.UUID]
		if h == nil {
			h = &hostRow{Host: *c.host, counts: map[string]int{}}
			hosts[c.host.UUID] = h
			order = append(order, c.host.UUID)
		}
		h.counts[c.state]++
	}
	var hostList []map[string]any
	for _, id := range order {
		h := hosts[id]
		all := map[string]int{}
		for _, c := range a.inv.containers {
			if c.host.UUID == id {
				all[c.state]++
			}
		}
		row := map[string]any{"hostname": h.Hostname, "ipAddress": h.IPAddress, "sensorUuid": h.SensorUUID, "uuid": h.UUID}
		for _, st := range []string{"RUNNING", "STOPPED", "CREATED", "PAUSED"} {
			name := strings.ToLower(st)
			row[name+"ContainerCount"] = all[st]
			row[name+"ContainerCountForAssociatedImage"] = h.counts[st]
		}
		hostList = append(hostList, row)
	}
	out := map[string]any{"containers": nil, "driftContainers": nil, "hosts": nil}
	if typ == "ALL" || typ == "CONTAINER" {
		out["containers"] = orEmpty(containers)
	}
	if typ == "ALL" || typ == "DRIFT" {
		out["driftContainers"] = orEmpty(drift)
	}
	if typ == "ALL" || typ == "HOST" {
		out["hosts"] = orEmpty(hostList)
	}
	writeJSON(w, http.StatusOK, out)
}

func orEmpty[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

func (a *invAPI) imageRegistries(w http.ResponseWriter, r *http.Request, im *image) {
	out := []map[string]any{}
	for _, rep := range im.repo {
		for _, id := range im.registryUUIDs {
			out = append(out, map[string]any{"registry": rep.Registry, "registryUuid": id, "repo": rep.Repository, "tag": rep.Tag})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *invAPI) instrument(w http.ResponseWriter, r *http.Request, im *image) {
	var req InstrumentRequest
	if !decodeBody(w, r, &req) {
		return
	}
	switch {
	case req.PullRegistryUUID == "" || req.PullRepository == "" || req.PullTag == "" || req.PushRepository == "" || req.PushTag == "":
		badRequest(w, "pullRegistryUuid, pullRepository, pullTag, pushRepository and pushTag are required")
		return
	case a.st.registries[req.PullRegistryUUID] == nil:
		notFound(w, "Registry", req.PullRegistryUUID)
		return
	case req.ImageID != "" && req.ImageID != im.imageID:
		badRequest(w, "imageId %s is not the image %s", req.ImageID, im.sha)
		return
	}
	known := false
	for _, rep := range im.repo {
		known = known || rep.Repository == req.PullRepository && rep.Tag == req.PullTag
	}
	if !known {
		badRequest(w, "image %s is not known as %s:%s", im.imageID, req.PullRepository, req.PullTag)
		return
	}
	im.instrumentationState = strp("QUEUED")
	a.inv.instrumented = append(a.inv.instrumented, req)
	a.inv.version++
	writeJSON(w, http.StatusOK, "Instrumentation request for image "+im.imageID+" is queued")
}

// targets resolves a delete's ids (UUIDs) or filter to indexes into docs.
func targets(w http.ResponseWriter, r *http.Request, docs []map[string]any, idsParam, what string) ([]int, bool) {
	q := r.URL.Query()
	ids := q[idsParam]
	if len(ids) == 0 && q.Get("filter") == "" {
		badRequest(w, "provide %s or a filter", idsParam)
		return nil, false
	}
	if len(ids) == 0 {
		return search(w, r, docs, "")
	}
	pos := map[string]int{}
	for i, d := range docs {
		pos[fmt.Sprint(d["uuid"])] = i
	}
	var idx []int
	for _, id := range ids {
		i, ok := pos[id]
		if !ok {
			notFound(w, what, id)
			return nil, false
		}
		idx = append(idx, i)
	}
	return idx, true
}

func (a *invAPI) deleteImages(w http.ResponseWriter, r *http.Request) {
	docs, _ := a.inv.docs()
	idx, ok := targets(w, r, docs, "imageIds", "Image")
	if !ok {
		return
	}
	gone := map[*image]bool{}
	var busy []string
	for _, i := range idx {
		im := a.inv.images[i]
		if n := len(im.active()); n > 0 {
			busy = append(busy, fmt.Sprintf("%s (%d active containers)", im.imageID, n))
		}
		gone[im] = true
	}
	if len(busy) > 0 {
		badRequest(w, "images with active containers (CREATED, RUNNING, STOPPED, PAUSED) cannot be deleted: %s", strings.Join(busy, ", "))
		return
	}
	a.inv.removeImages(gone)
	writeJSON(w, http.StatusOK, map[string]any{"deletionJobId": newUUID()})
}

func (a *invAPI) deleteContainers(w http.ResponseWriter, r *http.Request) {
	_, docs := a.inv.docs()
	idx, ok := targets(w, r, docs, "containerIds", "Container")
	if !ok {
		return
	}
	gone := map[*container]bool{}
	for _, i := range idx {
		gone[a.inv.containers[i]] = true
	}
	a.inv.removeContainers(gone)
	writeJSON(w, http.StatusOK, map[string]any{"deletionJobId": newUUID()})
}

func (a *invAPI) getControl(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("controlId")
	n, err := strconv.Atoi(id)
	if err != nil {
		badRequest(w, "controlId must be an integer")
		return
	}
	for _, c := range a.inv.controls {
		if c.ID == n {
			writeJSON(w, http.StatusOK, c)
			return
		}
	}
	notFound(w, "Control", id)
}
