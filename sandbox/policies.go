package sandbox

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Centralized policies (the 2026 guide, release 1.36): the rules that
// decide what CI/CD builds and a Kubernetes admission controller let
// through. Each update is a new version, each readable; a policy's mode
// (ACTIVE, INACTIVE) says whether it decides at all. When no policy's
// tags all match, the type's default policy applies.

type policyRule struct {
	Name           string         `json:"name"`
	Type           string         `json:"type"`
	Action         string         `json:"action"`
	IsEnabled      bool           `json:"isEnabled"`
	StopProcessing bool           `json:"stopProcessing"`
	SortOrder      int            `json:"sortOrder"`
	MetaData       map[string]any `json:"metaData"`
}

// policyVersion is a policy as one update left it.
type policyVersion struct {
	Name, Type, Mode, Description, AssetType string
	IsDefault                                bool
	Rules                                    []policyRule
	TagIDs                                   []string
	K8sFilters                               any
	UpdatedBy                                string
	Updated                                  int64
}

type policy struct {
	UUID, CreatedBy string
	Created         int64
	versions        []*policyVersion // the last is current; version N is versions[N-1]
}

func (p *policy) current() *policyVersion { return p.versions[len(p.versions)-1] }

type policyState struct {
	byUUID map[string]*policy
	order  []string
}

// The policies the pages' samples name.
const (
	DocPolicyID        = "7a64bbd7-67a8-4c39-981e-6345c62bacb2" // Policy123, CICD, at version 2
	DocCreatedPolicyID = "d967073a-28d8-414d-b96d-3d19eaa20935" // the create sample's answer, which update and delete name
	DefaultCICDPolicy  = "00000000-0000-0000-0000-0000000c1cd0"
	DefaultK8sPolicy   = "00000000-0000-0000-0000-00000000a8c0"
)

func seedPolicies(st *state) {
	st.policies = policyState{byUUID: map[string]*policy{}}
	sev := func(n float64) map[string]any {
		return map[string]any{"operator": "GREATER_THAN", "severityLevel": n, "threshold": 1.0}
	}
	rule := func(name string, meta map[string]any) []policyRule {
		return []policyRule{{Name: name, Type: "IMAGESCAN_VULN_SEVERITYCOUNT", Action: "DENY", IsEnabled: true, MetaData: meta}}
	}
	add := func(p *policy) {
		st.policies.byUUID[p.UUID] = p
		st.policies.order = append(st.policies.order, p.UUID)
	}
	add(&policy{UUID: DefaultCICDPolicy, CreatedBy: "System", Created: 1683000000000, versions: []*policyVersion{
		{Name: "Default CICD Policy", Type: "CICD", Mode: "ACTIVE", Description: "Applies when no other policy's tags match", AssetType: "CICD", IsDefault: true,
			Rules: rule("Critical_vulnerabilities", sev(5)), UpdatedBy: "System", Updated: 1683000000000}}})
	add(&policy{UUID: DefaultK8sPolicy, CreatedBy: "System", Created: 1683000000000, versions: []*policyVersion{
		{Name: "Default K8S Admission Controller Policy", Type: "K8S_ADMISSION_CONTROLLER", Mode: "ACTIVE", Description: "Applies when no other policy's tags match",
			AssetType: "CICD", IsDefault: true, Rules: append(rule("Critical_vulnerabilities", sev(5)), policyRule{Name: "No_privileged_pods", Type: "PODSECURITY", Action: "DENY", IsEnabled: true,
				SortOrder: 1, MetaData: map[string]any{"options": []any{map[string]any{"id": "privileged_containers", "enabled": true}}}}), UpdatedBy: "System", Updated: 1683000000000}}})
	v1 := &policyVersion{Name: "Policy123", Type: "CICD", Mode: "ACTIVE", Description: "Policy123", AssetType: "CICD", Rules: rule("Rule123", sev(1)),
		TagIDs: []string{DocTagUUID}, UpdatedBy: "user1", Updated: 1683537516989}
	v2 := *v1
	add(&policy{UUID: DocPolicyID, CreatedBy: "user1", Created: 1683537516989, versions: []*policyVersion{v1, &v2}})
	add(&policy{UUID: DocCreatedPolicyID, CreatedBy: "quays_ab6", Created: 1683600000000, versions: []*policyVersion{
		{Name: "Policy1214", Type: "CICD", Mode: "ACTIVE", Description: "Policy1234", AssetType: "CICD", Rules: rule("Rule123", sev(1)),
			TagIDs: []string{DocPolicyTagUUID}, UpdatedBy: "quays_ab6", Updated: 1683600000000}}})
}

