// Package sandbox is an emulated Qualys CS API gateway on net/http, with
// real state, honest errors and, for tests only (Options.Control, driven
// by package sandboxtest), knobs: injected faults, expired tokens and
// missing permissions.
package sandbox

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	json "github.com/segmentio/encoding/json"
)

// Base is the API's base path.
const Base = "/csapi/v1.3"

// Options configure a sandbox.
type Options struct {
	Username string        // default "sandbox"
	Password string        // default "sandbox"
	TokenTTL time.Duration // default 4h
	Latency  time.Duration // added to every answer
	Now      func() time.Time
	Scale    int // containers in the synthetic inventory (images: 3 in 10); 0 means DefaultInventory, negative none
	// Validate, if set, judges every API request before it is served, as
	// the real gateway does by the API's documents (tests set it from
	// package apicheck): an error is answered 400 with its reason, or with
	// the error's StatusCode() if it has one.
	Validate func(*http.Request) error
	// Control serves the test knobs under ControlPath (package
	// sandboxtest drives them): injected faults, missing permissions,
	// expired tokens, the tokens issued. --sandbox never sets it.
	Control bool
}

// Fault is one injected answer, consumed by the next matching request
// (with Options.Control, through ControlPath; see package sandboxtest).
type Fault struct {
	Status    int               // answer with this status
	Header    map[string]string // e.g. Retry-After
	Body      string            // raw body; default a Qualys error body
	Delay     time.Duration     // wait before answering (or before the real answer when Status is 0)
	Reset     bool              // drop the connection without an answer
	Malformed bool              // a 200 with a body that is not JSON
	After     bool              // apply the real handler first, then answer the fault (the change is applied)
	// Echo answers Status (400 if unset) with a Qualys error whose message
	// repeats the request: method, URI, every header (Authorization too)
	// and the body, as a careless gateway or proxy in front of it might.
	Echo bool
}

type faultRule struct {
	method, prefix string
	queue          []Fault
}

// Server is the emulated gateway. Its zero value is not usable: call New.
type Server struct {
	opts Options
	mux  *http.ServeMux

	mu       sync.Mutex
	state    *state
	tokens   map[string]time.Time
	faults   []*faultRule
	denied   map[string]bool
	counts   map[string]int
	authN    atomic.Int64
	inFlight atomic.Int64
	maxIn    atomic.Int64
	reqLog   []Request
	lastBody map[string][]byte
}

// Request is what the sandbox saw of one API call.
type Request struct {
	Method, Path, Query string
	Body                []byte
}

// New builds a sandbox seeded with the release notes' sample data.
func New(opts Options) *Server {
	if opts.Username == "" {
		opts.Username = "sandbox"
	}
	if opts.Password == "" {
		opts.Password = "sandbox"
	}
	if opts.TokenTTL == 0 {
		opts.TokenTTL = 4 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts, mux: http.NewServeMux(), tokens: map[string]time.Time{},
		denied: map[string]bool{}, counts: map[string]int{}, lastBody: map[string][]byte{}}
	s.state = seed(opts.Now())
	s.mux.HandleFunc("POST /auth", s.handleAuth)
	s.routes()
	return s
}

// Handler serves the gateway.
func (s *Server) Handler() http.Handler { return s }

// Start listens on a loopback port and serves until close is called.
func (s *Server) Start() (baseURL string, closeFn func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

// ---- what tests read ----

// AuthCalls counts POST /auth requests.
func (s *Server) AuthCalls() int { return int(s.authN.Load()) }

// Count returns how many API requests matched method ("" for any) and a
// path prefix under /csapi/v1.3.
func (s *Server) Count(method, prefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.reqLog {
		if (method == "" || r.Method == method) && strings.HasPrefix(r.Path, prefix) {
			n++
		}
	}
	return n
}

// Requests returns a copy of every API request seen so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqLog...)
}

// Total is the number of API requests seen (not counting /auth).
func (s *Server) Total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqLog)
}

// ---- serving ----

// permission names the permission a route needs.
func permission(method, path string) string {
	area := "SENSOR"
	switch {
	case strings.HasPrefix(path, "/sensorProfile"):
		area = "SENSOR_PROFILE"
	case strings.HasPrefix(path, "/registry"):
		area = "REGISTRY"
	case strings.HasPrefix(path, "/images"):
		area = "IMAGE"
	case strings.HasPrefix(path, "/containers"):
		area = "CONTAINER"
	case strings.HasPrefix(path, "/controls"):
		area = "CONTROL"
	case strings.HasPrefix(path, "/reports"):
		area = "REPORT"
	case strings.HasPrefix(path, "/activationkey"):
		area = "ACTIVATION_KEY"
	}
	verb := "VIEW"
	switch method {
	case http.MethodPost, http.MethodPut:
		verb = "EDIT"
	case http.MethodDelete:
		verb = "DELETE"
	}
	return "CS." + area + "." + verb
}

