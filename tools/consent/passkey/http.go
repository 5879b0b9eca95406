package passkey

// The pages and their JSON steps. The page loads passkey.js from the
// server (script-src 'self'; nothing inline, nothing from elsewhere); the
// script posts each step as JSON and does what the answer says: create or
// get a credential with the options sent, and post it to the next step,
// until the answer is final. A POST needs Content-Type application/json
// and the page's own Origin (a foreign page cannot send either without
// the browser asking first, and nothing answers that).

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
)

// Path is where Handler is mounted: the script, and the enrolment pages
// under Path+"enrol/".
const Path = "/passkey/"

// PageCSP is the Content-Security-Policy of a page that uses the script:
// scripts and requests from its own origin only, its one style block by
// its hash, nothing else.
func PageCSP(style string) string {
	sum := sha256.Sum256([]byte(style))
	return "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
}

const maxBody = 64 << 10 // a credential is a few KB

//go:embed passkey.js
var script []byte

// ServeScript serves passkey.js; a page loads it with
// <script src="…/passkey.js" defer> and marks its button
// id="passkey" data-begin="URL of the first step" (data-csrf: sent along).
func ServeScript(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	w.Write(script)
}

// HandlerOptions configure Handler.
type HandlerOptions struct {
	// Loopback: the handler is served on a loopback listener for
	// rp = LocalRP(port); a request whose Host is not localhost:PORT is
	// refused (DNS rebinding) or, for a page, sent there.
	Loopback bool
}

// Handler serves Path for rp: the script, and the enrolment pages with
// their steps (Path+"enrol/ID", and its "/begin", "/assert", "/finish").
func (s *Service) Handler(rp RP, o HandlerOptions) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !CheckHost(w, r, rp, o.Loopback) {
			return
		}
		rest := strings.TrimPrefix(r.URL.Path, Path)
		if rest == "passkey.js" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			ServeScript(w, r)
			return
		}
		id, action, _ := strings.Cut(strings.TrimPrefix(rest, "enrol/"), "/")
		if !strings.HasPrefix(rest, "enrol/") || !validID(id) {
			http.NotFound(w, r)
			return
		}
		if action == "" {
			s.enrolPage(w, r, rp, id)
			return
		}
		answer, ok := jsonPost(w, r, rp)
		if !ok {
			return
		}
		var st step
		var err error
		switch action {
		case "begin":
			st, err = s.beginEnrolment(r.Context(), rp, id)
		case "assert":
			st, err = s.approveEnrolment(r.Context(), rp, id, answer.Credential)
		case "finish":
			var pk Passkey
			if pk, err = s.finishEnrolment(r.Context(), rp, id, answer.Credential); err == nil {
				st = step{OK: true, Message: "The passkey " + pk.Name + " is enrolled. You can close this page."}
			}
		default:
			http.NotFound(w, r)
			return
		}
		s.answer(w, st, err)
	})
}

// Mount serves Handler(rp) on an HTTP service's mux, for its enrolment
// links (`qualys-cs-mcp passkey add --state … --public-url …`).
func (s *Service) Mount(mux *http.ServeMux, rp RP) {
	mux.Handle(Path, s.Handler(rp, HandlerOptions{}))
}

// Approvals is the confirmation page's side of an assertion.
type Approvals interface {
	// Bind reads the approval a request is for (from its path) and checks
	// that the request may act on it (the page's csrf token, the
	// approval's state): its binding, or an error the page shows.
	Bind(r *http.Request, csrf string) (Binding, error)
	// Confirmed records the decision once the assertion verified, and
	// says what happens next; the page then reloads.
	Confirmed(r *http.Request, b Binding, who Result) (string, error)
}

// AssertHandler serves an approval's two JSON steps on rp's page: a POST
// to a path ending in "/begin" answers the options for
// navigator.credentials.get; one ending in "/finish" verifies the
// assertion and hands it to a.Confirmed.
func (s *Service) AssertHandler(rp RP, a Approvals, o HandlerOptions) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !CheckHost(w, r, rp, o.Loopback) {
			return
		}
		answer, ok := jsonPost(w, r, rp)
		if !ok {
			return
		}
		b, err := a.Bind(r, answer.CSRF)
		if err != nil {
			s.answer(w, step{}, err)
			return
		}
		var st step
		switch {
		case strings.HasSuffix(r.URL.Path, "/begin"):
			st.Assert, err = s.BeginAssertion(r.Context(), rp, b)
			st.Next, st.Message = "finish", "Confirm with your passkey."
		case strings.HasSuffix(r.URL.Path, "/finish"):
			var res Result
			if res, err = s.FinishAssertion(r.Context(), rp, b, answer.Credential); err == nil {
				st.Message, err = a.Confirmed(r, b, res)
				st.OK, st.Reload = err == nil, err == nil
			}
		default:
			http.NotFound(w, r)
			return
		}
		s.answer(w, st, err)
	})
}

// posted is what the script posts.
type posted struct {
	CSRF       string          `json:"csrf"`
	Credential json.RawMessage `json:"credential"`
}

// jsonPost checks a step's request (POST, JSON, the page's own Origin)
// and reads it.
func jsonPost(w http.ResponseWriter, r *http.Request, rp RP) (posted, bool) {
	var p posted
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case r.Method != http.MethodPost:
		w.Header().Set("Allow", "POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	case ct != "application/json":
		http.Error(w, "Unsupported Media Type: want application/json", http.StatusUnsupportedMediaType)
	case r.Header.Get("Origin") != rp.Origin:
		http.Error(w, "Forbidden: a passkey step is taken only from its own page", http.StatusForbidden)
	default:
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil || json.Unmarshal(body, &p) != nil {
			http.Error(w, "the request must be one JSON object of at most 64 KiB", http.StatusBadRequest)
			return p, false
		}
		return p, true
	}
	return p, false
}

