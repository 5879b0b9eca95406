package toolsets

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/schemas"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/shape"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
)

// P names path parameters.
type P = map[string]string

// listQuery turns the shared list arguments into the API's query.
func listQuery(lp schemas.ListParams) (url.Values, int, int) {
	q := url.Values{}
	page, size := max(lp.PageNumber, 1), lp.PageSize
	if size == 0 {
		size = 50
	}
	q.Set("pageNumber", strconv.Itoa(page))
	q.Set("pageSize", strconv.Itoa(size))
	if lp.Filter != "" {
		q.Set("filter", lp.Filter)
	}
	if lp.Sort != "" {
		q.Set("sort", lp.Sort)
	}
	return q, page, size
}

// list calls a page-numbered list endpoint and projects its items.
func list(ctx context.Context, c *tool.Ctx, path string, params P, lp schemas.ListParams, extra url.Values, view shape.View, fields []string) (*shape.ListResult, error) {
	q, page, size := listQuery(lp)
	for k, v := range extra {
		q[k] = v
	}
	var env schemas.List[shape.RawItem]
	if _, err := c.Client.Do(ctx, client.Call{Method: http.MethodGet, Path: path, Params: params, Query: q, Out: &env}); err != nil {
		return nil, err
	}
	return shape.ToList(env, view, fields, page, size), nil
}

// getJSON reads one resource as a map.
func getJSON(ctx context.Context, c *tool.Ctx, path string, params P) (map[string]any, error) {
	var m map[string]any
	return m, getInto(ctx, c, path, params, &m)
}

// getInto reads one resource into out.
func getInto(ctx context.Context, c *tool.Ctx, path string, params P, out any) error {
	_, err := c.Client.Do(ctx, client.Call{Method: http.MethodGet, Path: path, Params: params, Out: out})
	return err
}

// send makes a write call and answers what Qualys answered (its IDs), or
// the fallback when the answer has no body. The fallback's empty members
// (arguments not given) are left out.
func send(ctx context.Context, c *tool.Ctx, call client.Call, fallback map[string]any) (any, error) {
	fallback = shape.Present(fallback)
	var answer any
	call.Out = &answer
	if _, err := c.Client.Do(ctx, call); err != nil {
		return nil, err
	}
	m, _ := answer.(map[string]any)
	shape.DropNulls(m)
	if msg, ok := answer.(string); ok && msg != "" {
		m = map[string]any{"message": msg}
	}
	if len(m) > 0 {
		for k, v := range fallback {
			if _, ok := m[k]; !ok {
				m[k] = v
			}
		}
		return m, nil
	}
	return fallback, nil
}

// agree checks an argument the server derives (here from what names it,
// described by from) against the value the caller gave, if any: the same
// value passes silently, another is refused naming both.
func agree(c *tool.Ctx, field string, derived any, from string) error {
	given, ok := c.Args[field]
	d := ""
	if derived != nil {
		d = fmt.Sprint(derived)
	}
	if !ok || given == nil || d == "" || strings.EqualFold(strings.TrimRight(fmt.Sprint(given), "/"), strings.TrimRight(d, "/")) {
		return nil // nothing known to disagree with: the caller decides
	}
	return tool.Invalid(field, "is %s, but %s is %s: they must agree (leave %s out and the server sends %[3]s)", shape.Quote(fmt.Sprint(given)), from, shape.Quote(d), field)
}

// merge deep-merges patch into base: objects merge key by key, anything
// else in patch replaces. A key the patch does not mention keeps its value.
func merge(base, patch map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(patch))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range patch {
		if pm, ok := v.(map[string]any); ok {
			if bm, ok := out[k].(map[string]any); ok {
				out[k] = merge(bm, pm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// pick copies the named keys that are present.
func pick(m map[string]any, keys ...string) map[string]any {
	out := map[string]any{}
	for _, k := range keys {
		if v, ok := m[k]; ok {
			out[k] = v
		}
	}
	return out
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func count(v any) int {
	switch x := v.(type) {
	case []any:
		return len(x)
	case float64:
		return int(x)
	}
	return 0
}
