// Package apicheck judges requests to the emulated gateway by the API's
// own documents, not by the server's idea of them: the CS API OpenAPI
// document where it covers the operation, and the release notes' samples
// and parameter tables for the sensor profile operations it lacks. The
// documents are the project's own (documents/, embedded; SOURCE.md says
// where each comes from). Tests turn it on (sandbox.Options.Validate);
// the shipped binary does not link it (only a build with the apicheck tag
// does, for tests that run --sandbox).
//
// The gateway the documents describe is taken as strict: a query
// parameter or a body field the document does not name is refused, as a
// field a server misnames must be.
package apicheck

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// Base is the API's base path, which the document's server URL ends with.
const Base = "/csapi/v1.3"

// Validator checks requests against the documents.
type Validator struct {
	doc     *openapi3.T
	name    string // the document's file name, for messages
	paths   []string
	ops     []*docOp
	samples []Sample
}

// Error is a request the documents do not allow: Status 400 (a request
// they refuse) or 404 (an operation none of them has).
type Error struct {
	Status int
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

// StatusCode is the status the gateway answers.
func (e *Error) StatusCode() int { return e.Status }

// New reads the documents the project keeps.
func New() (*Validator, error) {
	return NewWith(path.Base(openAPIFile), OpenAPI())
}

// NewWith judges by another OpenAPI document (named name in messages)
// instead of the project's, with the project's samples: a test uses it to
// see a request judged by an edited document.
func NewWith(name string, openapi []byte) (*Validator, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openapi)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := applyDifferences(doc); err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background(), openapi3.DisableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	strictBodies(doc)
	v := &Validator{doc: doc, name: name}
	for p := range doc.Paths.Map() {
		v.paths = append(v.paths, p)
	}
	sort.Strings(v.paths)
	samples, err := Samples()
	if err != nil {
		return nil, err
	}
	v.samples = samples
	if v.ops, err = operations(samples); err != nil {
		return nil, err
	}
	return v, nil
}

// Validate checks one request (its body is read and put back).
func (v *Validator) Validate(r *http.Request) error {
	path, ok := strings.CutPrefix(r.URL.Path, Base)
	if !ok {
		return &Error{404, "no such API path " + r.URL.Path}
	}
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		defer func() { r.Body = io.NopCloser(bytes.NewReader(body)) }()
	}
	if op := matchOp(v.ops, r.Method, path); op != nil {
		return op.check(r, body)
	}
	tmpl, params := match(v.paths, path)
	if tmpl == "" {
		return &Error{404, fmt.Sprintf("neither %s nor the newer documents have %s %s", v.name, r.Method, path)}
	}
	item := v.doc.Paths.Value(tmpl)
	op := item.GetOperation(r.Method)
	if op == nil {
		return &Error{404, fmt.Sprintf("%s has no %s %s", v.name, r.Method, tmpl)}
	}
	where := fmt.Sprintf("%s %s in %s", r.Method, tmpl, v.name)
	if err := unknownQuery(r, op.Parameters, where); err != nil {
		return err
	}
	req := r.Clone(r.Context())
	req.ContentLength = int64(len(body)) // what "a body was sent" is judged by
	in := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: params,
		Route:      &routers.Route{Spec: v.doc, Path: tmpl, PathItem: item, Method: r.Method, Operation: op},
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, SkipSettingDefaults: true,
			RejectWhenRequestBodyNotSpecified: true, MultiError: true},
	}
	if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
		return &Error{400, fmt.Sprintf("%s does not allow this request: %s", where, reason(err))}
	}
	return nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// reason is what a validation error says, without the schemas it quotes:
// where (parameter, or body and the field's path) and why, for each.
func reason(err error) string {
	var parts []string
	var walk func(where string, e error)
	walk = func(where string, e error) {
		switch x := e.(type) {
		case openapi3.MultiError:
			for _, m := range x {
				walk(where, m)
			}
		case *openapi3filter.RequestError:
			switch {
			case x.Parameter != nil:
				where = fmt.Sprintf("%s parameter %q", x.Parameter.In, x.Parameter.Name)
			case x.RequestBody != nil:
				where = "body"
			case where == "":
				where = "request"
			}
			if x.Err == nil {
				parts = append(parts, where+": "+x.Reason)
				return
			}
			walk(where, x.Err)
		case *openapi3filter.ParseError:
			parts = append(parts, where+": "+oneLine(x.Error()))
		case *openapi3.SchemaError:
			if ptr := strings.Join(x.JSONPointer(), "."); ptr != "" {
				where += " " + ptr
			}
			parts = append(parts, strings.TrimSpace(where)+": "+x.Reason)
		default:
			parts = append(parts, strings.TrimSpace(where+": "+oneLine(e.Error())))
		}
	}
	walk("", err)
	return strings.Join(parts, "; ")
}

// match finds the path template a request path fits: literal segments
// before parameters, as routers do.
func match(templates []string, path string) (string, map[string]string) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	best, bestLit := "", -1
	var bestParams map[string]string
	for _, t := range templates {
		ts := strings.Split(strings.Trim(t, "/"), "/")
		if len(ts) != len(segs) {
			continue
		}
		lit, params, ok := 0, map[string]string{}, true
		for i, s := range ts {
			switch {
			case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"):
				params[s[1:len(s)-1]] = segs[i]
			case s == segs[i]:
				lit++
			default:
				ok = false
			}
		}
		if ok && lit > bestLit {
			best, bestLit, bestParams = t, lit, params
		}
	}
	return best, bestParams
}

// unknownQuery refuses a query parameter the operation does not declare.
func unknownQuery(r *http.Request, params openapi3.Parameters, where string) error {
	var known []string
	for _, p := range params {
		if p.Value != nil && p.Value.In == openapi3.ParameterInQuery {
			known = append(known, p.Value.Name)
		}
	}
	return unknownQueryOf(r, known, where)
}

func unknownQueryOf(r *http.Request, known []string, where string) error {
	var bad []string
	for k := range r.URL.Query() {
		if !slices.Contains(known, k) {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	sort.Strings(known)
	return &Error{400, fmt.Sprintf("%s does not allow this request: unknown query parameter(s) %s; the parameters are: %s",
		where, strings.Join(bad, ", "), or(strings.Join(known, ", "), "none"))}
}

func or(a, b string) string {
	if a == "" {
		return b
	}
	return a
}

// strictBodies makes every object schema a request body reaches refuse
// properties it does not name (the document leaves additionalProperties
// unsaid).
func strictBodies(doc *openapi3.T) {
	seen := map[*openapi3.Schema]bool{}
	var walk func(s *openapi3.SchemaRef)
	walk = func(s *openapi3.SchemaRef) {
		if s == nil || s.Value == nil || seen[s.Value] {
			return
		}
		v := s.Value
		seen[v] = true
		if v.Type.Is(openapi3.TypeObject) && len(v.Properties) > 0 && v.AdditionalProperties.Has == nil && v.AdditionalProperties.Schema == nil {
			v.AdditionalProperties = openapi3.AdditionalProperties{Has: openapi3.Ptr(false)}
		}
		for _, p := range v.Properties {
			walk(p)
		}
		walk(v.Items)
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.RequestBody == nil || op.RequestBody.Value == nil {
				continue
			}
			for _, mt := range op.RequestBody.Value.Content {
				walk(mt.Schema)
			}
		}
	}
}
