package toolsets

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/schemas"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/shape"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
)

// The inventory machinery images.go and containers.go share: a resource
// and the tools generic over it, the page and cursor lists, the
// vulnerability, software and compliance answers, the delete engine, and
// the shapes of what the API answers.

// resource is an inventory resource: where the API keeps it, the name of
// its path parameter, how it shows in a list and alone, and how a delete
// names it. Its tools are the generic handlers below, each instantiated
// with the resource's own input type (the inputs differ only in the name
// of the ID argument).
type resource struct {
	path   string // "/images"
	param  string // "imageSha"
	bulk   string // the cursor-paged list tool, for the note past 10,000
	list   shape.View
	detail shape.View
	del    deletion
}

// at is the path of a sub-resource of one item: at("/vuln") is
// /images/{imageSha}/vuln.
func (r *resource) at(sub string) string { return r.path + "/{" + r.param + "}" + sub }

func (r *resource) params(sha string) P { return P{r.param: sha} }

// The input types' accessors (package schemas) that the generic handlers
// need, with *In as the pointer type that has them.
type (
	named  interface{ Sha() string }
	listIn interface {
		Paging() schemas.ListParams
		Asked() []string
	}
	getIn interface {
		named
		Asked() []string
	}
	deleteIn interface {
		Targets() (ids []string, filter string, maxMatches int)
	}
)

func listOf[In any, PIn interface {
	*In
	listIn
}](r *resource) tool.Handler[In] {
	return func(ctx context.Context, c *tool.Ctx, in *In) (any, error) {
		p := PIn(in)
		return listPaged(ctx, c, r.path, p.Paging(), r.list, p.Asked(), r.bulk)
	}
}

func (r *resource) listDetails(ctx context.Context, c *tool.Ctx, in *schemas.BulkList) (any, error) {
	return listBulk(ctx, c, r.path+"/list", in, r.list)
}

func getOf[In any, PIn interface {
	*In
	getIn
}](r *resource) tool.Handler[In] {
	return func(ctx context.Context, c *tool.Ctx, in *In) (any, error) {
		p := PIn(in)
		m, err := getJSON(ctx, c, r.at(""), r.params(p.Sha()))
		if err != nil {
			return nil, err
		}
		return r.detail.Project(m, p.Asked()), nil
	}
}

// itemRead reads a sub-resource of one item (sub: "/vuln", "/software",
// "/compliance"), with the part of the input that queries it.
func itemRead[In, Q any, PIn interface {
	*In
	named
}](r *resource, sub string, query func(PIn) Q, read func(context.Context, *tool.Ctx, string, P, Q) (any, error)) tool.Handler[In] {
	return func(ctx context.Context, c *tool.Ctx, in *In) (any, error) {
		p := PIn(in)
		return read(ctx, c, r.at(sub), r.params(p.Sha()), query(p))
	}
}

func vulnCountOf[In any, PIn interface {
	*In
	named
}](r *resource) tool.Handler[In] {
	return func(ctx context.Context, c *tool.Ctx, in *In) (any, error) {
		return vulnCount(ctx, c, r.at("/vuln/count"), r.params(PIn(in).Sha()))
	}
}

// deleteOf is the resource's delete tool: its handler and its guard.
func deleteOf[In any, PIn interface {
	*In
	deleteIn
}](r *resource) (tool.Handler[In], tool.Option[In]) {
	run := func(ctx context.Context, c *tool.Ctx, in *In) (any, error) {
		ids, filter, limit := PIn(in).Targets()
		return r.del.run(ctx, c, ids, filter, limit)
	}
	preview := func(ctx context.Context, c *tool.Ctx, in *In) (*tool.Preview, error) {
		ids, filter, limit := PIn(in).Targets()
		return r.del.preview(ctx, c, ids, filter, limit)
	}
	return run, tool.Guarded(preview)
}

// ---- shapes ----

