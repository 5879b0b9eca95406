package sandbox

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The QQL subset the tools teach: terms `field:value` joined by and/or,
// optionally negated with not; `value` in backticks is an exact
// (case-insensitive) match, bare is a substring match; `[a .. b]` (or
// `[a ... b]`) is an inclusive range of numbers or dates, where a date may
// be now, now-7d, now-12h or an ISO date; `[a, b]` is any of the exact
// values; a value in single quotes is exact, or a range or list when it
// holds one; `field:>N` `field:<N` (also `field>=N`, as the bulk lists'
// paginationQuery writes it) compare numbers.

type pred func(map[string]any) bool

var termRE = regexp.MustCompile("^\\s*((?i:not)\\s+)?([A-Za-z0-9_.]+)\\s*(?::\\s*(`[^`]*`|\\[[^\\]]*\\]|\"[^\"]*\"|'[^']*'|[<>]=?\\s*[^\\s]+|[^\\s()]+)|([<>]=?\\s*[^\\s()]+))")

func parseQQL(q string) (pred, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return func(map[string]any) bool { return true }, nil
	}
	var ors [][]pred
	cur := []pred{}
	for rest := q; strings.TrimSpace(rest) != ""; {
		m := termRE.FindStringSubmatchIndex(rest)
		if m == nil {
			return nil, fmt.Errorf("cannot read %q: expected field:value", strings.TrimSpace(rest))
		}
		neg := m[2] >= 0
		field := rest[m[4]:m[5]]
		val := ""
		if m[6] >= 0 {
			val = rest[m[6]:m[7]]
		} else {
			val = rest[m[8]:m[9]]
		}
		p, err := term(field, val)
		if err != nil {
			return nil, err
		}
		if neg {
			inner := p
			p = func(x map[string]any) bool { return !inner(x) }
		}
		cur = append(cur, p)
		rest = strings.TrimSpace(rest[m[1]:])
		lower := strings.ToLower(rest)
		switch {
		case strings.HasPrefix(lower, "and "):
			rest = rest[4:]
		case strings.HasPrefix(lower, "or "):
			rest = rest[3:]
			ors = append(ors, cur)
			cur = []pred{}
		case rest == "":
		default:
			return nil, fmt.Errorf("expected and/or before %q", rest)
		}
	}
	ors = append(ors, cur)
	return func(x map[string]any) bool {
		for _, all := range ors {
			ok := true
			for _, p := range all {
				if !p(x) {
					ok = false
					break
				}
			}
			if ok {
				return true
			}
		}
		return false
	}, nil
}

func term(field, val string) (pred, error) {
	switch {
	case strings.HasPrefix(val, "`"):
		want := strings.ToLower(strings.Trim(val, "`"))
		return func(x map[string]any) bool {
			return anyValue(lookup(x, field), func(s string) bool { return strings.ToLower(s) == want })
		}, nil
	case strings.HasPrefix(val, "\""):
		want := strings.ToLower(strings.Trim(val, "\""))
		return func(x map[string]any) bool {
			return anyValue(lookup(x, field), func(s string) bool { return strings.ToLower(s) == want })
		}, nil
	case strings.HasPrefix(val, "'"):
		inner := strings.Trim(val, "'")
		if strings.HasPrefix(inner, "[") {
			return term(field, inner)
		}
		return term(field, "`"+inner+"`")
	case strings.HasPrefix(val, "["):
		inner := strings.Trim(val, "[]")
		sep := ".."
		if strings.Contains(inner, "...") {
			sep = "..."
		}
		lo, hi, ok := strings.Cut(inner, sep)
		if !ok {
			var want []string
			for _, v := range strings.Split(inner, ",") {
				want = append(want, strings.ToLower(strings.Trim(strings.TrimSpace(v), "`'\"")))
			}
			return func(x map[string]any) bool {
				return anyValue(lookup(x, field), func(s string) bool { return slices.Contains(want, strings.ToLower(s)) })
			}, nil
		}
		a, err1 := bound(strings.TrimSpace(lo))
		b, err2 := bound(strings.TrimSpace(hi))
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("range %s: bounds must be numbers or dates", val)
		}
		return func(x map[string]any) bool {
			return anyValue(lookup(x, field), func(s string) bool {
				n, ok := number(s)
				return ok && n >= a && n <= b
			})
		}, nil
	case strings.HasPrefix(val, ">") || strings.HasPrefix(val, "<"):
		op := val[:1]
		rest := strings.TrimLeft(val[1:], "= ")
		orEq := strings.HasPrefix(val[1:], "=")
		n, err := bound(rest)
		if err != nil {
			return nil, fmt.Errorf("%s: not a number or date", val)
		}
		return func(x map[string]any) bool {
			return anyValue(lookup(x, field), func(s string) bool {
				v, ok := number(s)
				if !ok {
					return false
				}
				switch {
				case op == ">" && orEq:
					return v >= n
				case op == ">":
					return v > n
				case orEq:
					return v <= n
				default:
					return v < n
				}
			})
		}, nil
	default:
		want := strings.ToLower(val)
		return func(x map[string]any) bool {
			return anyValue(lookup(x, field), func(s string) bool { return strings.Contains(strings.ToLower(s), want) })
		}, nil
	}
}

