// Package client talks to the Qualys Container Security API over HTTP: it
// knows the platforms, authentication, errors, retries and paging, and
// nothing of MCP.
package client

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/secret"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
)

// BasePath is where the CS API v1.3 lives under a gateway.
const BasePath = "/csapi/v1.3"

// pods maps a Qualys platform (POD) to its API gateway host.
var pods = map[string]string{
	"US1":  "gateway.qg1.apps.qualys.com",
	"US2":  "gateway.qg2.apps.qualys.com",
	"US3":  "gateway.qg3.apps.qualys.com",
	"US4":  "gateway.qg4.apps.qualys.com",
	"EU1":  "gateway.qg1.apps.qualys.eu",
	"EU2":  "gateway.qg2.apps.qualys.eu",
	"EU3":  "gateway.qg3.apps.qualys.it",
	"IN1":  "gateway.qg1.apps.qualys.in",
	"CA1":  "gateway.qg1.apps.qualys.ca",
	"AE1":  "gateway.qg1.apps.qualys.ae",
	"UK1":  "gateway.qg1.apps.qualys.co.uk",
	"AU1":  "gateway.qg1.apps.qualys.com.au",
	"KSA1": "gateway.qg1.apps.qualysksa.com",
	"GOV1": "gateway.gov1.qualys.us",
}

// Config is what the client needs to reach Qualys. Secrets come from the
// environment or a file, never from flags.
type Config struct {
	Gateway  *url.URL // scheme and host, no path
	Username string
	Password string
	Token    string // a pre-issued JWT: no /auth call

	Timeout    time.Duration // per request; 0 means 60s
	MaxRetries int           // retries of a read, or of a write that never reached Qualys; 0 means 4
	MaxBackoff time.Duration // cap on one wait between retries; 0 means 30s
	MaxBody    int64         // cap on one upstream answer; 0 means 32 MiB
	UserAgent  string
	// Unthrottled skips the client-side limits (the sandbox has none).
	Unthrottled bool
	// Transport replaces the HTTP transport (the in-process sandbox).
	Transport http.RoundTripper
	// RateLimits replace the published limits of the classes they name
	// (requests per 60 s; --rate-limits).
	RateLimits map[string]int
	// State, when shared (Redis), holds the rate-limit counts and the JWT
	// for every replica; StateKey (32 bytes) seals the JWT there.
	State    state.Store
	StateKey []byte
	Logger   *slog.Logger // warnings about the shared store; nil: none
	// Secrets is the process's registry of secrets: the client adds the
	// password and every token it holds. Nil: the client makes its own.
	Secrets *secret.Registry
	// Observer watches every request to Qualys, the throttle's waits and
	// Qualys' 429s (metrics, traces); nil: nothing watches.
	Observer Observer
}

// account names the Qualys account in shared keys: an HMAC of the gateway
// and user under the state key, so a key reveals neither.
func (c Config) account() string {
	who := "user:" + c.Username
	if c.Username == "" {
		who = "token:" + c.Token
	}
	host := ""
	if c.Gateway != nil {
		host = c.Gateway.Host
	}
	m := hmac.New(sha256.New, append([]byte("qualys-cs-mcp/account/"), c.StateKey...))
	m.Write([]byte(host + "\x00" + who))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// ConfigFromEnv reads QUALYS_USERNAME, QUALYS_PASSWORD or
// QUALYS_PASSWORD_FILE, QUALYS_POD or QUALYS_GATEWAY_URL (which wins), and
// QUALYS_TOKEN.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	var c Config
	c.Username = strings.TrimSpace(getenv("QUALYS_USERNAME"))
	c.Password = getenv("QUALYS_PASSWORD")
	if f := getenv("QUALYS_PASSWORD_FILE"); f != "" && c.Password == "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return c, fmt.Errorf("QUALYS_PASSWORD_FILE: cannot read %s: %v", f, errors.Unwrap(err))
		}
		c.Password = strings.TrimRight(string(b), "\r\n")
	}
	c.Token = strings.TrimSpace(getenv("QUALYS_TOKEN"))
	gw, err := ResolveGateway(getenv("QUALYS_POD"), getenv("QUALYS_GATEWAY_URL"))
	if err != nil {
		return c, err
	}
	c.Gateway = gw
	if c.Token == "" && (c.Username == "" || c.Password == "") {
		return c, errors.New("credentials missing: set QUALYS_USERNAME and QUALYS_PASSWORD (or QUALYS_PASSWORD_FILE), or QUALYS_TOKEN; or run with --sandbox")
	}
	return c, nil
}

// PodNames lists the known platforms, sorted.
func PodNames() []string {
	return slices.Sorted(maps.Keys(pods))
}

// PodGateway is the API gateway host of a platform, by name (any case).
func PodGateway(pod string) (host string, ok bool) {
	host, ok = pods[strings.ToUpper(strings.TrimSpace(pod))]
	return host, ok
}

// ResolveGateway turns a POD name or an explicit gateway URL into the
// gateway's base URL. An explicit URL wins. Plain http is refused unless the
// host is loopback.
func ResolveGateway(pod, raw string) (*url.URL, error) {
	if raw == "" {
		if pod == "" {
			return nil, errors.New("no Qualys platform: set QUALYS_POD (" + strings.Join(PodNames(), ", ") + ") or QUALYS_GATEWAY_URL")
		}
		host, ok := PodGateway(pod)
		if !ok {
			return nil, fmt.Errorf("QUALYS_POD %q is not a known platform; use one of %s, or set QUALYS_GATEWAY_URL", pod, strings.Join(PodNames(), ", "))
		}
		raw = "https://" + host
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("QUALYS_GATEWAY_URL %q is not an http(s) URL with a host", raw)
	}
	if u.User != nil {
		return nil, errors.New("QUALYS_GATEWAY_URL must not carry credentials; use QUALYS_USERNAME and QUALYS_PASSWORD")
	}
	if u.Scheme == "http" && !IsLoopback(u.Hostname()) {
		return nil, fmt.Errorf("QUALYS_GATEWAY_URL %q uses plain http: only https is allowed, except for a loopback host", raw)
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

// IsLoopback reports whether host names this machine.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
