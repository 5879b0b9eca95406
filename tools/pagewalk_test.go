package tools_test

import (
	"strings"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

// pageWalk follows a page-number list as its answers say: nextPage, with
// nextPageSize when given, skipping the nextPageShown items a page repeats.
// It returns how often each record (by sha) was seen, the tool calls and
// the last answer.
func pageWalk(t testing.TB, e *Env, tool string, args map[string]any) (map[string]int, int, map[string]any) {
	t.Helper()
	seen := map[string]int{}
	skip := 0
	for calls := 1; ; calls++ {
		if calls > 2000 {
			t.Fatalf("%s: the pages never end", tool)
		}
		m := e.OK(tool, args)
		items := Items(m)
		if skip > len(items) {
			t.Fatalf("%s(%v): %d items, %d said to be shown already", tool, args, len(items), skip)
		}
		for _, it := range items[skip:] {
			seen[invStr(it["sha"])]++
		}
		skip = invNum(m["nextPageShown"])
		if m["nextPage"] == nil {
			return seen, calls, m
		}
		next := map[string]any{"pageNumber": m["nextPage"]}
		if size := m["nextPageSize"]; size != nil {
			next["pageSize"] = size
		} else if size := args["pageSize"]; size != nil {
			next["pageSize"] = size
		}
		args = next
	}
}

// Walking a page-number list under the default page size and result
// budget reaches every record below the 10,000 cap, each once, before it
// points to the cursor tool (the budget cuts pages, and the page sizes
// that continue them must still reach the cap's last records).
func TestPageWalkReachesTheCap(t *testing.T) {
	if testing.Short() {
		t.Skip("a 10,000-image inventory")
	}
	sb := NewSandbox(t, sandbox.Options{Username: "tester", Password: "canary-pass-7f3a", Scale: 33334}) // images: 3 in 10 containers
	e := NewEnv(t, EnvOptions{Sandbox: sb})
	for _, c := range []struct {
		tool, bulk string
		total      int
	}{
		{"list_images", "list_images_with_details", len(sb.InventoryImages())},
		{"list_containers", "list_containers_with_details", len(sb.InventoryContainers())},
	} {
		seen, calls, last := pageWalk(t, e, c.tool, map[string]any{"pageSize": 1000})
		want := min(c.total, 10000)
		t.Logf("%s: %d of %d records in %d tool calls", c.tool, len(seen), c.total, calls)
		for sha, n := range seen {
			if n != 1 {
				t.Errorf("%s: %s seen %d times", c.tool, sha, n)
			}
		}
		if len(seen) != want {
			t.Errorf("%s: %d distinct records reached, want %d", c.tool, len(seen), want)
		}
		if c.total > 10000 && !strings.Contains(invStr(last["note"]), c.bulk) {
			t.Errorf("%s: the last page does not point to %s: %v", c.tool, c.bulk, last["note"])
		}
	}
}
