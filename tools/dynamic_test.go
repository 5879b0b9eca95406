package tools_test

import (
	"context"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/prompts"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/toolsets"
)

// dynamicEnv starts the server with --dynamic-toolsets and a client that
// reports notifications/tools/list_changed on changed.
func dynamicEnv(t *testing.T, o EnvOptions) (*Env, chan struct{}) {
	t.Helper()
	changed := make(chan struct{}, 8)
	o.Flags = append([]string{"--dynamic-toolsets"}, o.Flags...)
	o.Client = func(opts *mcp.ClientOptions) {
		opts.ToolListChangedHandler = func(context.Context, *mcp.ToolListChangedRequest) { changed <- struct{}{} }
	}
	return NewEnv(t, o), changed
}

// listed is the tools the server lists, sorted.
func listed(t *testing.T, e *Env) []string { return slices.Sorted(maps.Keys(toolNames(t, e))) }

func waitChanged(t *testing.T, changed chan struct{}) {
	t.Helper()
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("no notifications/tools/list_changed after enable_toolset")
	}
}

// Toolsets on demand, over stdio and HTTP, with the 2025-11-25 protocol
// and the newest: three tools at first, in under dynamicGoal bytes; a
// toolset enabled arrives with list_changed and its tools work, a guarded
// one still guarded; what is not enabled is not callable.
func TestDynamicToolsets(t *testing.T) {
	for _, http := range []bool{false, true} {
		for _, proto := range []string{"2025-11-25", ""} {
			t.Run(map[bool]string{false: "stdio", true: "http"}[http]+"/"+proto, func(t *testing.T) {
				wire := &syncBuffer{}
				e, changed := dynamicEnv(t, EnvOptions{HTTP: http, Protocol: proto, Wire: wire, Flags: tokenFlags})
				if got := listed(t, e); !slices.Equal(got, []string{"enable_toolset", "get_toolset_tools", "list_toolsets"}) {
					t.Fatalf("first tools/list: %v", got)
				}
				var first []byte
				for _, line := range strings.Split(wire.String(), "\n") {
					if strings.HasPrefix(line, "read: ") && strings.Contains(line, `"tools":[`) {
						first, _ = toolsArray(t, []byte(strings.TrimPrefix(line, "read: ")))
						break
					}
				}
				if len(first) == 0 || len(first) > dynamicGoal {
					t.Fatalf("first tools/list: %d bytes on the wire, goal %d", len(first), dynamicGoal)
				}
				t.Logf("first tools/list: %d bytes", len(first))
				if ps, err := e.S.ListPrompts(t.Context(), nil); err != nil || len(ps.Prompts) != len(prompts.Names()) {
					t.Fatalf("prompts: %v %v; their tools are offered, to be enabled", ps, err)
				}
				if !e.Refused("list_sensor_profiles", nil) {
					t.Fatal("a tool of a toolset not enabled was called")
				}
				sets := e.OK("list_toolsets", nil)
				if n := len(sets["toolsets"].([]any)); n != len(toolsets.Sets()) {
					t.Fatalf("list_toolsets: %d toolsets: %v", n, sets)
				}
				desc := e.OK("get_toolset_tools", map[string]any{"toolset": "sensor_profiles"})
				if len(desc["tools"].([]any)) != 11 || desc["enabled"] != false {
					t.Fatalf("get_toolset_tools: %v", desc)
				}
				if msg := e.Fail("enable_toolset", map[string]any{"toolset": "nope"}); !strings.Contains(msg, `"toolset"`) || !strings.Contains(msg, "sensor_profiles") {
					t.Fatalf("unknown toolset: %s", msg)
				}

				if http && proto == "" { // sessionless: nothing to enable a toolset in, and it says so
					if msg := e.Fail("enable_toolset", map[string]any{"toolset": "sensor_profiles"}); !strings.Contains(msg, "no session") || !strings.Contains(msg, "--toolsets") {
						t.Fatalf("sessionless enable_toolset: %s", msg)
					}
					return
				}
				got := e.OK("enable_toolset", map[string]any{"toolset": "sensor_profiles"})
				if len(got["added"].([]any)) != 11 {
					t.Fatalf("enable_toolset: %v", got)
				}
				waitChanged(t, changed)
				names := listed(t, e)
				if len(names) != 14 || !slices.Contains(names, "delete_sensor_profile") || slices.Contains(names, "list_images") {
					t.Fatalf("after enabling sensor_profiles: %v", names)
				}
				if n := len(Items(e.OK("list_sensor_profiles", nil))); n != 5 { // the seeds: the v1.21 notes' three and the v1.17 samples' two
					t.Fatalf("list_sensor_profiles: %d items", n)
				}
				// guarded as ever: no elicitation, so a preview and a token, and nothing deleted
				tok := tokenFlow(t, e, "delete_sensor_profile", map[string]any{"sensorProfileId": north})
				if !profileExists(e, north) || e.SB.Count("DELETE", "") != 0 {
					t.Fatal("an enabled destructive tool ran without confirmation")
				}
				e.OK("delete_sensor_profile", map[string]any{"sensorProfileId": north, "confirmation_token": tok})
				if profileExists(e, north) {
					t.Fatal("the confirmed delete did not happen")
				}
				if again := e.OK("enable_toolset", map[string]any{"toolset": "sensor_profiles"}); len(again["added"].([]any)) != 0 {
					t.Fatalf("enabled twice: %v", again)
				}
				if sets := e.OK("list_toolsets", nil)["toolsets"].([]any); sets[0].(map[string]any)["enabled"] != true {
					t.Fatalf("list_toolsets after enabling: %v", sets)
				}
			})
		}
	}
}

