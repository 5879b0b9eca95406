package main

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// --help puts every flag in a group: a flag added without a line in
// flagGroups shows under "Ungrouped" and fails here.
func TestHelpGroupsEveryFlag(t *testing.T) {
	flags := flagsFromHelp(t)
	help := runBin(t, "", nil, "--help").out
	if strings.Contains(help, "\nUngrouped") {
		t.Errorf("--help has flags in no group; add them to flagGroups in cli.go:\n%s", help[strings.Index(help, "\nUngrouped"):])
	}
	for _, g := range flagGroups {
		if _, ok := flags[g.flag]; !ok {
			t.Errorf("flagGroups names --%s, which the binary does not have", g.flag)
		}
	}
	for _, group := range []string{"Running", "Tools", "Consent", "HTTP service", "Shared state", "Limits", "Environment"} {
		if !regexp.MustCompile(`(?m)^` + group + `.*:$`).MatchString(help) {
			t.Errorf("--help has no %s section", group)
		}
	}
	for i, line := range strings.Split(help, "\n") {
		if len(line) > helpWidth {
			t.Errorf("--help line %d is %d columns wide: %q", i+1, len(line), line)
		}
	}
}

// --help names every environment variable the binary reads, one line each,
// and no other.
func TestHelpNamesEveryVariable(t *testing.T) {
	help := runBin(t, "", nil, "--help").out
	read := envNames(t)
	var listed []string
	for _, e := range envHelp {
		listed = append(listed, e.name)
		if !slices.Contains(read, e.name) {
			t.Errorf("--help names %s, which the binary does not read", e.name)
		}
		if !regexp.MustCompile(`(?m)^  ` + e.name + ` +\S`).MatchString(help) {
			t.Errorf("--help has no line for %s", e.name)
		}
	}
	for _, name := range read {
		if !slices.Contains(listed, name) {
			t.Errorf("the binary reads %s; --help does not say so (envHelp in cli.go)", name)
		}
	}
}
