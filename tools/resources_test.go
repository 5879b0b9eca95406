package tools_test

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/extras"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/toolsets"
)

// readText reads a text resource.
func readText(t *testing.T, e *Env, uri string) (string, string) {
	t.Helper()
	res, err := e.S.ReadResource(t.Context(), &mcp.ReadResourceParams{URI: uri})
	if err != nil {
		t.Fatalf("read %s: %v", uri, err)
	}
	if len(res.Contents) != 1 || res.Contents[0].URI != uri {
		t.Fatalf("read %s: %d contents", uri, len(res.Contents))
	}
	return res.Contents[0].Text, res.Contents[0].MIMEType
}

var qqlRowRE = regexp.MustCompile("(?m)^\\| `([A-Za-z0-9_.]+)` \\|$")

// valuesAt collects the strings at a dotted path of a decoded result.
func valuesAt(v any, path string) []string {
	if path == "" {
		if s, ok := v.(string); ok {
			return []string{s}
		}
		return nil
	}
	head, rest, _ := strings.Cut(path, ".")
	switch x := v.(type) {
	case map[string]any:
		return valuesAt(x[head], rest)
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, valuesAt(e, path)...)
		}
		return out
	}
	return nil
}

// Each QQL reference names the documented QQL fields of its first tool, and a
// filter on each of its text fields, with a value the API answered, finds
// that record: the names are the API's, not made up.
func TestQQLReferenceResources(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	busy := imageBy(t, e, func(im sandbox.Image) bool { return im.AssociatedContainersCount > 0 }).Sha
	args := map[string]map[string]any{
		"images": {"fields": []string{"*"}}, "containers": {"fields": []string{"*"}}, "sensors": {"fields": []string{"*"}},
		"sensor_profiles": {}, "controls": {"fields": []string{"*"}},
		"vulnerabilities": {"imageSha": busy, "fields": []string{"*"}}, "software": {"imageSha": busy},
	}
	listed, err := e.S.ListResources(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var uris []string
	for _, r := range listed.Resources {
		uris = append(uris, r.URI)
	}
	for _, ref := range extras.QQLRefs() {
		uri := extras.QQLURIPrefix + ref.Kind
		if !slices.Contains(uris, uri) {
			t.Errorf("resources/list lacks %s: %v", uri, uris)
			continue
		}
		text, mime := readText(t, e, uri)
		rows := qqlRowRE.FindAllStringSubmatch(text, -1)
		if mime != "text/markdown" || len(rows) < 3 || !strings.Contains(text, ref.Tools[0]) {
			t.Errorf("%s (%s): %d fields:\n%s", uri, mime, len(rows), text)
			continue
		}
		// The reference is the tool's documented QQL field set, the one a
		// refused filter quotes and the sandbox accepts.
		var named []string
		for _, r := range rows {
			named = append(named, r[1])
		}
		if want := toolsets.QQLFields(ref.Tools[0]); !slices.Equal(named, want) {
			t.Errorf("%s names %v, the documents give %s %v", uri, named, ref.Tools[0], want)
		}
		a, ok := args[ref.Kind]
		if !ok {
			t.Fatalf("no arguments for %s's tool %s", ref.Kind, ref.Tools[0])
		}
		items := e.OK(ref.Tools[0], a)["items"].([]any)
		if len(items) == 0 {
			t.Fatalf("%s: no items", ref.Tools[0])
		}
		if ref.Kind == "vulnerabilities" {
			continue // the sandbox searches a vulnerability by its summary fields (qid, title, severity, cveids, ...) only
		}
		filtered := 0
		for _, r := range rows {
			path := r[1]
			vals := valuesAt(items[0], path)
			if len(vals) == 0 || vals[0] == "" || strings.ContainsAny(vals[0], "*`\n") || isTime(vals[0]) {
				continue // not text (valuesAt reads strings; dates take ranges), not in this record, or masked
			}
			q := map[string]any{"filter": fmt.Sprintf("%s:`%s`", path, vals[0])}
			for k, v := range a {
				q[k] = v
			}
			if got := e.OK(ref.Tools[0], q)["items"].([]any); len(got) == 0 {
				t.Errorf("%s: filter %v finds nothing, yet the first record has it", ref.Tools[0], q["filter"])
			}
			filtered++
		}
		if filtered == 0 {
			t.Errorf("%s: no text field of %s to filter on", uri, ref.Tools[0])
		}
	}
	// Every tool with a filter argument has a reference, or is named here.
	noRecordType := []string{"list_sensor_profile_registries", "list_registries", "list_registry_repositories", "list_registry_schedules",
		"delete_registry_schedules", "get_image_associations", "list_reports", "create_report", "create_report_schedule", "list_k8s_postures"}
	covered := map[string]bool{}
	for _, ref := range extras.QQLRefs() {
		for _, n := range ref.Tools {
			covered[n] = true
		}
	}
	for _, tl := range allTools(t) {
		if strings.Contains(string(tl.MCP().RawInputSchema), `"filter"`) != (covered[tl.Name] || slices.Contains(noRecordType, tl.Name)) {
			t.Errorf("%s: a filter argument, and no QQL reference (or one without a filter)", tl.Name)
		}
	}
}

// The report CSV template reads a generated report in full; an unknown
// report is not found; resources follow the tools offered.
func TestReportCSVResource(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	tmpl, err := e.S.ListResourceTemplates(t.Context(), nil)
	if err != nil || len(tmpl.ResourceTemplates) != 1 || tmpl.ResourceTemplates[0].URITemplate != extras.ReportCSVTemplate {
		t.Fatalf("templates: %v %v", tmpl, err)
	}
	uri := strings.Replace(extras.ReportCSVTemplate, "{reportUuid}", imageReport, 1)
	text, mime := readText(t, e, uri)
	part := e.OK("download_report", map[string]any{"reportUuid": imageReport, "maxBytes": 2000})
	if mime != "text/csv" || float64(len(text)) != part["totalBytes"] || !strings.HasPrefix(text, strings.SplitN(part["csv"].(string), "\n", 2)[0]) {
		t.Fatalf("%s (%s): %d bytes, download_report says %v", uri, mime, len(text), part["totalBytes"])
	}
	for _, id := range []string{"00000000-0000-0000-0000-00000000dead", "..%2Fsensors"} {
		_, err := e.S.ReadResource(t.Context(), &mcp.ReadResourceParams{URI: strings.Replace(extras.ReportCSVTemplate, "{reportUuid}", id, 1)})
		// mcp-go answers a template handler's error as an internal error
		// (-32603), whatever it wraps; the message says what happened.
		var we *jsonrpc.Error
		if !errors.As(err, &we) || !strings.Contains(we.Message, "resource not found") {
			t.Errorf("report %s: %v, want resource not found", id, err)
		}
	}
	if n := e.SB.Count("GET", "/sensors"); n != 0 {
		t.Errorf("%d requests reached /sensors", n)
	}

	few := NewEnv(t, EnvOptions{Flags: []string{"--toolsets", "sensors"}})
	listed, err := few.S.ListResources(t.Context(), nil)
	if err != nil || len(listed.Resources) != 1 || listed.Resources[0].URI != extras.QQLURIPrefix+"sensors" {
		t.Fatalf("--toolsets sensors: %v %v", listed, err)
	}
	if tmpl, err := few.S.ListResourceTemplates(t.Context(), nil); err != nil || len(tmpl.ResourceTemplates) != 0 {
		t.Fatalf("--toolsets sensors offers templates: %v %v", tmpl, err)
	}
}

// isTime reports whether an answered string is a timestamp (the server
// answers dates as RFC 3339; QQL takes them as ranges, not text).
func isTime(s string) bool {
	_, err := time.Parse(time.RFC3339, s)
	return err == nil
}
