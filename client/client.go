package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"
	json "github.com/segmentio/encoding/json"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/secret"
)

// Client calls the CS API. It is safe for concurrent use.
type Client struct {
	cfg    Config
	http   *resty.Client
	auth   *tokenSource
	limits *throttle
	slots  chan struct{}
	base   string
}

// Call is one API request. Path is a template under the base path whose
// {name} segments come from Params, each validated and escaped.
type Call struct {
	Method string
	Path   string
	Params map[string]string
	Query  url.Values
	Body   any // JSON-encoded when not nil
	Out    any // JSON-decoded from a 2xx answer when not nil
	// Raw, when not nil, is sent as is with ContentType instead of Body
	// (a multipart/form-data upload).
	Raw         []byte
	ContentType string
}

// Response is a 2xx answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// New builds a client. The HTTP transport may be replaced for tests.
func New(cfg Config) *Client {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.MaxRetries <= 0 {
		cfg.MaxRetries = 4
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 32 << 20
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "qualys-cs-mcp"
	}
	if cfg.Secrets == nil {
		cfg.Secrets = secret.New()
	}
	cfg.Secrets.Add(cfg.Password)
	cfg.Secrets.Token(cfg.Token)
	h := resty.New().
		SetTimeout(cfg.Timeout).
		SetHeader("User-Agent", cfg.UserAgent).
		SetHeader("Accept", "application/json").
		SetRedirectPolicy(resty.NoRedirectPolicy())
	h.SetLogger(discardLogger{})
	if cfg.Transport != nil {
		h.SetTransport(cfg.Transport)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	health := &storeHealth{log: cfg.Logger}
	account := cfg.account()
	c := &Client{
		cfg:    cfg,
		http:   h,
		limits: newThrottle(cfg.State, cfg.RateLimits, account, health),
		slots:  make(chan struct{}, 16),
		base:   cfg.Gateway.String() + BasePath,
	}
	c.auth = &tokenSource{sem: make(chan struct{}, 1), fetch: c.login, fixed: cfg.Token, issued: cfg.Secrets.Token,
		shared: newSharedToken(cfg.State, cfg.StateKey, account, health)}
	return c
}

// Secrets is the registry that knows the secrets this client holds (the
// password, the current and previous token).
func (c *Client) Secrets() *secret.Registry { return c.cfg.Secrets }

// Gateway is the resolved gateway URL.
func (c *Client) Gateway() *url.URL { return c.cfg.Gateway }

// AuthCalls counts /auth requests made so far.
func (c *Client) AuthCalls() int64 { return c.auth.calls.Load() }

// Do sends the call, authenticating, retrying idempotent requests on 429,
// 502, 503, 504 and transport errors, and renewing the token once on 401.
func (c *Client) Do(ctx context.Context, call Call) (*Response, error) {
	target, err := c.url(call)
	if err != nil {
		return nil, err
	}
	fail := func(e *APIError) *APIError {
		e.Method, e.Path, e.Params = call.Method, call.Path, call.Params
		return e
	}
	var body []byte
	ctype := "application/json"
	if call.Body != nil {
		if body, err = json.Marshal(call.Body); err != nil {
			return nil, fmt.Errorf("encoding request body: %w", err)
		}
	}
	if call.Raw != nil {
		body, ctype = call.Raw, call.ContentType
	}
	idempotent := call.Method != http.MethodPost && call.Method != http.MethodPatch
	token, err := c.auth.get(ctx)
	if err != nil {
		return nil, err
	}
	renewed, maybeApplied := false, false
	for attempt := 0; ; attempt++ {
		if err := c.throttle(ctx, call.Path); err != nil {
			return nil, fail(&APIError{Message: err.Error(), Applied: "no"})
		}
		octx, end := c.observe(ctx, call.Method, EndpointClass(call.Path), call.Path)
		resp, sendErr := c.send(octx, call.Method, target, call.Query, body, ctype, token)
		end(answered(ctx, resp, sendErr))
		var capped *APIError
		if errors.As(sendErr, &capped) {
			return nil, fail(capped)
		}
		if sendErr == nil && resp.Status == http.StatusTooManyRequests && c.cfg.Observer != nil {
			c.cfg.Observer.RateLimited(ctx, EndpointClass(call.Path))
		}
		traceOf(ctx).add(call.Method, strings.TrimPrefix(target, c.base), resp, sendErr)
		var apiErr *APIError
		wait, known := time.Duration(0), false
		switch {
		case sendErr != nil && ctx.Err() != nil:
			return nil, fail(&APIError{Message: "cancelled: " + ctx.Err().Error(), Applied: appliedState(!idempotent || maybeApplied)})
		case sendErr != nil: // reset, timeout: the request may have been applied
			maybeApplied = true
			apiErr = &APIError{Message: sendErr.Error()}
		case resp.Status >= 200 && resp.Status < 300:
			if call.Out == nil || len(bytes.TrimSpace(resp.Body)) == 0 {
				return resp, nil
			}
			err := decode(resp.Body, call.Out)
			if err == nil {
				return resp, nil
			}
			maybeApplied = true // answered, so applied, but the answer is unreadable
			apiErr = &APIError{Status: resp.Status, Message: "the answer was not the JSON expected: " + err.Error()}
		case resp.Status == http.StatusUnauthorized && !renewed:
			renewed = true // refused before any processing: safe to repeat once, even a POST
			if token, err = c.auth.renew(ctx, token); err != nil {
				return nil, err
			}
			continue
		case resp.Status == http.StatusNotFound && call.Method == http.MethodDelete && maybeApplied:
			// an earlier attempt whose answer was lost did delete it
			return &Response{Status: http.StatusOK, Header: resp.Header}, nil
		default:
			apiErr = c.upstreamError(ctx, resp.Status, resp.Body)
			wait, known = retryAfter(resp.Header)
			apiErr.RetryAfter = wait
			if resp.Status == 502 || resp.Status == 504 {
				maybeApplied = true
			}
			if resp.Status != 429 && resp.Status != 502 && resp.Status != 503 && resp.Status != 504 {
				apiErr.Applied = appliedState(maybeApplied)
				return nil, fail(apiErr)
			}
		}
		apiErr.Applied = appliedState(maybeApplied || (!idempotent && apiErr.Status != 429))
		if !idempotent || attempt >= c.cfg.MaxRetries {
			return nil, fail(apiErr)
		}
		if !known {
			wait = backoff(attempt, c.cfg.MaxBackoff)
		}
		if wait > c.cfg.MaxBackoff {
			return nil, fail(apiErr) // outlasts the cap: say when to retry
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, fail(apiErr)
		}
	}
}

// decode reads one JSON value into out, as json.Unmarshal does, but its
// strings and raw values share b's bytes instead of copying them: b is
// an answer's body, which nothing changes afterwards.
func decode(b []byte, out any) error {
	rest, err := json.Parse(b, out, json.ZeroCopy)
	if err == nil && len(bytes.TrimSpace(rest)) > 0 {
		err = fmt.Errorf("invalid character %q after top-level value", rest[0])
	}
	return err
}

func (c *Client) throttle(ctx context.Context, path string) error {
	if c.cfg.Unthrottled {
		return nil
	}
	waited, err := c.limits.waited(ctx, path)
	if waited > 0 && c.cfg.Observer != nil {
		c.cfg.Observer.ThrottleWait(ctx, EndpointClass(path), waited)
	}
	return err
}

func appliedState(maybe bool) string {
	if maybe {
		return "unknown"
	}
	return "no"
}

func (c *Client) url(call Call) (string, error) {
	path := call.Path
	for name, v := range call.Params {
		if err := ValidID(name, v); err != nil {
			return "", err
		}
		path = strings.ReplaceAll(path, "{"+name+"}", url.PathEscape(v))
	}
	if strings.ContainsAny(path, "{}") {
		return "", fmt.Errorf("internal: unfilled path parameter in %s", call.Path)
	}
	return c.base + path, nil
}

// ValidID checks an identifier before it goes into a URL path: letters,
// digits, '-', '_', '.' and ':' (for sha256: digests), no "..", at most 128.
func ValidID(name, v string) error {
	if v == "" {
		return fmt.Errorf("%s: must not be empty", name)
	}
	if len(v) > 128 || strings.Contains(v, "..") {
		return fmt.Errorf("%s: %q is not a valid identifier", name, v)
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == ':') {
			return fmt.Errorf("%s: %q is not a valid identifier", name, v)
		}
	}
	return nil
}

