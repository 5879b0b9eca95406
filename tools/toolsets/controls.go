package toolsets

import (
	"context"
	"strconv"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/schemas"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/shape"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
)

var controlView = shape.View{
	Default: []string{"id", "statement", "criticality", "category", "subCategory", "deprecated"},
	Shape:   map[string]func(any) any{"deprecated": onlyTrue},
}

func controlTools() []tool.Tool {
	const set = "controls"
	return []tool.Tool{
		tool.Def("list_controls", set, tool.Read, "List compliance controls. QQL e.g. criticality:`URGENT`.", listControls),
		tool.Def("get_control", set, tool.Read, "Get a compliance control with its rationale and remediation.", getControl),
	}
}

func listControls(ctx context.Context, c *tool.Ctx, in *schemas.ListControls) (any, error) {
	return listPaged(ctx, c, "/controls", in.ListParams, controlView, in.Fields, "")
}

func getControl(ctx context.Context, c *tool.Ctx, in *schemas.ControlID) (any, error) {
	m, err := getJSON(ctx, c, "/controls/{controlId}", P{"controlId": strconv.Itoa(in.ControlID)})
	if err != nil {
		return nil, err
	}
	return controlView.Project(m, []string{"*"}), nil
}

// onlyTrue drops a "false" flag (the API sends booleans as strings too).
func onlyTrue(v any) any {
	if v == "false" || v == false {
		return nil
	}
	return v
}
