package tools

import (
	"encoding/base64"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/schemas"
	json "github.com/segmentio/encoding/json"
)

// ListResult is what every list tool answers.
type ListResult struct {
	Items      []map[string]any `json:"items"`
	Count      *int             `json:"count,omitempty"`
	PageNumber int              `json:"pageNumber,omitempty"`
	PageSize   int              `json:"pageSize,omitempty"`
	NextPage   int              `json:"nextPage,omitempty"`
	// The next page's size and its items already shown here, when the
	// next page cannot keep this one's size (the 10,000-record cap).
	NextPageSize  int    `json:"nextPageSize,omitempty"`
	NextPageShown int    `json:"nextPageShown,omitempty"`
	Cursor        string `json:"cursor,omitempty"`
	Truncated     bool   `json:"truncated,omitempty"`
	Note          string `json:"note,omitempty"`
}

// View is a resource's compact projection: the fields shown by default,
// the fields that are epoch-millisecond timestamps, and compact forms of
// bulky values (e.g. repo objects as "registry/repository:tag").
type View struct {
	Default []string
	Times   []string
	Shape   map[string]func(any) any // not applied when "*" asks for everything as is
}

// inline is a shaped value whose keys take the field's place in the item.
type inline map[string]any

// as shows a field under a shorter name.
func as(name string) func(any) any {
	return func(v any) any { return inline{name: v} }
}

// project keeps the view's default fields plus the asked ones ("*" for
// all), drops nulls (at any depth) and empties, turns timestamps into RFC
// 3339 and applies the view's shapes. A field asked for by name that is
// null stays, as null: the answer to what was asked.
func (v View) project(item map[string]any, fields []string) map[string]any {
	all := slices.Contains(fields, "*")
	out := make(map[string]any, len(v.Default)+len(fields))
	for k, val := range item {
		if all || v.keeps(k, fields) {
			v.put(out, k, val, all, slices.Contains(fields, k))
		}
	}
	return out
}

// rawItem is a record as the API answered it, still JSON.
type rawItem = json.RawMessage

// projectRaw is project for a record as the API answered it: only the
// fields the view keeps are decoded (a list's records have dozens of
// fields, its view a handful). A record that is not an object projects as
// far as it reads.
func (v View) projectRaw(item rawItem, fields []string) map[string]any {
	all := slices.Contains(fields, "*")
	out := make(map[string]any, len(v.Default)+len(fields))
	eachField(item, func(key, raw []byte) {
		if !all && !v.keepsKey(key, fields) {
			return
		}
		var val any
		if _, err := json.Parse(raw, &val, json.ZeroCopy); err == nil {
			v.put(out, string(key), val, all, slices.Contains(fields, string(key)))
		}
	})
	return out
}

func (v View) keeps(k string, fields []string) bool {
	return slices.Contains(v.Default, k) || slices.Contains(fields, k)
}

// keepsKey is keeps for a key as bytes, without making it a string.
func (v View) keepsKey(k []byte, fields []string) bool {
	for _, list := range [][]string{v.Default, fields} {
		for _, f := range list {
			if string(k) == f {
				return true
			}
		}
	}
	return false
}

// eachField calls fn with each field of a JSON object: its key, unquoted,
// and its value as raw JSON, both sharing obj's bytes.
func eachField(obj []byte, fn func(key, raw []byte)) {
	t := json.NewTokenizer(obj)
	if !t.Next() || t.Delim != '{' {
		return
	}
	var key []byte
	for t.Next() {
		switch {
		case t.Delim == '}' && t.Depth == 0:
			return
		case t.IsKey:
			key = t.String()
		case t.Delim == ':' || t.Delim == ',':
		case t.Delim == '{' || t.Delim == '[':
			start, depth := len(obj)-t.Remaining()-1, t.Depth
			for t.Next() && !((t.Delim == '}' || t.Delim == ']') && t.Depth == depth) {
			}
			fn(key, obj[start:len(obj)-t.Remaining()])
		default:
			fn(key, t.Value)
		}
	}
}

