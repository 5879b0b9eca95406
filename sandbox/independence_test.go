package sandbox

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The sandbox is the oracle every test checks the server against: it
// speaks the API as its documents do and shares none of the server's idea
// of it (schemas/, tools/, client/).
func TestSandboxSharesNothingWithTheServer(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range file.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, "github.com/qualys-cs-mcp/qualys-cs-mcp/") {
				t.Errorf("%s imports %s", f, path)
			}
		}
	}
}