func (c *Client) send(ctx context.Context, method, target string, q url.Values, body []byte, ctype, token string) (*Response, error) {
	select {
	case c.slots <- struct{}{}:
		defer func() { <-c.slots }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	r := c.http.R().SetContext(ctx).SetDoNotParseResponse(true).SetAuthToken(token)
	if q != nil {
		r.SetQueryParamsFromValues(q)
	}
	if body != nil {
		r.SetHeader("Content-Type", ctype).SetBody(body)
	}
	resp, err := r.Execute(method, target)
	if err != nil {
		return nil, scrubTransportError(err)
	}
	raw := resp.RawBody()
	defer raw.Close()
	data, err := io.ReadAll(io.LimitReader(raw, c.cfg.MaxBody+1))
	if err != nil {
		return nil, scrubTransportError(err)
	}
	if int64(len(data)) > c.cfg.MaxBody {
		return nil, &APIError{Status: resp.StatusCode(), Message: fmt.Sprintf("the answer was larger than the %d-byte cap; narrow the request with a filter or a smaller pageSize", c.cfg.MaxBody)}
	}
	return &Response{Status: resp.StatusCode(), Header: resp.Header(), Body: data}, nil
}

// scrubTransportError keeps the cause of a transport failure without the
// URL's query, which may carry filters the user typed.
func scrubTransportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %v", strings.ToLower(ue.Op), ue.Err)
	}
	return err
}

