package tools_test

import (
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

// A walk of 10,000 images with the cursor tool, as an assistant pages
// through them under the default result budget: every image once, one API
// call per tool call. (A 250-record page is about twice the budget, so
// each is cut and its rest comes from the same query again: 80 calls, the
// least that 60,000-byte answers allow. The figure is in docs/performance.md.)
func TestTenThousandImageWalk(t *testing.T) {
	if testing.Short() {
		t.Skip("a 10,000-image inventory")
	}
	sb := sandbox.New(sandbox.Options{Username: "tester", Password: "canary-pass-7f3a", Scale: 33334}) // images: 3 in 10 containers
	e := NewEnv(t, EnvOptions{Sandbox: sb})
	if n := len(sb.InventoryImages()); n != 10000 {
		t.Fatalf("%d images", n)
	}
	calls := 0
	seen := map[string]bool{}
	for args := map[string]any{"limit": 250}; ; calls++ {
		if calls > 200 {
			t.Fatal("the cursor never ends")
		}
		m := e.OK("list_images_with_details", args)
		for _, it := range Items(m) {
			seen[invStr(it["sha"])] = true
		}
		cur, _ := m["cursor"].(string)
		if cur == "" {
			calls++
			break
		}
		args = map[string]any{"cursor": cur}
	}
	upstream := sb.Count("GET", "/images/list")
	t.Logf("10,000 images: %d tool calls, %d API calls, %d images seen", calls, upstream, len(seen))
	if len(seen) != 10000 {
		t.Errorf("%d distinct images, want 10,000", len(seen))
	}
	if upstream != calls || calls > 80 {
		t.Errorf("%d API calls for %d tool calls; want one each, at most 80", upstream, calls)
	}
}
