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
		{`^([01]\d|2[0-3]):[0-5]\d$`, `^([01][0-9]|2[0-3]):[0-5][0-9]$`, "01234569:a ", 5},
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

// Publish keeps what an assistant needs (types, enums, patterns, required
// lists, descriptions, the top additionalProperties) and leaves the limits
// to the validation schema, which it does not change.
func TestPublishKeepsStructureDropsLimits(t *testing.T) {
	type in struct {
		CreateSchedule
		Profile *ProfileConfig `json:"profile,omitempty"`
	}
	full, err := For(reflect.TypeFor[in]())
	if err != nil {
		t.Fatal(err)
	}
	before, _ := json.Marshal(full)
	pub := Publish(full)
	after, _ := json.Marshal(full)
	if string(before) != string(after) {
		t.Fatal("Publish changed the validation schema")
	}
	if pub["additionalProperties"] != false {
		t.Error("the top additionalProperties false is gone")
	}
	var walk func(path string, full, pub map[string]any)
	walk = func(path string, full, pub map[string]any) {
		for _, k := range []string{"type", "enum", "pattern", "required", "description", "default"} {
			if fmt.Sprint(full[k]) != fmt.Sprint(pub[k]) {
				t.Errorf("%s: %s %v published as %v", path, k, full[k], pub[k])
			}
		}
		for _, k := range []string{"maxLength", "minLength", "minimum", "maximum", "minItems", "maxItems"} {
			if _, ok := pub[k]; ok {
				t.Errorf("%s: %s published", path, k)
			}
		}
		if path != "" {
			if _, ok := pub["additionalProperties"]; ok {
				t.Errorf("%s: nested additionalProperties published", path)
			}
		}
		fp, _ := full["properties"].(map[string]any)
		pp, _ := pub["properties"].(map[string]any)
		args := 0
		for name, v := range fp {
			if _, notArg := v.(map[string]any)[XSetBy]; notArg {
				if _, ok := pp[name]; ok {
					t.Errorf("%s.%s: a field the server or Qualys sets is published as an argument", path, name)
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
	s := string(before)
	for _, want := range []string{`"maxLength"`, `"minimum"`, `"maxItems"`, `"additionalProperties":false,"properties":{"numberOfTags"`, `"x-set-by":"server"`} {
		if !strings.Contains(s, want) {
			t.Errorf("the validation schema lacks %s: the test checks nothing", want)
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
	pub := Publish(full)
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
