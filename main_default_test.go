package main

import (
	"strings"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/toolsets"
)

// With no --toolsets the binary offers the everyday toolsets, and `all`
// still offers every tool.
func TestDefaultToolsets(t *testing.T) {
	all, err := toolsets.All()
	if err != nil {
		t.Fatal(err)
	}
	sets := map[string]bool{}
	for _, s := range strings.Split(toolsets.DefaultToolsets, ",") {
		sets[s] = true
	}
	var want []string
	for _, tl := range all {
		if sets[tl.Toolset] {
			want = append(want, tl.Name)
		}
	}
	if len(want) == 0 || len(want) == len(all) {
		t.Fatalf("the default toolsets %q offer %d of %d tools", toolsets.DefaultToolsets, len(want), len(all))
	}
	listed := func(args ...string) []string {
		r := runBin(t, "", nil, append([]string{"tools"}, args...)...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.errOut)
		}
		var names []string
		for _, l := range strings.Split(strings.TrimSpace(r.out), "\n")[1:] {
			names = append(names, strings.Fields(l)[0])
		}
		return names
	}
	if got := listed(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("with no --toolsets: %v, want %v", got, want)
	}
	if got := listed("--toolsets", "all"); len(got) != len(all) {
		t.Errorf("--toolsets all: %d tools, want %d", len(got), len(all))
	}
}
