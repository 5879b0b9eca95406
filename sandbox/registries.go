package sandbox

import (
	"net/http"
	"strings"
	"time"
)

// registryDetail is the part of a registry the registry, schedule and
// report handlers keep. The credential's secrets are never answered.
type registryDetail struct {
	DockerHubOrg   string
	CredentialType string
	Username       string
	password       string
	accessToken    string
	AWS            *awsRef
	ACR            *ACRRegistry
	GCP            *GCPRegistry
	GCAR           *GCARRegistry
	Created        Millis
	Updated        Millis
	Repos          []repo
	Schedules      []*schedule
}

// awsRef is an ECR registry's account, as GET answers it.
type awsRef struct {
	AccountID   string `json:"accountId"`
	ARN         string `json:"arn"`
	Region      string `json:"region"`
	AccountType string `json:"accountType,omitempty"`
	Name        string `json:"name,omitempty"`
}

type repo struct {
	RepoName              string `json:"repoName"`
	TotalImages           int    `json:"totalImages"`
	TotalScannedImages    int    `json:"totalScannedImages"`
	TotalVulnerableImages int    `json:"totalVulnerableImages"`
}

// RegistrySecrets returns what a registry authenticates with, for tests
// that check a secret was stored and kept; the API never answers these.
func (s *Server) RegistrySecrets(id string) (username, password, accessToken string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.state.registries[id]
	if r == nil {
		return "", "", "", false
	}
	return r.Username, r.password, r.accessToken, true
}

func seedRegistries(st *state, now time.Time) {
	seedConnectors(&st.connectors)
	repos := map[string][]repo{
		DockerRegistryID: {{"library/nginx", 4, 4, 3}, {"library/redis", 3, 3, 1}, {"acme/api", 3, 2, 2}},
		AzureRegistryID:  {{"azuretest", 3, 3, 2}, {"nginx", 1, 1, 1}},
	}
	created := Millis{Ms: 1657000000000, Valid: true}
	for _, id := range st.registryOrder {
		r := st.registries[id]
		r.Created, r.Updated, r.CredentialType = created, created, "None"
		r.Repos = repos[id]
		if r.Repos == nil {
			name := r.Name + "/app"
			r.Repos = []repo{{name, r.TotalImages, r.TotalImages, r.TotalImages / 2}}
		}
		switch r.Type {
		case "Azure":
			r.CredentialType, r.ACR = "Azure", &ACRRegistry{ConnectorID: st.connectors.acr[0].ID}
		case "AWS":
			r.CredentialType, r.AWS = "AWS", &awsRef{AccountID: "123456789012", ARN: st.connectors.aws[0].ARN, Region: "us-east-1", AccountType: "Global", Name: st.connectors.aws[0].Name}
		case "Google":
			g := st.connectors.gcp[0]
			r.CredentialType, r.GCP = "GCP", &GCPRegistry{ConnectorID: g.ID, ProjectID: g.ProjectID, Location: g.Location}
		case "V2-Private":
			r.CredentialType, r.Username, r.password = "BasicAuth", "robot$scanner", "seed-harbor-pass"
		}
	}
	seedSchedules(st, now)
	seedReports(st, now)
}

func (s *Server) registryRoutes() {
	m := s.mux
	m.HandleFunc("GET "+Base+"/registry", s.locked(s.listRegistries))
	m.HandleFunc("POST "+Base+"/registry", s.locked(s.createRegistry))
	m.HandleFunc("DELETE "+Base+"/registry", s.locked(s.deleteRegistries))
	m.HandleFunc("POST "+Base+"/registry/validate", s.locked(s.validateRegistry))
	m.HandleFunc("GET "+Base+"/registry/{registryId}", s.locked(func(w http.ResponseWriter, r *http.Request) {
		if reg := s.registryOr404(w, r); reg != nil {
			writeJSON(w, http.StatusOK, s.state.registryJSON(reg, true))
		}
	}))
	m.HandleFunc("PUT "+Base+"/registry/{registryId}", s.locked(s.updateRegistry))
	m.HandleFunc("DELETE "+Base+"/registry/{registryId}", s.locked(func(w http.ResponseWriter, r *http.Request) {
		if reg := s.registryOr404(w, r); reg != nil {
			s.removeRegistries(w, []*registry{reg})
		}
	}))
	m.HandleFunc("GET "+Base+"/registry/{registryId}/repository", s.locked(func(w http.ResponseWriter, r *http.Request) {
		if reg := s.registryOr404(w, r); reg != nil {
			listAnswer(w, r, reg.Repos, "data")
		}
	}))
}

