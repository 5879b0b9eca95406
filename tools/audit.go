package tools

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"
)

// newAudit opens the audit log: one JSON line per write or destructive
// call and per guard decision, appended and flushed before the tool
// answers. Secrets in the arguments are masked. With no path it does
// nothing.
func newAudit(path string) (func(t *Tool, c *Ctx, event, outcome, detail string), error) {
	if path == "" {
		return func(*Tool, *Ctx, string, string, string) {}, nil
	}
	file, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("--audit-log: %w", err)
	}
	var mu sync.Mutex
	return func(t *Tool, c *Ctx, event, outcome, detail string) {
		line, _ := json.Marshal(map[string]any{
			"time": time.Now().UTC().Format(time.RFC3339Nano), "tool": t.Name, "tier": t.Tier.String(),
			"event": event, "outcome": outcome, "detail": redact(detail, secretValues(c.Args)), "args": maskArgs(c.Args),
		})
		mu.Lock()
		defer mu.Unlock()
		file.Write(append(line, '\n'))
		file.Sync()
	}, nil
}
