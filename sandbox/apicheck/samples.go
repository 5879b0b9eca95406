package apicheck

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"slices"
	"sort"
	"strings"
)

// documents are the API's documents, as the project keeps them (see
// documents/SOURCE.md): the OpenAPI document Qualys published, and the
// samples of the release notes and of the current CS API pages,
// transcribed into fixtures. Nothing is read from outside the tree.
//
//go:embed documents
var documents embed.FS

// openAPIFile is the OpenAPI document, byte for byte as Qualys published it.
const openAPIFile = "documents/qualys-cs-openapi-v1.3.yaml"

// OpenAPI returns the OpenAPI document the project keeps.
func OpenAPI() []byte {
	b, err := documents.ReadFile(openAPIFile)
	if err != nil {
		panic(err) // embedded: cannot happen
	}
	return b
}

// Seeds are the releases of the release notes the project is built from.
func Seeds() []string { return []string{"v1.17", "v1.21"} }

// Sample is one documented request: its method, path, query and body, and
// the answer the document shows, with where it comes from.
type Sample struct {
	Release string // "v1.17", "v1.21" (the release notes), or the release of a current page ("1.41"; "" when it names none)
	Section string // the section (release notes) or page title that shows it
	File    string // the seed file its text was extracted to (release notes)
	Line    int    // the line its curl starts on there, from 1
	URL     string // the page that shows it (current pages)
	Method  string
	Path    string // under /csapi/v1.3, as sent (IDs and all)
	Query   url.Values
	Body    json.RawMessage // nil when the request has none
	// Response is the sample's answer, where the document shows it as JSON
	// (nil otherwise); Cut says the document shows only its beginning.
	Response json.RawMessage
	Cut      bool
	Note     string // what the transcription had to say about it
}

func (s Sample) String() string {
	if s.File != "" {
		return fmt.Sprintf("%s:%d %s %s", s.File, s.Line, s.Method, s.Path)
	}
	return fmt.Sprintf("%s %s %s", s.URL, s.Method, s.Path)
}

// fixture is one documents/*.json file: one document's samples.
type fixture struct {
	Document    string `json:"document"`
	Transcribed string `json:"transcribed"`
	Samples     []struct {
		Release  string          `json:"release"`
		Section  string          `json:"section"`
		Seed     string          `json:"seed"`
		Line     int             `json:"line"`
		URL      string          `json:"url"`
		Note     string          `json:"note"`
		Method   string          `json:"method"`
		Path     string          `json:"path"`
		Query    url.Values      `json:"query"`
		Body     json.RawMessage `json:"body"`
		Response json.RawMessage `json:"response"`
		Cut      bool            `json:"cut"`
	} `json:"samples"`
}

// Samples returns the documented samples the project keeps, in the order of
// their files and, in each, of the document; with releases given, only
// those of these releases.
func Samples(releases ...string) ([]Sample, error) {
	files, err := fs.Glob(documents, "documents/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []Sample
	for _, f := range files {
		raw, err := documents.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var fx fixture
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&fx); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for i, x := range fx.Samples {
			if len(releases) > 0 && !slices.Contains(releases, x.Release) {
				continue
			}
			if x.Method == "" || !strings.HasPrefix(x.Path, "/") || x.Seed == "" && x.URL == "" || x.Section == "" {
				return nil, fmt.Errorf("%s: sample %d lacks its method, path, section or source", f, i)
			}
			body, query := x.Body, x.Query
			if string(body) == "null" {
				body = nil
			}
			if query == nil {
				query = url.Values{}
			}
			out = append(out, Sample{Release: x.Release, Section: x.Section, File: x.Seed, Line: x.Line, URL: x.URL,
				Method: x.Method, Path: x.Path, Query: query, Body: body, Response: x.Response, Cut: x.Cut, Note: x.Note})
		}
	}
	return out, nil
}
