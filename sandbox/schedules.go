package sandbox

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// schedule is a registry scan schedule as the v1.21 list answers it.
type schedule struct {
	ScheduleUUID              string             `json:"scheduleUuid"`
	OnDemand                  bool               `json:"onDemand"`
	Created                   Millis             `json:"created"`
	Updated                   Millis             `json:"updated"`
	JobStartDate              Millis             `json:"jobStartDate"`
	JobCompletionDate         Millis             `json:"jobCompletionDate"`
	Name                      *string            `json:"name"`
	Errors                    []scheduleError    `json:"errors"`
	Schedule                  string             `json:"schedule"`
	Filters                   []scheduleFilter   `json:"filters"`
	AdditionalFilters         *AdditionalFilters `json:"additionalFilters"`
	Status                    string             `json:"status"`
	JobListingStartDate       Millis             `json:"jobListingStartDate"`
	JobListingCompletionDate  Millis             `json:"jobListingCompletionDate"`
	JobScanningStartDate      Millis             `json:"jobScanningStartDate"`
	JobScanningCompletionDate Millis             `json:"jobScanningCompletionDate"`
	ForceScan                 bool               `json:"forceScan"`
	ScheduleIntervalInDays    *int               `json:"scheduleIntervalInDays"`
	WeekDay                   *string            `json:"weekDay,omitempty"`

	requested time.Time // an on-demand scan's request: it moves on with the clock
}

// scanTiming is how long an on-demand scan stays Queued, and then
// Running, before it is Finished.
type scanTiming struct{ queued, running time.Duration }

// SetScanTiming sets how long a new on-demand scan stays Queued and then
// Running before it is Finished (default 20s and 40s: long enough for a
// person to see it queued, short enough to follow to its end).
func (s *Server) SetScanTiming(queued, running time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.scans = scanTiming{queued, running}
}

// advance moves an on-demand scan Queued -> Running -> Finished with the
// clock, with the job dates a scan sets; a cancelled one stays Canceled.
func (st *state) advance(sc *schedule, now time.Time) {
	if sc.requested.IsZero() || (sc.Status != "Queued" && sc.Status != "Running") {
		return
	}
	t := st.scans
	if t == (scanTiming{}) {
		t = scanTiming{20 * time.Second, 40 * time.Second}
	}
	start, end := sc.requested.Add(t.queued), sc.requested.Add(t.queued+t.running)
	switch {
	case now.Before(start):
		return
	case now.Before(end):
		sc.Status = "Running"
	default:
		sc.Status = "Finished"
		sc.JobCompletionDate, sc.JobListingCompletionDate, sc.JobScanningCompletionDate = MillisOf(end), MillisOf(end), MillisOf(end)
	}
	sc.JobStartDate, sc.JobListingStartDate, sc.JobScanningStartDate, sc.Updated = MillisOf(start), MillisOf(start), MillisOf(start), MillisOf(start)
}

type scheduleFilter struct {
	RepoTags []repoTag `json:"repoTags"`
	Days     *int      `json:"days"`
}

type repoTag struct {
	Repo string  `json:"repo"`
	Tag  *string `json:"tag"`
}

type scheduleError struct {
	ErrorCode     string         `json:"errorCode"`
	ErrorMessage  string         `json:"errorMessage"`
	ContextParams map[string]any `json:"contextParams"`
}

// The IDs of the v1.21 sample schedules and the running one the sandbox adds.
const (
	FinishedScheduleID = "e046a540-8f3e-4a06-86e2-b914d97e9818"
	CreatedScheduleID  = "8ad79eba-9dee-464e-b924-0351c2de6bc7"
	ErrorScheduleID    = "97c60049-e7ed-4d59-b138-286518769884"
	TagsScheduleID     = "b6bb9e7b-72b7-4922-a09b-abcb5b3e7616"
	ECRRegistryID      = "6e92f810-1182-4ffd-8c14-3191f84ed333"
	RunningScheduleID  = "c7d1e2f3-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
)

