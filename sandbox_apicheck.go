//go:build apicheck

package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox/apicheck"
)

// A test build (-tags apicheck): --sandbox judges every request by the
// API's documents the project keeps (package apicheck embeds them), as the
// tests' own sandboxes do. QUALYS_MCP_SANDBOX_OPENAPI, when set, names
// another OpenAPI document to judge by instead (a test edits one to see
// the judging).
func init() {
	sandboxValidator = func() func(*http.Request) error {
		v, err := apicheck.New()
		if doc := os.Getenv("QUALYS_MCP_SANDBOX_OPENAPI"); doc != "" {
			var raw []byte
			if raw, err = os.ReadFile(doc); err == nil {
				v, err = apicheck.NewWith(filepath.Base(doc), raw)
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "the API documents:", err)
			os.Exit(2)
		}
		return v.Validate
	}
}