// answer writes a step, or the error as the page's message.
func (s *Service) answer(w http.ResponseWriter, st step, err error) {
	code := http.StatusOK
	switch {
	case errors.Is(err, ErrRefused):
		code, st = http.StatusForbidden, step{Message: strings.TrimPrefix(err.Error(), ErrRefused.Error()+": ")}
		s.log.Warn("passkey: refused", "why", st.Message)
	case errors.Is(err, state.ErrUnavailable):
		code, st = http.StatusServiceUnavailable, step{Message: "The state store is unavailable; nothing was done. Try again."}
		s.log.Warn("passkey: state store unavailable", "error", err.Error())
	case err != nil:
		code, st = http.StatusInternalServerError, step{Message: "The passkey step failed; nothing was done."}
		s.log.Error("passkey step failed", "error", err.Error())
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(st)
}

// ListenLocal listens on a free loopback port, on 127.0.0.1 and, where
// the machine has it, ::1 (browsers may resolve localhost to either):
// the listeners to serve, and the relying party of http://localhost:PORT.
func ListenLocal() ([]net.Listener, RP, error) {
	v4, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, RP{}, err
	}
	port := v4.Addr().(*net.TCPAddr).Port
	lns := []net.Listener{v4}
	if v6, err := net.Listen("tcp", net.JoinHostPort("::1", strconv.Itoa(port))); err == nil {
		lns = append(lns, v6)
	}
	return lns, LocalRP(port), nil
}

// CheckHost refuses a request to a loopback listener (loopback) that
// names another host than rp's localhost:PORT (DNS rebinding); a GET by a
// loopback address is sent there, to the relying party's origin. It
// reports whether the request may go on.
func CheckHost(w http.ResponseWriter, r *http.Request, rp RP, loopback bool) bool {
	want := strings.TrimPrefix(rp.Origin, "http://")
	if !loopback || r.Host == want {
		return true
	}
	host, port, _ := net.SplitHostPort(r.Host)
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() && "localhost:"+port == want && r.Method == http.MethodGet {
		http.Redirect(w, r, rp.Origin+r.URL.RequestURI(), http.StatusSeeOther)
		return false
	}
	http.Error(w, "Forbidden: invalid Host header", http.StatusForbidden)
	return false
}

func validID(id string) bool {
	return len(id) == 22 && strings.Trim(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == ""
}

// The enrolment page. Its only style is this block, allowed by its hash.
const pageStyle = `body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
main{max-width:40rem;margin:2rem auto;background:#fff;border:1px solid #d5d9e0;border-radius:8px;padding:1.5rem 2rem}
h1{font-size:1.4rem;margin:0 0 .5rem}.note{color:#5b6474;font-size:.9rem}#state{font-weight:600}
button{font-size:1rem;padding:.6rem 1.4rem;border-radius:6px;border:1px solid #1d4ed8;background:#1d4ed8;color:#fff;cursor:pointer}`

var (
	pageCSP = PageCSP(pageStyle)
	pageTpl = template.Must(template.New("enrol").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Enrol a passkey · qualys-cs-mcp</title><style>` + pageStyle + `</style>
<script src="../passkey.js" defer></script></head>
<body><main>
<h1>Enrol a passkey</h1>
{{if .E}}<p>This page enrols the passkey <strong id="name">"{{.E.Name}}"</strong> for the qualys-cs-mcp server at <code>{{.E.RP.ID}}</code>.
With it, you confirm the destructive operations an AI assistant asks for: your device checks that it is you (fingerprint, face, PIN), which no assistant can do for you.</p>
{{if .Approve}}<p>A passkey is already enrolled here: first confirm with it, then create the new one.</p>{{end}}
<p><button id="passkey" type="button" data-begin="{{.E.ID}}/begin">{{if .Approve}}Confirm, then create the passkey{{else}}Create the passkey{{end}}</button></p>
<p id="state" role="status"></p>
<p class="note">This link works once and expires at {{.Expires}}.</p>
{{else}}<p id="state" role="status">{{.State}}</p>{{end}}
</main></body></html>
`))
)

type pageView struct {
	E       *Enrolment
	Approve bool
	Expires string
	State   string
}

func (s *Service) enrolPage(w http.ResponseWriter, r *http.Request, rp RP, id string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	v, code := pageView{}, http.StatusOK
	e, err := s.enrolment(r.Context(), rp, id)
	if err == nil {
		var needed bool
		_, needed, err = s.approver(r.Context(), e)
		v = pageView{E: e, Approve: needed, Expires: e.Exp.UTC().Format(time.TimeOnly + " UTC")}
	}
	switch {
	case errors.Is(err, ErrRefused):
		v, code = pageView{State: strings.TrimPrefix(err.Error(), ErrRefused.Error()+": ") + "."}, http.StatusNotFound
	case err != nil:
		v, code = pageView{State: "The enrolment could not be read; try again."}, http.StatusServiceUnavailable
	}
	PageHeaders(w.Header(), pageCSP)
	w.WriteHeader(code)
	pageTpl.Execute(w, v)
}

// PageHeaders are the headers of a page a person decides on: HTML, the
// page's CSP, never cached, never framed. Its referrer policy keeps the
// Origin of its own POSTs (no-referrer would make it "null").
func PageHeaders(h http.Header, csp string) {
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
}
