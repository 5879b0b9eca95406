package tools_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/toolsets"
)

// What tools/list costs the assistant's context: the bytes of the "tools"
// array of the tools/list answer, brackets and commas included, exactly
// as the server writes it (mcp-go's stdio transport writes
// json.Marshal of the response). Issue 23's goals are the limits; the
// figures are in the log and docs/tools.md.
const (
	avgGoal     = 460   // every tool of the catalogue, on average
	defaultGoal = 24000 // the default --toolsets
	toolGoal    = 1200  // any one tool
	dynamicGoal = 3000  // --dynamic-toolsets before any toolset is enabled

	// catalogueTools is the catalogue's size (64, and 27 of 2026).
	catalogueTools = 91
)

// wireList is the tools array a server with these options answers to
// tools/list, and each tool's bytes in it.
func wireList(t testing.TB, o tools.Options) (array []byte, sizes map[string]int) {
	t.Helper()
	return toolsArray(t, ask(t, o, "tools/list"))
}

// ask is what a server with these options answers to a request without
// parameters.
func ask(t testing.TB, o tools.Options, method string) []byte {
	t.Helper()
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	gw, _ := url.Parse("http://127.0.0.1:1")
	srv, err := tools.NewServer(client.New(client.Config{Gateway: gw, Username: "u", Password: "p"}), o)
	if err != nil {
		t.Fatal(err)
	}
	resp := srv.MCP.HandleMessage(context.Background(), []byte(`{"jsonrpc":"2.0","id":1,"method":"`+method+`"}`))
	raw, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// promptsOffered names the prompts a server with these options offers.
func promptsOffered(t testing.TB, o tools.Options) []string {
	t.Helper()
	var msg struct {
		Result struct {
			Prompts []struct{ Name string } `json:"prompts"`
		} `json:"result"`
	}
	json.Unmarshal(ask(t, o, "prompts/list"), &msg)
	var names []string
	for _, p := range msg.Result.Prompts {
		names = append(names, "`"+p.Name+"`")
	}
	return names
}

// toolsArray reads the tools array of a tools/list answer, byte for byte.
func toolsArray(t testing.TB, answer []byte) (array []byte, sizes map[string]int) {
	t.Helper()
	var msg struct {
		Result struct {
			Tools json.RawMessage `json:"tools"`
		} `json:"result"`
	}
	if err := json.Unmarshal(answer, &msg); err != nil || msg.Result.Tools == nil {
		t.Fatalf("not a tools/list answer (%v): %.300s", err, answer)
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(msg.Result.Tools, &elems); err != nil {
		t.Fatal(err)
	}
	sizes = map[string]int{}
	for _, e := range elems {
		var def struct{ Name string }
		json.Unmarshal(e, &def)
		sizes[def.Name] = len(e)
	}
	return msg.Result.Tools, sizes
}

func allTools(t *testing.T) []tool.Tool {
	t.Helper()
	all, err := toolsets.All()
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// TestToolsListEconomy holds tools/list to issue 15's goals, on the wire:
// all tools, the default toolsets and every tool, with the figures per
// toolset in the log.
func TestToolsListEconomy(t *testing.T) {
	all := allTools(t)
	whole, sizes := wireList(t, tools.Options{Toolsets: []string{"all"}})
	def, _ := wireList(t, tools.Options{Toolsets: strings.Split(toolsets.DefaultToolsets, ",")})
	if len(sizes) != len(all) {
		t.Fatalf("tools/list has %d tools, the catalogue %d", len(sizes), len(all))
	}
	perSet := map[string][2]int{}
	for _, tl := range all {
		s := perSet[tl.Toolset]
		perSet[tl.Toolset] = [2]int{s[0] + 1, s[1] + sizes[tl.Name]}
	}
	for _, set := range toolsets.Sets() {
		s := perSet[set.Name]
		t.Logf("%-16s %2d tools %6d bytes", set.Name, s[0], s[1])
	}
	names := slices.Sorted(maps.Keys(sizes))
	sort.SliceStable(names, func(i, j int) bool { return sizes[names[i]] > sizes[names[j]] })
	for _, n := range names[:min(10, len(names))] {
		t.Logf("  %5d %s", sizes[n], n)
	}
	if len(all) != catalogueTools {
		t.Errorf("%d tools declared, the catalogue has %d", len(all), catalogueTools)
	}
	t.Logf("tools/list: all %d tools %d bytes: %d on average (goal %d); default toolsets %d bytes (goal %d); largest %s at %d (goal %d)",
		len(all), len(whole), len(whole)/len(all), avgGoal, len(def), defaultGoal, names[0], sizes[names[0]], toolGoal)
	dyn, dynSizes := wireList(t, tools.Options{Toolsets: []string{"all"}, DynamicToolsets: true})
	t.Logf("--dynamic-toolsets: first tools/list %d tools %d bytes (goal %d)", len(dynSizes), len(dyn), dynamicGoal)
	if len(dynSizes) != 3 || len(dyn) > dynamicGoal {
		t.Errorf("--dynamic-toolsets: the first tools/list has %d tools in %d bytes, want 3 in at most %d", len(dynSizes), len(dyn), dynamicGoal)
	}
	if len(whole) > avgGoal*len(all) {
		t.Errorf("tools/list of all %d tools is %d bytes, over %d on average", len(all), len(whole), avgGoal)
	}
	if len(def) > defaultGoal {
		t.Errorf("tools/list of the default toolsets is %d bytes, over %d", len(def), defaultGoal)
	}
	for _, n := range names {
		if sizes[n] > toolGoal {
			t.Errorf("%s: %d bytes in tools/list, over %d", n, sizes[n], toolGoal)
		}
	}
}

const (
	setsStart = "<!-- toolsets:start (generated by TestREADMEToolsets; UPDATE_README=1 go test ./tools -run README) -->"
	setsEnd   = "<!-- toolsets:end -->"
)

// toolsetTable renders the toolsets of docs/tools.md: what each costs in
// tools/list, and which the default --toolsets offers.
func toolsetTable(t *testing.T, all []tool.Tool) string {
	whole, sizes := wireList(t, tools.Options{Toolsets: []string{"all"}})
	def, defSizes := wireList(t, tools.Options{Toolsets: strings.Split(toolsets.DefaultToolsets, ",")})
	inDefault := map[string]bool{}
	for _, s := range strings.Split(toolsets.DefaultToolsets, ",") {
		inDefault[s] = true
	}
	var rest []string
	var rows strings.Builder
	for _, set := range toolsets.Sets() {
		n, bytes := 0, 0
		for _, tl := range all {
			if tl.Toolset == set.Name {
				n++
				bytes += sizes[tl.Name]
			}
		}
		mark := "yes"
		if !inDefault[set.Name] { // what the default would cost with it: the measure of the choice
			with, _ := wireList(t, tools.Options{Toolsets: append(strings.Split(toolsets.DefaultToolsets, ","), set.Name)})
			mark = "no: with it " + thousands(len(with))
			rest = append(rest, set.Name)
		}
		fmt.Fprintf(&rows, "| `%s` | %s | %d | %s | %s |\n", set.Name, set.About, n, thousands(bytes), mark)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "The default `--toolsets` is `%s`: %d tools, %s bytes of tools/list, with the prompts %s. ", toolsets.DefaultToolsets, len(defSizes), thousands(len(def)),
		strings.Join(promptsOffered(t, tools.Options{Toolsets: strings.Split(toolsets.DefaultToolsets, ",")}), ", "))
	fmt.Fprintf(&b, "`--toolsets all` adds %s: %d tools, %s bytes. ", andList(rest), len(all), thousands(len(whole)))
	dyn, _ := wireList(t, tools.Options{Toolsets: []string{"all"}, DynamicToolsets: true})
	fmt.Fprintf(&b, "With `--dynamic-toolsets`, the first tools/list is %s bytes. ", thousands(len(dyn)))
	b.WriteString("(Bytes of the answer's tools array as the server sends it; a toolset's figure is the sum of its tools' definitions.)\n\n")
	b.WriteString("| toolset | covers | tools | tools/list bytes | default |\n|---|---|---|---|---|\n")
	b.WriteString(rows.String())
	return b.String()
}

// TestREADMEToolsets checks the toolsets of docs/tools.md and their sizes,
// including the default set's.
func TestREADMEToolsets(t *testing.T) {
	readmeBlock(t, "../docs/tools.md", "toolsets", setsStart, setsEnd, toolsetTable(t, allTools(t)))
}

// andList is "a, b and c".
func andList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// What tools/list leaves out because every tool shares it is said once, in
// the instructions the client gets at initialize.
func TestInstructionsCarrySharedKnowledge(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	got := e.S.InitializeResult().Instructions
	if got != tools.Instructions {
		t.Fatalf("the server's instructions are not tools.Instructions: %q", got)
	}
	for _, want := range []string{"QQL", "now-7d", "sort", "pageNumber", "pageSize (1-1000, default 50)", "10,000", "cursor", "limit (1-250", "fields", "*", "HH:MM in UTC", "confirmation_token", "only if they agree"} {
		if !strings.Contains(got, want) {
			t.Errorf("the instructions do not say %q", want)
		}
	}
	if len(got) > 2000 {
		t.Errorf("the instructions are %d bytes: they are for what every tool shares, not a manual", len(got))
	}
}
