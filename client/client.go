package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-resty/resty/v2"
	json "github.com/segmentio/encoding/json"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/jsonlimit"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/secret"
)

// Client calls the CS API. It is safe for concurrent use.
type Client struct {
	cfg     Config
	http    *resty.Client
	auth    *tokenSource
	limits  *throttle
	slots   chan struct{}
	base    string
	counted bool // the transport counts the bytes written to each connection
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

	tooLarge error // the body was cut at MaxBody
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
	rt, counted := countWrites(h.GetClient().Transport)
	h.SetTransport(rt)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	health := &storeHealth{log: cfg.Logger}
	account := cfg.account()
	c := &Client{
		cfg:     cfg,
		http:    h,
		counted: counted,
		limits:  newThrottle(cfg.State, cfg.RateLimits, account, health),
		slots:   make(chan struct{}, 16),
		base:    cfg.Gateway.String() + BasePath,
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

// Do sends the call, authenticating, and renewing the token once on 401
// (a refusal before any processing, so even a write may be sent again).
//
// A read (GET) is retried on 429, 502, 503, 504 and transport failures. A
// write (POST, PUT, PATCH, DELETE) is retried only when it provably never
// reached Qualys: a 429 (refused before any processing), or a request that
// was not wholly sent (DNS failure, connection refused, a TLS handshake
// that failed, a connection reset while writing). Any other failure of a
// write is final, and its error says whether the change may have been
// applied.
func (c *Client) Do(ctx context.Context, call Call) (*Response, error) {
	target, err := c.url(call)
	if err != nil {
		return nil, err
	}
	read := call.Method == http.MethodGet
	fail := func(e *APIError) *APIError {
		e.Method, e.Path, e.Params = call.Method, call.Path, call.Params
		if read {
			e.Applied = "" // a read changes nothing: its error says nothing of changes
		}
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
	token, err := c.auth.get(ctx)
	if err != nil {
		return nil, refusedWrite(err, read)
	}
	renewed := false
	for attempt := 0; ; attempt++ {
		if err := c.throttle(ctx, call.Path); err != nil {
			return nil, fail(&APIError{Cause: err, Applied: "no"})
		}
		octx, end := c.observe(ctx, call.Method, EndpointClass(call.Path), call.Path)
		resp, sent, sendErr := c.send(octx, call.Method, target, call.Query, body, ctype, token)
		end(answered(ctx, resp, sendErr))
		if sendErr == nil && resp.Status == http.StatusTooManyRequests && c.cfg.Observer != nil {
			c.cfg.Observer.RateLimited(ctx, EndpointClass(call.Path))
		}
		traceOf(ctx).add(call.Method, strings.TrimPrefix(target, c.base), resp, sendErr)
		var apiErr *APIError
		retry, wait, known := false, time.Duration(0), false
		switch {
		case sendErr != nil:
			apiErr = &APIError{Cause: sendErr, Applied: appliedState(sent)}
			retry = ctx.Err() == nil && (read || !sent) && !permanent(sendErr)
		case resp.Status >= 200 && resp.Status < 300:
			err := resp.tooLarge
			if err == nil && call.Out != nil && len(bytes.TrimSpace(resp.Body)) > 0 {
				err = c.decode(resp.Body, call.Out)
			} else if err == nil && isJSON(resp.Header) {
				err = jsonlimit.Check(resp.Body, c.answerLimits()) // the caller will decode it
			}
			if err == nil {
				return resp, nil
			}
			apiErr = &APIError{Status: resp.Status, Cause: err, Applied: "yes"}
			var limit *jsonlimit.Error
			retry = read && resp.tooLarge == nil && !errors.As(err, &limit) // a cut answer may come whole next time
		case resp.Status == http.StatusUnauthorized && !renewed:
			renewed = true
			if token, err = c.auth.renew(ctx, token); err != nil {
				return nil, refusedWrite(err, read)
			}
			continue
		default:
			apiErr = c.upstreamError(ctx, resp.Status, resp.Body)
			wait, known = retryAfter(resp.Header)
			apiErr.RetryAfter = wait
			switch {
			case resp.Status == http.StatusTooManyRequests:
				apiErr.Applied, retry = "no", true
			case resp.Status >= 500:
				apiErr.Applied = "unknown"
				retry = read && (resp.Status == 502 || resp.Status == 503 || resp.Status == 504)
			default:
				apiErr.Applied = "no"
			}
		}
		if !retry || attempt >= c.cfg.MaxRetries {
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

// refusedWrite marks an authentication failure, which comes before the
// call is sent, as having changed nothing.
func refusedWrite(err error, read bool) error {
	var ae *APIError
	if !read && errors.As(err, &ae) && ae.Applied == "" {
		ae.Applied = "no"
	}
	return err
}

// answerLimits bound the JSON of an answer: its size is already within
// MaxBody; its depth, the default.
func (c *Client) answerLimits() jsonlimit.Limits {
	return jsonlimit.Limits{Bytes: c.cfg.MaxBody}
}

// decode reads one JSON value into out, as json.Unmarshal does, but its
// strings and raw values share b's bytes instead of copying them: b is
// an answer's body, which nothing changes afterwards. The answer's depth
// is checked first: no answer, however deep, exhausts the stack.
func (c *Client) decode(b []byte, out any) error {
	if err := jsonlimit.Check(b, c.answerLimits()); err != nil {
		return err
	}
	rest, err := json.Parse(b, out, json.ZeroCopy)
	if err == nil && len(bytes.TrimSpace(rest)) > 0 {
		err = fmt.Errorf("invalid character %q after top-level value", rest[0])
	}
	return err
}

// permanent reports a transport failure that trying again will not mend:
// a name that does not exist, a certificate that is not trusted.
func permanent(err error) bool {
	var dns *net.DNSError
	return errors.As(err, &dns) && dns.IsNotFound || isTLS(err)
}

// isJSON reports whether an answer says it is JSON.
func isJSON(h http.Header) bool {
	ct, _, _ := strings.Cut(h.Get("Content-Type"), ";")
	ct = strings.ToLower(strings.TrimSpace(ct))
	return ct == "application/json" || strings.HasSuffix(ct, "+json")
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

// appliedState is a write's state after a transport failure: a request
// not wholly sent changed nothing.
func appliedState(sent bool) string {
	if sent {
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

// send makes one request. sent is false only when none of the request
// can have reached Qualys: no connection was had for it, or not one byte
// was written on the connection before it failed (see countWrites). An
// answer larger than MaxBody is cut there and marked tooLarge.
func (c *Client) send(ctx context.Context, method, target string, q url.Values, body []byte, ctype, token string) (resp *Response, sent bool, err error) {
	select {
	case c.slots <- struct{}{}:
		defer func() { <-c.slots }()
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
	var conn *countingConn
	var start int64
	gotConn := false
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(i httptrace.GotConnInfo) { // again for each connection the transport tries
			gotConn, conn = true, connOf(i.Conn)
			if conn != nil {
				start = conn.written.Load()
			}
		},
	})
	r := c.http.R().SetContext(ctx).SetDoNotParseResponse(true).SetAuthToken(token)
	if q != nil {
		r.SetQueryParamsFromValues(q)
	}
	if body != nil {
		r.SetHeader("Content-Type", ctype).SetBody(body)
	}
	res, err := r.Execute(method, target)
	if err != nil {
		// the transport waits for its writer to stop before it returns an
		// error, so the count is final, except after a timeout or a
		// cancellation, which is taken as sent once a connection was had
		var ne net.Error
		unsent := c.counted && (!gotConn || conn != nil && conn.written.Load() == start &&
			ctx.Err() == nil && !(errors.As(err, &ne) && ne.Timeout()))
		return nil, !unsent, scrubTransportError(err)
	}
	raw := res.RawBody()
	defer raw.Close()
	data, err := io.ReadAll(io.LimitReader(raw, c.cfg.MaxBody+1))
	if err != nil {
		return nil, true, scrubTransportError(err)
	}
	resp = &Response{Status: res.StatusCode(), Header: res.Header(), Body: data}
	if int64(len(data)) > c.cfg.MaxBody {
		resp.Body = data[:c.cfg.MaxBody]
		resp.tooLarge = fmt.Errorf("the answer was larger than the %d-byte cap; narrow the request with a filter or a smaller pageSize", c.cfg.MaxBody)
	}
	return resp, true, nil
}

// countingConn counts the bytes written to a connection.
type countingConn struct {
	net.Conn
	written atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.written.Add(int64(n))
	return n, err
}

// connOf finds the countingConn under a connection (TLS or not).
func connOf(c net.Conn) *countingConn {
	if t, ok := c.(*tls.Conn); ok {
		c = t.NetConn()
	}
	cc, _ := c.(*countingConn)
	return cc
}

// countWrites makes an HTTP transport count the bytes written to each of
// its connections, so that a request that failed can tell whether any of
// it left this process: Go's own transport knows, but does not say
// (httptrace's WroteRequest fires when the request is buffered, before it
// is flushed). Another kind of transport is left as is, and its failures
// are taken as sent.
func countWrites(rt http.RoundTripper) (http.RoundTripper, bool) {
	t, ok := rt.(*http.Transport)
	if !ok {
		return rt, false
	}
	t = t.Clone()
	dial := t.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &countingConn{Conn: c}, nil
	}
	return t, true
}

// scrubTransportError keeps the cause of a transport failure (for
// errors.As) without the URL's query, which may carry filters the user
// typed.
func scrubTransportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return fmt.Errorf("%s: %w", strings.ToLower(ue.Op), ue.Err)
	}
	return err
}

// login is POST {gateway}/auth with the form fields; the body is the JWT.
func (c *Client) login(ctx context.Context) (string, error) {
	if c.cfg.Username == "" || c.cfg.Password == "" {
		return "", &APIError{Status: http.StatusUnauthorized, Cause: errors.New("no username and password to renew the token with"), Method: "POST", Path: "/auth"}
	}
	octx, end := c.observe(ctx, http.MethodPost, "auth", "/auth")
	resp, err := c.http.R().SetContext(octx).
		SetFormData(map[string]string{"username": c.cfg.Username, "password": c.cfg.Password, "token": "true"}).
		SetHeader("Accept", "text/plain, application/json").
		Post(c.cfg.Gateway.String() + "/auth")
	if err != nil {
		end(Answer{Error: ErrorKind(ctx, err)})
		return "", &APIError{Cause: scrubTransportError(err), Method: "POST", Path: "/auth"}
	}
	end(Answer{Status: resp.StatusCode()})
	if resp.StatusCode() != http.StatusOK && resp.StatusCode() != http.StatusCreated {
		e := c.upstreamError(ctx, resp.StatusCode(), resp.Body())
		e.Method, e.Path, e.Hint = "POST", "/auth", "check QUALYS_USERNAME and QUALYS_PASSWORD, and that the user may use the API"
		return "", e
	}
	tok := strings.TrimSpace(string(resp.Body()))
	if tok == "" || strings.ContainsAny(tok, " \n<{") {
		return "", &APIError{Status: resp.StatusCode(), Method: "POST", Path: "/auth", Cause: errors.New("the /auth answer was not a token")}
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
