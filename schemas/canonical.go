package schemas

import (
	"fmt"
	"reflect"
	"strings"
)

// Canonical rewrites a call's arguments, as the validation schema s (For's
// schema of the tool's input) describes them, into what the newest
// documents name: a property given under an older name (XAliasOf) moves
// to its newer name, and an older spelling of a value (XValueAliases)
// becomes the newer one, at every depth. An older and a newer name given
// with different values is an error naming both; given alike, the older
// is dropped. The tools send the arguments so rewritten.
func Canonical(s map[string]any, args map[string]any) error {
	return canonical(s, args, "")
}

func canonical(s map[string]any, args map[string]any, path string) error {
	props, _ := s["properties"].(map[string]any)
	for name, p := range props {
		to, _ := p.(map[string]any)[XAliasOf].(string)
		v, given := args[name]
		if to == "" || !given {
			continue
		}
		if nv, both := args[to]; both && !reflect.DeepEqual(nv, v) {
			return &FieldError{Field: path + name, Problem: fmt.Sprintf("is the older name of %s%s, which is given too with another value: give %s only", path, to, to)}
		}
		args[to] = v
		delete(args, name)
	}
	for name, v := range args {
		p, _ := props[name].(map[string]any)
		if p == nil {
			continue
		}
		if str, ok := v.(string); ok {
			args[name] = newSpelling(p, str)
		}
		if err := canonicalValue(p, v, path+name); err != nil {
			return err
		}
	}
	return nil
}

func canonicalValue(p map[string]any, v any, path string) error {
	switch x := v.(type) {
	case map[string]any:
		return canonical(p, x, path+".")
	case []any:
		it, _ := p["items"].(map[string]any)
		for i, e := range x {
			if str, ok := e.(string); ok && it != nil {
				x[i] = newSpelling(it, str)
			}
			if err := canonicalValue(it, e, fmt.Sprintf("%s.%d", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// newSpelling is v as the newest document spells it, per the property's
// XValueAliases ("old:new;old2:new2").
func newSpelling(p map[string]any, v string) string {
	aliases, _ := p[XValueAliases].(string)
	for _, pair := range strings.Split(aliases, ";") {
		if old, nw, ok := strings.Cut(pair, ":"); ok && old == v {
			return nw
		}
	}
	return v
}