// policyTypes maps the type spellings the pages use to the one the
// current pages answer: IMAGESCAN is the early pages' name of a CI/CD
// image-scan policy.
var policyTypes = map[string]string{"CICD": "CICD", "IMAGESCAN": "CICD", "K8S_ADMISSION_CONTROLLER": "K8S_ADMISSION_CONTROLLER", "K8S_Admission_Controller": "K8S_ADMISSION_CONTROLLER"}

var ruleTypes = []string{"IMAGESCAN_VULN_SEVERITYCOUNT", "IMAGESCAN_VULN_CVSSV3_SEVERITYCOUNT", "IMAGESCAN_VULN_SECRETS_SEVERITYCOUNT", "IMAGESCAN_VULN_RESTRICTED_CVES",
	"IMAGESCAN_VULN_RESTRICTED_QIDS", "IMAGESCAN_VULN_QDS_SEVERITY", "IMAGESCAN_VULN_RESTRICTED_SOFTWARES", "IMAGESCAN_VULN_RESTRICTED_IMAGES",
	"IMAGESCAN_VULN_RESTRICTED_OLDER_IMAGES", "IMAGESCAN_VULN_RESTRICTED_MALWARE_IMAGES", "PODSECURITY"}

// ruleType is a rule type as the pages answer it: the guide writes the
// malware rule IMAGESCAN_VULN_RESTRICTED_malware_IMAGES, the client in
// capitals.
func ruleType(t string) string {
	if t == "IMAGESCAN_VULN_RESTRICTED_malware_IMAGES" {
		return "IMAGESCAN_VULN_RESTRICTED_MALWARE_IMAGES"
	}
	return t
}

// ruleName is what the UI help allows: letters, digits and _, not
// starting with a digit, more than one character.
var ruleName = regexp.MustCompile(`^[A-Za-z_]\w+$`)

// policyJSON is a policy as its details answer it: a rule's metaData a
// JSON string (the details page's sample), or an object as written (the
// default policy page's).
func (st *state) policyJSON(p *policy, v *policyVersion, version int, metaObject bool) map[string]any {
	rules := make([]map[string]any, 0, len(v.Rules))
	for _, r := range v.Rules {
		var meta any = r.MetaData
		if !metaObject {
			b, _ := json.Marshal(r.MetaData)
			meta = string(b)
		}
		rules = append(rules, map[string]any{"name": r.Name, "type": r.Type, "action": r.Action, "isEnabled": r.IsEnabled,
			"stopProcessing": r.StopProcessing, "sortOrder": r.SortOrder, "metaData": meta})
	}
	tags := []map[string]any{}
	for _, id := range v.TagIDs {
		if t := st.tags.byUUID[id]; t != nil {
			tags = append(tags, t.objectJSON())
		}
	}
	m := map[string]any{"uuid": p.UUID, "policyName": v.Name, "policyType": v.Type, "policyMode": v.Mode, "description": v.Description,
		"createdBy": p.CreatedBy, "created": ms(p.Created), "updatedBy": v.UpdatedBy, "updated": ms(v.Updated), "centralizedPolicyRules": rules,
		"version": version, "assetType": v.AssetType, "isDefault": v.IsDefault, "tagIds": tags}
	if v.Type == "K8S_ADMISSION_CONTROLLER" {
		m["K8sFilters"] = v.K8sFilters // sic: the default policy's answer writes it with a capital K
	}
	return m
}

type policyBody struct {
	PolicyName             *string `json:"policyName"`
	PolicyType             *string `json:"policyType"`
	PolicyMode             *string `json:"policyMode"`
	Description            *string `json:"description"`
	CreatedBy              any     `json:"createdBy"` // the samples send them; Qualys sets them
	UpdatedBy              any     `json:"updatedBy"`
	CentralizedPolicyRules []struct {
		Name           string         `json:"name"`
		Type           string         `json:"type"`
		Action         string         `json:"action"`
		IsEnabled      *bool          `json:"isEnabled"`
		StopProcessing bool           `json:"stopProcessing"`
		SortOrder      int            `json:"sortOrder"`
		MetaData       map[string]any `json:"metaData"`
	} `json:"centralizedPolicyRules"`
	AssetType  *string  `json:"assetType"`
	IsDefault  *bool    `json:"isDefault"`
	TagIds     []string `json:"tagIds"`
	K8sFilters any      `json:"k8sFilters"`
}

