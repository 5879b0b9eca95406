package tools

// MCP resources: what a user (or the assistant, on request) reads rather
// than calls. The QQL field reference of each kind of record the filters
// search, and a generated report's CSV in full.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/schemas"
)

// Resource URIs.
const (
	QQLURIPrefix      = "qualys-cs://qql/"
	ReportCSVTemplate = "qualys-cs://reports/{reportUuid}/csv"
)

// QQLRef is one QQL field reference: the fields the filter of its tools
// can name, read from the record types the API answers.
type QQLRef struct {
	Kind    string         // in the URI: qualys-cs://qql/<Kind>
	Tools   []string       // whose filter it describes
	records []reflect.Type // the record as listed (and as detailed, where the search sees both)
	nested  map[string]reflect.Type
}

// QQLRefs are the references, one per kind of record a filter searches.
// Images and containers are searched with their vulnerabilities in full,
// not the counts they are listed with.
var QQLRefs = []QQLRef{
	{Kind: "images", Tools: []string{"list_images", "list_images_with_details", "delete_images"},
		records: types[schemas.Image](), nested: map[string]reflect.Type{"vulnerabilities": reflect.TypeFor[schemas.Vulnerability]()}},
	{Kind: "containers", Tools: []string{"list_containers", "list_containers_with_details", "delete_containers"},
		records: append(types[schemas.Container](), types[schemas.ContainerDetails]()...), nested: map[string]reflect.Type{"vulnerabilities": reflect.TypeFor[schemas.Vulnerability]()}},
	{Kind: "sensors", Tools: []string{"list_sensors", "delete_sensors", "list_sensor_profile_sensors", "list_associable_sensors"}, records: types[schemas.Sensor]()},
	{Kind: "sensor_profiles", Tools: []string{"list_sensor_profiles", "list_associable_sensor_profiles"}, records: types[schemas.SensorProfile]()},
	{Kind: "vulnerabilities", Tools: []string{"get_image_vulnerabilities", "get_container_vulnerabilities"}, records: types[schemas.Vulnerability]()},
	{Kind: "software", Tools: []string{"get_image_software", "get_container_software"}, records: types[schemas.Software]()},
	{Kind: "controls", Tools: []string{"list_controls"}, records: types[schemas.Control]()},
}

func types[T any]() []reflect.Type { return []reflect.Type{reflect.TypeFor[T]()} }

// QQLField is one field a filter can name.
type QQLField struct{ Path, Type string }

// Fields lists the reference's fields: nested ones by their dotted path
// (a list's field matches when any element does), in the records' order.
func (r QQLRef) Fields() []QQLField {
	var out []QQLField
	seen := map[string]bool{}
	var walk func(t reflect.Type, prefix string, depth int)
	walk = func(t reflect.Type, prefix string, depth int) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "" || name == "-" {
				continue
			}
			path := prefix + name
			ft := f.Type
			if n, ok := r.nested[path]; ok {
				ft = n
			}
			kind, inner := qqlType(ft)
			if inner != nil && depth < 3 {
				walk(inner, path+".", depth+1)
				continue
			}
			if !seen[path] {
				seen[path] = true
				out = append(out, QQLField{path, kind})
			}
		}
	}
	for _, t := range r.records {
		walk(t, "", 0)
	}
	return out
}

var millisType = reflect.TypeFor[schemas.Millis]()

// qqlType names a field's type as a filter sees it, or returns the struct
// whose fields are searched under it.
func qqlType(t reflect.Type) (string, reflect.Type) {
	list := ""
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		if t.Kind() == reflect.Slice {
			list = ", a list"
		}
		t = t.Elem()
	}
	switch {
	case t == millisType:
		return "date" + list, nil
	case t.Kind() == reflect.Struct:
		return "", t
	case t.Kind() == reflect.String:
		return "text" + list, nil
	case t.Kind() == reflect.Bool:
		return "true or false" + list, nil
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Float64:
		return "number" + list, nil
	case t.Kind() == reflect.Map:
		return "object", nil
	}
	return "any", nil
}

// Markdown is the reference as served.
func (r QQLRef) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# QQL fields: %s\n\nThe fields the filter of %s can name. ", r.Kind, strings.Join(r.Tools, ", "))
	b.WriteString("A nested field is named by its dotted path; a field of a list matches when any element does.\n\n")
	b.WriteString("Syntax: `field:value` (contains), ``field:`exact` ``, `field:[a .. b]` (numbers and dates: `now-7d`, `2024-01-31`), ")
	b.WriteString("``field:[`a`, `b`]`` (any of), `not field:value`; terms joined with `and` and `or`. Sort: `field:asc` or `field:desc`.\n\n")
	b.WriteString("| field | type |\n|---|---|\n")
	for _, f := range r.Fields() {
		fmt.Fprintf(&b, "| `%s` | %s |\n", f.Path, f.Type)
	}
	return b.String()
}

// addResources registers the resources that serve the tools offered: a
// QQL reference when one of its tools is offered, the report CSV when
// download_report is.
func (f *factory) addResources(s *server.MCPServer, offered []Tool) {
	has := func(name string) bool {
		return slices.ContainsFunc(offered, func(t Tool) bool { return t.Name == name })
	}
	for _, r := range QQLRefs {
		if !slices.ContainsFunc(r.Tools, has) {
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
			mcp.WithTemplateMIMEType("text/csv")), f.reportCSV)
	}
}

// reportCSV reads a generated report's CSV in full.
func (f *factory) reportCSV(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
	id := templateArg(req.Params.Arguments["reportUuid"])
	if err := client.ValidID("reportUuid", id); err != nil {
		return nil, fmt.Errorf("%w: %v", mcp.ErrResourceNotFound, err)
	}
	resp, err := f.client.Do(ctx, client.Call{Method: http.MethodGet, Path: "/reports/{reportUuid}/download", Params: P{"reportUuid": id}})
	var ae *client.APIError
	switch {
	case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
		return nil, fmt.Errorf("%w: %v", mcp.ErrResourceNotFound, err)
	case err != nil:
		return nil, errors.New(f.secrets.Redact(err.Error()))
	}
	return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: "text/csv", Text: f.secrets.Redact(string(resp.Body))}}, nil
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
