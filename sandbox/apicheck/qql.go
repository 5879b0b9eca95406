package apicheck

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// qqlSources are the list operations whose filter is QQL, and what their
// QQL searches, as the documents show it: the item each lists (from the
// OpenAPI's answer, or the release notes' sample answers), and for images
// and containers the item in full too (their QQL reaches the
// vulnerabilities and software, e.g. vulnerabilities.severity). The
// documents have no QQL token tables; a QQL field is a field of what is
// listed, dotted (repo.repository), to depth 2; "as x" puts an
// operation's items under x (an image's vulnerabilities as its
// vulnerability list shows them).
var qqlSources = map[string][]string{
	"GET /sensorProfile":                            {"sample GET /sensorProfile"},
	"GET /sensorProfile/{sensorProfileId}/registry": {"sample GET /sensorProfile/{sensorProfileId}/registry"},
	"GET /sensorProfile/{sensorProfileId}/sensor":   {"sample GET /sensorProfile/{sensorProfileId}/sensor"},
	"GET /sensorProfile/sensor/associate":           {"sample GET /sensorProfile/sensor/associate", "sample GET /sensorProfile/{sensorProfileId}/sensor"},
	"GET /sensors":                                  {"GET /sensors", "sample GET /sensors"},
	"DELETE /sensors":                               {"GET /sensors", "sample GET /sensors"},
	"GET /registry":                                 {"GET /registry"},
	"GET /registry/{registryId}/repository":         {"GET /registry/{registryId}/repository"},
	"GET /registry/{registryId}/schedule":           {"GET /registry/{registryId}/schedule", "sample GET /registry/{registryId}/schedule"},
	"GET /images":                                   imageQQL,
	"DELETE /images":                                imageQQL,
	"GET /images/list":                              {"GET /images/list", "field imagesInUse"},
	"GET /images/{imageSha}/vuln":                   {"GET /images/{imageSha}/vuln", "sample GET /images/{imageSha}/vuln"},
	"GET /images/{imageSha}/software":               {"GET /images/{imageSha}/software", "sample GET /images/{imageSha}/software"},
	"GET /images/{imageSha}/association":            {"GET /images/{imageSha}/association"},
	"GET /containers":                               containerQQL,
	"DELETE /containers":                            containerQQL,
	"GET /containers/list":                          {"GET /containers/list"},
	"GET /containers/{containerSha}/vuln":           {"GET /containers/{containerSha}/vuln"},
	"GET /containers/{containerSha}/software":       {"GET /containers/{containerSha}/software"},
	"GET /controls":                                 {"GET /controls"},
	"GET /reports":                                  {"field reportName", "field report.name"}, // the 2021 document: "Only reportName is supported in filter query"; release 1.42's sample: report.name
}

// The current pages (2026) show what images and containers answer now
// (the images list's and a container's details samples, an image's
// vulnerabilities and software), and filter images on imagesInUse (the
// lists' samples).
var (
	imageQQL = []string{"GET /images", "GET /images/{imageSha}", "GET /images/{imageSha}/vuln as vulnerabilities", "GET /images/{imageSha}/software as software",
		"sample GET /images", "sample GET /images/{imageSha}/vuln as vulnerabilities", "sample GET /images/{imageSha}/software as software", "field imagesInUse"}
	containerQQL = []string{"GET /containers", "GET /containers/{containerSha}", "GET /containers/{containerSha}/vuln as vulnerabilities", "sample GET /containers/{containerSha}"}
)

