package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/secret"
)

// APIError is every failure the Qualys API answered with, or that kept a
// request from being answered.
type APIError struct {
	Status     int    // HTTP status; 0 when no answer came
	Code       string // Qualys errorCode, e.g. "403 FORBIDDEN"
	Message    string // Qualys message, or what went wrong
	Method     string
	Path       string            // the path template, e.g. /sensorProfile/{sensorProfileId}
	Params     map[string]string // the path parameters
	RetryAfter time.Duration     // for 429 and 503, when known
	// Applied says whether a mutating request may have taken effect:
	// "no", or "unknown" when the request was sent and no clear answer came.
	Applied string
	Hint    string // what the user can do, when known
}

var permissionRE = regexp.MustCompile(`(?i)the\s+(\S+)\s+user\s+does\s+not\s+have\s+the\s+([A-Z0-9_.]+)\s+permission`)

// Permission returns the permission a 403 names, if any.
func (e *APIError) Permission() string {
	if m := permissionRE.FindStringSubmatch(e.Message); m != nil {
		return m[2]
	}
	return ""
}

func (e *APIError) Error() string {
	var b strings.Builder
	switch {
	case e.Status == http.StatusForbidden && e.Permission() != "":
		fmt.Fprintf(&b, "Qualys refused: the user lacks permission %s; a Manager can grant it in the Qualys Administration utility", e.Permission())
	case e.Status == http.StatusForbidden:
		b.WriteString("Qualys refused (403): the user's role lacks a permission this call needs (a \"CS User\" role cannot use the API at all); a Manager can grant it")
	case e.Status == http.StatusNotFound:
		b.WriteString("not found: Qualys has no ")
		b.WriteString(e.describeTarget())
	case e.Status == http.StatusUnauthorized:
		b.WriteString("authentication failed: Qualys rejected the credentials or token (HTTP 401)")
	case e.Status == http.StatusTooManyRequests:
		b.WriteString("rate limited by Qualys (HTTP 429)")
		if e.RetryAfter > 0 {
			fmt.Fprintf(&b, "; retry after %s (at %s)", e.RetryAfter.Round(time.Second), time.Now().Add(e.RetryAfter).UTC().Format(time.RFC3339))
		}
	case e.Status == 0:
		b.WriteString("no answer from Qualys")
	case e.Status < 300:
		fmt.Fprintf(&b, "Qualys answered (HTTP %d) but the answer could not be read", e.Status)
	case e.Status >= 500:
		fmt.Fprintf(&b, "Qualys failed to answer (HTTP %d)", e.Status)
	default:
		fmt.Fprintf(&b, "Qualys rejected the request (HTTP %d)", e.Status)
	}
	if e.Message != "" {
		msg := e.Message
		if e.Code != "" && !strings.Contains(msg, e.Code) {
			msg = e.Code + ": " + msg
		}
		fmt.Fprintf(&b, " (Qualys said: %s)", msg)
	}
	if e.Method != "" {
		fmt.Fprintf(&b, " [%s %s]", e.Method, e.Path)
	}
	if e.Hint != "" {
		b.WriteString("; " + e.Hint)
	}
	switch e.Applied {
	case "no":
		if e.Method != http.MethodGet {
			b.WriteString("; nothing was changed")
		}
	case "unknown":
		b.WriteString("; the change may or may not have been applied: read the current state before trying again")
	}
	return b.String()
}

func (e *APIError) describeTarget() string {
	if len(e.Params) == 0 {
		return "such resource"
	}
	names := make([]string, 0, len(e.Params))
	for k := range e.Params {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf("%s %q", k, e.Params[k])
	}
	return strings.Join(parts, " with ")
}

// maxMessage is how much of an upstream message an error keeps.
const maxMessage = 500

// upstreamError reads an error answer, its message cut to maxMessage. The
// message may echo the request (its headers, its body): the cut masks the
// secrets the process holds and the call's own (in ctx), and leaves no
// prefix of one where it cuts.
func (c *Client) upstreamError(ctx context.Context, status int, body []byte) *APIError {
	e := parseError(status, body)
	e.Message = c.cfg.Secrets.Cut(e.Message, maxMessage, secret.Values(ctx)...)
	e.Code = c.cfg.Secrets.Cut(e.Code, 100, secret.Values(ctx)...)
	return e
}

// parseError reads the Qualys error body: {"errorCode","message","timestamp"},
// or plain text, whole: upstreamError cuts it.
func parseError(status int, body []byte) *APIError {
	e := &APIError{Status: status}
	var v struct {
		ErrorCode string `json:"errorCode"`
		Message   string `json:"message"`
		Error     string `json:"error"`
	}
	if json.Unmarshal(body, &v) == nil {
		e.Code, e.Message = v.ErrorCode, v.Message
		if e.Message == "" {
			e.Message = v.Error
		}
	} else if s := strings.TrimSpace(string(body)); s != "" && !strings.HasPrefix(s, "<") {
		e.Message = s
	}
	return e
}