var vulnView = shape.View{
	Default: []string{"qid", "title", "severity", "cveids", "typeDetected", "patchAvailable", "software", "firstFound", "lastFound", "layerSha", "drift"},
	Times:   []string{"firstFound", "lastFound", "published"},
	Shape:   map[string]func(any) any{"software": softwareFixes, "layerSha": shortSha},
}

var softwareView = shape.View{
	Default: []string{"name", "version", "fixVersion", "lifecycle", "packagePath", "vulnerabilities"},
	Shape:   map[string]func(any) any{"vulnerabilities": qidSeverities, "lifecycle": lifecycle},
}

// shortSha shows a layer's sha256 as its first 12 hex digits, as Docker
// shows IDs (get_image's layers field has them in full).
func shortSha(v any) any {
	s := strings.TrimPrefix(str(v), "sha256:")
	if len(s) < 12 {
		return v
	}
	return s[:12]
}

// lifecycle shows a package's support lifecycle as its stage and the
// dates it has: "EOL; eos 2022-01-01; eol 2023-01-01" ("GA" alone when
// none is known; an approximate one says so).
func lifecycle(v any) any {
	m, ok := v.(map[string]any)
	if !ok || str(m["stage"]) == "" {
		return v
	}
	parts := []string{str(m["stage"])}
	for _, k := range []string{"eos", "eol"} {
		if t, ok := shape.RFC3339(m[k]).(string); ok && len(t) >= 10 {
			parts = append(parts, k+" "+t[:10])
		}
	}
	if c := str(m["lifeCycleConfidence"]); c != "" && c != "Exact" {
		parts = append(parts, strings.ToLower(c))
	}
	return strings.Join(parts, "; ")
}

var controlResultView = shape.View{
	Default: []string{"controlId", "criticality", "posture", "lastEvaluated"},
	Times:   []string{"lastEvaluated"},
}

// with is shapes plus shape for the named fields.
func with(shapes map[string]func(any) any, shape func(any) any, fields ...string) map[string]func(any) any {
	out := make(map[string]func(any) any, len(shapes)+len(fields))
	for k, v := range shapes {
		out[k] = v
	}
	for _, f := range fields {
		out[f] = shape
	}
	return out
}

// day shows an RFC 3339 time as its date.
func day(v any) any {
	if s, ok := v.(string); ok && len(s) > 10 && s[10] == 'T' {
		return s[:10]
	}
	return v
}

// bySeverity shows vulnerability counts in the item itself, as "sev5": n
// ... "sev1": n without the zeros, "vulns": 0 when all are zero, and
// nothing when the API has no counts (not scanned). It reads the API's
// severityNCount counts, or counts a list of vulnerabilities; a list
// without severities (as the bulk lists give) becomes "qids".
func bySeverity(v any) any {
	n, ok := severities(v)
	switch {
	case !ok && len(qidsOf(v)) > 0:
		return shape.Inline{"qids": qidsOf(v)}
	case !ok:
		return nil
	}
	out := shape.Inline{}
	for s := 5; s >= 1; s-- {
		if n[s] > 0 {
			out[fmt.Sprintf("sev%d", s)] = n[s]
		}
	}
	if len(out) == 0 {
		out["vulns"] = 0
	}
	return out
}

// severities reads counts by severity (index 1-5) from the API's
// severityNCount counts or from a list of vulnerabilities with severities.
func severities(v any) (n [6]int, ok bool) {
	switch x := v.(type) {
	case map[string]any:
		for s := 1; s <= 5; s++ {
			c, has := x[fmt.Sprintf("severity%dCount", s)].(float64)
			n[s], ok = int(c), ok || has
		}
	case []any:
		for _, e := range x {
			m, _ := e.(map[string]any)
			sev, has := m["severity"].(float64)
			if !has || sev < 1 || sev > 5 {
				return n, false
			}
			n[int(sev)]++
		}
		ok = true
	}
	return n, ok
}

