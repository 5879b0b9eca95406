package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// The registry connectors: how Qualys reaches ACR, ECR and GCR/GAR. Their
// secrets (client secret, service account key) are kept in unexported
// fields, which are never encoded into an answer.

type acrConnector struct {
	ID            string `json:"acrConnectorId"`
	Name          string `json:"name"`
	Description   string `json:"description"`
	ApplicationID string `json:"applicationId"`
	secret        string
}

type awsConnector struct {
	Name        string `json:"name"`
	ARN         string `json:"arn"`
	Description string `json:"description"`
}

type gcpConnector struct {
	ID          string `json:"gcpConnectorId"`
	Name        string `json:"name"`
	Description string `json:"description"`
	ProjectID   string `json:"gcpProjectId"`
	Location    string `json:"location"`
	key         []byte
}

// connectorState is the subscription's connectors and its AWS base account.
type connectorState struct {
	acr            []*acrConnector
	aws            []*awsConnector
	gcp            []*gcpConnector
	awsBaseAccount string
	awsExternalID  int64
}

// arnAccount is the account an IAM role ARN belongs to, or "".
func arnAccount(arn string) string {
	if m := roleARN.FindStringSubmatch(arn); m != nil {
		return m[1]
	}
	return ""
}

func seedConnectors(c *connectorState) {
	c.awsBaseAccount, c.awsExternalID = "805950163170", 7406589023171
	c.acr = append(c.acr, &acrConnector{ID: "2b9d6b1e-4c1f-4a57-9d0e-8f7a1c2d3e40", Name: "azure-prod", Description: "ACR service principal", ApplicationID: "5c3f8e0a-9a51-4d7e-b2f1-0d6c7a8b9e12", secret: "seed-acr-secret"})
	c.aws = append(c.aws, &awsConnector{Name: "ecr-prod-role", ARN: "arn:aws:iam::123456789012:role/qualys-cs", Description: "ECR read-only role"})
	c.gcp = append(c.gcp, &gcpConnector{ID: "0f4a2c6e-8b1d-4e3f-a5c7-9d2e4f6a8b10", Name: "gcr-build", Description: "GCR build project", ProjectID: "cs-build-284512", Location: "us", key: []byte(`{"type":"service_account","project_id":"cs-build-284512"}`)})
}

func (s *Server) connectorRoutes() {
	m := s.mux
	m.HandleFunc("POST "+Base+"/registry/acr/connector", s.locked(s.createACR))
	m.HandleFunc("GET "+Base+"/registry/acr/connectors", s.locked(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, nonNil(s.state.connectors.acr))
	}))
	m.HandleFunc("GET "+Base+"/registry/acr/connector/{connectorId}", s.locked(func(w http.ResponseWriter, r *http.Request) {
		answerOne(w, "ACR connector", r.PathValue("connectorId"), s.state.connectors.acrByID(r.PathValue("connectorId")))
	}))
	m.HandleFunc("GET "+Base+"/registry/aws-base", s.locked(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"accountId": s.state.connectors.awsBaseAccount, "externalId": s.state.connectors.awsExternalID})
	}))
	m.HandleFunc("POST "+Base+"/registry/aws/connector", s.locked(s.createAWS))
	m.HandleFunc("GET "+Base+"/registry/aws/connectors", s.locked(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, nonNil(s.state.connectors.aws))
	}))
	m.HandleFunc("GET "+Base+"/registry/aws/connectors/{accountId}", s.locked(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("accountId")
		var out []*awsConnector
		for _, c := range s.state.connectors.aws {
			if arnAccount(c.ARN) == id {
				out = append(out, c)
			}
		}
		if out == nil {
			notFound(w, "AWS connector for account", id)
			return
		}
		writeJSON(w, http.StatusOK, out)
	}))
	m.HandleFunc("POST "+Base+"/registry/gcp/connector", s.locked(s.createGCP))
	m.HandleFunc("GET "+Base+"/registry/gcp/connectors", s.locked(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, nonNil(s.state.connectors.gcp))
	}))
	m.HandleFunc("GET "+Base+"/registry/gcp/connector/{connectorId}", s.locked(func(w http.ResponseWriter, r *http.Request) {
		answerOne(w, "GCP connector", r.PathValue("connectorId"), s.state.connectors.gcpByID(r.PathValue("connectorId")))
	}))
}

// answerOne answers the item, or 404 when it is nil.
func answerOne[T any](w http.ResponseWriter, what, id string, item *T) {
	if item == nil {
		notFound(w, what, id)
		return
	}
	writeJSON(w, http.StatusOK, item)
}

