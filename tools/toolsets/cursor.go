package toolsets

import (
	"encoding/base64"
	"net/url"

	json "github.com/segmentio/encoding/json"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/jsonlimit"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/shape"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
)

// fitList is for handlers that know how to continue better than the
// result shows (a cursor for the records after the first keep): it cuts v
// to the budget itself, so the factory has nothing left to cut.
func fitList(c *tool.Ctx, v any, next shape.Resume) (any, error) {
	b, err := json.Marshal(v)
	if err != nil || len(b) <= c.Budget {
		return v, err
	}
	var lr map[string]json.RawMessage
	if err := json.Unmarshal(b, &lr); err != nil {
		return nil, err
	}
	if out, ok := shape.CutItems(lr, c.Budget, next); ok {
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
func newCursor(c *tool.Ctx, query string, skip int) string {
	return cursorState{Tool: c.Tool.Name, Sel: selection(c.Args), Query: query, Skip: skip}.String()
}

// openCursor reads the call's cursor, if any, and decodes the arguments it
// carries into in (the tool's input), so that the cursor alone continues.
// An argument given again must be the same; one the cursor's call did
// not have is refused.
func openCursor(c *tool.Ctx, in any) (cursorState, error) {
	var st cursorState
	s, _ := c.Args["cursor"].(string)
	if s == "" {
		return st, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || jsonlimit.Unmarshal(raw, &st, jsonlimit.Limits{}) != nil || st.Skip < 0 || st.Tool == "" {
		return st, tool.Invalid("cursor", "is not a cursor this server gave out; pass it back exactly as received")
	}
	if st.Tool != c.Tool.Name {
		return st, tool.Invalid("cursor", "was given out by %s, not %s", st.Tool, c.Tool.Name)
	}
	for k, v := range selection(c.Args) {
		a, _ := json.Marshal(v)
		b, _ := json.Marshal(st.Sel[k])
		if string(a) != string(b) {
			return st, tool.Invalid(k, "differs from the call that gave out the cursor; pass the cursor alone (or with the same %s), or call without cursor to start over", k)
		}
	}
	for k, v := range st.Sel {
		c.Args[k] = v
	}
	if err := RefuseMaskedFields(c.Args); err != nil {
		return st, err
	}
	if q, err := url.ParseQuery(st.Query); err != nil || maskedFieldIn(q.Get("filter")+" "+q.Get("paginationQuery")) != "" {
		return st, tool.Invalid("cursor", "is not a cursor this server gave out; pass it back exactly as received")
	}
	b, _ := json.Marshal(c.Args)
	if err := json.Unmarshal(b, in); err != nil {
		return st, tool.Invalid("cursor", "carries arguments this tool does not take")
	}
	return st, nil
}
