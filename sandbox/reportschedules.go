package sandbox

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	json "github.com/segmentio/encoding/json"
)

// Report schedules (the 2026 guide; update: release 1.35): a report made
// again and again, DAILY, WEEKLY or MONTHLY, from eventTime to
// eventEndTime (or once, at eventTime, with reportScheduleDetails null).
// Only an Active schedule (its end not passed) can be updated. No page
// shows either answer: the sandbox answers the schedule's ID as
// {"reportingScheduleID": ...}, named after the update's path parameter.

type reportSchedule struct {
	ID, Name, Description, Filter, Template, ExpireAfter string
	Columns                                              []string
	Start, End                                           time.Time
	Details                                              *scheduleDetails
}

type scheduleDetails struct {
	RecurrenceType     string   `json:"recurrenceType"`
	SelectedDayOfWeeks []string `json:"selectedDayOfWeeks"`
	CustomMessage      *string  `json:"customMessage,omitempty"`
	EmailNotification  *flag01  `json:"emailNotification,omitempty"`
	EmailSubject       *string  `json:"emailSubject,omitempty"`
	Recipient          *string  `json:"recipient,omitempty"`
	SendAsAttachment   *flag01  `json:"sendAsAttachment,omitempty"`
	Zip                *int     `json:"zip,omitempty"`
}

// flag01 is a 0|1 the update page types boolean: 0, 1, false or true.
type flag01 int

type reportSchedules struct {
	byID  map[string]*reportSchedule
	order []string
}

// ReportSchedule returns a report schedule as the gateway keeps it (no
// documented operation reads one).
func (s *Server) ReportSchedule(id string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.state.schedules.byID[id]
	if rs == nil {
		return nil, false
	}
	return asMap(map[string]any{"reportingScheduleID": rs.ID, "name": rs.Name, "description": rs.Description, "filter": rs.Filter,
		"templateName": rs.Template, "displayColumns": rs.Columns, "expireAfter": rs.ExpireAfter, "eventTime": rs.Start.Format(time.RFC3339),
		"eventEndTime": rs.End.Format(time.RFC3339), "reportScheduleDetails": rs.Details, "status": s.scheduleStatus(rs)}), true
}

func (s *Server) scheduleStatus(rs *reportSchedule) string {
	if s.opts.Now().After(rs.End) {
		return "Completed"
	}
	return "Active"
}

// reportScheduleBody is create's body; update takes its fields from
// displayColumns on.
type reportScheduleBody struct {
	Name                  *string         `json:"name"`
	Description           *string         `json:"description"`
	Filter                *string         `json:"filter"`
	TemplateName          *string         `json:"templateName"`
	Action                *string         `json:"action"`
	DisplayColumns        []string        `json:"displayColumns"`
	EventTime             *string         `json:"eventTime"`
	EventEndTime          *string         `json:"eventEndTime"`
	ExpireAfter           *string         `json:"expireAfter"`
	ReportScheduleDetails json.RawMessage `json:"reportScheduleDetails"`
}

