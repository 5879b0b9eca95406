package sandbox

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"hash/fnv"
	"net/http"
	"slices"
	"strings"
	"time"
)

// report is a report request; its CSV is built from the state when it is
// created, and served once its status reaches GENERATED.
type report struct {
	UUID, Name, Description, Template, Filter string
	Columns                                   []string
	Created                                   time.Time
	csv                                       []byte
}

// reportState holds the reports and how long generation takes.
type reportState struct {
	items   []*report
	queued  time.Duration // QUEUED for this long after creation
	running time.Duration // then RUNNING for this long, then GENERATED
	legacy  bool          // answer create in the pre-v1.21 text form
}

// SetReportTiming sets how long a new report stays QUEUED and then
// RUNNING before it is GENERATED (default 2s and 3s).
func (s *Server) SetReportTiming(queued, running time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.reports.queued, s.state.reports.running = queued, running
}

// LegacyReportAnswer makes POST /reports answer as before v1.21:
// the text {reportUuId=<uuid>}.
func (s *Server) LegacyReportAnswer(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.reports.legacy = on
}

// reportColumns are the columns each template documents, the defaults
// first; templates not listed take any column.
var reportColumns = map[string][]string{
	"CS_IMAGE_VULNERABILITY": {"repo", "imageId", "qid", "title", "severity", "cveids",
		"sha", "uuid", "created", "updated", "vendorReference", "cvssBase", "cvssTemporal", "cvss3Base", "cvss3Temporal", "threat", "impact", "solution", "exploitability", "associatedMalwares", "category", "software", "result"},
	"CS_CONTAINER_VULNERABILITY": {"name", "containerId", "imageId", "qid", "title", "severity",
		"uuid", "created", "hostName", "hostIp", "state", "stateChanged", "updated", "cveids", "vendorReference", "cvssBase", "cvssTemporal", "cvss3Base", "cvss3Temporal", "threat", "impact", "solution", "exploitability", "associatedMalwares", "category", "software", "result"},
	"CS_Images":          nil,
	"CS_Containers":      nil,
	"CS_PODS":            nil,
	"CS_VULNERABILITIES": nil,
	"CS_KUBERNETES_PODS": nil,
}

const defaultColumns = 6

func seedReports(st *state, now time.Time) {
	st.reports.queued, st.reports.running = 2*time.Second, 3*time.Second
	for i, spec := range []struct{ id, name, tpl string }{
		{"037570f0-0193-11ea-9327-8fbbd2104c9c", "Weekly image vulnerabilities", "CS_IMAGE_VULNERABILITY"},
		{"28cf6d70-5a8b-11ed-85f3-ed45c5bc7e40", "Running containers", "CS_CONTAINER_VULNERABILITY"},
	} {
		rp := &report{UUID: spec.id, Name: spec.name, Template: spec.tpl, Columns: reportColumns[spec.tpl][:defaultColumns], Created: now.Add(-time.Duration(48-i) * time.Hour)}
		rp.csv, _ = st.reportCSV(rp)
		st.reports.items = append(st.reports.items, rp)
	}
}

func (s *Server) reportRoutes() {
	m := s.mux
	m.HandleFunc("GET "+Base+"/reports", s.locked(func(w http.ResponseWriter, r *http.Request) {
		var out []map[string]any
		for _, rp := range s.state.reports.items {
			out = append(out, s.reportJSON(rp))
		}
		if q := r.URL.Query(); strings.Contains(q.Get("filter"), "report.name") { // release 1.42's name of reportName
			q.Set("filter", strings.ReplaceAll(q.Get("filter"), "report.name", "reportName"))
			r.URL.RawQuery = q.Encode()
		}
		listAnswer(w, r, out, "data")
	}))
	m.HandleFunc("POST "+Base+"/reports", s.locked(s.createReport))
	m.HandleFunc("DELETE "+Base+"/reports", s.locked(s.deleteReports))
	m.HandleFunc("GET "+Base+"/reports/{reportUuid}/download", s.locked(func(w http.ResponseWriter, r *http.Request) {
		rp := s.state.reportByID(r.PathValue("reportUuid"))
		if rp == nil {
			notFound(w, "Report", r.PathValue("reportUuid"))
			return
		}
		if st := s.reportStatus(rp); st != "GENERATED" {
			badRequest(w, "report %s is not ready to download: its status is %s", rp.UUID, st)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", rp.Name+".csv"))
		w.WriteHeader(http.StatusOK)
		w.Write(rp.csv)
	}))
}

func (st *state) reportByID(id string) *report {
	for _, rp := range st.reports.items {
		if rp.UUID == id {
			return rp
		}
	}
	return nil
}

// reportStatus moves QUEUED -> RUNNING -> GENERATED with the clock.
func (s *Server) reportStatus(rp *report) string {
	age := s.opts.Now().Sub(rp.Created)
	switch {
	case age < s.state.reports.queued:
		return "QUEUED"
	case age < s.state.reports.queued+s.state.reports.running:
		return "RUNNING"
	}
	return "GENERATED"
}

func (s *Server) reportJSON(rp *report) map[string]any {
	return map[string]any{
		"reportUuid": rp.UUID, "reportName": rp.Name, "description": nilIfEmpty(rp.Description), "templateName": rp.Template,
		"status": s.reportStatus(rp), "createdAt": rp.Created.UTC().Format("2006-01-02T15:04:05.000Z"), "fileFormat": "csv",
		"reportType": "ON_DEMAND", "filter": nilIfEmpty(rp.Filter), "displayColumns": rp.Columns,
	}
}

func (s *Server) createReport(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Name           string   `json:"name"`
		Description    string   `json:"description"`
		TemplateName   string   `json:"templateName"`
		Filter         string   `json:"filter"`
		DisplayColumns []string `json:"displayColumns"`
	}
	if !decodeBody(w, r, &b) {
		return
	}
	cols, known := reportColumns[b.TemplateName]
	switch {
	case strings.TrimSpace(b.Name) == "" || len(b.Name) > 150:
		badRequest(w, "name is required, at most 150 characters")
		return
	case len(b.Description) > 250:
		badRequest(w, "description must be at most 250 characters")
		return
	case !known:
		var names []string
		for n := range reportColumns {
			names = append(names, n)
		}
		slices.Sort(names)
		badRequest(w, "unknown templateName %q; known: %s", b.TemplateName, strings.Join(names, ", "))
		return
	}
	for _, c := range b.DisplayColumns {
		if cols != nil && !slices.Contains(cols, c) {
			badRequest(w, "displayColumns: %s is not a column of %s; it has %s", c, b.TemplateName, strings.Join(cols, ", "))
			return
		}
	}
	if len(b.DisplayColumns) == 0 {
		b.DisplayColumns = []string{"repo", "imageId", "qid", "title", "severity", "cveids"}
		if cols != nil {
			b.DisplayColumns = cols[:defaultColumns]
		}
	}
	rp := &report{UUID: newUUID(), Name: b.Name, Description: b.Description, Template: b.TemplateName, Filter: b.Filter, Columns: b.DisplayColumns, Created: s.opts.Now()}
	var err error
	if rp.csv, err = s.state.reportCSV(rp); err != nil {
		badRequest(w, "invalid filter: %v", err)
		return
	}
	s.state.reports.items = append(s.state.reports.items, rp)
	if s.state.reports.legacy {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusOK)
		fmt.Fprintf(w, "{reportUuId=%s}", rp.UUID)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"reportUuId": rp.UUID})
}