func (s *Server) registryOr404(w http.ResponseWriter, r *http.Request) *registry {
	id := r.PathValue("registryId")
	return orNotFound(w, "Registry", id, s.state.registries[id])
}

// registryJSON is a registry as the list (detail false) or GET answers it.
func (st *state) registryJSON(r *registry, detail bool) map[string]any {
	scanned, vulnerable := 0, 0
	for _, rp := range r.Repos {
		scanned += rp.TotalScannedImages
		vulnerable += rp.TotalVulnerableImages
	}
	statuses := map[string]int{}
	for _, sc := range r.Schedules {
		statuses[sc.Status]++
	}
	m := map[string]any{
		"registryUuid": r.UUID, "registryName": r.Name, "registryUri": r.URI, "registryType": r.Type,
		"created": r.Created, "updated": r.Updated, "lastScanned": r.LastScanned,
		"repoCount": len(r.Repos), "totalImages": r.TotalImages, "totalScannedImages": scanned, "totalVulnerableImages": vulnerable,
		"dockerHubOrg": nilIfEmpty(r.DockerHubOrg), "scheduleStatusList": statuses, "sensorProfileId": r.SensorProfile,
	}
	if p := st.profiles[r.SensorProfile]; p != nil {
		m["sensorProfileName"] = p.Name
	}
	if r.AWS != nil {
		m["awsAccountId"], m["awsRegion"] = r.AWS.AccountID, r.AWS.Region
	}
	if detail {
		m["credentialType"] = r.CredentialType
		if r.Username != "" {
			m["credential"] = map[string]string{"username": r.Username}
		}
		m["aws"], m["acr"], m["gcp"], m["gcar"] = r.AWS, r.ACR, r.GCP, r.GCAR
	}
	return m
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Server) listRegistries(w http.ResponseWriter, r *http.Request) {
	var out []map[string]any
	for _, id := range s.state.registryOrder {
		out = append(out, s.state.registryJSON(s.state.registries[id], false))
	}
	listAnswer(w, r, out, "data")
}

// registryBody is what create, update and validate accept (the spec's
// RegistryRequest with the v1.17 name and sensor profile).
type registryBody struct {
	RegistryType     string              `json:"registryType"`
	RegistryURI      string              `json:"registryUri"`
	RegistryUUID     string              `json:"registryUuid"`
	RegistryName     *string             `json:"registryName"`
	DockerHubOrgName *string             `json:"dockerHubOrgName"`
	CredentialType   *string             `json:"credentialType"`
	Credential       *RegistryCredential `json:"credential"`
	AWS              *AWSRegistry        `json:"aws"`
	ACR              *ACRRegistry        `json:"acr"`
	GCP              *GCPRegistry        `json:"gcp"`
	GCAR             *GCARRegistry       `json:"gcar"`
	SensorProfileID  *string             `json:"sensorProfileId"`
}