func qidsOf(v any) []any {
	var qids []any
	for _, m := range objects(v) {
		if m["qid"] != nil {
			qids = append(qids, m["qid"])
		}
	}
	return qids
}

// hostnames shows a host object (or a list of them) as its hostname.
func hostnames(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if h := str(x["hostname"]); h != "" {
			return h
		}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = hostnames(e)
		}
		return out
	}
	return v
}

// softwareFixes shows a vulnerability's software as "name version -> fix".
func softwareFixes(v any) any {
	arr, ok := v.([]any)
	if !ok {
		return v
	}
	out := make([]any, 0, len(arr))
	for _, e := range arr {
		m, _ := e.(map[string]any)
		s := strings.TrimSpace(str(m["name"]) + " " + str(m["version"]))
		if fix := str(m["fixVersion"]); fix != "" {
			s += " -> " + fix
		}
		out = append(out, s)
	}
	return out
}

// qidSeverities shows a package's vulnerabilities as {qid, severity}, or,
// where Qualys answers them as counts by severity (the 2026 sample), as
// bySeverity does.
func qidSeverities(v any) any {
	arr, ok := v.([]any)
	if !ok {
		return bySeverity(v)
	}
	out := make([]any, 0, len(arr))
	for _, e := range arr {
		if m, ok := e.(map[string]any); ok {
			out = append(out, pick(m, "qid", "severity"))
		}
	}
	return out
}

// vulnTotal is how many vulnerabilities a package has: a list of them,
// or counts by severity.
func vulnTotal(v any) int {
	if n, ok := severities(v); ok {
		return n[1] + n[2] + n[3] + n[4] + n[5]
	}
	return count(v)
}

// ---- lists ----

// listPaged is a page-numbered list (/images, /containers, /controls).
// Page-number paging stops at 10,000 records; past them the answer points
// to bulk, the cursor-paged tool ("" when there is none).
func listPaged(ctx context.Context, c *tool.Ctx, path string, lp schemas.ListParams, view shape.View, fields []string, bulk string) (any, error) {
	beyond := "narrow the filter"
	if bulk != "" {
		beyond += ", or use " + bulk + ", which pages with a cursor"
	}
	if max(lp.PageNumber, 1)*cmp.Or(lp.PageSize, 50) > 10000 {
		return nil, tool.Invalid("pageNumber", "page-number paging stops at 10,000 records (pageNumber × pageSize); %s", beyond)
	}
	r, err := list(ctx, c, path, nil, lp, nil, view, fields)
	if err != nil {
		return nil, err
	}
	if r.Note != "" && r.NextPage == 0 { // toList's note: the next page is past the cap
		r.Note = "Page-number paging stops at 10,000 records: " + beyond + "."
	}
	return r, nil
}