// MaxInFlight is the most API requests the sandbox served at once.
func (s *Server) MaxInFlight() int { return int(s.maxIn.Load()) }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.opts.Control && strings.HasPrefix(r.URL.Path, ControlPath) {
		s.control(w, r)
		return
	}
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for m := s.maxIn.Load(); n > m && !s.maxIn.CompareAndSwap(m, n); m = s.maxIn.Load() {
	}
	if s.opts.Latency > 0 {
		time.Sleep(s.opts.Latency)
	}
	path := strings.TrimPrefix(r.URL.Path, Base)
	if r.URL.Path == "/auth" {
		path = "/auth"
	}
	var body []byte
	if r.Body != nil {
		body, _ = readAll(r, 8<<20)
		r.Body = newBody(body)
	}
	s.mu.Lock()
	if path != "/auth" {
		s.reqLog = append(s.reqLog, Request{Method: r.Method, Path: path, Query: r.URL.RawQuery, Body: body})
	}
	fault, ok := s.nextFault(r.Method, path)
	s.mu.Unlock()
	if ok {
		if fault.Delay > 0 {
			select {
			case <-time.After(fault.Delay):
			case <-r.Context().Done():
				return
			}
		}
		if fault.After {
			s.serve(&discardWriter{h: http.Header{}}, r, path)
		}
		if fault.Echo {
			writeEcho(w, r, fault.Status, body)
			return
		}
		if s.answerFault(w, fault) {
			return
		}
	}
	s.serve(w, r, path)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, path string) {
	if path == "/auth" {
		s.mux.ServeHTTP(w, r)
		return
	}
	if !strings.HasPrefix(r.URL.Path, Base+"/") {
		writeError(w, http.StatusNotFound, "404 NOT_FOUND", "no such API path")
		return
	}
	if !s.authorized(r) {
		writeError(w, http.StatusUnauthorized, "401 UNAUTHORIZED", "Full authentication is required to access this resource")
		return
	}
	s.mu.Lock()
	perm := permission(r.Method, path)
	denied := s.denied[perm]
	s.mu.Unlock()
	if denied {
		writeError(w, http.StatusForbidden, "403 FORBIDDEN", fmt.Sprintf("The %s user does not have the %s permission to perform this operation. Ensure that required permissions are assigned to the user", s.opts.Username, perm))
		return
	}
	if s.opts.Validate != nil {
		if err := s.opts.Validate(r); err != nil {
			status := http.StatusBadRequest
			var sc interface{ StatusCode() int }
			if errors.As(err, &sc) {
				status = sc.StatusCode()
			}
			writeError(w, status, errorCode(status), err.Error())
			return
		}
	}
	if r.URL.Query().Has("pageNo") {
		writeError(w, http.StatusBadRequest, "400 BAD_REQUEST", "pageNo is not supported in v1.3; use pageNumber")
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) nextFault(method, path string) (Fault, bool) {
	for i, f := range s.faults {
		if (f.method == "" || f.method == method) && strings.HasPrefix(path, f.prefix) && len(f.queue) > 0 {
			ft := f.queue[0]
			f.queue = f.queue[1:]
			if len(f.queue) == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			return ft, true
		}
	}
	return Fault{}, false
}

// answerFault writes the fault; false means "now serve the real answer".
func (s *Server) answerFault(w http.ResponseWriter, f Fault) bool {
	switch {
	case f.Reset:
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				if tc, ok := c.(*net.TCPConn); ok {
					tc.SetLinger(0)
				}
				c.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler)
	case f.Malformed:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(`{"data": [ {"uuid": "trunc`))
		return true
	case f.Status != 0:
		for k, v := range f.Header {
			w.Header().Set(k, v)
		}
		if f.Body != "" {
			w.WriteHeader(f.Status)
			w.Write([]byte(f.Body))
		} else {
			writeError(w, f.Status, errorCode(f.Status), "injected fault")
		}
		return true
	}
	return false
}

// writeEcho answers an error that quotes the whole request.
func writeEcho(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	if status == 0 {
		status = http.StatusBadRequest
	}
	var b strings.Builder
	fmt.Fprintf(&b, "could not process %s %s; headers:", r.Method, r.URL.RequestURI())
	names := make([]string, 0, len(r.Header))
	for k := range r.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(&b, " %s: %s;", k, strings.Join(r.Header[k], ", "))
	}
	fmt.Fprintf(&b, " body: %s", body)
	writeError(w, status, errorCode(status), b.String())
}

func (s *Server) handleAuth(w http.ResponseWriter, r *http.Request) {
	s.authN.Add(1)
	if err := r.ParseForm(); err != nil || r.PostForm.Get("token") != "true" {
		http.Error(w, "username, password and token=true are required", http.StatusBadRequest)
		return
	}
	if r.PostForm.Get("username") != s.opts.Username || r.PostForm.Get("password") != s.opts.Password {
		http.Error(w, "Invalid credentials", http.StatusUnauthorized)
		return
	}
	exp := s.opts.Now().Add(s.opts.TokenTTL)
	tok := makeJWT(r.PostForm.Get("username"), exp)
	s.mu.Lock()
	s.tokens[tok] = exp
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusCreated)
	w.Write([]byte(tok))
}