// checkRegistry validates a body against the state as Qualys would; self
// is the registry being updated, or nil. "" means fine.
func (st *state) checkRegistry(b *registryBody, self *registry) string {
	if strings.TrimSpace(b.RegistryType) == "" || strings.TrimSpace(b.RegistryURI) == "" {
		return "registryType and registryUri are required"
	}
	if !strings.HasPrefix(b.RegistryURI, "https://") && !strings.HasPrefix(b.RegistryURI, "http://") {
		return "registryUri must be an http(s) URL"
	}
	if self != nil && (b.RegistryType != self.Type || !sameURI(b.RegistryURI, self.URI)) {
		return "registryType and registryUri cannot be changed; send the current ones"
	}
	for _, id := range st.registryOrder {
		o := st.registries[id]
		if o == self {
			continue
		}
		if sameURI(o.URI, b.RegistryURI) {
			return "a registry with URI " + b.RegistryURI + " already exists"
		}
		if b.RegistryName != nil && *b.RegistryName != "" && strings.EqualFold(o.Name, *b.RegistryName) {
			return "a registry named " + *b.RegistryName + " already exists"
		}
	}
	kind := registryKind(b.RegistryType)
	given := map[string]bool{"aws": b.AWS != nil, "acr": b.ACR != nil, "gcp": b.GCP != nil, "gcar": b.GCAR != nil}
	for k, ok := range given {
		if ok && k != kind {
			return k + " does not apply to registryType " + b.RegistryType
		}
	}
	cs := &st.connectors
	switch kind {
	case "aws":
		switch {
		case b.AWS == nil || b.AWS.ARN == "":
			return "aws.arn is required for registryType " + b.RegistryType
		case arnAccount(b.AWS.ARN) == "":
			return "aws.arn must be an IAM role ARN"
		case cs.awsByARN(b.AWS.ARN) == nil && (b.AWS.AccountID == "" || b.AWS.Region == ""):
			return "no AWS connector has arn " + b.AWS.ARN + "; give aws.accountId and aws.region to create one"
		case b.AWS.AccountType != "" && b.AWS.AccountType != "Global" && b.AWS.AccountType != "US_Gov":
			return "aws.accountType must be Global or US_Gov"
		}
	case "acr":
		if b.ACR == nil || cs.acrByID(b.ACR.ConnectorID) == nil {
			return "acr.connectorId must name an existing ACR connector"
		}
	case "gcp":
		if b.GCP == nil || cs.gcpByID(b.GCP.ConnectorID) == nil || b.GCP.ProjectID == "" {
			return "gcp.connectorId (an existing GCP connector) and gcp.projectId are required"
		}
	case "gcar":
		if b.GCAR == nil || cs.gcpByID(b.GCAR.ConnectorID) == nil || b.GCAR.ProjectID == "" || b.GCAR.Registry == "" {
			return "gcar.connectorId (an existing GCP connector), gcar.projectId and gcar.registry are required"
		}
	default:
		ct, user, pass, token := "None", "", "", ""
		if self != nil {
			ct, user, pass, token = self.CredentialType, self.Username, self.password, self.accessToken
		}
		if b.CredentialType != nil && *b.CredentialType != "" {
			ct = *b.CredentialType
		}
		if c := b.Credential; c != nil {
			user, pass, token = or(c.Username, user), or(c.Password, pass), or(c.AccessToken, token)
		}
		if ct != "None" && ct != "" && token == "" && (user == "" || pass == "") {
			return "credentialType " + ct + " needs credential.username and credential.password, or credential.accessToken"
		}
	}
	if b.SensorProfileID != nil && *b.SensorProfileID != "" {
		p := st.profiles[*b.SensorProfileID]
		if p == nil {
			return "sensor profile " + *b.SensorProfileID + " does not exist"
		}
		if p.ID != DefaultProfileID && (p.Type == nil || *p.Type != "Registry") {
			return "sensor profile " + p.Name + " is not a Registry profile"
		}
	}
	return ""
}

// or is a unless it is empty.
func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func sameURI(a, b string) bool {
	return strings.EqualFold(strings.TrimRight(a, "/"), strings.TrimRight(b, "/"))
}

// applyRegistry stores a checked body; what it does not mention is kept.
func (st *state) applyRegistry(r *registry, b *registryBody) {
	r.Type, r.URI = b.RegistryType, b.RegistryURI
	if b.RegistryName != nil {
		r.Name = *b.RegistryName
	}
	if b.DockerHubOrgName != nil {
		r.DockerHubOrg = *b.DockerHubOrgName
	}
	if b.CredentialType != nil && *b.CredentialType != "" {
		r.CredentialType = *b.CredentialType
	}
	if c := b.Credential; c != nil {
		r.Username, r.password, r.accessToken = or(c.Username, r.Username), or(c.Password, r.password), or(c.AccessToken, r.accessToken)
	}
	if a := b.AWS; a != nil {
		conn := st.connectors.awsByARN(a.ARN)
		if conn == nil {
			conn = &awsConnector{Name: "connector-" + arnAccount(a.ARN), ARN: a.ARN}
			st.connectors.aws = append(st.connectors.aws, conn)
		}
		r.AWS = &awsRef{AccountID: arnAccount(a.ARN), ARN: a.ARN, Region: a.Region, AccountType: a.AccountType, Name: conn.Name}
		if r.CredentialType == "" {
			r.CredentialType = "AWS"
		}
	}
	if b.ACR != nil {
		r.ACR = b.ACR
	}
	if b.GCP != nil {
		r.GCP = b.GCP
	}
	if b.GCAR != nil {
		r.GCAR = b.GCAR
	}
	if b.SensorProfileID != nil && *b.SensorProfileID != "" {
		r.SensorProfile = *b.SensorProfileID
	}
}