// apply checks b and sets what it gives on rs; "" means fine.
func (rs *reportSchedule) apply(b *reportScheduleBody) string {
	if b.Name != nil {
		rs.Name = *b.Name
	}
	if b.Description != nil {
		rs.Description = *b.Description
	}
	if b.Filter != nil {
		rs.Filter = *b.Filter
	}
	if b.TemplateName != nil {
		rs.Template = *b.TemplateName
	}
	if b.DisplayColumns != nil {
		rs.Columns = b.DisplayColumns
	}
	if b.ExpireAfter != nil {
		rs.ExpireAfter = *b.ExpireAfter
	}
	for _, t := range []struct {
		v   *string
		at  *time.Time
		key string
	}{{b.EventTime, &rs.Start, "eventTime"}, {b.EventEndTime, &rs.End, "eventEndTime"}} {
		if t.v == nil {
			continue
		}
		at, err := time.Parse(time.RFC3339, *t.v)
		if err != nil || at.Location() != time.UTC {
			return t.key + " must be a UTC time, e.g. 2023-02-16T19:30:00Z"
		}
		*t.at = at
	}
	if b.ReportScheduleDetails != nil {
		rs.Details = nil
		if !bytes.Equal(bytes.TrimSpace(b.ReportScheduleDetails), []byte("null")) {
			var d scheduleDetails
			dec := json.NewDecoder(bytes.NewReader(b.ReportScheduleDetails))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&d); err != nil {
				return "reportScheduleDetails: " + err.Error()
			}
			rs.Details = &d
		}
	}
	cols, known := reportColumns[rs.Template]
	switch {
	case strings.TrimSpace(rs.Name) == "" || len(rs.Name) > 150:
		return "name is required, at most 150 characters"
	case len(rs.Description) > 250:
		return "description is at most 250 characters"
	case !known && !slices.Contains([]string{"CS_IMAGE_SECRETS", "CS_IMAGE_MALWARE"}, rs.Template):
		return "templateName " + rs.Template + " is not a report template"
	case !slices.Contains([]string{"1", "7", "30", "90"}, rs.ExpireAfter):
		return "expireAfter must be 1, 7, 30 or 90 (days)"
	case rs.Start.IsZero() || rs.End.IsZero() || !rs.End.After(rs.Start):
		return "eventTime and eventEndTime are required, eventEndTime after eventTime"
	}
	for _, c := range rs.Columns {
		if cols != nil && !slices.Contains(cols, c) {
			return "displayColumns: " + c + " is not a column of " + rs.Template
		}
	}
	if d := rs.Details; d != nil {
		switch {
		case !slices.Contains([]string{"DAILY", "WEEKLY", "MONTHLY"}, d.RecurrenceType):
			return "reportScheduleDetails.recurrenceType must be DAILY, WEEKLY or MONTHLY"
		case d.RecurrenceType == "WEEKLY" && len(d.SelectedDayOfWeeks) == 0:
			return "reportScheduleDetails.selectedDayOfWeeks is required for a WEEKLY schedule"
		case d.RecurrenceType != "WEEKLY" && len(d.SelectedDayOfWeeks) > 0:
			return "reportScheduleDetails.selectedDayOfWeeks applies only to a WEEKLY schedule"
		case d.EmailNotification != nil && *d.EmailNotification == 1 && (d.Recipient == nil || !strings.Contains(*d.Recipient, "@")):
			return "reportScheduleDetails.recipient, an email address, is required with emailNotification 1"
		}
		for _, day := range d.SelectedDayOfWeeks {
			if !slices.Contains(weekDays, day) {
				return "reportScheduleDetails.selectedDayOfWeeks: " + day + " is not a day's name"
			}
		}
	}
	return ""
}

// UnmarshalJSON takes 0, 1, false and true.
func (f *flag01) UnmarshalJSON(b []byte) error {
	switch v := string(bytes.TrimSpace(b)); v {
	case "1", "true":
		*f = 1
	case "0", "false":
		*f = 0
	default:
		return fmt.Errorf("%s is not 0 or 1", v)
	}
	return nil
}

func (s *Server) reportScheduleRoutes() {
	m := s.mux
	m.HandleFunc("POST "+Base+"/reports/schedule", s.locked(func(w http.ResponseWriter, r *http.Request) {
		var b reportScheduleBody
		if !decodeBody(w, r, &b) {
			return
		}
		switch {
		case b.Action == nil || *b.Action != "CREATE":
			badRequest(w, "action must be CREATE")
			return
		case b.ReportScheduleDetails == nil:
			badRequest(w, "reportScheduleDetails is required: the recurrence, or null for one run at eventTime")
			return
		case b.TemplateName == nil || b.ExpireAfter == nil:
			badRequest(w, "templateName and expireAfter are required")
			return
		}
		rs := &reportSchedule{ID: newUUID()}
		if msg := rs.apply(&b); msg != "" {
			badRequest(w, "%s", msg)
			return
		}
		s.state.schedules.byID[rs.ID] = rs
		s.state.schedules.order = append(s.state.schedules.order, rs.ID)
		writeJSON(w, http.StatusOK, map[string]string{"reportingScheduleID": rs.ID})
	}))
	m.HandleFunc("PUT "+Base+"/reports/schedule/{reportingScheduleID}", s.locked(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("reportingScheduleID")
		rs := orNotFound(w, "Report schedule", id, s.state.schedules.byID[id])
		if rs == nil {
			return
		}
		if st := s.scheduleStatus(rs); st != "Active" {
			badRequest(w, "report schedule %s is %s: only an Active schedule can be updated", id, st)
			return
		}
		var b reportScheduleBody
		if !decodeBody(w, r, &b) {
			return
		}
		if b.Name != nil || b.Description != nil || b.Filter != nil || b.TemplateName != nil || b.Action != nil {
			badRequest(w, "update takes displayColumns, eventTime, eventEndTime, expireAfter and reportScheduleDetails only")
			return
		}
		c := *rs
		if msg := c.apply(&b); msg != "" {
			badRequest(w, "%s", msg)
			return
		}
		*rs = c
		writeJSON(w, http.StatusOK, map[string]string{"reportingScheduleID": rs.ID})
	}))
}
