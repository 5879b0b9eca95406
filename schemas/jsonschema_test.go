package schemas

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The patterns were shortened for tools/list; they must accept exactly
// what the longer ones did.
func TestShortPatternsAreEquivalent(t *testing.T) {
	for _, c := range []struct {
		short, long string
		alphabet    string
		maxLen      int
	}{
		{IDPattern, `^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`, "aZ09._:-/ `\\\n\x00é~*", 3},
		{TimePattern, `^([01][0-9]|2[0-3]):[0-5][0-9]$`, "01234569:a ", 5},
		{`^\w+$`, `^[A-Za-z0-9_]+$`, "aZ09_-. é", 3},
	} {
		short, long := regexp.MustCompile(c.short), regexp.MustCompile(c.long)
		check := func(s string) {
			if short.MatchString(s) != long.MatchString(s) {
				t.Errorf("%s and %s disagree on %q", c.short, c.long, s)
			}
		}
		// every string up to maxLen over the alphabet (and its runes)
		runes := []rune(c.alphabet)
		var walk func(prefix string, n int)
		walk = func(prefix string, n int) {
			check(prefix)
			if n == 0 {
				return
			}
			for _, r := range runes {
				walk(prefix+string(r), n-1)
			}
		}
		walk("", c.maxLen)
		// every single byte and rune below 0x300 in each position of a valid-ish string
		for r := rune(0); r < 0x300; r++ {
			for _, s := range []string{string(r), "a" + string(r), string(r) + "a", "12:" + string(r) + "5", "1" + string(r) + ":30"} {
				check(s)
			}
		}
		// lengths around the limit
		rng := rand.New(rand.NewPCG(1, 2))
		for n := 120; n < 135; n++ {
			for range 20 {
				b := make([]rune, n)
				for i := range b {
					b[i] = runes[rng.IntN(4)] // letters and digits only: length decides
				}
				check(string(b))
			}
		}
	}
}

// A jsonschema tag Go cannot parse (say, "\d" where the quoted tag needs
// "\\d") is silently ignored: its field loses required, its pattern and
// its limits. Every tag in the package must parse.
func TestEveryJSONSchemaTagParses(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(node ast.Node) bool {
			field, ok := node.(*ast.Field)
			if !ok || field.Tag == nil {
				return true
			}
			raw, err := strconv.Unquote(field.Tag.Value)
			if err != nil || !strings.Contains(raw, `jsonschema:"`) {
				return true
			}
			n++
			if _, ok := reflect.StructTag(raw).Lookup("jsonschema"); !ok {
				t.Errorf("%s: the jsonschema tag does not parse: %s", fset.Position(field.Pos()), raw)
			}
			return true
		})
	}
	if n < 50 {
		t.Errorf("only %d jsonschema tags found", n)
	}
}