// readChecked decodes a body strictly and checks it; false means the
// refusal is answered.
func readChecked[T any](w http.ResponseWriter, r *http.Request, check func(*T) string) (*T, bool) {
	var b T
	if !decodeBody(w, r, &b) {
		return nil, false
	}
	if msg := check(&b); msg != "" {
		badRequest(w, "%s", msg)
		return nil, false
	}
	return &b, true
}

func (s *Server) newRegistryBody(w http.ResponseWriter, r *http.Request) (*registryBody, bool) {
	return readChecked(w, r, func(b *registryBody) string { return s.state.checkRegistry(b, nil) })
}

func (s *Server) createRegistry(w http.ResponseWriter, r *http.Request) {
	b, ok := s.newRegistryBody(w, r)
	if !ok {
		return
	}
	now := MillisOf(s.opts.Now())
	reg := &registry{UUID: newUUID(), SensorProfile: DefaultProfileID}
	reg.Created, reg.Updated, reg.CredentialType = now, now, "None"
	s.state.applyRegistry(reg, b)
	s.state.registries[reg.UUID] = reg
	s.state.registryOrder = append(s.state.registryOrder, reg.UUID)
	writeJSON(w, http.StatusOK, map[string]string{"registryUuid": reg.UUID})
}

func (s *Server) validateRegistry(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.newRegistryBody(w, r); ok {
		writeJSON(w, http.StatusOK, true)
	}
}

func (s *Server) updateRegistry(w http.ResponseWriter, r *http.Request) {
	reg := s.registryOr404(w, r)
	if reg == nil {
		return
	}
	b, ok := readChecked(w, r, func(b *registryBody) string { return s.state.checkRegistry(b, reg) })
	if !ok {
		return
	}
	s.state.applyRegistry(reg, b)
	reg.Updated = MillisOf(s.opts.Now())
	writeJSON(w, http.StatusOK, map[string]string{"registryUuid": reg.UUID})
}

// deleteRegistries takes registryIds in the query or {"registryIds": [...]}
// in the body; all or nothing.
func (s *Server) deleteRegistries(w http.ResponseWriter, r *http.Request) {
	ids := r.URL.Query()["registryIds"]
	if len(ids) == 0 {
		var b struct {
			RegistryIds []string `json:"registryIds"`
		}
		if !decodeBody(w, r, &b) {
			return
		}
		ids = b.RegistryIds
	}
	if len(ids) == 0 {
		badRequest(w, "registryIds is required")
		return
	}
	var regs []*registry
	for _, id := range ids {
		reg := s.state.registries[id]
		if reg == nil {
			notFound(w, "Registry", id)
			return
		}
		regs = append(regs, reg)
	}
	s.removeRegistries(w, regs)
}

// removeRegistries deletes registries unless one has a running schedule.
func (s *Server) removeRegistries(w http.ResponseWriter, regs []*registry) {
	var busy []string
	for _, reg := range regs {
		for _, sc := range reg.Schedules {
			if sc.Status == "Running" {
				busy = append(busy, reg.Name+" ("+reg.UUID+")")
				break
			}
		}
	}
	if len(busy) > 0 {
		badRequest(w, "cannot delete a registry whose schedules are in Running state: %s", strings.Join(busy, ", "))
		return
	}
	for _, reg := range regs {
		delete(s.state.registries, reg.UUID)
		s.state.registryOrder = remove(s.state.registryOrder, reg.UUID)
	}
	writeJSON(w, http.StatusOK, map[string]string{"deletionJobId": newUUID()})
}
