// Package secret is the process's one registry of the secrets it holds (the
// Qualys password, the current and previous JWT, the HTTP bearer token, the
// state keys, and a call's secret arguments) and the one redactor that every
// text leaving the process goes through last: tool results, errors, MCP log
// notifications, stderr, the audit log and the command line's output.
//
// It knows nothing of HTTP or MCP: the client registers what it holds, the
// server registers the rest, and both redact through it.
package secret

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// Mask replaces every secret found.
const Mask = "[redacted]"

// MinLen is the shortest value treated as a secret: shorter ones would
// mask ordinary text (a one-letter test password would mask every "p").
const MinLen = 4

// recentTokens is how many issued tokens are kept: the current one and the
// one before it (an answer to a request sent just before a renewal may
// still echo it).
const recentTokens = 2

// Registry holds the secrets. The zero value is not usable; a nil
// *Registry redacts only the values passed to each call.
type Registry struct {
	mu     sync.Mutex
	fixed  []string // long-lived: password, bearer token, state keys
	tokens []string // the newest last, at most recentTokens
	cur    atomic.Pointer[matcher]
}

// New returns an empty registry.
func New() *Registry {
	r := &Registry{}
	r.cur.Store(newMatcher(nil))
	return r
}

// Add registers long-lived secrets; values shorter than MinLen are ignored.
func (r *Registry) Add(values ...string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range values {
		if len(v) >= MinLen && !contains(r.fixed, v) {
			r.fixed = append(r.fixed, v)
		}
	}
	r.rebuildLocked()
}

// Token registers a newly issued token; the one before it stays known, older
// ones are forgotten.
func (r *Registry) Token(tok string) {
	if r == nil || len(tok) < MinLen {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if contains(r.tokens, tok) {
		return
	}
	r.tokens = append(r.tokens, tok)
	if len(r.tokens) > recentTokens {
		r.tokens = r.tokens[len(r.tokens)-recentTokens:]
	}
	r.rebuildLocked()
}

func (r *Registry) rebuildLocked() {
	r.cur.Store(newMatcher(append(append([]string(nil), r.fixed...), r.tokens...)))
}

func (r *Registry) matcher() *matcher {
	if r == nil {
		return nil
	}
	return r.cur.Load()
}

// Redact masks every known secret in s, and the extra ones (a call's
// secret arguments), in each form it may take in a text: as is, escaped
// in JSON (once or twice), quoted as Go quotes it, and URL-encoded.
func (r *Registry) Redact(s string, extra ...string) string {
	s = r.matcher().redact(s)
	if len(extra) > 0 {
		s = newMatcher(extra).redact(s)
	}
	return s
}

// Cut shortens s to at most n bytes (on a character boundary) and marks the
// cut with "…". Secrets are masked first; then, because the cut may fall
// inside one, a trailing part of the text that begins a secret is dropped
// too: no prefix of a secret is left at the cut.
func (r *Registry) Cut(s string, n int, extra ...string) string {
	s = r.Redact(s, extra...)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	s = s[:n]
	k := maskMatcher.prefixAtEnd(s) // half a mask is dropped as well
	k = max(k, r.matcher().prefixAtEnd(s))
	if len(extra) > 0 {
		k = max(k, newMatcher(extra).prefixAtEnd(s))
	}
	return s[:len(s)-k] + "…"
}

// ctxKey carries a call's secrets in its context.
type ctxKey struct{}

// With returns a context that carries values as secrets of the call, for
// code that cuts or redacts text on the call's behalf (the client's error
// messages).
func With(ctx context.Context, values ...string) context.Context {
	if len(values) == 0 {
		return ctx
	}
	return context.WithValue(ctx, ctxKey{}, append(Values(ctx), values...))
}

// Values are the call's secrets that ctx carries.
func Values(ctx context.Context) []string {
	v, _ := ctx.Value(ctxKey{}).([]string)
	return v
}

// Writer redacts every write to w. Each write must carry whole lines (as
// log.Logger and slog's handlers write), so that no secret is split across
// two writes.
func (r *Registry) Writer(w io.Writer) io.Writer { return redactingWriter{r, w} }

type redactingWriter struct {
	r *Registry
	w io.Writer
}

func (rw redactingWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(rw.w, rw.r.Redact(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

var maskMatcher = &matcher{forms: []string{Mask}}

// matcher masks a fixed set of secrets in all their forms.
type matcher struct {
	forms []string // longest first
	rep   *strings.Replacer
}

func newMatcher(secrets []string) *matcher {
	seen := map[string]bool{}
	var forms []string
	for _, s := range secrets {
		if len(s) < MinLen {
			continue
		}
		for _, f := range variants(s) {
			if len(f) >= MinLen && !seen[f] {
				seen[f] = true
				forms = append(forms, f)
			}
		}
	}
	sort.Slice(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	m := &matcher{forms: forms}
	if len(forms) > 0 {
		pairs := make([]string, 0, 2*len(forms))
		for _, f := range forms {
			pairs = append(pairs, f, Mask) // the longest form first: it wins at a position
		}
		m.rep = strings.NewReplacer(pairs...)
	}
	return m
}

// variants are the forms a secret takes in the texts this process writes.
func variants(s string) []string {
	once, html := jsonInner(s, false), jsonInner(s, true)
	return []string{s, once, html, jsonInner(once, false), jsonInner(once, true), jsonInner(html, true),
		strings.Trim(strconv.Quote(s), `"`), url.QueryEscape(s), url.PathEscape(s)}
}

// jsonInner is s as a JSON string's content (without the quotes).
func jsonInner(s string, escapeHTML bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	enc.Encode(s)
	out := strings.TrimSuffix(b.String(), "\n")
	return out[1 : len(out)-1]
}

func (m *matcher) redact(s string) string {
	if m == nil || m.rep == nil {
		return s
	}
	return m.rep.Replace(s)
}

// prefixAtEnd is the length of the longest end of s that begins a secret
// (in any of its forms), 0 if none does.
func (m *matcher) prefixAtEnd(s string) int {
	if m == nil {
		return 0
	}
	best := 0
	for _, f := range m.forms {
		from := max(0, len(s)-len(f)+1) // a whole form would have been masked
		for i := from; i < len(s); i++ {
			if k := len(s) - i; k > best && s[i] == f[0] && strings.HasPrefix(f, s[i:]) {
				best = k
				break // the earliest start is the longest
			}
		}
	}
	return best
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}
