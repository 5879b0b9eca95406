package sandbox

import (
	"net/http"
	"slices"
	"sort"
	"strings"
)

// profile is a stored sensor profile; its sensors and registries are
// derived from what points at it, so they cannot disagree.
type profile struct {
	ID, Name, Description, CreatedBy string
	Type                             *string
	UpdatedBy                        *string
	Created, Updated                 Millis
	Config                           *ProfileConfig
	// 2026: a RUNTIME profile's runtime sensor (enable, disable) and the
	// processes it ignores; the filter the guide's tables list; vulnerability
	// propagation, set by update's isVulnPropagation.
	RuntimeSensor, IgnoreProcesses, Filter *string
	VulnPropagation                        *bool
}

// sensorTypeOf is the sensor type each profile type takes (Cluster and
// RUNTIME: the 2026 guide).
var sensorTypeOf = map[string]string{"Registry": "REGISTRY", "General": "GENERAL", "CICD": "CICD", "Cluster": "CLUSTER", "RUNTIME": "RUNTIME"}

func (s *Server) sensorRoutes() {
	m := s.mux
	m.HandleFunc("GET "+Base+"/sensorProfile", s.locked(s.listProfiles))
	m.HandleFunc("POST "+Base+"/sensorProfile", s.locked(s.createProfile))
	m.HandleFunc("GET "+Base+"/sensorProfile/{id}", s.locked(s.getProfile))
	m.HandleFunc("PUT "+Base+"/sensorProfile/{id}", s.locked(s.updateProfile))
	m.HandleFunc("DELETE "+Base+"/sensorProfile/{id}", s.locked(s.deleteProfile))
	m.HandleFunc("GET "+Base+"/sensorProfile/{id}/registry", s.locked(s.profileRegistries))
	m.HandleFunc("GET "+Base+"/sensorProfile/{id}/sensor", s.locked(s.profileSensors))
	m.HandleFunc("GET "+Base+"/sensorProfile/sensor/associate", s.locked(s.associableSensors))
	m.HandleFunc("GET "+Base+"/sensors/profile/associate", s.locked(s.associableProfiles))
	m.HandleFunc("PUT "+Base+"/sensors/{sensorId}/profile/{profileId}/attach", s.locked(s.attach))
	m.HandleFunc("PUT "+Base+"/sensors/{sensorId}/profile/detach", s.locked(s.detach))
	m.HandleFunc("GET "+Base+"/sensors", s.locked(s.listSensors))
	m.HandleFunc("DELETE "+Base+"/sensors", s.locked(s.deleteSensors))
	m.HandleFunc("GET "+Base+"/sensors/{sensorId}", s.locked(s.getSensor))
	m.HandleFunc("GET "+Base+"/activationkey", s.locked(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.state.activation)
	}))
}

// locked runs a handler with the state locked.
func (s *Server) locked(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		h(w, r)
	}
}

func (st *state) profileSensorIDs(id string) []string {
	var ids []string
	for _, sid := range st.sensorOrder {
		if st.sensors[sid].AssociatedSensorProfile == id {
			ids = append(ids, sid)
		}
	}
	return ids
}

func (st *state) profileRegistryIDs(id string) []string {
	var ids []string
	for _, rid := range st.registryOrder {
		if st.registries[rid].SensorProfile == id {
			ids = append(ids, rid)
		}
	}
	return ids
}

func (st *state) profileJSON(p *profile, detail bool) map[string]any {
	sensors, regs := st.profileSensorIDs(p.ID), st.profileRegistryIDs(p.ID)
	m := map[string]any{
		"profileId": p.ID, "profileName": p.Name, "profileType": p.Type, "description": p.Description,
		"createdBy": p.CreatedBy, "created": p.Created, "updatedBy": p.UpdatedBy, "updated": p.Updated,
		"associatedSensorsCount": len(sensors),
	}
	if detail {
		m["associatedRegistriesCount"] = len(regs)
		m["associatedSensors"] = sensors
		m["associatedRegistries"] = regs
		if p.Config != nil {
			m["config"] = p.Config
		}
		if p.Type != nil && *p.Type == "RUNTIME" {
			m["runtimeSensor"], m["ignoreProcesses"] = or(deref(p.RuntimeSensor), "enable"), p.IgnoreProcesses
		}
		if p.Filter != nil {
			m["filter"] = *p.Filter
		}
		if p.VulnPropagation != nil {
			m["isVulnPropagation"] = *p.VulnPropagation
		}
	}
	return m
}

