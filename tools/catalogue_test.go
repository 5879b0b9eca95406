package tools_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools"
)

// catalogue reads the tool table of ../shared/qualys-cs-api.md (a copy is
// kept in testdata; the test checks the copy is current when shared/ is
// beside the repo).
func catalogue(t *testing.T) map[string][2]string {
	t.Helper()
	raw, err := os.ReadFile("testdata/catalogue.md")
	if err != nil {
		t.Fatal(err)
	}
	if shared, err := os.ReadFile("../../shared/qualys-cs-api.md"); err == nil {
		for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
			if !strings.Contains(string(shared), line) {
				t.Fatalf("testdata/catalogue.md is stale against shared/: %s", line)
			}
		}
	}
	out := map[string][2]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		cells := strings.Split(line, "|")
		tier := strings.Fields(cells[3])[0]
		out[strings.TrimSpace(cells[2])] = [2]string{strings.TrimSpace(cells[1]), tier}
	}
	return out
}

func TestToolsMatchCatalogue(t *testing.T) {
	want := catalogue(t)
	if len(want) != 64 {
		t.Fatalf("catalogue rows: %d", len(want))
	}
	all, err := tools.All()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, tl := range all {
		w, ok := want[tl.Name]
		if !ok {
			t.Errorf("%s is not in the catalogue", tl.Name)
			continue
		}
		if seen[tl.Name] {
			t.Errorf("%s declared twice", tl.Name)
		}
		seen[tl.Name] = true
		if tl.Toolset != w[0] || tl.Tier.String() != w[1] {
			t.Errorf("%s: toolset/tier %s/%s, catalogue says %s/%s", tl.Name, tl.Toolset, tl.Tier, w[0], w[1])
		}
		if (tl.Tier == tools.Destructive) != tl.Guarded() && tl.Name != "get_activation_keys" {
			t.Errorf("%s: destructive tools, and only they, are guarded", tl.Name)
		}
		// all four hints, explicitly
		raw, _ := json.Marshal(tl.MCP())
		var def struct {
			Annotations map[string]any `json:"annotations"`
			InputSchema map[string]any `json:"inputSchema"`
		}
		json.Unmarshal(raw, &def)
		for _, h := range []string{"readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"} {
			if _, ok := def.Annotations[h].(bool); !ok {
				t.Errorf("%s: annotation %s missing", tl.Name, h)
			}
		}
		if def.Annotations["readOnlyHint"] != (tl.Tier == tools.Read) || def.Annotations["destructiveHint"] != (tl.Tier == tools.Destructive) {
			t.Errorf("%s: hints disagree with tier %s", tl.Name, tl.Tier)
		}
		s := string(mustMarshal(def.InputSchema))
		if strings.Contains(s, "$ref") || strings.Contains(s, "$defs") || def.InputSchema["additionalProperties"] != false {
			t.Errorf("%s: schema must be inlined with additionalProperties false: %s", tl.Name, s)
		}
		for _, serverSet := range []string{`"createdBy"`, `"updatedBy"`, `"created"`, `"updated"`} {
			if strings.Contains(s, serverSet) {
				t.Errorf("%s: server-set field %s in the input schema", tl.Name, serverSet)
			}
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("catalogue tool %s is not declared", name)
		}
	}
}

func mustMarshal(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func TestEverySchemaCompiles(t *testing.T) {
	all, err := tools.All()
	if err != nil {
		t.Fatal(err)
	}
	for _, tl := range all {
		if err := tl.CompileSchema(); err != nil {
			t.Errorf("%s: %v", tl.Name, err)
		}
	}
}