func (st *state) checkPolicy(b *policyBody) (*policyVersion, string) {
	v := &policyVersion{Mode: "ACTIVE", AssetType: "CICD", K8sFilters: b.K8sFilters}
	switch {
	case b.PolicyName == nil || strings.TrimSpace(*b.PolicyName) == "" || len(*b.PolicyName) > 150:
		return nil, "policyName is required, at most 150 characters"
	case b.Description != nil && len(*b.Description) > 250:
		return nil, "description is at most 250 characters"
	case b.PolicyType == nil || policyTypes[*b.PolicyType] == "":
		return nil, "policyType must be CICD or K8S_ADMISSION_CONTROLLER"
	case b.PolicyMode != nil && *b.PolicyMode != "ACTIVE" && *b.PolicyMode != "INACTIVE":
		return nil, "policyMode must be ACTIVE or INACTIVE"
	case b.AssetType != nil && *b.AssetType != "CICD":
		return nil, "assetType takes only CICD"
	case b.IsDefault != nil && *b.IsDefault:
		return nil, "isDefault: a type's default policy is Qualys' own; a policy made through the API is not one"
	case len(b.CentralizedPolicyRules) == 0 || len(b.CentralizedPolicyRules) > 100:
		return nil, "centralizedPolicyRules: a policy has 1 to 100 rules"
	}
	v.Name, v.Type = *b.PolicyName, policyTypes[*b.PolicyType]
	if b.PolicyMode != nil {
		v.Mode = *b.PolicyMode
	}
	if b.Description != nil {
		v.Description = *b.Description
	}
	enabled := false
	for _, r := range b.CentralizedPolicyRules {
		switch {
		case !ruleName.MatchString(r.Name):
			return nil, "rule name " + strconv.Quote(r.Name) + ": letters, digits and _, more than one character, not starting with a digit"
		case slices.ContainsFunc(v.Rules, func(o policyRule) bool { return strings.EqualFold(o.Name, r.Name) }):
			return nil, "rule names are unique: " + r.Name + " is given twice"
		case !slices.Contains(ruleTypes, ruleType(r.Type)):
			return nil, "rule " + r.Name + ": unknown type " + r.Type
		case r.Action != "ALLOW" && r.Action != "DENY":
			return nil, "rule " + r.Name + ": action must be ALLOW or DENY"
		}
		on := r.IsEnabled == nil || *r.IsEnabled
		enabled = enabled || on
		v.Rules = append(v.Rules, policyRule{Name: r.Name, Type: ruleType(r.Type), Action: r.Action, IsEnabled: on,
			StopProcessing: r.StopProcessing, SortOrder: r.SortOrder, MetaData: r.MetaData})
	}
	if !enabled {
		return nil, "a policy needs at least one enabled rule"
	}
	for _, id := range b.TagIds {
		if st.tags.byUUID[id] == nil {
			return nil, "tagIds: no tag " + id
		}
	}
	v.TagIDs = b.TagIds
	return v, ""
}

func (s *Server) policyOr404(w http.ResponseWriter, r *http.Request) *policy {
	id := r.PathValue("policyId")
	return orNotFound(w, "Policy", id, s.state.policies.byUUID[id])
}

func (s *Server) createPolicy(w http.ResponseWriter, r *http.Request) {
	var b policyBody
	if !decodeBody(w, r, &b) {
		return
	}
	v, msg := s.state.checkPolicy(&b)
	if msg != "" {
		badRequest(w, "%s", msg)
		return
	}
	now := s.opts.Now().UnixMilli()
	v.UpdatedBy, v.Updated = s.opts.Username, now
	p := &policy{UUID: newUUID(), CreatedBy: s.opts.Username, Created: now, versions: []*policyVersion{v}}
	s.state.policies.byUUID[p.UUID] = p
	s.state.policies.order = append(s.state.policies.order, p.UUID)
	writeJSON(w, http.StatusOK, map[string]string{"uuid": p.UUID})
}