// listBulk is a cursor-paged list (/images/list, /containers/list): the
// API answers limit records and puts the next page's query in the Link
// header, which the answer hands on as an opaque cursor; the arguments
// named in sent go in every page's query as given. A page the
// budget cuts continues from a cursor that repeats the same query and
// skips what was shown.
func listBulk(ctx context.Context, c *tool.Ctx, path string, in *schemas.BulkList, view shape.View, sent ...string) (any, error) {
	st, err := openCursor(c, in)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	if st.Query != "" {
		if q, err = url.ParseQuery(st.Query); err != nil {
			return nil, tool.Invalid("cursor", "is damaged; call without cursor to start over")
		}
		for k := range q {
			if k != "filter" && k != "limit" && k != "paginationQuery" {
				return nil, tool.Invalid("cursor", "is damaged; call without cursor to start over")
			}
		}
	} else if in.Filter != "" {
		q.Set("filter", in.Filter)
	}
	limit := in.Limit
	if limit == 0 {
		limit, _ = strconv.Atoi(q.Get("limit"))
	}
	limit = min(max(cmp.Or(limit, 50), 1), 250)
	this := maps.Clone(q)
	this.Set("limit", strconv.Itoa(limit))
	q.Set("limit", strconv.Itoa(min(st.Skip+limit, 250)))
	for _, k := range sent { // the arguments sent on every page (the cursor carries them)
		if v := str(c.Args[k]); v != "" {
			q.Set(k, v)
		}
	}
	var env schemas.List[shape.RawItem]
	resp, err := c.Client.Do(ctx, client.Call{Method: http.MethodGet, Path: path, Query: q, Out: &env})
	if err != nil {
		return nil, err
	}
	r := &shape.ListResult{Items: []map[string]any{}}
	for _, it := range env.Data[min(st.Skip, len(env.Data)):] {
		r.Items = append(r.Items, view.ProjectRaw(it, in.Fields))
	}
	if next := nextQuery(resp.Header); next != nil {
		if next.Get("filter") == "" && q.Get("filter") != "" {
			next.Set("filter", q.Get("filter")) // the filter holds on every page
		}
		r.Cursor = newCursor(c, next.Encode(), 0)
	}
	return fitList(c, r, func(keep int) (map[string]any, string) {
		return map[string]any{"cursor": newCursor(c, this.Encode(), st.Skip+keep)}, "Call again with this cursor for the rest."
	})
}

var linkRE = regexp.MustCompile(`<([^>]*)>\s*;\s*rel="?next"?`)

// nextQuery is the query of the Link header's rel=next URL (nil when there
// is none, or the header is "null"): only its filter, limit and
// paginationQuery are used, never its host or path.
func nextQuery(h http.Header) url.Values {
	for _, v := range h.Values("Link") {
		if m := linkRE.FindStringSubmatch(v); m != nil {
			if u, err := url.Parse(m[1]); err == nil && u.Query().Get("paginationQuery") != "" {
				next := url.Values{}
				for _, k := range []string{"filter", "limit", "paginationQuery"} {
					if v := u.Query().Get(k); v != "" {
						next.Set(k, v)
					}
				}
				return next
			}
		}
	}
	return nil
}

// pageItems answers a list the API gives whole, maxPageItems at a time
// from the cursor, cut to the budget, with a cursor for the rest; extra
// holds the answer's other fields (counts, summaries).
func pageItems(c *tool.Ctx, skip int, items []map[string]any, extra map[string]any) (any, error) {
	const maxPageItems = 100
	out := map[string]any{"count": len(items)}
	for k, v := range extra {
		out[k] = v
	}
	page := items[min(skip, len(items)):]
	if len(page) > maxPageItems {
		page = page[:maxPageItems]
		out["cursor"] = newCursor(c, "", skip+maxPageItems)
		out["note"] = fmt.Sprintf("Items %d-%d of %d; call again with this cursor for more.", skip+1, skip+maxPageItems, len(items))
	}
	out["items"] = page
	return fitList(c, out, func(keep int) (map[string]any, string) {
		return map[string]any{"cursor": newCursor(c, "", skip+keep)}, "Call again with this cursor for the rest."
	})
}

// sortItems sorts records by "field:asc|desc" (numbers as numbers), then
// by tie, ascending.
func sortItems(items []map[string]any, spec, tie string) {
	field, dir, _ := strings.Cut(spec, ":")
	desc := strings.EqualFold(dir, "desc")
	sort.SliceStable(items, func(i, j int) bool {
		if c := compareValues(items[i][field], items[j][field]); c != 0 {
			return c > 0 == desc
		}
		return compareValues(items[i][tie], items[j][tie]) < 0
	})
}

