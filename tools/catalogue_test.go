package tools_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/toolsets"
	jsv "github.com/santhosh-tekuri/jsonschema/v6"
)

// catalogue reads the tool table of the product's catalogue, which the
// project keeps as test data (testdata/catalogue.md; testdata/README.md
// names its source).
func catalogue(t *testing.T) map[string][2]string {
	t.Helper()
	raw, err := os.ReadFile("testdata/catalogue.md")
	if err != nil {
		t.Fatal(err)
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
	if len(want) != 64+27 { // the OpenAPI's and the seeds' 64, and the 27 of 2026
		t.Fatalf("catalogue rows: %d", len(want))
	}
	all, err := toolsets.All()
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
		if (tl.Tier == tool.Destructive) != tl.Guarded() && tl.Name != "get_activation_keys" {
			t.Errorf("%s: destructive tools, and only they, are guarded", tl.Name)
		}
		// The hints say only what the spec's defaults do not (and a
		// destructive tool says destructiveHint true explicitly); read as a
		// client does, absent as the default, all four are right.
		raw, _ := json.Marshal(tl.MCP())
		var def struct {
			Annotations map[string]any `json:"annotations"`
			InputSchema map[string]any `json:"inputSchema"`
		}
		json.Unmarshal(raw, &def)
		defaults := map[string]bool{"readOnlyHint": false, "destructiveHint": true, "idempotentHint": false, "openWorldHint": true}
		want := map[string]bool{"readOnlyHint": tl.Tier == tool.Read, "destructiveHint": tl.Tier != tool.Write, "idempotentHint": tl.Tier != tool.Read && tl.Idempotent, "openWorldHint": true}
		if tl.Tier == tool.Read { // the spec: destructive and idempotent mean nothing when read-only
			want["destructiveHint"], want["idempotentHint"] = true, false
		}
		for h, dflt := range defaults {
			got := dflt
			if v, ok := def.Annotations[h]; ok {
				b, isBool := v.(bool)
				if !isBool || b == dflt && !(h == "destructiveHint" && tl.Tier == tool.Destructive) {
					t.Errorf("%s: %s published as %v, which says nothing the default does not", tl.Name, h, v)
				}
				got = b
			}
			if got != want[h] {
				t.Errorf("%s (tier %s): %s is in effect %v, want %v", tl.Name, tl.Tier, h, got, want[h])
			}
		}
		if len(def.Annotations) != map[tool.Tier]int{tool.Read: 1, tool.Write: 1, tool.Destructive: 1}[tl.Tier]+btoi(tl.Tier != tool.Read && tl.Idempotent) {
			t.Errorf("%s: annotations %v", tl.Name, def.Annotations)
		}
		if tl.Tier == tool.Destructive && def.Annotations["destructiveHint"] != true {
			t.Errorf("%s: a destructive tool says destructiveHint true explicitly", tl.Name)
		}
		s := string(mustMarshal(def.InputSchema))
		if strings.Contains(s, "$ref") || strings.Contains(s, "$defs") || def.InputSchema["type"] != "object" {
			t.Errorf("%s: schema must be an inlined object: %s", tl.Name, s)
		}
		if strings.Contains(s, "additionalProperties") || strings.Contains(s, `"pattern":"^[^\\W_]`) {
			t.Errorf("%s: the published schema carries what only the validator needs: %s", tl.Name, s)
		}
		if v := string(validationSchema(t, tl)); !strings.Contains(v, `"additionalProperties":false`) {
			t.Errorf("%s: the validation schema refuses no unknown argument: %s", tl.Name, v)
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

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func mustMarshal(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func TestEverySchemaCompiles(t *testing.T) {
	all, err := toolsets.All()
	if err != nil {
		t.Fatal(err)
	}
	for _, tl := range all {
		doc, err := jsv.UnmarshalJSON(bytes.NewReader(validationSchema(t, tl)))
		if err == nil {
			c := jsv.NewCompiler()
			if err = c.AddResource("mem://"+tl.Name, doc); err == nil {
				_, err = c.Compile("mem://" + tl.Name)
			}
		}
		if err != nil {
			t.Errorf("%s: %v", tl.Name, err)
		}
	}
}
