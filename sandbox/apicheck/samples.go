package apicheck

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Sample is one request of the release notes: its curl's method and URL,
// and its body (the curl's -d, or the "Request Body:" that follows it),
// repaired of what PDF extraction did to it (lines broken inside strings
// and IDs, page furniture between the lines of a body, stray commas).
type Sample struct {
	File   string // the seed file's name
	Line   int    // the line its curl starts on, from 1
	Method string
	Path   string // under /csapi/v1.3, as sent (IDs and all)
	Query  url.Values
	Body   json.RawMessage // nil when the request has none
	// Response is the sample's answer, where it reads as JSON (some are
	// cut by the page breaks past repair): nil otherwise.
	Response json.RawMessage
}

func (s Sample) String() string { return fmt.Sprintf("%s:%d %s %s", s.File, s.Line, s.Method, s.Path) }

var curlRE = regexp.MustCompile(`curl -X\s*(GET|POST|PUT|DELETE)\b`)

// ReadSamples reads every curl sample of the release notes in dir.
func ReadSamples(dir string) ([]Sample, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no release notes in %s: %v", dir, err)
	}
	sort.Strings(files)
	var out []Sample
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		lines := strings.Split(string(raw), "\n")
		for i, l := range lines {
			m := curlRE.FindStringSubmatchIndex(l)
			if m == nil {
				continue
			}
			s, err := readSample(lines, i, m[1], l[m[2]:m[3]])
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", filepath.Base(f), i+1, err)
			}
			s.Response = readResponse(lines, i+1)
			s.File, s.Line = filepath.Base(f), i+1
			out = append(out, s)
		}
	}
	return out, nil
}

// readResponse reads the JSON after the first "Response:" line after
// line at, before the next curl.
func readResponse(lines []string, at int) json.RawMessage {
	for i := at; i < len(lines); i++ {
		if curlRE.MatchString(lines[i]) {
			return nil
		}
		if strings.HasPrefix(strings.TrimSpace(lines[i]), "Response") {
			for j := i + 1; j < len(lines) && j < i+5; j++ {
				if t := strings.TrimSpace(lines[j]); t != "" && t != "```" {
					if !strings.HasPrefix(t, "{") && !strings.HasPrefix(t, "[") {
						return nil // "200 OK", "response code 200"
					}
					body, err := joinJSON(lines[j:])
					if err != nil {
						return nil
					}
					return body
				}
			}
			return nil
		}
	}
	return nil
}

// text is the rest of a file from a position, line by line.
type text struct {
	lines []string
	i, j  int // line, byte in it
}

func (t *text) eof() bool { return t.i >= len(t.lines) }

// next is the next byte, moving to the next line as needed; '\n' ends
// each line.
func (t *text) next() byte {
	if t.j >= len(t.lines[t.i]) {
		t.i, t.j = t.i+1, 0
		return '\n'
	}
	c := t.lines[t.i][t.j]
	t.j++
	return c
}

func readSample(lines []string, at, col int, method string) (Sample, error) {
	t := &text{lines: lines, i: at, j: col}
	s := Sample{Method: method}
	// the URL: the first quoted string, its line breaks removed
	for !t.eof() {
		c := t.next()
		if c != '"' && c != '\'' {
			continue
		}
		var b strings.Builder
		for !t.eof() {
			d := t.next()
			if d == c {
				break
			}
			if d == '\n' {
				continue
			}
			b.WriteByte(d)
		}
		u := strings.Join(strings.Fields(b.String()), "")
		k := strings.Index(u, Base)
		if k < 0 {
			return s, fmt.Errorf("URL %q is not under %s", u, Base)
		}
		parsed, err := url.Parse(u[k:])
		if err != nil {
			return s, err
		}
		s.Path, s.Query = strings.TrimPrefix(parsed.Path, Base), parsed.Query()
		break
	}
	// the body: -d on the curl, or a "Request Body:" before the response
	for ; !t.eof(); t.i, t.j = t.i+1, 0 {
		rest := strings.TrimSpace(t.lines[t.i][t.j:])
		if strings.HasPrefix(rest, "Response") {
			return s, nil
		}
		if k := strings.Index(t.lines[t.i][t.j:], "-d"); k >= 0 && !strings.Contains(rest, "Request Body") {
			t.j += k + 2
			body, err := readBody(t)
			s.Body = body
			return s, err
		}
		if strings.HasPrefix(rest, "Request Body:") {
			t.i, t.j = t.i+1, 0
			body, err := readBody(t)
			s.Body = body
			return s, err
		}
	}
	return s, nil
}

// readBody reads a JSON body from t: a shell-quoted string ("{\"a\": 1}")
// or bare JSON, up to where its braces close.
func readBody(t *text) (json.RawMessage, error) {
	for !t.eof() && strings.TrimSpace(t.lines[t.i][t.j:]) == "" {
		t.i, t.j = t.i+1, 0
	}
	if t.eof() {
		return nil, fmt.Errorf("no body")
	}
	rest := strings.TrimSpace(t.lines[t.i][t.j:])
	var src []string
	if strings.HasPrefix(rest, `"`) { // a shell string: to the closing unescaped quote
		t.j += strings.Index(t.lines[t.i][t.j:], `"`) + 1
		var b strings.Builder
		for !t.eof() {
			c := t.next()
			if c == '\\' {
				b.WriteByte(t.next())
				continue
			}
			if c == '"' {
				break
			}
			b.WriteByte(c)
		}
		src = strings.Split(b.String(), "\n")
	} else {
		src = append([]string{t.lines[t.i][t.j:]}, t.lines[t.i+1:]...)
	}
	return joinJSON(src)
}

// joinJSON puts a JSON document back together from extracted lines: a
// line break inside a string is removed where it splits an ID (next to a
// "-") and is a space elsewhere; lines outside strings that cannot be JSON
// (page furniture, a parameter table) are dropped; it stops where the
// outer braces close, and drops commas before a closing bracket.
func joinJSON(lines []string) (json.RawMessage, error) {
	var b strings.Builder
	depth, inStr, started := 0, false, false
	for _, line := range lines {
		if inStr {
			line = strings.TrimLeft(line, " \t")
			prev := b.String()
			if !strings.HasSuffix(prev, "-") && !strings.HasPrefix(line, "-") {
				b.WriteByte(' ')
			}
		} else {
			trimmed := strings.TrimSpace(line)
			if trimmed == "" || !strings.ContainsAny(trimmed[:1], `{}[]",`) {
				continue
			}
			b.WriteByte('\n')
		}
		for k := 0; k < len(line); k++ {
			c := line[k]
			b.WriteByte(c)
			switch {
			case inStr && c == '\\' && k+1 < len(line):
				k++
				b.WriteByte(line[k])
			case c == '"':
				inStr = !inStr
			case !inStr && (c == '{' || c == '['):
				depth++
				started = true
			case !inStr && (c == '}' || c == ']'):
				depth--
			}
			if started && depth == 0 {
				out := strayComma.ReplaceAllString(b.String(), "$1")
				if !json.Valid([]byte(out)) {
					return nil, fmt.Errorf("the body does not read as JSON: %s", out)
				}
				return json.RawMessage(strings.TrimSpace(out)), nil
			}
		}
	}
	return nil, fmt.Errorf("the body's braces do not close")
}

var strayComma = regexp.MustCompile(`,(\s*[\]}])`)
