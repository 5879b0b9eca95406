package tools_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/redis/go-redis/v9"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/internal/realparts"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

// Three replicas behind a round-robin balancer share one state on a real
// redis-server: they throttle as one, log in once, know the passkey
// enrolled once in the store, use each confirmation once, refuse
// destructive calls while Redis is down (reads go on), and recover by
// themselves when it returns.
func TestRedisReplicas(t *testing.T) {
	rdb := realparts.StartRedis(t)
	sb := sandbox.New(sandbox.Options{Username: "tester", Password: "canary-pass-7f3a"})
	gw := newCountingGateway(t, sb)
	limits := map[string]int{"bulk-list": 6, "inventory": 10}
	rs := startReplicas(t, 3, gw.URL,
		[]string{"--stateless", "--state", rdb.URL(), "--rate-limits", "bulk-list=6,inventory=10", "--confirm-fallback", "token"},
		[]string{"QUALYS_MCP_STATE_KEY=e2e-shared-key"})
	if logs := rs.Logs(); strings.Count(logs, "state store") < 3 || !strings.Contains(logs, "store=\"redis redis://127.0.0.1:") {
		t.Fatalf("the start-up log does not say which store is used: %s", logs)
	}
	direct := rs.Dial(t, EnvOptions{Sandbox: sb, Protocol: "2025-11-25"}) // one session per replica, no elicitation
	// alice's passkey, enrolled once, sealed in the shared store
	user := enrol(t, "alice", []string{"QUALYS_MCP_STATE_KEY=e2e-shared-key"}, "--state", rdb.URL())

	t.Run("throttle shared under a read load", func(t *testing.T) {
		lb := Dial(t, rs.LB, EnvOptions{Sandbox: sb, Protocol: "2025-11-25"})
		sha := sb.InventoryImages()[0].Sha
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		var answered atomic.Int32
		for w := 0; w < 6; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					call := &mcp.CallToolParams{Name: "list_images_with_details", Arguments: map[string]any{"limit": 5}}
					if w%2 == 1 {
						call = &mcp.CallToolParams{Name: "get_image", Arguments: map[string]any{"imageSha": sha}}
					}
					if res, err := lb.S.CallTool(ctx, call); err == nil && !res.IsError {
						answered.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		for class, limit := range limits {
			most, total := gw.MostInWindow(class, client.Window)
			t.Logf("%s: %d requests reached the gateway, at most %d in a 60 s window (limit %d)", class, total, most, limit)
			if most > limit {
				t.Errorf("%s: %d requests in one 60 s window, over the limit %d: the replicas did not share the budget", class, most, limit)
			}
			if most < limit {
				t.Errorf("%s: only %d of the %d allowed went through under load", class, most, limit)
			}
		}
		if int(answered.Load()) != limits["bulk-list"]+limits["inventory"] {
			t.Errorf("%d calls answered, want one per request the budgets allow", answered.Load())
		}
	})

	t.Run("one login for the three replicas", func(t *testing.T) {
		for _, e := range direct {
			e.OK("list_sensor_profiles", map[string]any{})
		}
		if n := gw.Auths(); n != 1 {
			t.Fatalf("/auth called %d times for three replicas, want 1", n)
		}
	})

	t.Run("a confirmation token is used once across replicas", func(t *testing.T) {
		args := map[string]any{"sensorProfileId": north}
		tok := tokenFlow(t, direct[0], "delete_sensor_profile", args)
		direct[1].OK("delete_sensor_profile", with(args, "confirmation_token", tok))
		refusedOnEveryReplica(t, direct, &mcp.CallToolParams{Name: "delete_sensor_profile", Arguments: with(args, "confirmation_token", tok)}, "already used")
	})

	t.Run("an elicitation state is used once across replicas", func(t *testing.T) {
		wire := &syncBuffer{}
		lb := Dial(t, rs.LB, EnvOptions{Sandbox: sb, Elicit: Accept, Wire: wire}) // the newest protocol: a multi round trip
		args := map[string]any{"sensorProfileId": sandbox.GeneralProfileID}
		lb.OK("delete_sensor_profile", args)
		if len(lb.Elicited) != 1 {
			t.Fatalf("asked %d times", len(lb.Elicited))
		}
		m := regexp.MustCompile(`"requestState":"([^"]+)"`).FindStringSubmatch(wire.String())
		if m == nil {
			t.Fatalf("no request state on the wire: %s", wire.String())
		}
		newest := rs.Dial(t, EnvOptions{Sandbox: sb})
		refusedOnEveryReplica(t, newest, &mcp.CallToolParams{Name: "delete_sensor_profile", Arguments: args, RequestState: m[1],
			InputResponses: mcp.InputResponseMap{"confirm": &mcp.ElicitResult{Action: "accept", Content: map[string]any{"confirm": true}}}}, "already used")
	})

	t.Run("a page approval is decided and used once across replicas", func(t *testing.T) {
		wire := &syncBuffer{}
		var pages []string
		lb := Dial(t, rs.LB, EnvOptions{Sandbox: sb, Wire: wire, Client: func(o *mcp.ClientOptions) {
			o.Capabilities = &mcp.ClientCapabilities{Elicitation: &mcp.ElicitationCapabilities{URL: &mcp.URLElicitationCapabilities{}}}
			o.ElicitationHandler = func(_ context.Context, req *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
				// the user confirms on another replica's copy of the page
				other := otherReplica(t, rs, req.Params.URL)
				user.confirm(t, other)
				pages = append(pages, req.Params.URL, other)
				return &mcp.ElicitResult{Action: "accept"}, nil
			}
		}})
		args := map[string]any{"registryId": sandbox.AzureRegistryID}
		deletes := sb.Count("DELETE", "")
		lb.OK("delete_registry", args)
		if len(pages) != 2 || sb.Count("DELETE", "") != deletes+1 {
			t.Fatalf("confirmed on a page, not deleted once: pages %v, deletes %d", pages, sb.Count("DELETE", "")-deletes)
		}
		for _, page := range append(pages, otherReplica(t, rs, pages[1])) { // the decision is taken once, wherever
			if _, _, csrf := getPage(t, page); csrf != "" {
				t.Fatalf("%s still offers its form after the decision", page)
			}
		}
		m := regexp.MustCompile(`"requestState":"([^"]+)"`).FindStringSubmatch(wire.String())
		if m == nil {
			t.Fatalf("no request state on the wire")
		}
		newest := rs.Dial(t, EnvOptions{Sandbox: sb})
		refusedOnEveryReplica(t, newest, &mcp.CallToolParams{Name: "delete_registry", Arguments: args, RequestState: m[1],
			InputResponses: mcp.InputResponseMap{"confirm": &mcp.ElicitResult{Action: "accept"}}}, "already used")
		if sb.Count("DELETE", "") != deletes+1 {
			t.Fatal("a replayed page approval deleted again")
		}
	})

	t.Run("a page confirmed on replica A runs once on replica B", func(t *testing.T) {
		// two more replicas of the same store, under the default flags
		audit := filepath.Join(t.TempDir(), "audit.jsonl") // both append to it
		paged := startReplicas(t, 2, gw.URL, []string{"--stateless", "--state", rdb.URL(), "--audit-log", audit}, []string{"QUALYS_MCP_STATE_KEY=e2e-shared-key"})
		direct := paged.Dial(t, EnvOptions{Sandbox: sb, Protocol: "2025-11-25"})
		args := map[string]any{"sensorProfileId": sandbox.SampleProfileID}
		deletes := sb.Count("DELETE", "")
		link := pageLink(t, direct[0].OK("delete_sensor_profile", args))
		if !strings.HasPrefix(link, strings.Replace(strings.TrimSuffix(paged.Endpoints[0], "/mcp"), "127.0.0.1", "localhost", 1)+"/confirm/") {
			t.Fatalf("replica A's link is not on its own listener: %s", link)
		}
		user.confirm(t, link)
		if sb.Count("DELETE", "") != deletes {
			t.Fatal("the page itself deleted")
		}
		if res := direct[1].OK("delete_sensor_profile", args); res["deleted"] != true || sb.Count("DELETE", "/sensorProfile/"+sandbox.SampleProfileID) != 1 {
			t.Fatalf("replica B: %v", res)
		}
		for _, e := range direct {
			if res := e.Call("delete_sensor_profile", args); !res.IsError && mustObject(Text(res))["deleted"] == true {
				t.Fatalf("deleted again: %s", Text(res))
			}
		}
		if n := sb.Count("DELETE", "") - deletes; n != 1 {
			t.Fatalf("%d deletes, want 1", n)
		}
		if lines, _ := os.ReadFile(audit); strings.Count(string(lines), `"detail":"human/passkey:alice"`) != 1 {
			t.Fatalf("the confirmation was taken more than once (or never): %s", lines)
		}
	})

	t.Run("an approval key is claimed once across replicas", func(t *testing.T) {
		// the page approvals of the guard use the same Store.Claim: one
		// client per replica, all at once, exactly one wins
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < 3; i++ {
			opts, _ := redis.ParseURL(rdb.URL())
			s := state.NewRedis(opts)
			defer s.Close()
			wg.Add(1)
			go func() {
				defer wg.Done()
				if ok, err := s.Claim(context.Background(), "approval-used:e2e-page", time.Minute); ok && err == nil {
					wins.Add(1)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d replicas claimed one approval, want 1", wins.Load())
		}
	})

	t.Run("redis down: destructive calls refused, reads go on; back: calls succeed", func(t *testing.T) {
		dockerReg := map[string]any{"registryId": sandbox.DockerRegistryID}
		before := sb.Count("DELETE", "")
		rdb.Stop()
		for _, e := range direct {
			e.OK("list_sensor_profiles", map[string]any{}) // reads: the local throttle
		}
		if !strings.Contains(rs.Logs(), "shared state store unavailable: rate limits counted on this replica alone") {
			t.Fatalf("no warning about the local throttle: %s", rs.Logs())
		}
		tok := tokenFlow(t, direct[0], "delete_registry", dockerReg)
		txt := direct[1].Fail("delete_registry", with(dockerReg, "confirmation_token", tok))
		if !strings.Contains(txt, "nothing was changed") || !strings.Contains(txt, "state store is unavailable") || !strings.Contains(txt, "still unused") {
			t.Fatalf("refusal does not say why: %s", txt)
		}
		lb := Dial(t, rs.LB, EnvOptions{Sandbox: sb, Elicit: Accept})
		if txt := lb.Fail("delete_registry", dockerReg); !strings.Contains(txt, "state store is unavailable") {
			t.Fatalf("an elicitation with redis down: %s", txt)
		}
		paged := Dial(t, rs.LB, EnvOptions{Sandbox: sb, Client: func(o *mcp.ClientOptions) {
			o.Capabilities = &mcp.ClientCapabilities{Elicitation: &mcp.ElicitationCapabilities{URL: &mcp.URLElicitationCapabilities{}}}
			o.ElicitationHandler = func(context.Context, *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
				t.Error("a confirmation page was offered with redis down")
				return &mcp.ElicitResult{Action: "cancel"}, nil
			}
		}})
		if txt := paged.Fail("delete_registry", dockerReg); !strings.Contains(txt, "state store is unavailable") {
			t.Fatalf("a page confirmation with redis down: %s", txt)
		}
		if n := sb.Count("DELETE", "") - before; n != 0 {
			t.Fatalf("%d deletions reached the gateway with redis down", n)
		}
		direct[2].OK("get_registry", dockerReg)

		rdb.Start() // the same port, empty: no restart of the replicas
		direct[2].OK("delete_registry", with(dockerReg, "confirmation_token", tok))
		if direct[0].Call("get_registry", dockerReg).IsError == false {
			t.Fatal("the registry is still there")
		}
		refusedOnEveryReplica(t, direct, &mcp.CallToolParams{Name: "delete_registry", Arguments: with(dockerReg, "confirmation_token", tok)}, "already used")
		if n := gw.Auths(); n != 1 {
			t.Fatalf("/auth called %d times, want 1", n)
		}
	})
}
