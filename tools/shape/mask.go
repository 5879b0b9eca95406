package shape

import (
	"bytes"
	"regexp"
	"slices"
	"sort"
	"strings"

	json "github.com/segmentio/encoding/json"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/jsonlimit"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/secret"
)

// Masking: secrets among the arguments, the activation keys in results,
// and the secrets a registry knows, in every text that leaves the process.

// secretNames are argument names whose values never appear in output.
var secretNames = []string{"password", "secret", "token", "credential", "accesskey", "privatekey", "serviceaccountjson", "apikey"}

var separators = strings.NewReplacer("_", "", "-", "")

// IsSecretName reports whether an argument name holds a secret
// (client_secret and private-key count as clientSecret and privateKey).
func IsSecretName(name string) bool {
	n := separators.Replace(strings.ToLower(name))
	for _, s := range secretNames {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// SecretValues are the secret strings of the arguments, longest first. A
// secret that is itself a JSON object (a service account key) adds the
// secrets it holds (its private_key), in case an answer quotes one alone.
func SecretValues(args map[string]any) []string {
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				if s, ok := val.(string); ok && IsSecretName(k) && len(s) >= 4 {
					out = append(out, s)
					var inner map[string]any
					if jsonlimit.Unmarshal([]byte(s), &inner, jsonlimit.Limits{}) == nil {
						walk(inner)
					}
				}
				walk(val)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(args)
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// MaskArgs copies args with every secret value masked, for logs and audit.
func MaskArgs(args map[string]any) map[string]any {
	out := make(map[string]any, len(args))
	for k, v := range args {
		switch x := v.(type) {
		case map[string]any:
			out[k] = MaskArgs(x)
		case []any:
			items := make([]any, len(x))
			for i, it := range x {
				if m, ok := it.(map[string]any); ok {
					items[i] = MaskArgs(m)
				} else if IsSecretName(k) {
					items[i] = "***"
				} else {
					items[i] = it
				}
			}
			out[k] = items
		default:
			if IsSecretName(k) {
				out[k] = "***"
			} else {
				out[k] = v
			}
		}
	}
	return out
}

// Revealed is a result that may show the activation keys: a reveal the
// user confirmed (or the guard is off).
type Revealed map[string]any

// activationKeyRE finds the fields that carry the subscription's sensor
// activation keys, whatever resource shows them (sensors, images,
// containers, compliance): compact JSON, as json.Marshal writes it.
var activationKeyRE = regexp.MustCompile(`"(?i:` + strings.Join(maskedFields, "|") + `)":"(?:[^"\\]|\\.)*"`)

// maskedFields carry the subscription's sensor activation keys: every
// result masks them (MaskActivationKeys).
var maskedFields = []string{"customerId", "customerUuid", "activationId", "activationUuid"}

// MaskedField reports whether a field, or a dotted path's last part, is
// one that every result masks (in any case).
func MaskedField(name string) bool {
	last := name[strings.LastIndexByte(name, '.')+1:]
	return slices.ContainsFunc(maskedFields, func(f string) bool { return strings.EqualFold(f, last) })
}

// MaskActivationKeys masks the activation keys in an encoded result, as
// get_activation_keys does without reveal (the last 4 characters remain,
// enough to tell them apart).
func MaskActivationKeys(b []byte) []byte {
	if !bytes.Contains(b, []byte("ustomer")) && !bytes.Contains(b, []byte("ctivation")) {
		return b
	}
	return activationKeyRE.ReplaceAllFunc(b, func(m []byte) []byte {
		i := bytes.Index(m, []byte(`":"`)) + 2
		var v string
		if json.Unmarshal(m[i:], &v) != nil {
			return m
		}
		q, _ := json.Marshal(Mask(v))
		return append(m[:i:i], q...)
	})
}

// Mask hides all but the last 4 characters of a secret value.
func Mask(s string) string {
	if len(s) <= 4 {
		return "****"
	}
	return strings.Repeat("*", len(s)-4) + s[len(s)-4:]
}

// RedactJSON masks the secrets in an encoded result. Masking the text
// keeps it valid JSON when a secret sits inside strings, as it does; if
// one matched the JSON's own syntax (a secret "1234" and a number 1234),
// the strings are masked one by one instead.
func RedactJSON(reg *secret.Registry, b []byte, secrets []string) string {
	text := reg.Redact(string(b), secrets...)
	if len(text) == len(b) || json.Valid([]byte(text)) {
		return text
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return text
	}
	out, _ := json.Marshal(redactValue(reg, v, secrets))
	return string(out)
}

func redactValue(reg *secret.Registry, v any, secrets []string) any {
	switch x := v.(type) {
	case string:
		return reg.Redact(x, secrets...)
	case []any:
		for i := range x {
			x[i] = redactValue(reg, x[i], secrets)
		}
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[reg.Redact(k, secrets...)] = redactValue(reg, e, secrets)
		}
		return out
	}
	return v
}