func seedSchedules(st *state, now time.Time) {
	ms := func(v int64) Millis { return Millis{Ms: v, Valid: true} }
	one, seven, five := 1, 7, 5
	days90 := 90
	azure := func() []scheduleFilter { return []scheduleFilter{{RepoTags: []repoTag{{Repo: "azuretest"}}}} }
	tags := func() *AdditionalFilters {
		return &AdditionalFilters{NumberOfTags: five, SortCriteria: "createdDate"}
	}
	st.registries[AzureRegistryID].Schedules = []*schedule{
		{ScheduleUUID: FinishedScheduleID, Created: ms(1669194411031), Updated: ms(1669285168871), JobStartDate: ms(1669285168871), JobCompletionDate: ms(1669286348672),
			Schedule: "09:10", Filters: azure(), AdditionalFilters: tags(), Status: "Finished", JobListingStartDate: ms(1669285168871),
			JobScanningStartDate: ms(1669285180704), JobScanningCompletionDate: ms(1669286348672), ForceScan: true, ScheduleIntervalInDays: &one},
		{ScheduleUUID: CreatedScheduleID, Created: ms(1669186512880), Updated: ms(1669186512880), Schedule: "06:55",
			Filters: []scheduleFilter{{RepoTags: []repoTag{{Repo: "azuretest"}}, Days: &days90}}, Status: "Created", ForceScan: true, ScheduleIntervalInDays: &seven},
		{ScheduleUUID: ErrorScheduleID, Created: ms(1669193489282), Updated: ms(1669285168975), JobStartDate: ms(1669285168975), JobCompletionDate: ms(1669286916116),
			Errors: []scheduleError{{ErrorCode: "CMS-1204", ErrorMessage: "Cannot Connect to registry. Verify connection from sensor container3.",
				ContextParams: map[string]any{"imageId": nil, "sensorHostIpv4": "10.115.67.170", "repo": nil, "tag": nil, "repoDigest": nil, "sensorHostname": "container3", "sensorId": "0fdd4404-62a2-445a-9b3b-a90ac27a4d17"}}},
			Schedule: "09:00", Filters: azure(), AdditionalFilters: tags(), Status: "Finished", JobListingStartDate: ms(1669285168975),
			JobScanningStartDate: ms(1669285181172), JobScanningCompletionDate: ms(1669286916116), ForceScan: true, ScheduleIntervalInDays: &one},
		{ScheduleUUID: TagsScheduleID, Created: ms(1669195572798), Updated: ms(1669285169055), JobStartDate: ms(1669285169055), JobCompletionDate: ms(1669287475553),
			Schedule: "09:30", Filters: azure(), AdditionalFilters: tags(), Status: "Finished", JobListingStartDate: ms(1669285169055),
			JobScanningStartDate: ms(1669285302988), JobScanningCompletionDate: ms(1669287475553), ForceScan: true, ScheduleIntervalInDays: &one},
	}
	st.registries[BulkRegistryID].Schedules = []*schedule{
		{ScheduleUUID: BulkScheduleID, Created: ms(1669194411031), Updated: ms(1669286348672), JobStartDate: ms(1669285168871), JobCompletionDate: ms(1669286348672),
			Schedule: "03:00", Filters: []scheduleFilter{{RepoTags: []repoTag{{Repo: "docs/app"}}}}, Status: "Finished", ScheduleIntervalInDays: &one},
		{ScheduleUUID: "5d1c7e0a-2b3f-4c8d-9e6a-7f0b1c2d3e4f", Created: ms(1669194411031), Updated: ms(1669286348672), Schedule: "04:00",
			Filters: []scheduleFilter{{RepoTags: []repoTag{{Repo: "docs/worker"}}}}, Status: "Finished", ScheduleIntervalInDays: &one},
	}
	started := MillisOf(now.Add(-10 * time.Minute))
	name := "nightly-ecr"
	st.registries[ECRRegistryID].Schedules = []*schedule{
		{ScheduleUUID: RunningScheduleID, Name: &name, Created: ms(1668000000000), Updated: started, JobStartDate: started, JobListingStartDate: started,
			Schedule: "02:00", Filters: []scheduleFilter{{RepoTags: []repoTag{{Repo: "ecr-prod/app"}}}}, Status: "Running", ScheduleIntervalInDays: &one},
	}
}

