package tools_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
)

const snapshotDir = "testdata/snapshots"

// snapshot is a tool's definition as tools/list sends it, pretty-printed
// with the name first: name, title (if any), description, annotations,
// inputSchema, then any other field.
func snapshot(t *testing.T, tl tool.Tool) []byte {
	t.Helper()
	raw, err := json.Marshal(tl.MCP())
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	order := []string{"name", "title", "description", "annotations", "inputSchema"}
	var rest []string
	for k := range fields {
		if !slices.Contains(order, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	var b bytes.Buffer
	b.WriteString("{")
	n := 0
	for _, k := range append(order, rest...) {
		v, ok := fields[k]
		if !ok {
			continue
		}
		if n > 0 {
			b.WriteString(",")
		}
		n++
		key, _ := json.Marshal(k)
		b.Write(key)
		b.WriteString(":")
		b.Write(v)
	}
	b.WriteString("}")
	var out bytes.Buffer
	if err := json.Indent(&out, b.Bytes(), "", "  "); err != nil {
		t.Fatal(err)
	}
	out.WriteString("\n")
	return out.Bytes()
}

// TestToolSnapshots compares every tool's definition with its snapshot in
// testdata/snapshots, so that a review sees each change to what the
// assistant reads. UPDATE_SNAPSHOTS=1 go test ./tools -run Snapshot
// rewrites them.
func TestToolSnapshots(t *testing.T) {
	all := allTools(t)
	update := os.Getenv("UPDATE_SNAPSHOTS") != ""
	if update {
		if err := os.MkdirAll(snapshotDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]bool{}
	for _, tl := range all {
		name := tl.Name + ".json"
		want[name] = true
		path := filepath.Join(snapshotDir, name)
		got := snapshot(t, tl)
		old, err := os.ReadFile(path)
		switch {
		case err == nil && bytes.Equal(old, got):
		case update:
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("wrote %s", path)
		case err != nil:
			t.Errorf("%s: no snapshot (%v); run UPDATE_SNAPSHOTS=1 go test ./tools -run Snapshot", tl.Name, err)
		default:
			t.Errorf("%s changed; review the difference and run UPDATE_SNAPSHOTS=1 go test ./tools -run Snapshot\n%s", tl.Name, lineDiff(string(old), string(got)))
		}
	}
	files, _ := filepath.Glob(filepath.Join(snapshotDir, "*.json"))
	for _, f := range files {
		if want[filepath.Base(f)] {
			continue
		}
		if update {
			os.Remove(f)
			t.Logf("removed %s", f)
			continue
		}
		t.Errorf("%s is the snapshot of no tool; run UPDATE_SNAPSHOTS=1 go test ./tools -run Snapshot", f)
	}
}

// lineDiff shows the lines of a that b lacks (-) and of b that a lacks (+),
// in order: enough to see what changed in a snapshot.
func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	// longest common subsequence, small inputs
	lcs := make([][]int, len(al)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(bl)+1)
	}
	for i := len(al) - 1; i >= 0; i-- {
		for j := len(bl) - 1; j >= 0; j-- {
			if al[i] == bl[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out strings.Builder
	i, j := 0, 0
	for i < len(al) || j < len(bl) {
		switch {
		case i < len(al) && j < len(bl) && al[i] == bl[j]:
			i, j = i+1, j+1
		case j < len(bl) && (i == len(al) || lcs[i][j+1] >= lcs[i+1][j]):
			out.WriteString("+ " + bl[j] + "\n")
			j++
		default:
			out.WriteString("- " + al[i] + "\n")
			i++
		}
	}
	return out.String()
}
