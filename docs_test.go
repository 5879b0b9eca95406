package main

// The README fits a screen's worth of reading, and every relative link in
// it and in docs/ leads somewhere; the client configurations it shows
// parse and name only flags and variables the binary has.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

const readmeBudget = 20000 // bytes

func TestREADMEFitsItsBudget(t *testing.T) {
	fi, err := os.Stat("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > readmeBudget {
		t.Errorf("README.md is %d bytes, over %d: move the detail to a page of docs/ and link it", fi.Size(), readmeBudget)
	}
}

var (
	fences   = regexp.MustCompile("(?s)```.*?```")
	spans    = regexp.MustCompile("`[^`\n]*`")
	links    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	headings = regexp.MustCompile(`(?m)^#{1,6} +(.+?) *$`)
)

// anchors are the ids GitHub gives a Markdown file's headings: lower case,
// punctuation dropped, spaces as hyphens, repeats numbered.
func anchors(text string) map[string]bool {
	ids := map[string]bool{}
	seen := map[string]int{}
	for _, m := range headings.FindAllStringSubmatch(fences.ReplaceAllString(text, ""), -1) {
		var b strings.Builder
		for _, r := range strings.ToLower(strings.ReplaceAll(m[1], "`", "")) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				b.WriteRune(r)
			}
		}
		id := b.String()
		if n := seen[id]; n > 0 {
			id = fmt.Sprintf("%s-%d", id, n)
		}
		seen[b.String()]++
		ids[id] = true
	}
	return ids
}

func TestDocLinksResolve(t *testing.T) {
	n := 0
	for _, file := range docFiles(t) {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		text := spans.ReplaceAllString(fences.ReplaceAllString(string(raw), ""), "")
		for _, m := range links.FindAllStringSubmatch(text, -1) {
			target := m[1]
			if regexp.MustCompile(`^[a-z]+:`).MatchString(target) {
				continue // a URL
			}
			n++
			path, anchor, _ := strings.Cut(target, "#")
			dest := file
			if path != "" {
				dest = filepath.Join(filepath.Dir(file), path)
				if _, err := os.Stat(dest); err != nil {
					t.Errorf("%s: the link %s leads nowhere: %v", file, target, err)
					continue
				}
			}
			if anchor == "" {
				continue
			}
			b, err := os.ReadFile(dest)
			if err != nil || !strings.HasSuffix(dest, ".md") {
				t.Errorf("%s: the link %s has an anchor in a file that is not Markdown", file, target)
				continue
			}
			if !anchors(string(b))[anchor] {
				t.Errorf("%s: the link %s names no heading of %s", file, target, dest)
			}
		}
	}
	if n < 30 {
		t.Errorf("only %d relative links found: the test checks nothing", n)
	}
}

// The anchors are GitHub's.
func TestAnchors(t *testing.T) {
	got := anchors("# A b\n## Several replicas, one service\n```\n# not a heading\n```\n### `--toolsets` and the *Tools*\n## A b\n")
	for _, want := range []string{"a-b", "several-replicas-one-service", "--toolsets-and-the-tools", "a-b-1"} {
		if !got[want] {
			t.Errorf("no anchor %q in %v", want, got)
		}
	}
	if got["not-a-heading"] {
		t.Error("a line in a code block is taken for a heading")
	}
}

// clientConfigs are a document's ```json blocks that configure a client:
// every one but the JSON-RPC messages shown (which must parse as one).
func clientConfigs(t *testing.T, file string, raw []byte) (where []string, blocks [][]byte) {
	for i, m := range regexp.MustCompile("(?s)```json\n(.*?)```").FindAllSubmatch(raw, -1) {
		var msg struct{ JSONRPC, Method string }
		if bytes.Contains(m[1], []byte(`"jsonrpc"`)) {
			if json.Unmarshal(m[1], &msg) != nil || msg.JSONRPC != "2.0" || msg.Method == "" {
				t.Errorf("%s, json block %d: not a JSON-RPC message: %s", file, i+1, m[1])
			}
			continue
		}
		where, blocks = append(where, fmt.Sprintf("%s, json block %d", file, i+1)), append(blocks, m[1])
	}
	return where, blocks
}

// Every ```json block of the README and docs/ that configures a client
// parses and names only flags and variables the binary has.
func TestDocClientConfigs(t *testing.T) {
	c := checker{t: t, flags: flagsFromHelp(t), env: envNames(t)}
	n := 0
	for _, file := range docFiles(t) {
		raw, _ := os.ReadFile(file)
		where, blocks := clientConfigs(t, file, raw)
		for i := range blocks {
			c.clientFile(where[i], blocks[i])
			n++
		}
	}
	if n < 3 {
		t.Errorf("%d client configurations in the README and docs/", n)
	}
}
