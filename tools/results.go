package tools

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/schemas"
)

// ListResult is what every list tool answers.
type ListResult struct {
	Items      []map[string]any `json:"items"`
	Count      *int             `json:"count,omitempty"`
	PageNumber int              `json:"pageNumber,omitempty"`
	NextPage   int              `json:"nextPage,omitempty"`
	Cursor     string           `json:"cursor,omitempty"`
	Truncated  bool             `json:"truncated,omitempty"`
	Note       string           `json:"note,omitempty"`
}

// View is a resource's compact projection: the fields shown by default,
// and the fields that are epoch-millisecond timestamps.
type View struct {
	Default []string
	Times   []string
}

// project keeps the view's default fields plus the asked ones ("*" for
// all), drops nulls and empties, and turns timestamps into RFC 3339.
func (v View) project(item map[string]any, fields []string) map[string]any {
	all := slices.Contains(fields, "*")
	out := make(map[string]any, len(v.Default)+len(fields))
	for k, val := range item {
		if !all && !slices.Contains(v.Default, k) && !slices.Contains(fields, k) {
			continue
		}
		if empty(val) {
			continue
		}
		if slices.Contains(v.Times, k) {
			val = rfc3339(val)
		}
		out[k] = val
	}
	return out
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
func toList(env schemas.List[map[string]any], view View, fields []string, page, size int) *ListResult {
	if page < 1 {
		page = 1
	}
	r := &ListResult{Items: make([]map[string]any, 0, len(env.Data)), Count: env.Count, PageNumber: page}
	for _, it := range env.Data {
		r.Items = append(r.Items, view.project(it, fields))
	}
	switch {
	case env.Count != nil && page*size < *env.Count:
		r.NextPage = page + 1
	case env.Count == nil && len(env.Data) >= size:
		r.NextPage = page + 1
	}
	if r.NextPage > 0 && r.NextPage*size > 10000 {
		r.NextPage = 0
		r.Note = "Page-number paging stops at 10,000 records; narrow the filter, or use the _with_details list tool, which pages with a cursor."
	}
	return r
}

// fitBudget cuts an over-budget result at a record boundary and says so;
// it never returns invalid JSON or cuts silently.
func fitBudget(b []byte, budget int) []byte {
	var lr map[string]json.RawMessage
	if json.Unmarshal(b, &lr) == nil {
		var items []json.RawMessage
		if json.Unmarshal(lr["items"], &items) == nil && len(items) > 0 {
			total := len(items)
			for keep := total - 1; keep >= 0; keep-- {
				lr["items"], _ = json.Marshal(items[:keep])
				lr["truncated"] = json.RawMessage("true")
				note := fmt.Sprintf("Only %d of the %d items on this page fit the %d-byte result budget. Ask again with pageSize=%d (and the same filter) to page through them, or narrow the filter.", keep, total, budget, max(keep, 1))
				lr["note"], _ = json.Marshal(note)
				lr["shownItems"], _ = json.Marshal(keep)
				if out, _ := json.Marshal(lr); len(out) <= budget {
					return out
				}
			}
		}
	}
	out, _ := json.Marshal(map[string]any{
		"truncated": true,
		"note":      fmt.Sprintf("The result was %d bytes, over the %d-byte budget, and could not be cut at a record boundary. Ask for less: a filter, fewer fields or a smaller pageSize.", len(b), budget),
	})
	return out
}