// nonNil answers an empty list as [] rather than null.
func nonNil[T any](items []T) []T {
	if items == nil {
		return []T{}
	}
	return items
}

func (c *connectorState) acrByID(id string) *acrConnector {
	for _, a := range c.acr {
		if a.ID == id {
			return a
		}
	}
	return nil
}

func (c *connectorState) gcpByID(id string) *gcpConnector {
	for _, g := range c.gcp {
		if g.ID == id {
			return g
		}
	}
	return nil
}

func (c *connectorState) awsByARN(arn string) *awsConnector {
	for _, a := range c.aws {
		if a.ARN == arn {
			return a
		}
	}
	return nil
}

// nameTaken reports whether a connector of the kind already has the name.
func nameTaken[T any](items []*T, name string, nameOf func(*T) string) bool {
	for _, it := range items {
		if strings.EqualFold(nameOf(it), name) {
			return true
		}
	}
	return false
}

func (s *Server) createACR(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Name, Description, ApplicationID, ClientSecret, ConnectorID string
	}
	if !decodeBody(w, r, &b) {
		return
	}
	switch {
	case strings.TrimSpace(b.Name) == "":
		badRequest(w, "name is required")
	case b.ApplicationID == "" || b.ClientSecret == "":
		badRequest(w, "applicationId and clientSecret are required")
	case nameTaken(s.state.connectors.acr, b.Name, func(c *acrConnector) string { return c.Name }):
		badRequest(w, "an ACR connector named %s already exists", b.Name)
	default:
		c := &acrConnector{ID: b.ConnectorID, Name: b.Name, Description: b.Description, ApplicationID: b.ApplicationID, secret: b.ClientSecret}
		if c.ID == "" {
			c.ID = newUUID()
		}
		s.state.connectors.acr = append(s.state.connectors.acr, c)
		writeJSON(w, http.StatusOK, map[string]string{"acrConnectorId": c.ID})
	}
}

func (s *Server) createAWS(w http.ResponseWriter, r *http.Request) {
	var b struct{ Name, Description, ARN, ExternalID string }
	if !decodeBody(w, r, &b) {
		return
	}
	cs := &s.state.connectors
	switch {
	case strings.TrimSpace(b.Name) == "":
		badRequest(w, "name is required")
	case arnAccount(b.ARN) == "":
		badRequest(w, "arn must be an IAM role ARN, arn:aws:iam::<account>:role/<name>")
	case b.ExternalID != fmt.Sprint(cs.awsExternalID):
		badRequest(w, "externalId does not match this subscription's external ID (see /registry/aws-base)")
	case cs.awsByARN(b.ARN) != nil:
		badRequest(w, "a connector for %s already exists", b.ARN)
	default:
		cs.aws = append(cs.aws, &awsConnector{Name: b.Name, ARN: b.ARN, Description: b.Description})
		writeJSON(w, http.StatusOK, map[string]string{"arn": b.ARN, "name": b.Name})
	}
}

// createGCP takes name, description and connectorId in the query and the
// service account key as the multipart part serviceAccountJson.
func (s *Server) createGCP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	name := strings.TrimSpace(q.Get("name"))
	if name == "" {
		badRequest(w, "name is required")
		return
	}
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		badRequest(w, "the body must be multipart/form-data with the part serviceAccountJson")
		return
	}
	f, _, err := r.FormFile("serviceAccountJson")
	if err != nil {
		badRequest(w, "serviceAccountJson is required")
		return
	}
	defer f.Close()
	key, _ := io.ReadAll(io.LimitReader(f, 1<<20))
	var sa struct {
		Type      string `json:"type"`
		ProjectID string `json:"project_id"`
	}
	if json.Unmarshal(key, &sa) != nil || sa.Type != "service_account" || sa.ProjectID == "" {
		badRequest(w, "serviceAccountJson is not a service account key file (type service_account with a project_id)")
		return
	}
	cs := &s.state.connectors
	if nameTaken(cs.gcp, name, func(c *gcpConnector) string { return c.Name }) {
		badRequest(w, "a GCP connector named %s already exists", name)
		return
	}
	c := &gcpConnector{ID: q.Get("connectorId"), Name: name, Description: q.Get("description"), ProjectID: sa.ProjectID, key: key}
	if c.ID == "" {
		c.ID = newUUID()
	}
	cs.gcp = append(cs.gcp, c)
	writeJSON(w, http.StatusOK, map[string]string{"gcpConnectorId": c.ID})
}
