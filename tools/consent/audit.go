package consent

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	json "github.com/segmentio/encoding/json"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/secret"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/shape"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
)

// auditDetail is how much of a detail (an error message) a line keeps.
const auditDetail = 1000

// newAudit opens the audit log: one JSON line per write or destructive
// call and per guard decision, appended and flushed before the tool
// answers. Each line names the call's target (the IDs among its
// arguments, and those a create answered) and says what was sent and how
// Qualys answered. Secrets in the arguments are masked, and the whole line
// is redacted last. With no path it does nothing.
// auditFunc writes one audit line.
type auditFunc = func(t *tool.Tool, c *tool.Ctx, event, outcome, detail string)

func newAudit(path string, secrets *secret.Registry) (auditFunc, error) {
	if path == "" {
		return func(*tool.Tool, *tool.Ctx, string, string, string) {}, nil
	}
	file, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("--audit-log: %w", err)
	}
	var mu sync.Mutex
	return func(t *tool.Tool, c *tool.Ctx, event, outcome, detail string) {
		own := shape.SecretValues(c.Args)
		entry := map[string]any{
			"time": time.Now().UTC().Format(time.RFC3339Nano), "tool": t.Name, "tier": t.Tier.String(),
			"event": event, "outcome": outcome, "detail": secrets.Cut(detail, auditDetail, own...), "args": shape.MaskArgs(c.Args),
		}
		if target := targetIDs(c.Args, c.Answer); len(target) > 0 {
			entry["target"] = target
		}
		line, _ := json.Marshal(entry)
		line = []byte(secrets.Redact(string(line), own...))
		mu.Lock()
		defer mu.Unlock()
		file.Write(append(line, '\n'))
		file.Sync()
	}, nil
}

// targetIDs are the identifiers a call acts on: the ID arguments
// (sensorProfileId, registryUuid, reportUuids, ...) and, for a create, the
// IDs its answer names; a create that failed has none, and is named by its
// name arguments instead.
func targetIDs(args map[string]any, answer any) map[string]any {
	out := map[string]any{}
	for k, v := range args {
		if isIDName(k) {
			out[k] = v
		}
	}
	if m, ok := answer.(map[string]any); ok {
		for k, v := range m {
			switch v.(type) {
			case string, float64, json.Number:
				if _, given := out[k]; !given && isIDName(k) {
					out[k] = v
				}
			}
		}
	}
	if len(out) == 0 {
		for k, v := range args {
			if k == "name" || strings.HasSuffix(k, "Name") {
				out[k] = v
			}
		}
	}
	return out
}

// isIDName reports whether an argument or answer field names resources
// by identifier (not the cloud accounts and projects a connector uses).
func isIDName(name string) bool {
	switch name {
	case "accountId", "applicationId", "externalId", "projectId":
		return false
	case "arn", "sha":
		return true
	}
	for _, suffix := range []string{"Id", "Ids", "Uuid", "Uuids", "UuId", "Sha", "Shas"} {
		if strings.HasSuffix(name, suffix) {
			return true
		}
	}
	return false
}