// put sets one field of a projected record: nulls (at any depth) and
// empties dropped, but a field asked for by name keeps its null;
// timestamps as RFC 3339, the view's shape applied (not when all is asked
// for as is); an inline shape's keys take the field's place.
func (v View) put(out map[string]any, k string, val any, all, named bool) {
	if val == nil && named {
		out[k] = nil
		return
	}
	if empty(val) {
		return
	}
	val = dropNulls(val)
	if slices.Contains(v.Times, k) {
		val = rfc3339(val)
	}
	if shape := v.Shape[k]; shape != nil && !all {
		val = shape(val)
	}
	if in, ok := val.(inline); ok {
		for ik, iv := range in {
			out[ik] = iv
		}
		return
	}
	if !empty(val) {
		out[k] = val
	}
}

// dropNulls removes the null members of the objects within v, at any
// depth, in place (v is freshly decoded). Array elements stay, null or not:
// their positions may mean something.
func dropNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
			} else {
				dropNulls(e)
			}
		}
	case []any:
		for _, e := range x {
			dropNulls(e)
		}
	}
	return v
}

// present drops the members of m that say nothing: nil, "" and empty
// string lists (an argument the call did not give).
func present(m map[string]any) map[string]any {
	for k, v := range m {
		switch x := v.(type) {
		case nil:
			delete(m, k)
		case string:
			if x == "" {
				delete(m, k)
			}
		case []string:
			if len(x) == 0 {
				delete(m, k)
			}
		}
	}
	return m
}

func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

func rfc3339(v any) any {
	var ms int64
	switch x := v.(type) {
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		if err != nil {
			return v
		}
		ms = n
	case float64:
		ms = int64(x)
	case json.Number:
		n, err := x.Int64()
		if err != nil {
			return v
		}
		ms = n
	default:
		return v
	}
	if ms <= 0 {
		return nil
	}
	return time.UnixMilli(ms).UTC().Format(time.RFC3339)
}

// toList builds a ListResult from a decoded envelope page.
func toList(env schemas.List[rawItem], view View, fields []string, page, size int) *ListResult {
	if page < 1 {
		page = 1
	}
	r := &ListResult{Items: make([]map[string]any, 0, len(env.Data)), Count: env.Count, PageNumber: page, PageSize: size}
	for _, it := range env.Data {
		r.Items = append(r.Items, view.projectRaw(it, fields))
	}
	switch {
	case env.Count != nil && page*size < *env.Count:
		r.NextPage = page + 1
	case env.Count == nil && len(env.Data) >= size:
		r.NextPage = page + 1
	}
	if r.NextPage > 0 && r.NextPage*size > pageCap {
		// A page of this size would pass the cap: a smaller one may
		// still reach the records before it.
		var ok bool
		r.NextPage, r.NextPageSize, r.NextPageShown, ok = nextPage(page*size, size)
		if ok {
			r.Note = fmt.Sprintf("Continue with pageNumber=%d and pageSize=%d: a page of this size would pass the 10,000-record cap.", r.NextPage, r.NextPageSize)
			if r.NextPageShown > 0 {
				r.Note += fmt.Sprintf(" Its first %d items are the last shown here.", r.NextPageShown)
			}
		} else {
			r.Note = "Page-number paging stops at 10,000 records; narrow the filter, or use the _with_details list tool, which pages with a cursor."
		}
	}
	return r
}

// pageCap is how far page-number paging reaches: pageNumber × pageSize
// may be at most 10,000.
const pageCap = 10000

