package tools

import (
	"context"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/prompts"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/schemas"
)

// idSource is the list call that answers an ID: the list's path, the
// item's ID field, and the QQL that narrows it, if any.
type idSource struct {
	path, field, filter string
	view                View
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

// completionPage is how many items a completion reads: MCP sends at most
// 100 values.
const completionPage = 100

// completer answers completion/complete: a prompt's arguments from their
// declared values or a list call, a resource template's IDs from a list
// call. It only reads.
type completer struct{ f *factory }

func (c completer) ctx() *Ctx { return &Ctx{Client: c.f.client, Opts: &c.f.opts} }

func (c completer) CompletePromptArgument(ctx context.Context, prompt string, arg mcp.CompleteArgument, cc mcp.CompleteContext) (*mcp.Completion, error) {
	values, from, ok := prompts.Complete(prompt, arg.Name, arg.Value)
	if !ok {
		return &mcp.Completion{}, nil
	}
	switch {
	case from == "registryProfiles":
		names, err := c.field(ctx, idSource{path: "/sensorProfile", field: "profileName", filter: "profileType:`Registry`", view: profileView}, nil)
		if err != nil {
			return nil, err
		}
		values = prompts.Matching(names, arg.Value, false)
	case from == "repositories":
		repos, err := c.repositories(ctx, cc.Arguments["registryUri"])
		if err != nil {
			return nil, err
		}
		values = prompts.Matching(repos, arg.Value, true)
	case strings.HasPrefix(from, "qql "):
		values = qqlCompletion(strings.TrimPrefix(from, "qql "), arg.Value)
	}
	return completion(values), nil
}

func (c completer) CompleteResourceArgument(ctx context.Context, _ string, arg mcp.CompleteArgument, _ mcp.CompleteContext) (*mcp.Completion, error) {
	src, ok := idSources[arg.Name]
	if !ok {
		return &mcp.Completion{}, nil
	}
	ids, err := c.field(ctx, src, nil)
	if err != nil {
		return nil, err
	}
	return completion(prompts.Matching(ids, arg.Value, false)), nil
}

// field lists the first page of src and answers each item's field.
func (c completer) field(ctx context.Context, src idSource, params P) ([]string, error) {
	res, err := list(ctx, c.ctx(), src.path, params, schemas.ListParams{PageSize: completionPage, Filter: src.filter}, nil, src.view, []string{src.field})
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

// repositories are the repositories of the registry at uri, if Qualys
// has it.
func (c completer) repositories(ctx context.Context, uri string) ([]string, error) {
	if strings.TrimSpace(uri) == "" || strings.ContainsAny(uri, "`\n") {
		return nil, nil
	}
	regs, err := c.field(ctx, idSource{path: "/registry", field: "registryUuid", filter: "registryUri:`" + uri + "`", view: registryView}, nil)
	if err != nil || len(regs) == 0 {
		return nil, err
	}
	return c.field(ctx, idSource{path: "/registry/{registryId}/repository", field: "repoName", view: repositoryView}, regParams(regs[0]))
}

// qqlCompletion completes the QQL field being typed at the end of a
// filter: "repo.re" gives "repo.registry", "repo.repository".
func qqlCompletion(tool, typed string) []string {
	i := strings.LastIndexAny(typed, " (")
	head, last := typed[:i+1], typed[i+1:]
	if strings.ContainsAny(last, ":`'\"[") {
		return nil // a value is being typed, not a field
	}
	var out []string
	for _, f := range QQLFields(tool) {
		if strings.HasPrefix(strings.ToLower(f), strings.ToLower(last)) {
			out = append(out, head+f+":")
		}
	}
	return out
}

func completion(values []string) *mcp.Completion {
	c := &mcp.Completion{Values: values, Total: len(values)}
	if len(values) > completionPage {
		c.Values, c.HasMore = values[:completionPage], true
	}
	if c.Values == nil {
		c.Values = []string{}
	}
	return c
}
