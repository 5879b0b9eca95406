package toolsets

import (
	"context"
	"net/http"
	"net/url"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/schemas"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
)

// The tags toolset: dynamic tags (a QQL rule per entity type, which
// Qualys applies when the tag is evaluated) and tags put on an image or a
// container (release 1.41, 1.43). No API reads a tag: what Qualys answers
// to a create or an update is all there is to show.

func tagTools() []tool.Tool {
	const set = "tags"
	return []tool.Tool{
		tool.Def("create_tag", set, tool.Write, "Create a dynamic tag: a QQL rule per entity type (image.repo.repository:nginx); reevaluate: tag matches now.", createTag),
		tool.Def("update_tag", set, tool.Write, "Add a dynamic tag's rule for a new entity type, or change one.", updateTag),
		tool.Def("evaluate_tag", set, tool.Write, "Re-evaluate a dynamic tag's rules on existing assets. Answer undocumented: passed on.", evaluateTag, tool.Idempotent[schemas.EvaluateTag]()),
		tool.Def("assign_tags", set, tool.Write, "Tag an image or container (UUID or SHA): tagsToAdd by UUID, or tagName (a new name is created).", assignTags, tool.Idempotent[schemas.AssignTags]()),
	}
}

func createTag(ctx context.Context, c *tool.Ctx, _ *schemas.CreateTag) (any, error) {
	return send(ctx, c, client.Call{Method: http.MethodPost, Path: "/tag/create", Body: c.Args}, nil)
}

func updateTag(ctx context.Context, c *tool.Ctx, _ *schemas.UpdateTag) (any, error) {
	return send(ctx, c, client.Call{Method: http.MethodPut, Path: "/tag/update", Body: c.Args}, nil)
}

// evaluateTag sends the tag's name in the query, as release 1.41's table
// shows it (tagName=<name of the dynamic tag>), with no body.
func evaluateTag(ctx context.Context, c *tool.Ctx, in *schemas.EvaluateTag) (any, error) {
	return send(ctx, c, client.Call{Method: http.MethodPost, Path: "/tag/evaluateTags", Query: url.Values{"tagName": {in.TagName}}},
		map[string]any{"evaluated": true, "tagName": in.TagName})
}

// assignTags sends the documented body; moduleCode is CS, this module's.
func assignTags(ctx context.Context, c *tool.Ctx, _ *schemas.AssignTags) (any, error) {
	body := c.Args
	body["moduleCode"] = "CS"
	return send(ctx, c, client.Call{Method: http.MethodPost, Path: "/tag/assign", Body: body}, nil)
}
