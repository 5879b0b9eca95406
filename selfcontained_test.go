package main

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The project is self-contained: no tracked file, of any type, refers to
// the source material beside the repository (a plain clone has none of
// it); what the tests need of it is the project's own test data
// (sandbox/apicheck/documents, tools/testdata). The needles are built, so
// that this file does not name them.
func TestNothingReadsOutsideTheTree(t *testing.T) {
	up, sep := "..", "/"
	needles := []string{up + sep + "shared", sep + "work" + sep + "shared"}
	files := trackedFiles(t)
	if len(files) < 50 {
		t.Fatalf("only %d files found: the test checks nothing", len(files))
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			if os.IsNotExist(err) {
				continue // deleted in the work tree, not yet committed
			}
			t.Fatal(err)
		}
		for _, n := range needles {
			if i := bytes.Index(raw, []byte(n)); i >= 0 {
				line := 1 + bytes.Count(raw[:i], []byte("\n"))
				t.Errorf("%s:%d refers to %s, which a plain clone does not have: keep what it needs in the project", f, line, n)
			}
		}
	}
}

// trackedFiles lists the files git tracks; outside a git checkout (an
// exported tree), every file of the tree.
func trackedFiles(t *testing.T) []string {
	if out, err := exec.Command("git", "ls-files", "-z").Output(); err == nil && len(out) > 0 {
		return strings.Split(strings.TrimRight(string(out), "\x00"), "\x00")
	}
	var files []string
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