// fitBudget cuts an over-budget result at a record boundary and says how
// to continue; it never returns invalid JSON or cuts silently.
func fitBudget(b []byte, budget int) []byte {
	var lr map[string]json.RawMessage
	if json.Unmarshal(b, &lr) == nil {
		if out, ok := cutItems(lr, budget, resumeFrom(lr)); ok {
			return out
		}
	}
	out, _ := json.Marshal(map[string]any{
		"truncated": true,
		"note":      fmt.Sprintf("The result was %d bytes, over the %d-byte budget, and could not be cut at a record boundary. Ask for less: a filter, fewer fields or a smaller pageSize.", len(b), budget),
	})
	return out
}

// resume says how to continue after the first keep items of a cut list:
// the fields to set in the result, and the words for the note.
type resume func(keep int) (set map[string]any, how string)

// resumeFrom reads how to continue from a list result itself: a page list
// continues at the exact record with a page size that divides the offset;
// a cursor list cannot (its cursor points past the whole page), so its
// cursor is dropped rather than skip what was cut.
func resumeFrom(lr map[string]json.RawMessage) resume {
	var page, size int
	json.Unmarshal(lr["pageNumber"], &page)
	json.Unmarshal(lr["pageSize"], &size)
	switch {
	case lr["cursor"] != nil:
		return func(int) (map[string]any, string) {
			return map[string]any{"cursor": nil}, "Ask again with the same arguments and a smaller limit to see the rest."
		}
	case page > 0 && size > 0:
		return func(keep int) (map[string]any, string) { return pageAt((page-1)*size+keep, keep) }
	}
	return func(int) (map[string]any, string) {
		return nil, "Ask for less: a narrower filter or fewer fields."
	}
}

// pageAt is the page-number paging that continues at record offset (0
// based), with a page size of at most want, as nextPage picks it.
func pageAt(offset, want int) (map[string]any, string) {
	page, size, shown, ok := nextPage(offset, want)
	if !ok {
		return map[string]any{"nextPage": nil, "nextPageSize": nil, "nextPageShown": nil}, "The rest is past the 10,000 records page-number paging reaches: narrow the filter, or use the _with_details list tool, which pages with a cursor."
	}
	set := map[string]any{"nextPage": page, "nextPageSize": size, "nextPageShown": nil}
	how := fmt.Sprintf("Continue with pageNumber=%d and pageSize=%d (same filter and sort).", page, size)
	if shown > 0 {
		set["nextPageShown"] = shown
		how += fmt.Sprintf(" Its first %d items are the last shown here.", shown)
	}
	return set, how
}

// nextPage is the page that continues at record offset (0 based), of at
// most want records and within the cap (page × size ≤ 10,000): shown
// says how many of its first records come before offset. Near the cap,
// one page that ends at it, if one of at most want records does; else
// the room left bounds the size, which divides the offset if one above
// half of it does, so that the page starts at offset. False when offset
// is past the cap.
func nextPage(offset, want int) (page, size, shown int, ok bool) {
	room := pageCap - offset
	if room <= 0 {
		return 0, 0, 0, false
	}
	want = max(want, 1)
	for size = room; size <= want; size++ {
		if pageCap%size == 0 {
			page = pageCap / size
			return page, size, offset - (page-1)*size, true
		}
	}
	want = min(want, room)
	size = want
	for size > want/2 && offset%size != 0 {
		size--
	}
	if offset%size != 0 {
		size = want
	}
	page = offset/size + 1
	return page, size, offset - (page-1)*size, true
}

