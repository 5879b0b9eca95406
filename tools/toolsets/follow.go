package toolsets

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/schemas"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/shape"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
)

// Work that outlives a call (a report generated, a registry scan, a
// deletion job) is followed by polling Qualys: create_report with wait,
// and the tools a client runs as an MCP task (tool.TaskOption), which
// follow it to its end. Each poll is a progress message (a task's status
// message); a cancel (tasks/cancel, notifications/cancelled) or the
// task's ttl ends the polling at once.

// How a wait polls: the first poll at once, then after pollFirst, each
// interval half again as long, at most pollMax.
const (
	pollFirst = 500 * time.Millisecond
	pollMax   = 10 * time.Second
)

// follow calls poll until it reports done, maxWait has passed (0: no
// limit but ctx's), or ctx ends (its error).
func follow(ctx context.Context, maxWait time.Duration, poll func() (done bool, err error)) error {
	deadline := time.Now().Add(maxWait)
	interval := pollFirst
	for {
		if done, err := poll(); done || err != nil {
			return err
		}
		wait := interval
		if maxWait > 0 {
			if wait = min(wait, time.Until(deadline)); wait <= 0 {
				return nil
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		interval = min(interval*3/2, pollMax)
	}
}

var plainWord = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// word shows a value Qualys answered (an ID, a status) in a progress
// message: as it is when it is a plain word, as Qualys' IDs and statuses
// are, else quoted and escaped.
func word(s string) string {
	if plainWord.MatchString(s) {
		return s
	}
	return shape.Quote(s)
}

// anyOf is the QQL that matches any of ids in field.
func anyOf(field string, ids []string) string {
	terms := make([]string, len(ids))
	for i, id := range ids {
		terms[i] = field + ":`" + id + "`"
	}
	return strings.Join(terms, " or ")
}

// stillListed answers which of ids a list endpoint still lists, asking
// 25 at a time by field (the QQL field, and the item's key, of the ID).
func stillListed(ctx context.Context, c *tool.Ctx, path, field string, ids []string) ([]string, error) {
	var left []string
	for start := 0; start < len(ids); start += 25 {
		res, err := list(ctx, c, path, nil, schemas.ListParams{Filter: anyOf(field, ids[start:min(start+25, len(ids))]), PageSize: 1000}, nil, shape.View{Default: []string{field}}, nil)
		if err != nil {
			return nil, err
		}
		for _, it := range res.Items {
			if id := str(it[field]); slices.Contains(ids, id) {
				left = append(left, id)
			}
		}
	}
	return left, nil
}

// followDeletion follows a bulk deletion Qualys accepted (out, its
// answer: a deletionJobId) when the call runs as a task: until none of
// ids (what) is listed any more (left says which still are), or the
// task is cancelled or runs out. Qualys documents no status of the job:
// the targets themselves say when it is done. It answers out with the
// IDs gone and those remaining; the DELETE was sent once, task or not.
func followDeletion(ctx context.Context, out any, what string, ids []string, left func() ([]string, error)) (any, error) {
	m, ok := out.(map[string]any)
	if !ok || !tool.InTask(ctx) || len(ids) == 0 {
		return out, nil
	}
	job := cmp.Or(str(m["deletionJobId"]), "(no ID answered)")
	var remaining []string
	err := follow(ctx, 0, func() (bool, error) {
		var err error
		if remaining, err = left(); err != nil {
			return false, err
		}
		tool.Progress(ctx, len(remaining) == 0, "deletion job %s: %d of %d %s(s) gone", word(job), len(ids)-len(remaining), len(ids), what)
		return len(remaining) == 0, nil
	})
	if err != nil && remaining == nil {
		remaining = ids
	}
	m["gone"] = slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return slices.Contains(remaining, id) })
	if len(remaining) > 0 {
		m["remaining"] = remaining
		m["note"] = fmt.Sprintf("Qualys accepted the deletion, but these %s(s) were still listed when following it stopped (%v); look them up again later.", what, err)
	}
	return m, nil
}
