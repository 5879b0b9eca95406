package toolsets

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	json "github.com/segmentio/encoding/json"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/schemas"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/shape"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
)

var reportView = shape.View{
	Default: []string{"reportUuid", "reportName", "status", "templateName", "createdAt", "description", "filter", "displayColumns", "fileFormat"},
	Times:   []string{"createdAt"},
}

// DefaultReportBytes is how much of a report's CSV download_report shows
// when the caller does not say.
const DefaultReportBytes = 30000

func reportTools() []tool.Tool {
	const set = "reports"
	return []tool.Tool{
		tool.Def("list_reports", set, tool.Read, "List reports and their status (QUEUED, RUNNING, GENERATED).", listReports),
		tool.Def("create_report", set, tool.Write, "Request a CSV report from a template, to download_report once GENERATED.", createReport, tool.TaskOption[schemas.CreateReport]()),
		tool.Def("download_report", set, tool.Read, "Read a GENERATED report's CSV, maxBytes at a time from startRow.", downloadReport),
		tool.Def("delete_reports", set, tool.Destructive, "Delete reports.", deleteReports, tool.Guarded(previewDeleteReports)),
		tool.Def("create_report_schedule", set, tool.Write, "Schedule a report: once at eventTime, or DAILY/WEEKLY/MONTHLY to eventEndTime, optionally emailed."+scheduleAnswer, createReportSchedule),
		tool.Def("update_report_schedule", set, tool.Write, "Change an Active report schedule: the fields given."+scheduleAnswer, updateReportSchedule, tool.Idempotent[schemas.UpdateReportSchedule]()),
	}
}

func listReports(ctx context.Context, c *tool.Ctx, in *schemas.ListParams) (any, error) {
	return list(ctx, c, "/reports", nil, *in, nil, reportView, nil)
}

// createReport requests a report; with wait it polls until the report
// is ready or maxWaitSeconds pass. As a task it always waits, until the
// report is GENERATED or FAILED (the task's ttl bounds it).
func createReport(ctx context.Context, c *tool.Ctx, in *schemas.CreateReport) (any, error) {
	out, err := create(ctx, c, client.Call{Method: http.MethodPost, Path: "/reports", Body: argsWithout(c, "wait", "maxWaitSeconds")}, "reportUuid", []string{"reportUuId", "reportUuid"},
		map[string]any{"reportName": in.Name, "next": "Poll list_reports until its status is GENERATED, then call download_report."})
	task := tool.InTask(ctx)
	if err != nil || !in.Wait && !task {
		return out, err
	}
	m := out.(map[string]any)
	id := str(m["reportUuid"])
	if id == "" {
		m["next"] = "Qualys did not answer the report's UUID: find it by name with list_reports, then poll until GENERATED."
		return m, nil
	}
	tool.Progress(ctx, false, "requested report %q (%s)", in.Name, word(id))
	maxWait := time.Duration(cmp.Or(in.MaxWaitSeconds, schemas.DefaultReportWait)) * time.Second
	if task {
		maxWait = 0
	}
	status, err := waitReport(ctx, c, id, in.Name, maxWait)
	m["status"] = status
	switch {
	case err != nil: // the report exists: say so rather than fail the call
		m["next"] = fmt.Sprintf("The report was created, but waiting for it stopped (%v); poll list_reports until GENERATED, then call download_report.", err)
	case status == "GENERATED":
		m["next"] = "Call download_report with this reportUuid."
	case status == "QUEUED" || status == "RUNNING":
		m["next"] = fmt.Sprintf("Still %s after the wait; poll list_reports until GENERATED, then call download_report.", status)
	default:
		m["next"] = fmt.Sprintf("Qualys reports the status %s; the report will not be generated.", status)
	}
	return m, nil
}

// waitReport polls a report's status until it is no longer QUEUED or
// RUNNING, maxWait has passed (0: no limit), or the call is cancelled;
// each poll is a progress notification. It answers the last status seen.
func waitReport(ctx context.Context, c *tool.Ctx, id, name string, maxWait time.Duration) (string, error) {
	status := "unknown"
	err := follow(ctx, maxWait, func() (bool, error) {
		rep, err := findReport(ctx, c, id, name)
		if err != nil {
			return false, err
		}
		status = str(rep["status"])
		done := status != "QUEUED" && status != "RUNNING"
		tool.Progress(ctx, done, "report %q (%s) is %s", name, word(id), word(status))
		return done, nil
	})
	return status, err
}

// findReport reads one report from the list, which filters on reportName
// only (the name narrows it to a page, the UUID picks it out).
func findReport(ctx context.Context, c *tool.Ctx, id, name string) (map[string]any, error) {
	lp := schemas.ListParams{PageSize: 100}
	if !strings.Contains(name, "`") {
		lp.Filter = "reportName:`" + name + "`"
	}
	for lp.PageNumber = 1; lp.PageNumber > 0; {
		res, err := list(ctx, c, "/reports", nil, lp, nil, reportView, nil)
		if err != nil {
			return nil, err
		}
		for _, r := range res.Items {
			if str(r["reportUuid"]) == id {
				return r, nil
			}
		}
		lp.PageNumber = res.NextPage
	}
	return nil, fmt.Errorf("report %s is no longer listed", id)
}

func downloadReport(ctx context.Context, c *tool.Ctx, in *schemas.DownloadReport) (any, error) {
	resp, err := c.Client.Do(ctx, client.Call{Method: http.MethodGet, Path: "/reports/{reportUuid}/download", Params: P{"reportUuid": in.ReportUUID.ReportUUID}})
	if err != nil {
		return nil, err
	}
	limit := in.MaxBytes
	if limit == 0 {
		limit = DefaultReportBytes
	}
	// the CSV travels JSON-escaped inside a result that must fit its budget
	if budget := c.Budget - 2048; budget > 0 && limit > budget {
		limit = budget
	}
	out, err := cutCSV(resp.Body, max(in.StartRow, 1), limit)
	if err != nil {
		return nil, err
	}
	out["reportUuid"] = in.ReportUUID.ReportUUID
	return out, nil
}