// cutItems keeps as many whole items as fit the budget, marks the result
// truncated and says how to continue; false when not even the note fits.
func cutItems(lr map[string]json.RawMessage, budget int, next resume) ([]byte, bool) {
	var items []json.RawMessage
	if json.Unmarshal(lr["items"], &items) != nil || len(items) == 0 {
		return nil, false
	}
	build := func(keep int) []byte {
		out := make(map[string]json.RawMessage, len(lr)+4)
		for k, v := range lr {
			out[k] = v
		}
		out["items"], _ = json.Marshal(items[:keep])
		out["truncated"] = json.RawMessage("true")
		out["shownItems"], _ = json.Marshal(keep)
		set, how := next(keep)
		if keep == 0 {
			set, how = nil, "Not even one item fits: ask for fewer fields."
		}
		for k, v := range set {
			if v == nil {
				delete(out, k)
				continue
			}
			out[k], _ = json.Marshal(v)
		}
		out["note"], _ = json.Marshal(fmt.Sprintf("Only %d of the %d items fit the %d-byte result budget. %s", keep, len(items), budget, how))
		b, _ := json.Marshal(out)
		return b
	}
	// The size grows with keep: find the most items that fit.
	keep := sort.Search(len(items)+1, func(n int) bool { return len(build(n)) > budget }) - 1
	if keep < 0 {
		return nil, false
	}
	return build(keep), true
}

// fitList is for handlers that know how to continue better than the
// result shows (a cursor for the records after the first keep): it cuts v
// to the budget itself, so the factory has nothing left to cut.
func fitList(c *Ctx, v any, next resume) (any, error) {
	b, err := json.Marshal(v)
	if err != nil || len(b) <= c.Opts.ResultBudget {
		return v, err
	}
	var lr map[string]json.RawMessage
	if err := json.Unmarshal(b, &lr); err != nil {
		return nil, err
	}
	if out, ok := cutItems(lr, c.Opts.ResultBudget, next); ok {
		return json.RawMessage(out), nil
	}
	return v, nil // the factory says it could not be cut
}

// cursorState is what an opaque cursor carries: the tool it is for, the
// arguments that chose the records (so that the cursor alone continues),
// and where to go on: an API query to repeat (cursor-paged lists) and how
// many of its records were shown already.
type cursorState struct {
	Tool  string         `json:"t"`
	Sel   map[string]any `json:"a,omitempty"`
	Query string         `json:"q,omitempty"`
	Skip  int            `json:"s,omitempty"`
}

func (s cursorState) String() string {
	b, _ := json.Marshal(s)
	return base64.RawURLEncoding.EncodeToString(b)
}

// selection is the arguments that choose which records a list returns:
// all but the cursor and those that only shape or size a page.
func selection(args map[string]any) map[string]any {
	sel := map[string]any{}
	for k, v := range args {
		switch k {
		case "cursor", "fields", "limit", "pageSize":
		default:
			sel[k] = v
		}
	}
	return sel
}

// newCursor is a cursor for this call's selection.
func newCursor(c *Ctx, query string, skip int) string {
	return cursorState{Tool: c.Tool.Name, Sel: selection(c.Args), Query: query, Skip: skip}.String()
}

// openCursor reads the call's cursor, if any, and decodes the arguments it
// carries into in (the tool's input), so that the cursor alone continues.
// An argument given again must be the same; one the cursor's call did
// not have is refused.
func openCursor(c *Ctx, in any) (cursorState, error) {
	var st cursorState
	s, _ := c.Args["cursor"].(string)
	if s == "" {
		return st, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(raw, &st) != nil || st.Skip < 0 || st.Tool == "" {
		return st, Invalid("cursor", "is not a cursor this server gave out; pass it back exactly as received")
	}
	if st.Tool != c.Tool.Name {
		return st, Invalid("cursor", "was given out by %s, not %s", st.Tool, c.Tool.Name)
	}
	for k, v := range selection(c.Args) {
		a, _ := json.Marshal(v)
		b, _ := json.Marshal(st.Sel[k])
		if string(a) != string(b) {
			return st, Invalid(k, "differs from the call that gave out the cursor; pass the cursor alone (or with the same %s), or call without cursor to start over", k)
		}
	}
	for k, v := range st.Sel {
		c.Args[k] = v
	}
	b, _ := json.Marshal(c.Args)
	if err := json.Unmarshal(b, in); err != nil {
		return st, Invalid("cursor", "carries arguments this tool does not take")
	}
	return st, nil
}