// QQLFields returns, for each list operation whose filter is QQL, the
// fields its QQL knows (see qqlSources).
func (v *Validator) QQLFields() (map[string][]string, error) {
	out := map[string][]string{}
	for op, sources := range qqlSources {
		set := map[string]bool{}
		for _, src := range sources {
			switch kind, rest, _ := strings.Cut(src, " "); kind {
			case "field":
				set[rest] = true
			case "sample":
				rest, under, _ := strings.Cut(rest, " as ")
				prefix, depth := "", 0
				if under != "" {
					prefix, depth = under+".", 1
				}
				n := 0
				for _, s := range v.samples {
					if s.Method+" "+v.template(s.Path) == rest && s.Response != nil {
						var doc any
						json.Unmarshal(s.Response, &doc)
						jsonFields(listed(doc), prefix, depth, set)
						n++
					}
				}
				if n == 0 {
					return nil, fmt.Errorf("%s: no sample answer for %s", op, rest)
				}
			default:
				src, under, _ := strings.Cut(src, " as ")
				prefix, depth := "", 0
				if under != "" {
					prefix, depth = under+".", 1
				}
				method, path, _ := strings.Cut(src, " ")
				item := v.doc.Paths.Value(path)
				if item == nil || item.GetOperation(method) == nil {
					return nil, fmt.Errorf("%s: the document has no %s", op, src)
				}
				resp := item.GetOperation(method).Responses.Status(http.StatusOK)
				if resp == nil || resp.Value == nil || resp.Value.Content.Get("application/json") == nil {
					return nil, fmt.Errorf("%s: %s has no JSON answer", op, src)
				}
				schemaFields(listedSchema(resp.Value.Content.Get("application/json").Schema.Value), prefix, depth, set)
			}
		}
		for f := range set {
			out[op] = append(out[op], f)
		}
		sort.Strings(out[op])
	}
	return out, nil
}

// template is the path template a path fits: the release notes' or the
// document's.
func (v *Validator) template(path string) string {
	if op := matchOp(v.ops, "GET", path); op != nil {
		return op.path
	}
	t, _ := match(v.paths, path)
	return t
}

const qqlDepth = 2

// listedSchema is the item of a list answer's schema: data[] or content[]
// items, or details (the vulnerability answers), or the answer itself.
func listedSchema(s *openapi3.Schema) *openapi3.Schema {
	for _, k := range []string{"data", "content"} {
		if p := s.Properties[k]; p != nil && p.Value != nil && p.Value.Items != nil {
			return p.Value.Items.Value
		}
	}
	if p := s.Properties["details"]; p != nil && p.Value != nil {
		if v := p.Value.Properties["vulns"]; v != nil && v.Value != nil && v.Value.Items != nil {
			return v.Value.Items.Value // a container's: vulns[] (and driftVulns[], the same)
		}
		return p.Value
	}
	return s
}

func schemaFields(s *openapi3.Schema, prefix string, depth int, set map[string]bool) {
	for name, p := range s.Properties {
		if p == nil || p.Value == nil {
			continue
		}
		v, path := p.Value, prefix+name
		if v.Type.Is(openapi3.TypeArray) && v.Items != nil && v.Items.Value != nil {
			v = v.Items.Value
		}
		if len(v.Properties) > 0 && depth+1 < qqlDepth {
			schemaFields(v, path+".", depth+1, set)
			continue
		}
		set[path] = true
	}
}

// listed is the items of a sample list answer: data[] or content[] (or
// a vulnerability list's details[]).
func listed(doc any) []any {
	m, _ := doc.(map[string]any)
	for _, k := range []string{"data", "content", "details"} {
		if items, ok := m[k].([]any); ok {
			return items
		}
	}
	return []any{doc}
}

func jsonFields(items []any, prefix string, depth int, set map[string]bool) {
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			continue
		}
		for k, v := range m {
			path := prefix + k
			if arr, ok := v.([]any); ok {
				if len(arr) > 0 {
					if _, isObj := arr[0].(map[string]any); isObj && depth+1 < qqlDepth {
						jsonFields(arr, path+".", depth+1, set)
						continue
					}
				}
			}
			if obj, ok := v.(map[string]any); ok && len(obj) > 0 && depth+1 < qqlDepth {
				jsonFields([]any{obj}, path+".", depth+1, set)
				continue
			}
			set[path] = true
		}
	}
}
