// Package toolsets declares the Qualys CS tools, one file per toolset, with
// the machinery they share: inventory resources, lists and cursors, QQL.
package toolsets

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
)

// Set is a toolset: its name and what it covers.
type Set struct{ Name, About string }

// Sets are the toolsets in catalogue order, with what each covers.
func Sets() []Set { return slices.Clone(toolsets) }

// toolsets in catalogue order.
var toolsets = []Set{
	{"sensor_profiles", "sensor profiles and which sensors and registries they hold"},
	{"sensors", "sensors, their deletion, and activation keys"},
	{"registries", "registries and their repositories"},
	{"connectors", "ACR, AWS and GCP registry connectors"},
	{"schedules", "registry scan schedules"},
	{"images", "images, their vulnerabilities, software and compliance"},
	{"containers", "containers, their vulnerabilities, software and compliance"},
	{"controls", "compliance controls"},
	{"exceptions", "vulnerability exceptions and the images and containers they are on"},
	{"policies", "CI/CD and admission-controller policies, their modes and versions"},
	{"tags", "dynamic tags and the tags on images and containers"},
	{"kspm", "Kubernetes security posture: CIS controls and their evidence"},
	{"reports", "reports"},
}

// DefaultToolsets is what --toolsets offers unless told otherwise: the
// toolsets of everyday work, the triage loop (what runs, what is
// vulnerable, scanning what is pushed, accepting a risk), within 24,000
// bytes of tools/list; "all" adds the set-up and governance ones.
// docs/tools.md says why each is in or out.
const DefaultToolsets = "sensors,registries,schedules,images,containers,controls,exceptions"

var (
	catalogueOnce sync.Once
	catalogue     []tool.Tool
	catalogueErr  error
)

// All returns every declared tool, schemas built, in catalogue order.
func All() ([]tool.Tool, error) {
	catalogueOnce.Do(func() {
		for _, set := range declared() {
			for _, t := range set {
				if err := t.Build(); err != nil {
					catalogueErr = err
					return
				}
				catalogue = append(catalogue, t)
			}
		}
	})
	return slices.Clone(catalogue), catalogueErr
}

// declared lists each toolset file's declarations.
func declared() [][]tool.Tool {
	return [][]tool.Tool{sensorProfileTools(), sensorTools(), registryTools(), connectorTools(), scheduleTools(), imageTools(), containerTools(), controlTools(),
		exceptionTools(), policyTools(), tagTools(), kspmTools(), reportTools()}
}

// Select applies --read-only, --toolsets and --tools (nil or "all": every toolset).
func Select(all []tool.Tool, readOnly bool, toolsetNames, toolNames []string) ([]tool.Tool, error) {
	sets := map[string]bool{}
	for _, s := range toolsetNames {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if s != "all" && !slices.ContainsFunc(toolsets, func(t Set) bool { return t.Name == s }) {
			return nil, fmt.Errorf("unknown toolset %q; known: all, %s", s, strings.Join(names(), ", "))
		}
		sets[s] = true
	}
	names := map[string]bool{}
	for _, n := range toolNames {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		if !slices.ContainsFunc(all, func(t tool.Tool) bool { return t.Name == n }) {
			return nil, fmt.Errorf("unknown tool %q", n)
		}
		names[n] = true
	}
	var out []tool.Tool
	for _, t := range all {
		switch {
		case readOnly && t.Tier != tool.Read:
		case len(sets) > 0 && !sets["all"] && !sets[t.Toolset]:
		case len(names) > 0 && !names[t.Name]:
		default:
			out = append(out, t)
		}
	}
	return out, nil
}

func names() []string {
	var n []string
	for _, t := range toolsets {
		n = append(n, t.Name)
	}
	return n
}