func (s *Server) scheduleRoutes() {
	m := s.mux
	p := Base + "/registry/{registryId}/schedule"
	m.HandleFunc("GET "+p, s.locked(func(w http.ResponseWriter, r *http.Request) {
		if reg := s.registryOr404(w, r); reg != nil {
			for _, sc := range reg.Schedules {
				s.state.advance(sc, s.opts.Now())
			}
			listAnswer(w, r, reg.Schedules, "data")
		}
	}))
	m.HandleFunc("POST "+p, s.locked(s.createSchedule))
	m.HandleFunc("DELETE "+p, s.locked(s.deleteSchedules))
	m.HandleFunc("DELETE "+p+"/bulk", s.locked(s.deleteSchedules)) // the 2026 guide's path
	m.HandleFunc("PUT "+p+"/{scheduleId}", s.locked(s.updateSchedule))
	m.HandleFunc("DELETE "+p+"/{scheduleId}", s.locked(func(w http.ResponseWriter, r *http.Request) {
		reg, sc := s.scheduleOr404(w, r)
		if sc == nil {
			return
		}
		if sc.Status == "Running" {
			badRequest(w, "schedule %s is in Running state and cannot be deleted; cancel it first", sc.ScheduleUUID)
			return
		}
		reg.Schedules = slices.DeleteFunc(reg.Schedules, func(x *schedule) bool { return x == sc })
		writeJSON(w, http.StatusOK, map[string]string{"scheduleUuid": sc.ScheduleUUID})
	}))
	m.HandleFunc("POST "+p+"/{scheduleId}/cancel", s.locked(func(w http.ResponseWriter, r *http.Request) {
		_, sc := s.scheduleOr404(w, r)
		if sc == nil {
			return
		}
		if !slices.Contains([]string{"Created", "Queued", "Paused", "Running", "BaselineQueued", "BaselineRunning"}, sc.Status) {
			badRequest(w, "only schedules in state Created, Queued, Paused, Running, BaselineQueued or BaselineRunning can be cancelled; %s is %s", sc.ScheduleUUID, sc.Status)
			return
		}
		sc.Status, sc.Updated = "Canceled", MillisOf(s.opts.Now())
		writeJSON(w, http.StatusOK, map[string]string{"scheduleUuid": sc.ScheduleUUID})
	}))
}

func (s *Server) scheduleOr404(w http.ResponseWriter, r *http.Request) (*registry, *schedule) {
	reg := s.registryOr404(w, r)
	if reg == nil {
		return nil, nil
	}
	id := r.PathValue("scheduleId")
	for _, sc := range reg.Schedules {
		if sc.ScheduleUUID == id {
			s.state.advance(sc, s.opts.Now())
			return reg, sc
		}
	}
	notFound(w, "Schedule", id)
	return nil, nil
}

// scheduleBody is what create and update accept (v1.21).
type scheduleBody struct {
	Filters                []scheduleFilter   `json:"filters"`
	Name                   *string            `json:"name"`
	OnDemand               *bool              `json:"onDemand"`
	Schedule               *string            `json:"schedule"`
	ForceScan              *bool              `json:"forceScan"`
	RegistryType           *string            `json:"registryType"`
	ScheduleIntervalInDays *int               `json:"scheduleIntervalInDays"`
	AdditionalFilters      *AdditionalFilters `json:"additionalFilters"`
	// 2026: the interval's name in the guide's tables (v1.21's samples and
	// list answer say scheduleIntervalInDays: either is taken), and the day
	// of a weekly scan.
	ScheduleScanIntervalInDays *int    `json:"scheduleScanIntervalInDays"`
	WeekDay                    *string `json:"weekDay"`
}

// interval is the body's interval in days, under either name.
func (b *scheduleBody) interval() *int {
	if b.ScheduleScanIntervalInDays != nil {
		return b.ScheduleScanIntervalInDays
	}
	return b.ScheduleIntervalInDays
}

// checkSchedule validates a body for a registry; "" means fine.
func checkSchedule(b *scheduleBody, reg *registry) string {
	switch {
	case b.OnDemand == nil:
		return "onDemand is required"
	case len(b.Filters) == 0:
		return "filters is required: at least one repoTags entry"
	case !*b.OnDemand && (b.Schedule == nil || !hhmm(*b.Schedule)):
		return "schedule must be HH:MM (UTC) for an automatic scan"
	case b.ScheduleIntervalInDays != nil && b.ScheduleScanIntervalInDays != nil && *b.ScheduleIntervalInDays != *b.ScheduleScanIntervalInDays:
		return "scheduleScanIntervalInDays and scheduleIntervalInDays name the same interval and disagree"
	case b.interval() != nil && (*b.interval() < 1 || *b.interval() > 365):
		return "scheduleScanIntervalInDays must be 1-365"
	case b.WeekDay != nil && !slices.Contains(weekDays, *b.WeekDay):
		return "weekDay must be a day's name, MONDAY to SUNDAY"
	case b.WeekDay != nil && (b.interval() == nil || *b.interval() != 7):
		return "weekDay applies only to a weekly scan (scheduleScanIntervalInDays 7)"
	case b.RegistryType != nil && *b.RegistryType != reg.Type:
		return "registryType " + *b.RegistryType + " is not the registry's type " + reg.Type
	}
	for _, f := range b.Filters {
		if len(f.RepoTags) == 0 {
			return "every filter needs repoTags"
		}
		for _, rt := range f.RepoTags {
			if strings.TrimSpace(rt.Repo) == "" {
				return "repoTags.repo is required"
			}
		}
		if f.Days != nil && *f.Days < 1 {
			return "filters.days must be positive"
		}
	}
	if a := b.AdditionalFilters; a != nil {
		if a.NumberOfTags < 1 || a.NumberOfTags > 20 {
			return "additionalFilters.numberOfTags must be 1-20"
		}
		if a.SortCriteria != "" && a.SortCriteria != "createdDate" {
			return "additionalFilters.sortCriteria supports only createdDate"
		}
	}
	if b.ForceScan != nil && *b.ForceScan && !*b.OnDemand {
		if k := registryKind(reg.Type); k == "aws" || strings.EqualFold(reg.Type, "DockerHub") {
			return "the Scan all images (force rescan) option of automatic scans is available only for Google Artifact Registry, Google Container Registry, Azure Container Registry and private registries"
		}
	}
	return ""
}

