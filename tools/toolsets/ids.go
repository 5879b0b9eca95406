package toolsets

import (
	"context"
	"strings"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/schemas"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/shape"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
)

// idSource is the list call that answers an ID: the list's path, the
// item's ID field, and the QQL that narrows it, if any.
type idSource struct {
	path, field, filter string
	view                shape.View
}

// idSources answer completion/complete for an argument named like an ID
// (of a resource template, or a prompt that takes one).
var idSources = map[string]idSource{
	"sensorProfileId": {path: "/sensorProfile", field: "profileId", view: profileView},
	"profileId":       {path: "/sensorProfile", field: "profileId", view: profileView},
	"registryId":      {path: "/registry", field: "registryUuid", view: registryView},
	"sensorId":        {path: "/sensors", field: "uuid", view: sensorView},
	"imageSha":        {path: "/images", field: "sha", view: imageView},
	"containerSha":    {path: "/containers", field: "sha", view: containerView},
	"reportUuid":      {path: "/reports", field: "reportUuid", view: reportView},
}

// field lists the first page of src and answers each item's field.
func field(ctx context.Context, c *tool.Ctx, src idSource, params P) ([]string, error) {
	res, err := list(ctx, c, src.path, params, schemas.ListParams{PageSize: completionPage, Filter: src.filter}, nil, src.view, []string{src.field})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, it := range res.Items {
		if s := str(it[src.field]); s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// Repositories are the repositories of the registry at uri, if Qualys
// has it.
func Repositories(ctx context.Context, c *tool.Ctx, uri string) ([]string, error) {
	if strings.TrimSpace(uri) == "" || strings.ContainsAny(uri, "`\n") {
		return nil, nil
	}
	regs, err := field(ctx, c, idSource{path: "/registry", field: "registryUuid", filter: "registryUri:`" + uri + "`", view: registryView}, nil)
	if err != nil || len(regs) == 0 {
		return nil, err
	}
	return field(ctx, c, idSource{path: "/registry/{registryId}/repository", field: "repoName", view: repositoryView}, regParams(regs[0]))
}

// IDValues answers the values an argument named like an ID can take (of a
// resource template, or a prompt that takes one) from the first page of
// its list; false when the name is not one.
func IDValues(ctx context.Context, c *tool.Ctx, arg string) ([]string, bool, error) {
	src, ok := idSources[arg]
	if !ok {
		return nil, false, nil
	}
	ids, err := field(ctx, c, src, nil)
	return ids, true, err
}

// RegistryProfileNames are the names of the Registry sensor profiles.
func RegistryProfileNames(ctx context.Context, c *tool.Ctx) ([]string, error) {
	return field(ctx, c, idSource{path: "/sensorProfile", field: "profileName", filter: "profileType:`Registry`", view: profileView}, nil)
}

// completionPage is how many items a completion reads: MCP sends at most
// 100 values.
const completionPage = 100