// IssueToken returns a valid token without an /auth call (QUALYS_TOKEN tests).
func (s *Server) IssueToken() string {
	exp := s.opts.Now().Add(s.opts.TokenTTL)
	tok := makeJWT(s.opts.Username, exp)
	s.mu.Lock()
	s.tokens[tok] = exp
	s.mu.Unlock()
	return tok
}

func makeJWT(user string, exp time.Time) string {
	nonce := make([]byte, 12)
	rand.Read(nonce)
	enc := base64.RawURLEncoding
	head := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	claims, _ := json.Marshal(map[string]any{"sub": user, "exp": exp.Unix(), "jti": hex.EncodeToString(nonce)})
	return head + "." + enc.EncodeToString(claims) + "." + enc.EncodeToString(nonce)
}

func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.tokens[tok]
	return ok && s.opts.Now().Before(exp)
}

// ---- answers ----

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"errorCode": code, "message": msg, "timestamp": time.Now().UnixMilli()})
}

// errorCode is the errorCode of an error answer: "400 BAD_REQUEST".
func errorCode(status int) string {
	return fmt.Sprintf("%d %s", status, strings.ToUpper(strings.ReplaceAll(http.StatusText(status), " ", "_")))
}

func badRequest(w http.ResponseWriter, format string, a ...any) {
	writeError(w, http.StatusBadRequest, "400 BAD_REQUEST", fmt.Sprintf(format, a...))
}

func notFound(w http.ResponseWriter, what, id string) {
	writeError(w, http.StatusNotFound, "404 NOT_FOUND", fmt.Sprintf("%s with id %s not found", what, id))
}

// orNotFound answers 404 naming what and id when v is nil, and returns v.
func orNotFound[T any](w http.ResponseWriter, what, id string, v *T) *T {
	if v == nil {
		notFound(w, what, id)
	}
	return v
}

// decodeBody reads a JSON body strictly: unknown fields are a 400.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		badRequest(w, "invalid request body: %v", err)
		return false
	}
	return true
}

// page is the paging every list shares: pageNumber from 1, pageSize
// default 50, and a 10,000-record cap on page-number paging.
func page[T any](w http.ResponseWriter, r *http.Request, items []T) ([]T, bool) {
	q := r.URL.Query()
	num, size := 1, 50
	if v := q.Get("pageNumber"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			badRequest(w, "pageNumber must be a positive integer")
			return nil, false
		}
		num = n
	}
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			badRequest(w, "pageSize must be between 1 and 1000")
			return nil, false
		}
		size = n
	}
	if num*size > 10000 {
		badRequest(w, "page-number paging stops at 10000 records; use the /list endpoint")
		return nil, false
	}
	start := min((num-1)*size, len(items))
	end := min(start+size, len(items))
	return items[start:end], true
}

// filterSort applies the QQL filter and sort to items, through their JSON.
func filterSort[T any](w http.ResponseWriter, r *http.Request, items []T) ([]T, bool) {
	q := r.URL.Query()
	if f := unknownQQLField(r); f != "" {
		badRequest(w, "invalid filter: %q is not a QQL field of this list", f)
		return nil, false
	}
	pred, err := parseQQL(q.Get("filter"))
	if err != nil {
		badRequest(w, "invalid filter: %v", err)
		return nil, false
	}
	type row struct {
		item T
		m    map[string]any
	}
	if q.Get("filter") == "" && q.Get("sort") == "" {
		return items, true // nothing to match or order by: no need for each item's JSON
	}
	rows := make([]row, 0, len(items))
	for _, it := range items {
		m := asMap(it)
		if pred(m) {
			rows = append(rows, row{it, m})
		}
	}
	if srt := q.Get("sort"); srt != "" {
		field, dir, _ := strings.Cut(srt, ":")
		desc := strings.EqualFold(dir, "desc")
		sort.SliceStable(rows, func(i, j int) bool {
			c := compare(lookup(rows[i].m, field), lookup(rows[j].m, field))
			if desc {
				return c > 0
			}
			return c < 0
		})
	}
	out := make([]T, len(rows))
	for i, rw := range rows {
		out[i] = rw.item
	}
	return out, true
}

// asMap is v as its JSON reads (a map too: its values may be pointers,
// timestamps or structs that only their JSON shows as QQL sees them).
func asMap(v any) map[string]any {
	b, _ := json.Marshal(v)
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

func newUUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Transport serves the gateway to an in-process client without a socket:
// the --sandbox mode's client uses it, so the emulated gateway costs no
// loopback round trip. A Reset fault becomes a transport error.
func (s *Server) Transport() http.RoundTripper { return memTransport{s} }

type memTransport struct{ h http.Handler }

func (m memTransport) RoundTrip(r *http.Request) (resp *http.Response, err error) {
	defer func() {
		if p := recover(); p != nil {
			resp, err = nil, errors.New("connection reset by peer")
		}
	}()
	if r.Body == nil {
		r.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	m.h.ServeHTTP(rec, r)
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	out := rec.Result()
	out.Request = r
	return out, nil
}
