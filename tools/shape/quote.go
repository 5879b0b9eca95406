package shape

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text a model or Qualys chose is never shown to a human as if the server
// said it. Every such value goes through Quote: in double quotes, with
// quotes, backslashes, line breaks, control characters (ANSI escapes),
// bidi overrides and invisible format characters written as Go escapes,
// and cut to MaxShown characters. Quotation marks of other scripts and
// their lookalikes (“ ” ＂ « » ″ 〞 …) are escaped too: none can close
// the quotes and pass what follows for the server's words. The same
// escaping serves the elicitation message, the confirmation page (where
// html/template also HTML-escapes it) and the command line's prompt.

// MaxShown is how many characters of one value a human is shown.
const MaxShown = 200

// escapeText writes s with every character that could act as layout or
// control written as an escape: \n, \x1b, \u202e. inQuotes also escapes
// " and \ (the value sits between quotes); keepNewlines leaves line breaks
// as they are (the server's own layout).
func escapeText(s string, inQuotes, keepNewlines bool) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n' && keepNewlines:
			b.WriteByte('\n')
		case (r == '"' || r == '\\') && inQuotes:
			b.WriteByte('\\')
			b.WriteRune(r)
		case strconv.IsPrint(r) && !lookalike(r):
			b.WriteRune(r)
		case r > unicode.MaxASCII && lookalike(r):
			fmt.Fprintf(&b, `\u%04x`, r) // QuoteRune would leave a printable one as it is
		default:
			q := strconv.QuoteRune(r) // '\x1b', '\u202e', '\n'
			b.WriteString(q[1 : len(q)-1])
		}
		i += n
	}
	return b.String()
}

// lookalikes are characters that pass for a quotation mark or a
// backslash besides Unicode's Quotation_Mark ones: primes and ditto
// marks, modifier letters, ornaments, the fullwidth backslash.
var lookalikes = []rune{'\u02ba', '\u02dd', '\u02ee', '\u2032', '\u2033', '\u2034', '\u2035', '\u2036', '\u2037', '\u3003',
	'\u275b', '\u275c', '\u275d', '\u275e', '\U0001f676', '\U0001f677', '\U0001f678', '\uff3c', '\ufe68'}

// lookalike reports whether r could pass for the end of a quoted value
// (a quotation mark of any script, or one of the lookalikes), outside
// ASCII: a person would read the text after it as the server's own.
func lookalike(r rune) bool {
	return r > unicode.MaxASCII && (unicode.Is(unicode.Quotation_Mark, r) || unicode.In(r, unicode.Pi, unicode.Pf) || slices.Contains(lookalikes, r))
}

// Quote shows one value a model or Qualys chose: quoted, escaped and
// length-capped, so it cannot pass for the server's own words.
func Quote(s string) string {
	more := ""
	if n := utf8.RuneCountInString(s); n > MaxShown {
		s = string([]rune(s)[:MaxShown])
		more = fmt.Sprintf("… (%d more characters)", n-MaxShown)
	}
	return `"` + escapeText(s, true, false) + `"` + more
}

// Printable is the server's own multi-line text (whose values are already
// quoted) made safe for a terminal: line breaks stay, every other control
// or format character is escaped.
func Printable(s string) string { return escapeText(s, false, true) }

// ShownValue renders a decoded JSON value for a human: strings quoted,
// numbers and booleans as they are, lists and objects in a fixed layout.
func ShownValue(v any) string {
	switch x := v.(type) {
	case string:
		return Quote(x)
	case nil:
		return "null"
	case bool, float64, int, int64:
		return fmt.Sprint(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = ShownValue(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case []string:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = Quote(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := slices.Sorted(maps.Keys(x))
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = Quote(k) + ": " + ShownValue(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return Quote(fmt.Sprint(v))
}

// ShownArgs lists the arguments as name and value, sorted by name,
// secrets masked. The names are the schema's (it refuses any other).
func ShownArgs(args map[string]any) []ArgLine {
	masked := MaskArgs(args)
	keys := slices.Sorted(maps.Keys(masked))
	out := make([]ArgLine, len(keys))
	for i, k := range keys {
		out[i] = ArgLine{Name: k, Value: ShownValue(masked[k])}
	}
	return out
}

// ArgLine is one argument as a person reads it.
type ArgLine struct{ Name, Value string }
