package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/jsonlimit"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/secret"
)

// APIError is every failure the Qualys API answered with, or that kept a
// request from being answered.
type APIError struct {
	Status  int    // HTTP status; 0 when no answer came
	Code    string // Qualys errorCode, e.g. "403 FORBIDDEN"
	Message string // what Qualys said (cut, secrets masked); never our words
	// Cause is what went wrong on this side of the answer: a transport
	// failure (DNS, connection refused, TLS, reset, timeout), a
	// cancellation, or an answer that could not be read.
	Cause      error
	Method     string
	Path       string            // the path template, e.g. /sensorProfile/{sensorProfileId}
	Params     map[string]string // the path parameters
	RetryAfter time.Duration     // for 429 and 503, when known
	// Applied says whether a write may have taken effect: "no" (it never
	// reached Qualys, or Qualys refused it), "yes" (Qualys accepted it but
	// its answer could not be read), "unknown" (it was sent and no clear
	// answer came). Empty for a read, which changes nothing.
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

func (e *APIError) Unwrap() error { return e.Cause }

func (e *APIError) Error() string {
	var b strings.Builder
	notFoundDelete := e.Status == http.StatusNotFound && e.Method == http.MethodDelete
	switch {
	case e.Status == http.StatusForbidden && e.Permission() != "":
		fmt.Fprintf(&b, "Qualys refused: the user lacks permission %s; a Manager can grant it in the Qualys Administration utility", e.Permission())
	case e.Status == http.StatusForbidden:
		b.WriteString("Qualys refused (403): the user's role lacks a permission this call needs (a \"CS User\" role cannot use the API at all); a Manager can grant it")
	case notFoundDelete:
		b.WriteString("not found, nothing deleted: Qualys has no ")
		b.WriteString(e.describeTarget())
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
	case e.Status == 0 && e.Cause != nil:
		b.WriteString(failure(e.Cause))
	case e.Status == 0:
		b.WriteString("no answer from Qualys")
	case e.Status < 300:
		fmt.Fprintf(&b, "Qualys answered (HTTP %d) but the answer could not be read", e.Status)
	case e.Status >= 500:
		fmt.Fprintf(&b, "Qualys failed to answer (HTTP %d)", e.Status)
	default:
		fmt.Fprintf(&b, "Qualys rejected the request (HTTP %d)", e.Status)
	}
	if e.Cause != nil && e.Status != 0 {
		b.WriteString(": " + e.Cause.Error())
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
	switch {
	case notFoundDelete: // said already
	case e.Applied == "no":
		b.WriteString("; nothing was changed")
	case e.Applied == "yes":
		b.WriteString("; Qualys accepted the change, but read the current state to see it")
	case e.Applied == "unknown":
		b.WriteString("; the change may or may not have been applied: read the current state before trying again")
	}
	return b.String()
}

// failure names what kept a request from being answered: the network's
// words, never Qualys'.
func failure(err error) string {
	var dns *net.DNSError
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "cancelled before Qualys answered (" + err.Error() + ")"
	case errors.As(err, &dns):
		return fmt.Sprintf("could not reach Qualys: the DNS lookup of %s failed (%s)", dns.Name, dns.Err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "could not reach Qualys: connection refused (" + err.Error() + ")"
	case isTLS(err):
		return "could not reach Qualys: the TLS connection failed (" + err.Error() + ")"
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return "no answer from Qualys within the timeout (" + err.Error() + ")"
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		return "the connection to Qualys was reset before an answer came (" + err.Error() + ")"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection to Qualys closed before an answer came (" + err.Error() + ")"
	}
	return "no answer from Qualys: " + err.Error()
}

// isTLS reports a failed TLS handshake or certificate check.
func isTLS(err error) bool {
	var rec tls.RecordHeaderError
	var alert tls.AlertError
	var verify *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	return errors.As(err, &rec) || errors.As(err, &alert) || errors.As(err, &verify) ||
		errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid) ||
		strings.Contains(err.Error(), "tls: ")
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
	e := parseError(status, body, c.answerLimits())
	e.Message = c.cfg.Secrets.Cut(e.Message, maxMessage, secret.Values(ctx)...)
	e.Code = c.cfg.Secrets.Cut(e.Code, 100, secret.Values(ctx)...)
	return e
}

// parseError reads the Qualys error body: {"errorCode","message","timestamp"},
// or plain text, whole: upstreamError cuts it.
func parseError(status int, body []byte, limits jsonlimit.Limits) *APIError {
	e := &APIError{Status: status}
	var v struct {
		ErrorCode string `json:"errorCode"`
		Message   string `json:"message"`
		Error     string `json:"error"`
	}
	if jsonlimit.Unmarshal(body, &v, limits) == nil {
		e.Code, e.Message = v.ErrorCode, v.Message
		if e.Message == "" {
			e.Message = v.Error
		}
	} else if s := strings.TrimSpace(string(body)); s != "" && !strings.HasPrefix(s, "<") {
		e.Message = s
	}
	return e
}