func (st *state) sensorJSON(sn *Sensor) *Sensor {
	c := *sn
	if p := st.profiles[sn.AssociatedSensorProfile]; p != nil {
		name := p.Name
		c.AssociatedSensorProfileName = &name
	}
	return &c
}

func (s *Server) listProfiles(w http.ResponseWriter, r *http.Request) {
	var all []map[string]any
	for _, id := range s.state.profileOrder {
		all = append(all, s.state.profileJSON(s.state.profiles[id], false))
	}
	listAnswer(w, r, all, "data")
}

// listAnswer filters, sorts and pages items and answers them under key
// ("data" with count and groups, or the v1.17 "content").
func listAnswer[T any](w http.ResponseWriter, r *http.Request, items []T, key string) {
	items, ok := filterSort(w, r, items)
	if !ok {
		return
	}
	total := len(items)
	pg, ok := page(w, r, items)
	if !ok {
		return
	}
	if pg == nil {
		pg = []T{}
	}
	if key == "content" {
		writeJSON(w, http.StatusOK, map[string]any{"content": pg})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": pg, "count": total, "groups": map[string]any{}})
}

// profileBody is what create and update accept; the server-set fields of
// the v1.21 sample are accepted and ignored.
type profileBody struct {
	ProfileID             string         `json:"profileId"`
	ProfileName           *string        `json:"profileName"`
	Description           *string        `json:"description"`
	ProfileType           *string        `json:"profileType"`
	AssociatedRegistryIds []string       `json:"associatedRegistryIds"`
	AssociatedSensorIds   []string       `json:"associatedSensorIds"`
	Config                *ProfileConfig `json:"config"`
	RuntimeSensor         *string        `json:"runtimeSensor"`
	IgnoreProcesses       *string        `json:"ignoreProcesses"`
	Filter                *string        `json:"filter"`
	CreatedBy             any            `json:"createdBy"`
	Created               any            `json:"created"`
	UpdatedBy             any            `json:"updatedBy"`
	Updated               any            `json:"updated"`
}

// checkBody validates a profile body against the state; "" means fine.
func (st *state) checkBody(b *profileBody, self string) string {
	if b.ProfileName == nil || strings.TrimSpace(*b.ProfileName) == "" {
		return "profileName is required"
	}
	for _, p := range st.profiles {
		if p.ID != self && strings.EqualFold(p.Name, *b.ProfileName) {
			return "a sensor profile named " + *b.ProfileName + " already exists"
		}
	}
	if b.ProfileType == nil || sensorTypeOf[*b.ProfileType] == "" {
		return "profileType must be one of Registry, General, CICD, Cluster, RUNTIME"
	}
	if *b.ProfileType != "RUNTIME" && (b.RuntimeSensor != nil || b.IgnoreProcesses != nil) {
		return "runtimeSensor and ignoreProcesses apply only to a RUNTIME profile"
	}
	if b.RuntimeSensor != nil && *b.RuntimeSensor != "enable" && *b.RuntimeSensor != "disable" {
		return "runtimeSensor must be enable or disable"
	}
	want := sensorTypeOf[*b.ProfileType]
	for _, id := range b.AssociatedSensorIds {
		sn := st.sensors[id]
		if sn == nil {
			return "sensor " + id + " does not exist"
		}
		if sn.SensorType != want {
			return "sensor " + id + " is a " + sn.SensorType + " sensor and cannot join a " + *b.ProfileType + " profile"
		}
	}
	if *b.ProfileType != "Registry" && len(b.AssociatedRegistryIds) > 0 {
		return "only Registry profiles can have registries"
	}
	if *b.ProfileType == "Registry" && len(b.AssociatedRegistryIds) == 0 {
		return "associatedRegistryIds is required for a Registry profile"
	}
	for _, id := range b.AssociatedRegistryIds {
		if st.registries[id] == nil {
			return "registry " + id + " does not exist"
		}
	}
	if c := b.Config; c != nil {
		if c.WeeklyInactiveWindowSchedules != nil && c.WeeklyBlackoutWindowSchedules != nil {
			return "give the weekly window once: weeklyBlackoutWindowSchedules (or, as v1.21 named it, weeklyInactiveWindowSchedules)"
		}
		for _, win := range c.windows() {
			if len(win.RepeatOnDays) == 0 {
				return "weeklyBlackoutWindowSchedules.repeatOnDays is required"
			}
			for _, d := range win.RepeatOnDays {
				if !strings.Contains("SUNDAY MONDAY TUESDAY WEDNESDAY THURSDAY FRIDAY SATURDAY", d) || d == "" {
					return "invalid day " + d
				}
			}
			if !hhmm(win.StartTime) || !hhmm(win.EndTime) {
				if win.AllDayToggle == nil || !*win.AllDayToggle {
					return "startTime and endTime must be HH:MM"
				}
			}
		}
		if v := c.VulnerabilityManagement; v != nil && v.ScanningPolicy != "" && v.ScanningPolicy != "Dynamic" && v.ScanningPolicy != "DynamicWithStaticScanningAsFallback" {
			return "invalid scanningPolicy " + v.ScanningPolicy
		}
		if v := c.VulnerabilityManagement; v != nil && v.ContainerScanningInterval != nil && !slices.Contains([]int{12, 24, 48}, *v.ContainerScanningInterval) {
			return "containerScanningInterval must be 12, 24 or 48 (hours)"
		}
	}
	return ""
}

func hhmm(s string) bool {
	return len(s) == 5 && s[2] == ':' && s[0] >= '0' && s[0] <= '2' && s[1] >= '0' && s[1] <= '9' && s[3] >= '0' && s[3] <= '5' && s[4] >= '0' && s[4] <= '9' && (s[0] < '2' || s[1] <= '3')
}

// apply sets the profile's members to exactly what the body lists; those
// dropped fall back to the Default profile.
func (st *state) apply(p *profile, b *profileBody) {
	p.Name, p.Type, p.Config = *b.ProfileName, b.ProfileType, b.Config
	p.RuntimeSensor, p.IgnoreProcesses, p.Filter = b.RuntimeSensor, b.IgnoreProcesses, b.Filter
	if b.Description != nil {
		p.Description = *b.Description
	}
	keep := map[string]bool{}
	for _, id := range b.AssociatedSensorIds {
		keep[id] = true
		st.sensors[id].AssociatedSensorProfile = p.ID
	}
	for _, id := range st.profileSensorIDs(p.ID) {
		if !keep[id] {
			st.sensors[id].AssociatedSensorProfile = DefaultProfileID
		}
	}
	keep = map[string]bool{}
	for _, id := range b.AssociatedRegistryIds {
		keep[id] = true
		st.registries[id].SensorProfile = p.ID
	}
	for _, id := range st.profileRegistryIDs(p.ID) {
		if !keep[id] {
			st.registries[id].SensorProfile = DefaultProfileID
		}
	}
}

func (s *Server) createProfile(w http.ResponseWriter, r *http.Request) {
	var b profileBody
	if !decodeBody(w, r, &b) {
		return
	}
	if msg := s.state.checkBody(&b, ""); msg != "" {
		badRequest(w, "%s", msg)
		return
	}
	now := MillisOf(s.opts.Now())
	p := &profile{ID: newUUID(), CreatedBy: s.opts.Username, Created: now, Updated: now}
	s.state.apply(p, &b)
	s.state.profiles[p.ID] = p
	s.state.profileOrder = append(s.state.profileOrder, p.ID)
	writeJSON(w, http.StatusOK, map[string]string{"profileUuid": p.ID})
}

func (s *Server) profileOr404(w http.ResponseWriter, r *http.Request) *profile {
	id := r.PathValue("id")
	return orNotFound(w, "Sensor profile", id, s.state.profiles[id])
}

func (s *Server) getProfile(w http.ResponseWriter, r *http.Request) {
	if p := s.profileOr404(w, r); p != nil {
		writeJSON(w, http.StatusOK, s.state.profileJSON(p, true))
	}
}

func (s *Server) updateProfile(w http.ResponseWriter, r *http.Request) {
	p := s.profileOr404(w, r)
	if p == nil {
		return
	}
	if p.ID == DefaultProfileID {
		badRequest(w, "the Default profile cannot be changed")
		return
	}
	var b profileBody
	if !decodeBody(w, r, &b) {
		return
	}
	if msg := s.state.checkBody(&b, p.ID); msg != "" {
		badRequest(w, "%s", msg)
		return
	}
	if v := r.URL.Query().Get("isVulnPropagation"); v != "" {
		on := v == "true"
		if !on && v != "false" {
			badRequest(w, "isVulnPropagation must be true or false")
			return
		}
		p.VulnPropagation = &on
	}
	s.state.apply(p, &b)
	p.Updated = MillisOf(s.opts.Now())
	user := s.opts.Username
	p.UpdatedBy = &user
	writeJSON(w, http.StatusOK, map[string]string{"profileUuid": p.ID})
}

func (s *Server) deleteProfile(w http.ResponseWriter, r *http.Request) {
	p := s.profileOr404(w, r)
	if p == nil {
		return
	}
	if p.ID == DefaultProfileID {
		badRequest(w, "the Default profile cannot be deleted")
		return
	}
	s.state.apply(p, &profileBody{ProfileName: &p.Name, ProfileType: p.Type})
	delete(s.state.profiles, p.ID)
	s.state.profileOrder = remove(s.state.profileOrder, p.ID)
	w.WriteHeader(http.StatusOK)
}

func remove(ids []string, id string) []string {
	out := ids[:0:0]
	for _, x := range ids {
		if x != id {
			out = append(out, x)
		}
	}
	return out
}

func (s *Server) profileRegistries(w http.ResponseWriter, r *http.Request) {
	p := s.profileOr404(w, r)
	if p == nil {
		return
	}
	var out []RegistrySummary
	for _, id := range s.state.profileRegistryIDs(p.ID) {
		out = append(out, s.state.registries[id].summary())
	}
	listAnswer(w, r, out, "data")
}

func (s *Server) profileSensors(w http.ResponseWriter, r *http.Request) {
	p := s.profileOr404(w, r)
	if p == nil {
		return
	}
	var out []*Sensor
	for _, id := range s.state.profileSensorIDs(p.ID) {
		out = append(out, s.state.sensorJSON(s.state.sensors[id]))
	}
	listAnswer(w, r, out, "content") // v1.17 answers this list as {"content": [...]}
}

func (s *Server) associableSensors(w http.ResponseWriter, r *http.Request) {
	typ := r.URL.Query().Get("sensorProfileType")
	want := sensorTypeOf[typ]
	if want == "" {
		badRequest(w, "sensorProfileType is required: Registry, General or CICD")
		return
	}
	var out []*Sensor
	for _, id := range s.state.sensorOrder {
		sn := s.state.sensors[id]
		if sn.SensorType == want && sn.AssociatedSensorProfile == DefaultProfileID {
			out = append(out, s.state.sensorJSON(sn))
		}
	}
	listAnswer(w, r, out, "data")
}

func (s *Server) associableProfiles(w http.ResponseWriter, r *http.Request) {
	typ := r.URL.Query().Get("sensorType")
	if typ == "" {
		typ = "GENERAL"
	}
	var out []map[string]any
	for _, id := range s.state.profileOrder {
		p := s.state.profiles[id]
		if p.Type != nil && sensorTypeOf[*p.Type] == typ {
			out = append(out, s.state.profileJSON(p, false))
		}
	}
	if typ != "REGISTRY" && typ != "GENERAL" && typ != "CICD" {
		badRequest(w, "sensorType must be REGISTRY, GENERAL or CICD")
		return
	}
	listAnswer(w, r, out, "data")
}

// sensorByID finds a sensor by its UUID or its short sensorId.
func (st *state) sensorByID(id string) *Sensor {
	if sn := st.sensors[id]; sn != nil {
		return sn
	}
	for _, sn := range st.sensors {
		if sn.SensorID != nil && *sn.SensorID == id {
			return sn
		}
	}
	return nil
}

func (s *Server) sensorOr404(w http.ResponseWriter, r *http.Request) *Sensor {
	id := r.PathValue("sensorId")
	return orNotFound(w, "Sensor", id, s.state.sensorByID(id))
}

func (s *Server) attach(w http.ResponseWriter, r *http.Request) {
	sn := s.sensorOr404(w, r)
	if sn == nil {
		return
	}
	pid := r.PathValue("profileId")
	p := s.state.profiles[pid]
	if p == nil {
		notFound(w, "Sensor profile", pid)
		return
	}
	if p.ID != DefaultProfileID && (p.Type == nil || sensorTypeOf[*p.Type] != sn.SensorType) {
		badRequest(w, "a %s sensor cannot be attached to a profile of type %s", sn.SensorType, deref(p.Type))
		return
	}
	sn.AssociatedSensorProfile = p.ID
	w.WriteHeader(http.StatusOK)
}

func deref(p *string) string {
	if p == nil {
		return "null"
	}
	return *p
}

func (s *Server) detach(w http.ResponseWriter, r *http.Request) {
	sn := s.sensorOr404(w, r)
	if sn == nil {
		return
	}
	sn.AssociatedSensorProfile = DefaultProfileID
	w.WriteHeader(http.StatusOK)
}

func (s *Server) listSensors(w http.ResponseWriter, r *http.Request) {
	var out []*Sensor
	for _, id := range s.state.sensorOrder {
		out = append(out, s.state.sensorJSON(s.state.sensors[id]))
	}
	listAnswer(w, r, out, "data")
}

func (s *Server) getSensor(w http.ResponseWriter, r *http.Request) {
	if sn := s.sensorOr404(w, r); sn != nil {
		writeJSON(w, http.StatusOK, s.state.sensorJSON(sn))
	}
}

func (s *Server) deleteSensors(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ids := q["sensorIds"]
	filter := q.Get("filter")
	if len(ids) == 0 && filter == "" {
		badRequest(w, "provide sensorIds or a filter")
		return
	}
	var targets []*Sensor
	if len(ids) > 0 {
		for _, id := range ids {
			sn := s.state.sensorByID(id)
			if sn == nil {
				notFound(w, "Sensor", id)
				return
			}
			targets = append(targets, sn)
		}
	} else {
		var all []*Sensor
		for _, id := range s.state.sensorOrder {
			all = append(all, s.state.sensors[id])
		}
		var ok bool
		if targets, ok = filterSort(w, r, all); !ok {
			return
		}
	}
	var busy []string
	for _, sn := range targets {
		if !strings.EqualFold(sn.Status, "UNKNOWN") {
			busy = append(busy, sn.UUID+" ("+sn.Status+")")
		}
	}
	if len(busy) > 0 {
		sort.Strings(busy)
		badRequest(w, "only sensors in status UNKNOWN can be deleted: %s", strings.Join(busy, ", "))
		return
	}
	for _, sn := range targets {
		delete(s.state.sensors, sn.UUID)
		s.state.sensorOrder = remove(s.state.sensorOrder, sn.UUID)
	}
	writeJSON(w, http.StatusOK, "Deleted sensors successfully")
}