// login is POST {gateway}/auth with the form fields; the body is the JWT.
func (c *Client) login(ctx context.Context) (string, error) {
	if c.cfg.Username == "" || c.cfg.Password == "" {
		return "", &APIError{Status: http.StatusUnauthorized, Message: "no username and password to renew the token with"}
	}
	octx, end := c.observe(ctx, http.MethodPost, "auth", "/auth")
	resp, err := c.http.R().SetContext(octx).
		SetFormData(map[string]string{"username": c.cfg.Username, "password": c.cfg.Password, "token": "true"}).
		SetHeader("Accept", "text/plain, application/json").
		Post(c.cfg.Gateway.String() + "/auth")
	if err != nil {
		end(Answer{Error: ErrorKind(ctx, err)})
	} else {
		end(Answer{Status: resp.StatusCode()})
	}
	if err != nil {
		return "", &APIError{Message: "authentication request failed: " + scrubTransportError(err).Error(), Method: "POST", Path: "/auth"}
	}
	if resp.StatusCode() != http.StatusOK && resp.StatusCode() != http.StatusCreated {
		e := c.upstreamError(ctx, resp.StatusCode(), resp.Body())
		e.Method, e.Path, e.Hint = "POST", "/auth", "check QUALYS_USERNAME and QUALYS_PASSWORD, and that the user may use the API"
		return "", e
	}
	tok := strings.TrimSpace(string(resp.Body()))
	if tok == "" || strings.ContainsAny(tok, " \n<{") {
		return "", &APIError{Status: resp.StatusCode(), Method: "POST", Path: "/auth", Message: "the /auth answer was not a token"}
	}
	return tok, nil
}

func retryAfter(h http.Header) (time.Duration, bool) {
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
			return time.Duration(s) * time.Second, true
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(time.Until(t), 0), true
		}
	}
	if h.Get("X-RateLimit-Remaining") == "0" {
		if s, err := strconv.Atoi(h.Get("X-RateLimit-Window-Sec")); err == nil && s > 0 {
			return time.Duration(s) * time.Second, true
		}
	}
	return 0, false
}

func backoff(attempt int, limit time.Duration) time.Duration {
	d := 200 * time.Millisecond << attempt
	d += time.Duration(rand.Int64N(int64(d)/2 + 1))
	return min(d, limit)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type discardLogger struct{}

func (discardLogger) Errorf(string, ...any) {}
func (discardLogger) Warnf(string, ...any)  {}
func (discardLogger) Debugf(string, ...any) {}