func (s *Server) getPolicy(w http.ResponseWriter, r *http.Request) {
	p := s.policyOr404(w, r)
	if p == nil {
		return
	}
	n := len(p.versions)
	if q := r.URL.Query().Get("version"); q != "" {
		v, err := strconv.Atoi(q)
		if err != nil || v < 1 || v > len(p.versions) {
			badRequest(w, "version must be 1 to %d for this policy", len(p.versions))
			return
		}
		n = v
	}
	writeJSON(w, http.StatusOK, s.state.policyJSON(p, p.versions[n-1], n, false))
}

func (s *Server) updatePolicy(w http.ResponseWriter, r *http.Request) {
	p := s.policyOr404(w, r)
	if p == nil {
		return
	}
	var b policyBody
	if !decodeBody(w, r, &b) {
		return
	}
	v, msg := s.state.checkPolicy(&b)
	switch {
	case msg != "":
		badRequest(w, "%s", msg)
		return
	case p.current().IsDefault && v.Type != p.current().Type:
		badRequest(w, "a default policy keeps its type")
		return
	}
	v.IsDefault = p.current().IsDefault
	v.UpdatedBy, v.Updated = s.opts.Username, s.opts.Now().UnixMilli()
	p.versions = append(p.versions, v)
	writeJSON(w, http.StatusOK, map[string]string{"uuid": p.UUID})
}

func (s *Server) setPolicyMode(w http.ResponseWriter, r *http.Request) {
	p := s.policyOr404(w, r)
	if p == nil {
		return
	}
	var b struct {
		PolicyMode *string `json:"policyMode"`
	}
	if !decodeBody(w, r, &b) {
		return
	}
	if b.PolicyMode == nil || *b.PolicyMode != "ACTIVE" && *b.PolicyMode != "INACTIVE" {
		badRequest(w, "policyMode must be ACTIVE or INACTIVE")
		return
	}
	cur := p.current()
	cur.Mode, cur.UpdatedBy, cur.Updated = *b.PolicyMode, s.opts.Username, s.opts.Now().UnixMilli()
	w.WriteHeader(http.StatusOK) // the answer's body is not documented
}

func (s *Server) deletePolicy(w http.ResponseWriter, r *http.Request) {
	p := s.policyOr404(w, r)
	if p == nil {
		return
	}
	if p.current().IsDefault {
		badRequest(w, "policy %s is the default %s policy: it cannot be deleted", p.UUID, p.current().Type)
		return
	}
	delete(s.state.policies.byUUID, p.UUID)
	s.state.policies.order = remove(s.state.policies.order, p.UUID)
	w.WriteHeader(http.StatusOK)
}

func (s *Server) policyRoutes() {
	m := s.mux
	p := Base + "/centralizedPolicy"
	m.HandleFunc("GET "+p, s.locked(func(w http.ResponseWriter, r *http.Request) {
		data := []map[string]any{}
		for _, id := range s.state.policies.order {
			pol := s.state.policies.byUUID[id]
			data = append(data, s.state.policyJSON(pol, pol.current(), len(pol.versions), false))
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data, "count": len(data)})
	}))
	m.HandleFunc("POST "+p, s.locked(s.createPolicy))
	m.HandleFunc("GET "+p+"/{policyId}", s.locked(s.getPolicy))
	m.HandleFunc("PUT "+p+"/{policyId}", s.locked(s.updatePolicy))
	m.HandleFunc("DELETE "+p+"/{policyId}", s.locked(s.deletePolicy))
	m.HandleFunc("PUT "+p+"/{policyId}/mode", s.locked(s.setPolicyMode))
	m.HandleFunc("GET "+p+"/defaultPolicy/{policyType}", s.locked(func(w http.ResponseWriter, r *http.Request) {
		typ := policyTypes[r.PathValue("policyType")]
		for _, id := range s.state.policies.order {
			if pol := s.state.policies.byUUID[id]; pol.current().IsDefault && pol.current().Type == typ {
				m := s.state.policyJSON(pol, pol.current(), len(pol.versions), true)
				if m["K8sFilters"] == nil {
					m["K8sFilters"] = []any{}
				}
				writeJSON(w, http.StatusOK, m)
				return
			}
		}
		badRequest(w, "policyType must be CICD or K8S_ADMISSION_CONTROLLER")
	}))
}
