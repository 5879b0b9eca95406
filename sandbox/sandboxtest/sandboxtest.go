// Package sandboxtest drives the test knobs of a sandbox started with
// sandbox.Options{Control: true}, over HTTP: injected faults, missing
// permissions, expired tokens, the tokens issued. The shipped binary never
// turns them on.
package sandboxtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

// Control is the knobs of the sandbox at URL (its base URL, as Start
// returns it).
type Control struct{ URL string }

// Inject queues faults for requests whose method matches (or "" for any)
// and whose path (under /csapi/v1.3, or "/auth") starts with prefix; each
// is consumed by the next matching request.
func (c Control) Inject(method, prefix string, faults ...sandbox.Fault) error {
	return c.post("faults", sandbox.FaultRule{Method: method, Prefix: prefix, Faults: faults})
}

// Deny makes the user lack a permission, e.g. "CS.SENSOR.VIEW".
func (c Control) Deny(permission string) error {
	return c.post("deny", map[string]string{"permission": permission})
}

// ExpireTokens makes every issued token expired.
func (c Control) ExpireTokens() error { return c.post("expire-tokens", nil) }

// Tokens is every JWT the sandbox has issued.
func (c Control) Tokens() ([]string, error) {
	resp, err := http.Get(c.URL + sandbox.ControlPath + "tokens")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out []string
	if err := answer(resp, &out); err != nil {
		return nil, err
	}
	return out, nil
}

func (c Control) post(what string, body any) error {
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return err
		}
	}
	resp, err := http.Post(c.URL+sandbox.ControlPath+what, "application/json", bytes.NewReader(b))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return answer(resp, nil)
}

func answer(resp *http.Response, out any) error {
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("sandbox control: %s: %s (is the sandbox started with Options.Control?)", resp.Status, msg)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