// Over HTTP each session enables its own toolsets; --read-only and --tools
// choose what a toolset brings.
func TestDynamicToolsetsPerSessionAndFiltered(t *testing.T) {
	e, changed := dynamicEnv(t, EnvOptions{HTTP: true, Protocol: "2025-11-25", Flags: []string{"--read-only"}})
	e.OK("enable_toolset", map[string]any{"toolset": "sensors"})
	waitChanged(t, changed)
	if got := listed(t, e); !slices.Equal(got, []string{"enable_toolset", "get_activation_keys", "get_sensor", "get_toolset_tools", "list_sensors", "list_toolsets"}) {
		t.Fatalf("--read-only, sensors enabled: %v", got)
	}
	other, err := mcp.NewClient(&mcp.Implementation{Name: "other", Version: "1"}, nil).Connect(t.Context(), &mcp.StreamableClientTransport{Endpoint: e.Endpoint, MaxRetries: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	res, err := other.ListTools(t.Context(), nil)
	if err != nil || len(res.Tools) != 3 {
		t.Fatalf("another session sees %d tools (%v)", len(res.Tools), err)
	}
	if r, err := other.CallTool(t.Context(), &mcp.CallToolParams{Name: "list_sensors"}); err == nil && !r.IsError {
		t.Fatal("another session called a tool it did not enable")
	}
	if !e.Refused("delete_sensors", map[string]any{"sensorIds": []string{"x"}}) {
		t.Fatal("--read-only: a destructive tool was enabled")
	}

	f, changed := dynamicEnv(t, EnvOptions{Flags: []string{"--tools", "list_images,get_image"}})
	sets := f.OK("list_toolsets", nil)["toolsets"].([]any)
	if len(sets) != 1 || sets[0].(map[string]any)["name"] != "images" {
		t.Fatalf("--tools list_images,get_image: toolsets %v", sets)
	}
	f.OK("enable_toolset", map[string]any{"toolset": "images"})
	waitChanged(t, changed)
	if got := listed(t, f); len(got) != 5 || !slices.Contains(got, "get_image") {
		t.Fatalf("--tools: %v", got)
	}
}

// Stateless HTTP has no session to keep enabled toolsets in: the server
// refuses to start, and says why.
func TestDynamicToolsetsRefuseStateless(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, "--sandbox", "--http", "127.0.0.1:0", "--stateless", "--dynamic-toolsets").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--dynamic-toolsets needs a session") || !strings.Contains(string(out), "--stateless") {
		t.Fatalf("want a refusal, got %v: %s", err, out)
	}
}
