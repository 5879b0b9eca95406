package toolsets

import (
	"context"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/schemas"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/shape"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
)

// The kspm toolset: Kubernetes security posture (release 1.38), CIS
// Kubernetes controls evaluated on the clusters' resources. Release 1.38
// names the four paths and the list's parameters; no page shows what they
// answer, so the tools pass Qualys' answers through (nulls dropped, cut
// to the result budget at a record boundary) and their descriptions say
// the fields are not documented.

// undocumented is what each KSPM tool's description ends with.
const undocumented = " Fields undocumented: passed on."

// passView keeps every field of a record whose shape no document shows.
var passView = shape.View{}

func kspmTools() []tool.Tool {
	const set = "kspm"
	return []tool.Tool{
		tool.Def("list_k8s_postures", set, tool.Read, "List CIS Kubernetes control postures (KSPM) of the clusters."+undocumented, listPostures),
		tool.Def("count_k8s_postures", set, tool.Read, "Count Kubernetes control postures (KSPM)."+undocumented, countPostures),
		tool.Def("get_k8s_control", set, tool.Read, "Get a CIS Kubernetes control (KSPM) by its numeric ID."+undocumented, getK8sControl),
		tool.Def("get_k8s_control_evidence", set, tool.Read, "List a Kubernetes control's evidence per resource (KSPM)."+undocumented, getK8sEvidence),
	}
}

func listPostures(ctx context.Context, c *tool.Ctx, in *schemas.ListParams) (any, error) {
	return listPaged(ctx, c, "/k8s_postures/list", *in, passView, []string{"*"}, "")
}

func countPostures(ctx context.Context, c *tool.Ctx, _ *schemas.None) (any, error) {
	m, err := getJSON(ctx, c, "/k8s_postures/count", nil)
	return shape.DropNulls(m), err
}

func getK8sControl(ctx context.Context, c *tool.Ctx, in *schemas.K8sControlID) (any, error) {
	m, err := getJSON(ctx, c, "/k8s_postures/control/{controlId}", P{"controlId": in.ControlID})
	return shape.DropNulls(m), err
}

// getK8sEvidence answers the evidence rows (data[], or the answer itself
// when it is a list) a page at a time by cursor, with the answer's other
// fields (its count, if any, is Qualys').
func getK8sEvidence(ctx context.Context, c *tool.Ctx, in *schemas.K8sEvidence) (any, error) {
	st, err := openCursor(c, in)
	if err != nil {
		return nil, err
	}
	var answer any
	if err := getInto(ctx, c, "/k8s_postures/control/{controlId}/evidence", P{"controlId": in.ControlID}, &answer); err != nil {
		return nil, err
	}
	shape.DropNulls(answer)
	rows, extra := answer, map[string]any{}
	if m, ok := answer.(map[string]any); ok {
		rows = m["data"]
		for k, v := range m {
			if k != "data" {
				extra[k] = v
			}
		}
	}
	return pageItems(c, st.Skip, objects(rows), extra)
}
