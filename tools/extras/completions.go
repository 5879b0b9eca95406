package extras

import (
	"context"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/prompts"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/toolsets"
)

// completer answers completion/complete: a prompt's arguments from their
// declared values or a list call, a resource template's IDs from a list
// call. It only reads.
type completer struct{ env *Env }

func (c completer) ctx() *tool.Ctx { return &tool.Ctx{Client: c.env.Client, Budget: c.env.Budget} }

func (c completer) CompletePromptArgument(ctx context.Context, prompt string, arg mcp.CompleteArgument, cc mcp.CompleteContext) (*mcp.Completion, error) {
	values, from, ok := prompts.Complete(prompt, arg.Name, arg.Value)
	if !ok {
		return &mcp.Completion{}, nil
	}
	switch {
	case from == "registryProfiles":
		names, err := toolsets.RegistryProfileNames(ctx, c.ctx())
		if err != nil {
			return nil, err
		}
		values = prompts.Matching(names, arg.Value, false)
	case from == "repositories":
		repos, err := toolsets.Repositories(ctx, c.ctx(), cc.Arguments["registryUri"])
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
	ids, ok, err := toolsets.IDValues(ctx, c.ctx(), arg.Name)
	if !ok || err != nil {
		return &mcp.Completion{}, err
	}
	return completion(prompts.Matching(ids, arg.Value, false)), nil
}

// qqlCompletion completes the QQL field being typed at the end of a
// filter: "repo.re" gives "repo.registry", "repo.repository".
func qqlCompletion(name, typed string) []string {
	i := strings.LastIndexAny(typed, " (")
	head, last := typed[:i+1], typed[i+1:]
	if strings.ContainsAny(last, ":`'\"[") {
		return nil // a value is being typed, not a field
	}
	var out []string
	for _, f := range toolsets.QQLFields(name) {
		if strings.HasPrefix(strings.ToLower(f), strings.ToLower(last)) {
			out = append(out, head+f+":")
		}
	}
	return out
}

func completion(values []string) *mcp.Completion {
	c := &mcp.Completion{Values: values, Total: len(values)}
	if len(values) > maxCompletions {
		c.Values, c.HasMore = values[:maxCompletions], true
	}
	if c.Values == nil {
		c.Values = []string{}
	}
	return c
}

// maxCompletions is how many values one completion answers (MCP's limit).
const maxCompletions = 100