var relRE = regexp.MustCompile(`^now(?:([-+])(\d+)([dhmwy]))?$`)

// bound reads a number, an ISO date, or now-Nd as epoch milliseconds.
func bound(s string) (float64, error) {
	if m := relRE.FindStringSubmatch(strings.ToLower(s)); m != nil {
		t := time.Now()
		if m[1] != "" {
			n, _ := strconv.Atoi(m[2])
			d := map[string]time.Duration{"h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour, "m": 30 * 24 * time.Hour, "y": 365 * 24 * time.Hour}[m[3]]
			if m[1] == "-" {
				t = t.Add(-time.Duration(n) * d)
			} else {
				t = t.Add(time.Duration(n) * d)
			}
		}
		return float64(t.UnixMilli()), nil
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		return n, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return float64(t.UnixMilli()), nil
		}
	}
	return 0, fmt.Errorf("not a bound: %s", s)
}

func number(s string) (float64, bool) {
	n, err := strconv.ParseFloat(s, 64)
	return n, err == nil
}

// lookup follows a dotted path through maps and arrays, collecting every
// value it reaches.
func lookup(x any, path string) []any {
	cur := []any{x}
	for _, part := range strings.Split(path, ".") {
		var next []any
		for _, c := range cur {
			switch v := c.(type) {
			case map[string]any:
				if val, ok := matchKey(v, part); ok {
					next = append(next, flatten(val)...)
				}
			}
		}
		cur = next
	}
	return cur
}

func matchKey(m map[string]any, k string) (any, bool) {
	if v, ok := m[k]; ok {
		return v, true
	}
	for key, v := range m {
		if strings.EqualFold(key, k) {
			return v, true
		}
	}
	return nil, false
}

func flatten(v any) []any {
	if arr, ok := v.([]any); ok {
		var out []any
		for _, e := range arr {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []any{v}
}

func anyValue(vals []any, f func(string) bool) bool {
	for _, v := range vals {
		if v == nil {
			continue
		}
		var s string
		switch t := v.(type) {
		case string:
			s = t
		case float64:
			s = strconv.FormatFloat(t, 'f', -1, 64)
		case bool:
			s = strconv.FormatBool(t)
		default:
			continue
		}
		if f(s) {
			return true
		}
	}
	return false
}

func compare(a, b []any) int {
	str := func(v []any) string {
		if len(v) == 0 || v[0] == nil {
			return ""
		}
		return fmt.Sprint(v[0])
	}
	sa, sb := str(a), str(b)
	na, okA := number(sa)
	nb, okB := number(sb)
	if okA && okB {
		switch {
		case na < nb:
			return -1
		case na > nb:
			return 1
		}
		return 0
	}
	return strings.Compare(strings.ToLower(sa), strings.ToLower(sb))
}

// The fields a QQL filter names: the word before each ':' or comparison,
// outside quoted, backticked and bracketed values.
var (
	qqlValueRE = regexp.MustCompile("`[^`]*`|\"[^\"]*\"|'[^']*'|\\[[^\\]]*\\]")
	qqlFieldRE = regexp.MustCompile(`([A-Za-z][A-Za-z0-9_.]*)\s*(?::|[<>]=?)`)
	pathVarRE  = regexp.MustCompile(`\{[^}]*\}`)
)

func filterFields(q string) []string {
	var out []string
	for _, m := range qqlFieldRE.FindAllStringSubmatch(qqlValueRE.ReplaceAllString(q, "v"), -1) {
		out = append(out, m[1])
	}
	return out
}

// qqlFields2026 are the QQL tokens the current pages' samples (2026) use
// that the lists' items do not show: imagesInUse (the images list
// samples), report.name (release 1.42's reports sample; the 2021 document
// names reportName).
var qqlFields2026 = map[string]string{"GET /images": "imagesInUse", "GET /images/list": "imagesInUse", "DELETE /images": "imagesInUse", "GET /reports": "report.name"}

// unknownQQLField is a field the request's filter names that the QQL of
// its operation does not know (qql_fields.go, from the API's documents),
// or "".
func unknownQQLField(r *http.Request) string {
	q := r.URL.Query().Get("filter")
	if q == "" || r.Pattern == "" {
		return ""
	}
	method, path, _ := strings.Cut(r.Pattern, " ")
	op := method + " " + pathVarRE.ReplaceAllString(strings.TrimPrefix(path, Base), "{}")
	var known string
	for k, v := range qqlFields {
		if pathVarRE.ReplaceAllString(k, "{}") == op {
			known = " " + strings.ToLower(v) + " "
		}
	}
	if known == "" {
		return ""
	}
	known += strings.ToLower(qqlFields2026[op]) + " "
	for _, f := range filterFields(q) {
		if !strings.Contains(known, " "+strings.ToLower(f)+" ") {
			return f
		}
	}
	return ""
}
