//go:build apicheck

package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox/apicheck"
)

// A test build (-tags apicheck): with QUALYS_MCP_SANDBOX_OPENAPI set to
// the OpenAPI document (seeds/ beside its folder), --sandbox judges every
// request by the API's documents, as the tests' own sandboxes do.
func init() {
	sandboxValidator = func() func(*http.Request) error {
		doc := os.Getenv("QUALYS_MCP_SANDBOX_OPENAPI")
		if doc == "" {
			return nil
		}
		v, err := apicheck.New(doc, filepath.Join(filepath.Dir(filepath.Dir(doc)), "seeds"))
		if err != nil {
			fmt.Fprintln(os.Stderr, "QUALYS_MCP_SANDBOX_OPENAPI:", err)
			os.Exit(2)
		}
		return v.Validate
	}
}