func compareValues(a, b any) int {
	fa, okA := a.(float64)
	fb, okB := b.(float64)
	if okA && okB {
		switch {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
		return 0
	}
	return strings.Compare(strings.ToLower(fmt.Sprint(a)), strings.ToLower(fmt.Sprint(b)))
}

// ---- vulnerabilities, software, compliance ----

// vulnerabilities answers GET .../vuln: the API's filter and type, then
// minSeverity, fixableOnly and sort here; with counts by severity of what
// matched. Containers answer details as {vulns, driftVulns}; images as a
// list.
func vulnerabilities(ctx context.Context, c *tool.Ctx, path string, params P, in *schemas.VulnQuery) (any, error) {
	return vulnsQuery(ctx, c, path, params, in, in, nil)
}

// vulnsQuery is vulnerabilities with more of the API's query: query's
// name, value pairs beside the filter and type; cur is the whole input
// (in is part of it), which a cursor fills before query is read.
func vulnsQuery(ctx context.Context, c *tool.Ctx, path string, params P, in *schemas.VulnQuery, cur any, query func() []string) (any, error) {
	st, err := openCursor(c, cur)
	if err != nil {
		return nil, err
	}
	pairs := []string{"filter", in.Filter, "type", in.Type}
	if query != nil {
		pairs = append(pairs, query()...)
	}
	var raw map[string]any
	if err := getQuery(ctx, c, path, params, &raw, pairs...); err != nil {
		return nil, err
	}
	if in.Type == "SUMMARY" {
		sum, _ := raw["vulnSummary"].(map[string]any)
		if sum == nil {
			sum, _ = raw["VunlSummary"].(map[string]any)
		}
		counts := func(v any) any {
			if n, ok := severities(v); ok {
				return sevCounts(n)
			}
			return v
		}
		out := map[string]any{}
		for k, v := range sum {
			if m, ok := v.(map[string]any); ok && k == "patchAvailability" {
				out[k] = map[string]any{"confirmed": counts(m["confirmed"]), "potential": counts(m["potential"])}
			} else {
				out[k] = counts(v)
			}
		}
		return map[string]any{"summary": out}, nil
	}
	var all []map[string]any
	switch d := raw["details"].(type) {
	case []any:
		all = objects(d)
	case map[string]any:
		if d["qid"] != nil {
			all = []map[string]any{d}
			break
		}
		all = objects(d["vulns"])
		for _, v := range objects(d["driftVulns"]) {
			v["drift"] = true
			all = append(all, v)
		}
	}
	var kept []map[string]any
	var n [6]int
	fixable := 0
	for _, v := range all {
		sev, _ := v["severity"].(float64)
		patch, _ := v["patchAvailable"].(bool)
		if int(sev) < in.MinSeverity || in.FixableOnly && !patch {
			continue
		}
		if sev >= 1 && sev <= 5 {
			n[int(sev)]++
		}
		if patch {
			fixable++
		}
		kept = append(kept, v)
	}
	sortItems(kept, strings.TrimPrefix(cmp.Or(in.Sort, "severity:desc"), "vulnerabilities."), "qid")
	items := make([]map[string]any, len(kept))
	for i, v := range kept {
		items[i] = vulnView.Project(v, in.Fields)
	}
	return pageItems(c, st.Skip, items, map[string]any{"bySeverity": sevCounts(n), "fixable": fixable})
}

// sevCounts is counts by severity, every severity named, and their total.
func sevCounts(n [6]int) map[string]any {
	out := map[string]any{}
	total := 0
	for s := 5; s >= 1; s-- {
		out[fmt.Sprintf("sev%d", s)] = n[s]
		total += n[s]
	}
	out["total"] = total
	return out
}

// getQuery reads path into out, with the query's non-empty values (given
// as name, value pairs).
func getQuery(ctx context.Context, c *tool.Ctx, path string, params P, out any, query ...string) error {
	q := url.Values{}
	for i := 0; i+1 < len(query); i += 2 {
		if query[i+1] != "" {
			q.Set(query[i], query[i+1])
		}
	}
	_, err := c.Client.Do(ctx, client.Call{Method: http.MethodGet, Path: path, Params: params, Query: q, Out: out})
	return err
}

// objects is a JSON array's objects.
func objects(v any) []map[string]any {
	arr, _ := v.([]any)
	out := make([]map[string]any, 0, len(arr))
	for _, e := range arr {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// vulnCount answers GET .../vuln/count as counts by severity and a total.
func vulnCount(ctx context.Context, c *tool.Ctx, path string, params P) (any, error) {
	var raw map[string]any
	if err := getInto(ctx, c, path, params, &raw); err != nil {
		return nil, err
	}
	n, ok := severities(raw)
	if !ok {
		return raw, nil
	}
	out := sevCounts(n)
	for k, v := range params {
		out[k] = v
	}
	return out, nil
}

// software answers GET .../software: packages with their fixes and QIDs.
func software(ctx context.Context, c *tool.Ctx, path string, params P, in *schemas.SoftwareQuery) (any, error) {
	st, err := openCursor(c, in)
	if err != nil {
		return nil, err
	}
	var raw struct {
		Data    []map[string]any `json:"data"`
		BySev   map[string]any   `json:"softwareCountBySeverity"`
		Content []map[string]any `json:"content"`
	}
	if err := getQuery(ctx, c, path, params, &raw, "filter", in.Filter, "sort", in.Sort); err != nil {
		return nil, err
	}
	var items []map[string]any
	for _, s := range append(raw.Data, raw.Content...) {
		if in.VulnerableOnly && vulnTotal(s["vulnerabilities"]) == 0 {
			continue
		}
		items = append(items, softwareView.Project(s, nil))
	}
	bySev, _ := severities(raw.BySev)
	return pageItems(c, st.Skip, items, map[string]any{"packagesBySeverity": sevCounts(bySev)})
}

// compliance answers GET .../compliance: each control's posture, and
// counts of PASS and FAIL.
func compliance(ctx context.Context, c *tool.Ctx, path string, params P, in *schemas.ComplianceQuery) (any, error) {
	st, err := openCursor(c, in)
	if err != nil {
		return nil, err
	}
	raw, err := getJSON(ctx, c, path, params)
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	var items []map[string]any
	for _, ctl := range objects(raw["controls"]) {
		p := str(ctl["posture"])
		counts[p]++
		if in.Posture == "" || strings.EqualFold(p, in.Posture) {
			items = append(items, controlResultView.Project(ctl, nil))
		}
	}
	return pageItems(c, st.Skip, items, map[string]any{"postureCounts": counts, "lastComplianceScanned": shape.RFC3339(raw["lastComplianceScanned"])})
}

// ---- deletes ----

// deletion is what delete_images and delete_containers share: what the
// IDs or the filter match, the cap on a filter, the preview by name.
type deletion struct {
	what, path, idsParam string
	name                 func(map[string]any) string // how the preview names one
	blocked              func(map[string]any) bool   // Qualys will refuse it
	blockedWhy           string
	target               []string // the stable fields compared before deleting
}

// match reads what a delete would touch: the IDs (UUIDs), or at most cap
// records of the filter (more is refused: the caller must raise the cap).
func (d deletion) match(ctx context.Context, c *tool.Ctx, ids []string, filter string, limit int) ([]map[string]any, error) {
	all := shape.View{}
	if len(ids) > 0 {
		var out []map[string]any
		found := map[string]bool{}
		for start := 0; start < len(ids); start += 25 {
			chunk := ids[start:min(start+25, len(ids))]
			res, err := list(ctx, c, d.path, nil, schemas.ListParams{Filter: anyOf("uuid", chunk), PageSize: 1000}, nil, all, []string{"*"})
			if err != nil {
				return nil, err
			}
			tool.Progress(ctx, false, "looked up %d of %d %s(s)", start+len(chunk), len(ids), d.what)
			for _, it := range res.Items {
				found[str(it["uuid"])] = true
				out = append(out, it)
			}
		}
		var missing []string
		for _, id := range ids {
			if !found[id] {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			return nil, tool.Invalid(d.idsParam, "no %s has the UUID %s", d.what, strings.Join(missing, ", "))
		}
		return out, nil
	}
	var out []map[string]any
	for page := 1; ; page++ {
		res, err := list(ctx, c, d.path, nil, schemas.ListParams{Filter: filter, PageNumber: page, PageSize: min(limit+1, 1000)}, nil, all, []string{"*"})
		if err != nil {
			return nil, err
		}
		tool.ProgressPage(ctx, d.path, page, min(limit+1, 1000), res.Count)
		if res.Count != nil && *res.Count > limit {
			return nil, tool.Invalid("maxMatches", "the filter matches %d %ss, more than maxMatches=%d; narrow the filter, or raise maxMatches to %d if all of them should go", *res.Count, d.what, limit, *res.Count)
		}
		out = append(out, res.Items...)
		if len(out) > limit {
			return nil, tool.Invalid("maxMatches", "the filter matches more than maxMatches=%d %ss; narrow the filter or raise maxMatches", limit, d.what)
		}
		if res.NextPage == 0 {
			return out, nil
		}
	}
}

func (d deletion) preview(ctx context.Context, c *tool.Ctx, ids []string, filter string, limit int) (*tool.Preview, error) {
	items, err := d.match(ctx, c, ids, filter, cmp.Or(limit, schemas.DefaultDeleteCap))
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, tool.Invalid("filter", "matches no %ss; nothing to delete", d.what)
	}
	var names, blocked []string
	target := make([]map[string]any, 0, len(items))
	for _, it := range items {
		names = append(names, d.name(it))
		if d.blocked != nil && d.blocked(it) {
			blocked = append(blocked, d.name(it))
		}
		target = append(target, pick(it, d.target...))
	}
	sort.Strings(names)
	sort.Slice(target, func(i, j int) bool { return str(target[i]["uuid"]) < str(target[j]["uuid"]) })
	shown := names
	if len(shown) > 20 {
		shown = append(shown[:20:20], fmt.Sprintf("and %d more", len(names)-20))
	}
	summary := fmt.Sprintf("Delete %d %s(s): %s.", len(names), d.what, strings.Join(shown, ", "))
	if len(blocked) > 0 {
		summary += fmt.Sprintf(" %d of them %s, so Qualys will refuse them.", len(blocked), d.blockedWhy)
	}
	details := map[string]any{"count": len(names), d.what + "s": names[:min(len(names), 100)]}
	if len(blocked) > 0 {
		details["refused"] = blocked
	}
	return &tool.Preview{Summary: summary, Details: details, Target: target}, nil
}

// run deletes. Behind the guard the preview has just checked the cap;
// with the guard off (--no-confirm) the cap is checked here. As a task it
// follows the deletion job until the targets are gone.
func (d deletion) run(ctx context.Context, c *tool.Ctx, ids []string, filter string, limit int) (any, error) {
	q := url.Values{}
	for _, id := range ids {
		q.Add(d.idsParam, id)
	}
	targets := ids
	if len(ids) == 0 {
		if c.NoConfirm || tool.InTask(ctx) {
			items, err := d.match(ctx, c, nil, filter, cmp.Or(limit, schemas.DefaultDeleteCap))
			if err != nil {
				return nil, err
			}
			for _, it := range items {
				targets = append(targets, str(it["uuid"]))
			}
		}
		q.Set("filter", filter)
	}
	out, err := send(ctx, c, client.Call{Method: http.MethodDelete, Path: d.path, Query: q},
		map[string]any{"deleted": true, d.idsParam: ids, "filter": filter})
	if err != nil {
		return nil, err
	}
	return followDeletion(ctx, out, d.what, targets, func() ([]string, error) { return stillListed(ctx, c, d.path, "uuid", targets) })
}