// rowEnds are the byte offsets where each CSV record ends (quoted fields
// may hold newlines); record 0 is the header. Text that is not CSV is
// taken line by line.
func rowEnds(data []byte) []int {
	var ends []int
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord, r.LazyQuotes, r.ReuseRecord = -1, true, true
	for {
		if _, err := r.Read(); err == io.EOF {
			return ends
		} else if err != nil {
			break
		}
		ends = append(ends, int(r.InputOffset()))
	}
	ends = ends[:0]
	for i, b := range data {
		if b == '\n' || i == len(data)-1 {
			ends = append(ends, i+1)
		}
	}
	return ends
}

// jsonSize is how many bytes s takes as a JSON string.
func jsonSize(s []byte) int {
	b, _ := json.Marshal(string(s))
	return len(b)
}

// cutCSV returns the header and the data rows from start on that fit in
// limit bytes of JSON, with the totals, and says so when it cuts.
func cutCSV(data []byte, start, limit int) (map[string]any, error) {
	ends := rowEnds(data)
	rows := max(len(ends)-1, 0)
	out := map[string]any{"totalBytes": len(data), "totalRows": rows}
	if len(ends) == 0 {
		out["csv"], out["shownRows"] = "", 0
		return out, nil
	}
	if start > rows && rows > 0 {
		return nil, tool.Invalid("startRow", "the report has %d data rows", rows)
	}
	header := data[:ends[0]]
	size := jsonSize(header)
	body := append([]byte(nil), header...)
	last := start - 1 // the last data row shown, from 1
	for i := start; i <= rows; i++ {
		row := data[ends[i-1]:ends[i]]
		n := jsonSize(row) - 2
		if size+n > limit {
			break
		}
		size += n
		body = append(body, row...)
		last = i
	}
	shown := last - start + 1
	out["csv"], out["startRow"], out["shownRows"] = string(body), start, shown
	if last < rows {
		out["truncated"] = true
		switch {
		case shown == 0:
			out["note"] = fmt.Sprintf("Row %d alone does not fit in %d bytes; ask again with a larger maxBytes.", start, limit)
		default:
			out["note"] = fmt.Sprintf("Cut at a row boundary to fit %d bytes: rows %d-%d of %d are shown (the file is %d bytes). Call again with startRow=%d for the next rows.", limit, start, last, rows, len(data), last+1)
		}
	}
	return out, nil
}

// matchReports reads the reports named by ids.
func matchReports(ctx context.Context, c *tool.Ctx, ids []string) ([]map[string]any, error) {
	all, err := allPages(ctx, c, "/reports", nil, reportView)
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for _, id := range ids {
		i := slices.IndexFunc(all, func(r map[string]any) bool { return str(r["reportUuid"]) == id })
		if i < 0 {
			return nil, tool.Invalid("reportUuids", "there is no report %s", id)
		}
		out = append(out, all[i])
	}
	return out, nil
}

func previewDeleteReports(ctx context.Context, c *tool.Ctx, in *schemas.ReportUUIDs) (*tool.Preview, error) {
	reps, err := matchReports(ctx, c, in.ReportUuids)
	if err != nil {
		return nil, err
	}
	var names []string
	var target []map[string]any
	for _, r := range reps {
		names = append(names, fmt.Sprintf("%s (%s, %s, %s)", shape.Quote(str(r["reportName"])), shape.Quote(str(r["templateName"])), shape.Quote(str(r["status"])), shape.Quote(str(r["reportUuid"]))))
		target = append(target, pick(r, "reportUuid", "reportName"))
	}
	return &tool.Preview{
		Summary: fmt.Sprintf("Delete %d report(s): %s.", len(names), strings.Join(names, ", ")),
		Details: map[string]any{"count": len(names), "reports": names},
		Target:  target,
	}, nil
}

func deleteReports(ctx context.Context, c *tool.Ctx, in *schemas.ReportUUIDs) (any, error) {
	return send(ctx, c, client.Call{Method: http.MethodDelete, Path: "/reports", Query: url.Values{"reportUuids": in.ReportUuids}},
		map[string]any{"deleted": true, "reportUuids": in.ReportUuids})
}

// scheduleAnswer is what the report schedule tools say of their answer.
const scheduleAnswer = " Answer undocumented: passed on."

// createReportSchedule sends the schedule with action CREATE, and
// reportScheduleDetails null for a one-time report, as the page asks.
func createReportSchedule(ctx context.Context, c *tool.Ctx, in *schemas.CreateReportSchedule) (any, error) {
	body := c.Args
	body["action"] = "CREATE"
	if in.ReportScheduleDetails == nil {
		body["reportScheduleDetails"] = nil
	}
	return send(ctx, c, client.Call{Method: http.MethodPost, Path: "/reports/schedule", Body: body}, map[string]any{"created": true, "name": in.Name})
}

// updateReportSchedule sends only the fields given: no API reads a
// schedule to merge over.
func updateReportSchedule(ctx context.Context, c *tool.Ctx, in *schemas.UpdateReportSchedule) (any, error) {
	id := in.ReportingScheduleID
	return send(ctx, c, client.Call{Method: http.MethodPut, Path: "/reports/schedule/{reportingScheduleId}", Params: P{"reportingScheduleId": id}, Body: argsWithout(c, "reportingScheduleId")},
		map[string]any{"updated": true, "reportingScheduleId": id})
}
