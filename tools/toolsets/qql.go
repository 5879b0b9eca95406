package toolsets

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/shape"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
)

// qqlOps names the list operation whose QQL each tool's filter is
// (create_report's and create_report_schedule's filters are over a
// template's rows: not one list; list_k8s_postures' fields no document
// names).
var qqlOps = map[string]string{
	"list_sensor_profiles":           "GET /sensorProfile",
	"list_sensor_profile_registries": "GET /sensorProfile/{sensorProfileId}/registry",
	"list_sensor_profile_sensors":    "GET /sensorProfile/{sensorProfileId}/sensor",
	"list_associable_sensors":        "GET /sensorProfile/sensor/associate",
	"list_sensors":                   "GET /sensors",
	"delete_sensors":                 "DELETE /sensors",
	"list_registries":                "GET /registry",
	"list_registry_repositories":     "GET /registry/{registryId}/repository",
	"list_registry_schedules":        "GET /registry/{registryId}/schedule",
	"delete_registry_schedules":      "GET /registry/{registryId}/schedule", // the guide's filter picks schedules as the list's does
	"list_images":                    "GET /images",
	"list_images_with_details":       "GET /images/list",
	"get_image_vulnerabilities":      "GET /images/{imageSha}/vuln",
	"get_image_software":             "GET /images/{imageSha}/software",
	"get_image_associations":         "GET /images/{imageSha}/association",
	"delete_images":                  "DELETE /images",
	"list_containers":                "GET /containers",
	"list_containers_with_details":   "GET /containers/list",
	"get_container_vulnerabilities":  "GET /containers/{containerSha}/vuln",
	"get_container_software":         "GET /containers/{containerSha}/software",
	"delete_containers":              "DELETE /containers",
	"list_controls":                  "GET /controls",
	"list_reports":                   "GET /reports",
}

// QQLFields are the fields a tool's filter can name, as the API's
// documents show them (nil for a tool without a QQL filter).
func QQLFields(tool string) []string { return strings.Fields(qqlFields[qqlOps[tool]]) }

var (
	qqlValueRE = regexp.MustCompile("`[^`]*`|\"[^\"]*\"|'[^']*'|\\[[^\\]]*\\]")
	qqlFieldRE = regexp.MustCompile(`([A-Za-z][A-Za-z0-9_.]*)\s*(?::|[<>]=?)`)
)

// qqlWordRE finds what a filter or a sort could name as a field: every
// word outside the quoted values.
var qqlWordRE = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_.]*`)

// RefuseMaskedFields refuses a filter or a sort that names a field every
// result masks (the activation keys): the records it matches, or their
// order, would tell its value one character at a time, though no result
// shows it.
func RefuseMaskedFields(args map[string]any) error {
	for _, arg := range []string{"filter", "sort"} {
		q, _ := args[arg].(string)
		if f := maskedFieldIn(q); f != "" {
			return tool.Invalid(arg, "names %s, which this server masks in every result: a %s on it could reveal it, so it is refused; leave %s out", f, arg, f)
		}
	}
	return nil
}

// maskedFieldIn is the first masked field a QQL text names, or "".
func maskedFieldIn(q string) string {
	for _, w := range qqlWordRE.FindAllString(qqlValueRE.ReplaceAllString(q, "v"), -1) {
		if shape.MaskedField(w) {
			return w
		}
	}
	return ""
}

// WithQQLHelp adds to the error of a call that Qualys refused (HTTP 400)
// with a filter what qqlHelp says, if anything.
func WithQQLHelp(tool string, args map[string]any, err error) error {
	if filter, _ := args["filter"].(string); refusal(err) != nil {
		if help := qqlHelp(tool, filter, err.Error()); help != "" {
			return fmt.Errorf("%w. %s", err, help)
		}
	}
	return err
}

// qqlHelp is what the error of a refused call with a filter adds, when
// the refusal is the filter's (Qualys names it, or the filter names a
// field the tool's QQL does not know): the fields the QQL knows, and for
// each unknown one the nearest known.
func qqlHelp(tool, filter, refusal string) string {
	known := QQLFields(tool)
	if len(known) == 0 || strings.TrimSpace(filter) == "" {
		return ""
	}
	var misses []string
	for _, m := range qqlFieldRE.FindAllStringSubmatch(qqlValueRE.ReplaceAllString(filter, "v"), -1) {
		f := m[1]
		if slices.ContainsFunc(known, func(k string) bool { return strings.EqualFold(k, f) }) {
			continue
		}
		miss := fmt.Sprintf("%q is not one of them", f)
		if near := nearest(f, known); near != "" {
			miss += fmt.Sprintf(" (did you mean %s?)", near)
		}
		misses = append(misses, miss)
	}
	if len(misses) == 0 && !strings.Contains(strings.ToLower(refusal), "filter") && !strings.Contains(strings.ToLower(refusal), "qql") {
		return "" // refused for another reason
	}
	help := fmt.Sprintf("The QQL fields of %s: %s.", tool, strings.Join(known, ", "))
	if len(misses) > 0 {
		help += " " + strings.Join(misses, "; ") + "."
	}
	return help
}

// nearest is the known field a misspelt one most likely meant: the
// closest by edit distance (to the whole field, or to its last part:
// hostnme, host.hostname), if close enough, else one it is the end of
// (name: reportName; severity: vulnerabilities.severity).
func nearest(f string, known []string) string {
	lf := strings.ToLower(f)
	best, bestD, bestFull := "", max(2, len(f)/4)+1, 1<<30
	for _, k := range known {
		lk := strings.ToLower(k)
		full := editDistance(lf, lk)
		d := full
		if i := strings.LastIndex(lk, "."); i >= 0 && !strings.Contains(lf, ".") {
			d = min(d, editDistance(lf, lk[i+1:]))
		}
		if d < bestD || d == bestD && full < bestFull {
			best, bestD, bestFull = k, d, full
		}
	}
	if best != "" {
		return best
	}
	for _, k := range known {
		if len(lf) >= 4 && strings.HasSuffix(strings.ToLower(k), lf) {
			return k
		}
	}
	return ""
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
