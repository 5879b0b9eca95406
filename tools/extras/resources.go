package extras

// MCP resources: what a user (or the assistant, on request) reads rather
// than calls. The QQL field reference of each kind of record the filters
// search, and a generated report's CSV in full.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/toolsets"
)

// Resource URIs.
const (
	QQLURIPrefix      = "qualys-cs://qql/"
	ReportCSVTemplate = "qualys-cs://reports/{reportUuid}/csv"
)

// QQLRef is one QQL field reference: the fields the filter of its tools
// can name, as the API's documents show what those tools list (the table
// of qql_fields.go, which refused filters quote too).
type QQLRef struct {
	Kind  string   // in the URI: qualys-cs://qql/<Kind>
	Tools []string // whose filter it describes; the first one's fields are listed
	Rule  string   // the entity type a dynamic tag's rule names these fields under ("image": image.repo.repository)
}

// tagRuleTools are the tools whose dynamic tag rules name the image and
// container fields, prefixed with the entity type.
var tagRuleTools = []string{"create_tag", "update_tag"}

// QQLRefs are the references, one per kind of record a filter searches.
// Images and containers are searched with their vulnerabilities in full,
// not the counts they are listed with.
func QQLRefs() []QQLRef {
	return []QQLRef{
		{Kind: "images", Tools: []string{"list_images", "list_images_with_details", "delete_images"}, Rule: "image"},
		{Kind: "containers", Tools: []string{"list_containers", "list_containers_with_details", "delete_containers"}, Rule: "container"},
		{Kind: "sensors", Tools: []string{"list_sensors", "delete_sensors", "list_sensor_profile_sensors", "list_associable_sensors"}},
		{Kind: "sensor_profiles", Tools: []string{"list_sensor_profiles"}},
		{Kind: "vulnerabilities", Tools: []string{"get_image_vulnerabilities", "get_container_vulnerabilities"}},
		{Kind: "software", Tools: []string{"get_image_software", "get_container_software"}},
		{Kind: "controls", Tools: []string{"list_controls"}},
	}
}

// Fields lists the fields of the reference's first tool: nested ones by
// their dotted path (a list's field matches when any element does).
func (r QQLRef) Fields() []string { return toolsets.QQLFields(r.Tools[0]) }

// Markdown is the reference as served.
func (r QQLRef) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# QQL fields: %s\n\nThe fields the filter of %s can name. ", r.Kind, strings.Join(r.Tools, ", "))
	b.WriteString("A nested field is named by its dotted path; a field of a list matches when any element does.\n\n")
	if r.Rule != "" {
		example := map[string]string{"image": "repo.repository:nginx", "container": "state:`RUNNING`"}[r.Rule]
		fmt.Fprintf(&b, "A dynamic tag's rule (%s) names the same fields after `%s.`, e.g. `%s.%s`.\n\n", strings.Join(tagRuleTools, ", "), r.Rule, r.Rule, example)
	}
	b.WriteString("Syntax: `field:value` (contains), ``field:`exact` ``, `field:[a .. b]` (numbers and dates: `now-7d`, `2024-01-31`), ")
	b.WriteString("``field:[`a`, `b`]`` (any of), `not field:value`; terms joined with `and` and `or`. Sort: `field:asc` or `field:desc`.\n\n")
	b.WriteString("| field |\n|---|\n")
	for _, f := range r.Fields() {
		fmt.Fprintf(&b, "| `%s` |\n", f)
	}
	return b.String()
}

// AddResources registers the resources that serve the tools offered: a
// QQL reference when one of its tools is offered, the report CSV when
// download_report is.
func AddResources(s *server.MCPServer, offered []tool.Tool, env *Env) {
	has := func(name string) bool {
		return slices.ContainsFunc(offered, func(t tool.Tool) bool { return t.Name == name })
	}
	for _, r := range QQLRefs() {
		if !slices.ContainsFunc(r.Tools, has) && (r.Rule == "" || !slices.ContainsFunc(tagRuleTools, has)) {
			continue
		}
		text := r.Markdown()
		uri := QQLURIPrefix + r.Kind
		s.AddResource(mcp.NewResource(uri, "QQL fields: "+r.Kind,
			mcp.WithResourceDescription("The fields a filter of "+strings.Join(r.Tools, ", ")+" can name, with their types."),
			mcp.WithMIMEType("text/markdown"), mcp.WithResourceSize(int64(len(text)))),
			func(context.Context, mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
				return []mcp.ResourceContents{mcp.TextResourceContents{URI: uri, MIMEType: "text/markdown", Text: text}}, nil
			})
	}
	if has("download_report") {
		s.AddResourceTemplate(mcp.NewResourceTemplate(ReportCSVTemplate, "report CSV",
			mcp.WithTemplateDescription("A GENERATED report's CSV in full (create_report, then list_reports until GENERATED)."),
			mcp.WithTemplateMIMEType("text/csv")), env.reportCSV)
	}
}

// reportCSV reads a generated report's CSV in full.
func (env *Env) reportCSV(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
	id := templateArg(req.Params.Arguments["reportUuid"])
	if err := client.ValidID("reportUuid", id); err != nil {
		return nil, fmt.Errorf("%w: %v", mcp.ErrResourceNotFound, err)
	}
	resp, err := env.Client.Do(ctx, client.Call{Method: http.MethodGet, Path: "/reports/{reportUuid}/download", Params: map[string]string{"reportUuid": id}})
	var ae *client.APIError
	switch {
	case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
		return nil, fmt.Errorf("%w: %v", mcp.ErrResourceNotFound, err)
	case err != nil:
		return nil, errors.New(env.Secrets.Redact(err.Error()))
	}
	return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: "text/csv", Text: env.Secrets.Redact(string(resp.Body))}}, nil
}

// templateArg is a URI template variable as mcp-go matched it.
func templateArg(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []string:
		return strings.Join(x, ",")
	}
	return ""
}
