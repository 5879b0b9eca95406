// Package shape turns what Qualys answers into what a tool answers: the
// compact views of records, list results, the result budget, masking, and
// the quoting of text a model or Qualys chose wherever a person reads it.
package shape

import (
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

// Inline is a shaped value whose keys take the field's place in the item.
type Inline map[string]any

// As shows a field under a shorter name.
func As(name string) func(any) any {
	return func(v any) any { return Inline{name: v} }
}

// Project keeps the view's default fields plus the asked ones ("*" for
// all), drops nulls (at any depth) and empties, turns timestamps into RFC
// 3339 and applies the view's shapes. A field asked for by name that is
// null stays, as null: the answer to what was asked.
func (v View) Project(item map[string]any, fields []string) map[string]any {
	all := slices.Contains(fields, "*")
	out := make(map[string]any, len(v.Default)+len(fields))
	for k, val := range item {
		if all || v.keeps(k, fields) {
			v.put(out, k, val, all, slices.Contains(fields, k))
		}
	}
	return out
}

// RawItem is a record as the API answered it, still JSON.
type RawItem = json.RawMessage

// ProjectRaw is project for a record as the API answered it: only the
// fields the view keeps are decoded (a list's records have dozens of
// fields, its view a handful). A record that is not an object projects as
// far as it reads.
func (v View) ProjectRaw(item RawItem, fields []string) map[string]any {
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
// for as is); an Inline shape's keys take the field's place.
func (v View) put(out map[string]any, k string, val any, all, named bool) {
	if val == nil && named {
		out[k] = nil
		return
	}
	if empty(val) {
		return
	}
	val = DropNulls(val)
	if slices.Contains(v.Times, k) {
		val = RFC3339(val)
	}
	if shape := v.Shape[k]; shape != nil && !all {
		val = shape(val)
	}
	if in, ok := val.(Inline); ok {
		for ik, iv := range in {
			out[ik] = iv
		}
		return
	}
	if !empty(val) {
		out[k] = val
	}
}

// DropNulls removes the null members of the objects within v, at any
// depth, in place (v is freshly decoded). Array elements stay, null or not:
// their positions may mean something.
func DropNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
			} else {
				DropNulls(e)
			}
		}
	case []any:
		for _, e := range x {
			DropNulls(e)
		}
	}
	return v
}

// Present drops the members of m that say nothing: nil, "" and empty
// string lists (an argument the call did not give).
func Present(m map[string]any) map[string]any {
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

// RFC3339 shows an epoch-milliseconds timestamp (string or number) as an
// RFC 3339 time; zero or less is no time (nil); anything else as it is.
func RFC3339(v any) any {
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

// ToList builds a ListResult from a decoded envelope page.
func ToList(env schemas.List[RawItem], view View, fields []string, page, size int) *ListResult {
	if page < 1 {
		page = 1
	}
	r := &ListResult{Items: make([]map[string]any, 0, len(env.Data)), Count: env.Count, PageNumber: page, PageSize: size}
	for _, it := range env.Data {
		r.Items = append(r.Items, view.ProjectRaw(it, fields))
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

// FitBudget cuts an over-budget result at a record boundary and says how
// to continue; it never returns invalid JSON or cuts silently.
func FitBudget(b []byte, budget int) []byte {
	var lr map[string]json.RawMessage
	if json.Unmarshal(b, &lr) == nil {
		if out, ok := CutItems(lr, budget, resumeFrom(lr)); ok {
			return out
		}
	}
	out, _ := json.Marshal(map[string]any{
		"truncated": true,
		"note":      fmt.Sprintf("The result was %d bytes, over the %d-byte budget, and could not be cut at a record boundary. Ask for less: a filter, fewer fields or a smaller pageSize.", len(b), budget),
	})
	return out
}

// Resume says how to continue after the first keep items of a cut list:
// the fields to set in the result, and the words for the note.
type Resume func(keep int) (set map[string]any, how string)

// resumeFrom reads how to continue from a list result itself: a page list
// continues at the exact record with a page size that divides the offset;
// a cursor list cannot (its cursor points past the whole page), so its
// cursor is dropped rather than skip what was cut.
func resumeFrom(lr map[string]json.RawMessage) Resume {
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

// CutItems keeps as many whole items as fit the budget, marks the result
// truncated and says how to continue; false when not even the note fits.
func CutItems(lr map[string]json.RawMessage, budget int, next Resume) ([]byte, bool) {
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
