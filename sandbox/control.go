package sandbox

import (
	"net/http"
	"strings"
	"time"
)

// ControlPath is where a sandbox with Options.Control serves its test
// knobs (package sandboxtest is their client):
//
//	POST {ControlPath}faults         {"method", "prefix", "faults": [Fault...]}
//	POST {ControlPath}deny           {"permission": "CS.SENSOR.VIEW"}
//	POST {ControlPath}expire-tokens
//	GET  {ControlPath}tokens         every JWT issued, for leak checks
//
// These requests are not API requests: they are not counted or logged.
const ControlPath = "/_sandbox/"

// FaultRule is the body of POST {ControlPath}faults: faults for requests
// whose method matches (or "" for any) and whose path (under /csapi/v1.3,
// or "/auth") starts with Prefix.
type FaultRule struct {
	Method string  `json:"method"`
	Prefix string  `json:"prefix"`
	Faults []Fault `json:"faults"`
}

func (s *Server) control(w http.ResponseWriter, r *http.Request) {
	switch r.Method + " " + strings.TrimPrefix(r.URL.Path, ControlPath) {
	case "POST faults":
		var rule FaultRule
		if !decodeBody(w, r, &rule) {
			return
		}
		s.mu.Lock()
		s.faults = append(s.faults, &faultRule{method: rule.Method, prefix: rule.Prefix, queue: rule.Faults})
		s.mu.Unlock()
	case "POST deny":
		var d struct {
			Permission string `json:"permission"`
		}
		if !decodeBody(w, r, &d) {
			return
		}
		s.mu.Lock()
		s.denied[d.Permission] = true
		s.mu.Unlock()
	case "POST expire-tokens":
		s.mu.Lock()
		for k := range s.tokens {
			s.tokens[k] = time.Time{}
		}
		s.mu.Unlock()
	case "GET tokens":
		s.mu.Lock()
		out := make([]string, 0, len(s.tokens))
		for t := range s.tokens {
			out = append(out, t)
		}
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, out)
		return
	default:
		http.NotFound(w, r)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