func (s *Server) deleteReports(w http.ResponseWriter, r *http.Request) {
	ids := r.URL.Query()["reportUuids"]
	if len(ids) == 0 {
		badRequest(w, "reportUuids is required")
		return
	}
	for _, id := range ids {
		if s.state.reportByID(id) == nil {
			notFound(w, "Report", id)
			return
		}
	}
	s.state.reports.items = slices.DeleteFunc(s.state.reports.items, func(rp *report) bool { return slices.Contains(ids, rp.UUID) })
	writeJSON(w, http.StatusOK, map[string]any{"message": "Reports deleted successfully", "data": ids})
}

// reportCSV builds the report's rows from the registries' repositories:
// each image of each repository with a few vulnerabilities (a container
// per image for container templates), filtered by the report's QQL over
// all columns, and written with the report's columns.
func (st *state) reportCSV(rp *report) ([]byte, error) {
	keep, err := parseQQL(rp.Filter)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.Write(rp.Columns)
	for _, id := range st.registryOrder {
		reg := st.registries[id]
		for _, rpo := range reg.Repos {
			for img := 0; img < rpo.TotalImages; img++ {
				key := reg.UUID + rpo.RepoName + fmt.Sprint(img)
				for v := 0; v < 3+int(hash(key)%12); v++ {
					row := reportRow(reg, rpo.RepoName, key, img, v)
					if !keep(row) {
						continue
					}
					rec := make([]string, len(rp.Columns))
					for i, c := range rp.Columns {
						if val, ok := row[c]; ok {
							rec[i] = fmt.Sprint(val)
						}
					}
					cw.Write(rec)
				}
			}
		}
	}
	cw.Flush()
	return buf.Bytes(), cw.Error()
}

func hash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// reportRow is one vulnerability of one image, every documented column.
func reportRow(reg *registry, repoName, key string, img, v int) map[string]any {
	h := hash(key)
	sha := fmt.Sprintf("%016x%016x%016x%016x", h, h^0x9e3779b97f4a7c15, h*31, h*131)
	qid := 370000 + int((h+uint64(v)*7919)%9000)
	sev := float64(1 + (h>>uint(v%32))%5) // numbers as JSON decodes them, for the filter
	title := []string{"OpenSSL Multiple Vulnerabilities", `Heap overflow in "libexpat", via crafted XML`, "glibc Security Update", "curl: use-after-free, in SASL", "zlib Memory Corruption"}[(qid+v)%5]
	ts := "1669285168871"
	return map[string]any{
		"repo": repoName, "imageId": sha[:12], "sha": sha, "uuid": fmt.Sprintf("%s-%d", sha[:8], img), "created": ts, "updated": ts,
		"qid": float64(qid), "title": title, "severity": sev, "cveids": fmt.Sprintf("CVE-2022-%d", 1000+qid%9000), "vendorReference": "",
		"cvssBase": sev * 2, "cvssTemporal": sev*2 - 1, "cvss3Base": sev*2 - 0.5, "cvss3Temporal": sev*2 - 1,
		"threat": "A remote attacker may cause a denial of service.", "impact": "Denial of service", "solution": "Update the package.",
		"exploitability": "", "associatedMalwares": "", "category": "Local", "software": "openssl 1.1.1", "result": "installed",
		"name": strings.ReplaceAll(repoName, "/", "-") + fmt.Sprintf("-%d", img), "containerId": sha[16:28], "hostName": "node-" + sha[:4],
		"hostIp": fmt.Sprintf("10.0.%d.%d", h%250, (h>>8)%250), "state": "RUNNING", "stateChanged": ts, "registry": reg.Name,
	}
}