// Publish keeps what an assistant needs (types, enums, the patterns the
// instructions do not give, required lists, descriptions) and leaves the
// limits, additionalProperties and the ID and time patterns to the
// validation schema, which it does not change. Under SchemaBudget the
// structure is whole; over it, nested objects become outlines that still
// name every field, until the schema fits.
func TestPublishKeepsStructureDropsLimits(t *testing.T) {
	type small struct {
		Name    string             `json:"name" jsonschema:"required,maxLength=9"`
		Sched   string             `json:"schedule,omitempty" jsonschema:"pattern=^([01]\\d|2[0-3]):[0-5]\\d$"`
		Word    string             `json:"word,omitempty" jsonschema:"pattern=^\\w+$"`
		RegID   string             `json:"registryId,omitempty"`
		Filters []ScheduleFilter   `json:"filters,omitempty" jsonschema:"maxItems=3"`
		More    *AdditionalFilters `json:"additionalFilters,omitempty"`
	}
	type big struct {
		CreateSchedule
		Profile *ProfileConfig  `json:"profile,omitempty"`
		Reg     *CreateRegistry `json:"registry,omitempty"`
	}
	for _, c := range []struct {
		name    string
		typ     reflect.Type
		outline bool
	}{{"small", reflect.TypeFor[small](), false}, {"registry", reflect.TypeFor[CreateRegistry](), true}, {"profile", reflect.TypeFor[CreateSensorProfile](), true}} {
		full, err := For(c.typ)
		if err != nil {
			t.Fatal(err)
		}
		before, _ := json.Marshal(full)
		pub := Publish(full)
		after, _ := json.Marshal(full)
		if string(before) != string(after) {
			t.Fatalf("%s: Publish changed the validation schema", c.name)
		}
		raw, _ := json.Marshal(pub)
		if parent, _ := largestNested(pub); len(raw) > SchemaBudget && parent != nil {
			t.Errorf("%s: published schema is %d bytes, over %d, with nested objects left to outline", c.name, len(raw), SchemaBudget)
		}
		for _, gone := range []string{"additionalProperties", "maxLength", "minLength", "minimum", "maximum", "minItems", "maxItems", strconv.Quote(IDPattern), strconv.Quote(TimePattern)} {
			if strings.Contains(string(raw), gone) {
				t.Errorf("%s: %s published: %s", c.name, gone, raw)
			}
		}
		outlines := 0
		var walk func(path string, full, pub map[string]any)
		walk = func(path string, full, pub map[string]any) {
			fp, _ := full["properties"].(map[string]any)
			pp, hasProps := pub["properties"].(map[string]any)
			if it, ok := full["items"].(map[string]any); ok && pub["items"] == nil && it["properties"] != nil || fp != nil && !hasProps && path != "" {
				outlines++ // an outline: every field below is named in it
				if fmt.Sprint(full["type"]) != fmt.Sprint(pub["type"]) {
					t.Errorf("%s: outline of type %v, was %v", path, pub["type"], full["type"])
				}
				d, _ := pub["description"].(string)
				var names func(s map[string]any)
				names = func(s map[string]any) {
					if it, ok := s["items"].(map[string]any); ok {
						names(it)
					}
					props, _ := s["properties"].(map[string]any)
					for n, p := range props {
						if hidden(p.(map[string]any)) {
							continue // an older name, or one the server sets: not an argument
						}
						if !strings.Contains(d, n) {
							t.Errorf("%s: the outline does not name %s: %s", path, n, d)
						}
						names(p.(map[string]any))
					}
					for _, e := range asStrings(s["enum"]) {
						if !strings.Contains(d, e) {
							t.Errorf("%s: the outline does not give the value %s: %s", path, e, d)
						}
					}
				}
				names(full)
				return
			}
			for _, k := range []string{"type", "enum", "required", "description", "default"} {
				if fmt.Sprint(full[k]) != fmt.Sprint(pub[k]) {
					t.Errorf("%s: %s %v published as %v", path, k, full[k], pub[k])
				}
			}
			if p, _ := full["pattern"].(string); p != "" && p != IDPattern && p != TimePattern && pub["pattern"] != p {
				t.Errorf("%s: pattern %s not published", path, p)
			}
			args := 0
			for name, v := range fp {
				if hidden(v.(map[string]any)) {
					if _, ok := pp[name]; ok {
						t.Errorf("%s.%s: a field the server or Qualys sets, or an older name, is published as an argument", path, name)
					}
					continue
				}
				args++
				walk(path+"."+name, v.(map[string]any), pp[name].(map[string]any))
			}
			if args != len(pp) {
				t.Errorf("%s: %d properties published of %d arguments", path, len(pp), args)
			}
			if it, ok := full["items"].(map[string]any); ok {
				walk(path+"[]", it, pub["items"].(map[string]any))
			}
		}
		walk("", full, pub)
		if c.outline != (outlines > 0) {
			t.Errorf("%s: %d outlines: %s", c.name, outlines, raw)
		}
		s := string(before)
		wants := []string{`"maxLength"`, `"additionalProperties":false`}
		if c.name == "small" {
			wants = append(wants, `"maxItems"`, strconv.Quote(IDPattern), strconv.Quote(TimePattern), `"pattern":"^\\w+$"`)
		}
		for _, want := range wants {
			if !strings.Contains(s, want) {
				t.Errorf("%s: the validation schema lacks %s: the test checks nothing", c.name, want)
			}
		}
	}
}

// An outline reads as the schema it stands for.
func TestOutline(t *testing.T) {
	full, err := For(reflect.TypeFor[struct {
		Filters []ScheduleFilter `json:"filters" jsonschema:"required"`
		AWS     *AWSRegistry     `json:"aws,omitempty"`
	}]())
	if err != nil {
		t.Fatal(err)
	}
	props := full["properties"].(map[string]any)
	for name, want := range map[string]string{
		"filters": "[{repoTags: [{repo (required), tag (Comma-separated; omit for all)}] (required), days: integer (Created in the last N days)}]",
		"aws":     "{arn (required), accountId, accountType: Global|US_Gov, region}",
	} {
		if got := Outline(props[name].(map[string]any)); got != want {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}

// Nullable lets null in every optional property at every depth, and in
// no required one, without touching the validation schema it came from.
func TestNullableOnlyOptional(t *testing.T) {
	full, err := For(reflect.TypeFor[CreateSchedule]())
	if err != nil {
		t.Fatal(err)
	}
	before, _ := json.Marshal(full)
	pub := lean(full) // published, not outlined: the nested fields stay to be looked at
	Nullable(pub)
	if after, _ := json.Marshal(full); string(after) != string(before) {
		t.Fatal("Nullable changed the validation schema")
	}
	props := pub["properties"].(map[string]any)
	filters := props["filters"].(map[string]any)
	item := filters["items"].(map[string]any)["properties"].(map[string]any)
	tag := item["repoTags"].(map[string]any)["items"].(map[string]any)["properties"].(map[string]any)
	sort := props["additionalFilters"].(map[string]any)["properties"].(map[string]any)
	for name, c := range map[string]struct {
		p    any
		want string
	}{
		"registryId":                     {props["registryId"], "string"},
		"filters":                        {filters, "array"},
		"filters[].days":                 {item["days"], "[integer null]"},
		"filters[].repoTags[].repo":      {tag["repo"], "string"},
		"filters[].repoTags[].tag":       {tag["tag"], "[string null]"},
		"additionalFilters":              {props["additionalFilters"], "[object null]"},
		"additionalFilters.numberOfTags": {sort["numberOfTags"], "integer"},
		"additionalFilters.sortCriteria": {sort["sortCriteria"], "[string null]"},
	} {
		if got := fmt.Sprint(c.p.(map[string]any)["type"]); got != c.want {
			t.Errorf("%s: type %s, want %s", name, got, c.want)
		}
	}
	if enum := fmt.Sprint(sort["sortCriteria"].(map[string]any)["enum"]); enum != "[createdDate <nil>]" {
		t.Errorf("sortCriteria enum %s, want null added", enum)
	}
}