func (sc *schedule) apply(b *scheduleBody) {
	sc.Filters, sc.OnDemand, sc.Name, sc.AdditionalFilters = b.Filters, *b.OnDemand, b.Name, b.AdditionalFilters
	sc.Schedule, sc.ForceScan, sc.ScheduleIntervalInDays, sc.WeekDay = "", false, b.interval(), b.WeekDay
	if b.Schedule != nil {
		sc.Schedule = *b.Schedule
	}
	if b.ForceScan != nil {
		sc.ForceScan = *b.ForceScan
	}
}

func (s *Server) createSchedule(w http.ResponseWriter, r *http.Request) {
	reg := s.registryOr404(w, r)
	if reg == nil {
		return
	}
	b, ok := readChecked(w, r, func(b *scheduleBody) string { return checkSchedule(b, reg) })
	if !ok {
		return
	}
	now := MillisOf(s.opts.Now())
	sc := &schedule{ScheduleUUID: newUUID(), Created: now, Updated: now, Status: "Created"}
	sc.apply(b)
	if sc.OnDemand {
		sc.Status, sc.requested = "Queued", s.opts.Now()
	}
	reg.Schedules = append(reg.Schedules, sc)
	writeJSON(w, http.StatusOK, map[string]string{"scheduleUuid": sc.ScheduleUUID})
}

func (s *Server) updateSchedule(w http.ResponseWriter, r *http.Request) {
	reg, sc := s.scheduleOr404(w, r)
	if sc == nil {
		return
	}
	b, ok := readChecked(w, r, func(b *scheduleBody) string { return checkSchedule(b, reg) })
	if !ok {
		return
	}
	if sc.Status == "Running" {
		badRequest(w, "schedule %s is in Running state and cannot be changed", sc.ScheduleUUID)
		return
	}
	sc.apply(b)
	sc.Updated = MillisOf(s.opts.Now())
	writeJSON(w, http.StatusOK, map[string]string{"scheduleUuid": sc.ScheduleUUID})
}

// deleteSchedules deletes the schedules named in scheduleIds or, with
// none, those the filter matches (the 2026 guide: both given, the IDs
// win); as Qualys documents, those Queued, Unknown or Running are left.
func (s *Server) deleteSchedules(w http.ResponseWriter, r *http.Request) {
	reg := s.registryOr404(w, r)
	if reg == nil {
		return
	}
	ids := r.URL.Query()["scheduleIds"]
	if len(ids) == 0 && r.URL.Query().Get("filter") == "" {
		badRequest(w, "scheduleIds or a filter is required")
		return
	}
	for _, id := range ids {
		if !slices.ContainsFunc(reg.Schedules, func(sc *schedule) bool { return sc.ScheduleUUID == id }) {
			notFound(w, "Schedule", id)
			return
		}
	}
	if len(ids) == 0 {
		matched, ok := filterSort(w, r, reg.Schedules)
		if !ok {
			return
		}
		for _, sc := range matched {
			ids = append(ids, sc.ScheduleUUID)
		}
	}
	reg.Schedules = slices.DeleteFunc(reg.Schedules, func(sc *schedule) bool {
		return slices.Contains(ids, sc.ScheduleUUID) && !slices.Contains([]string{"Queued", "Unknown", "Running"}, sc.Status)
	})
	writeJSON(w, http.StatusOK, map[string]string{"deletionJobId": newUUID()})
}

var weekDays = []string{"SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"}
