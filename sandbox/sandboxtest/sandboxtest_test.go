package sandboxtest_test

import (
	"net/http"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox/sandboxtest"
)

// The knobs exist only when the sandbox is told to serve them: --sandbox
// (Control false) answers their paths as any unknown path.
func TestKnobsOnlyWithControl(t *testing.T) {
	for _, on := range []bool{false, true} {
		sb := sandbox.New(sandbox.Options{Control: on})
		base, stop, err := sb.Start()
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		c := sandboxtest.Control{URL: base}
		err = c.Inject("GET", "/sensors", sandbox.Fault{Status: 418})
		if (err == nil) != on {
			t.Fatalf("Control %v: Inject answered %v", on, err)
		}
		if !on {
			if _, err := c.Tokens(); err == nil {
				t.Fatal("the tokens are served without Control")
			}
			continue
		}
		tok := sb.IssueToken()
		if toks, err := c.Tokens(); err != nil || len(toks) != 1 || toks[0] != tok {
			t.Fatalf("Tokens: %v %v", toks, err)
		}
		get := func() int {
			req, _ := http.NewRequest("GET", base+sandbox.Base+"/sensors", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if s := get(); s != 418 {
			t.Fatalf("the injected fault: %d", s)
		}
		if s := get(); s != 200 {
			t.Fatalf("after the fault: %d", s)
		}
		if err := c.Deny("CS.SENSOR.VIEW"); err != nil || get() != 403 {
			t.Fatal("Deny", err)
		}
		if err := c.ExpireTokens(); err != nil || get() != 401 {
			t.Fatal("ExpireTokens", err)
		}
		if n := sb.Total(); n != 4 {
			t.Fatalf("%d API requests counted; the knobs are not API requests", n)
		}
	}
}
