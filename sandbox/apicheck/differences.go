package apicheck

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Difference is one place where the 2021 OpenAPI document and a newer
// document (the v1.17 and v1.21 release notes, or the current CS API
// guide at docs.qualys.com) disagree about a request, and which one the
// server follows. Those with Schema (or Nullable) are applied to the
// document before it judges a request; the others are kept for the
// README's table (TestREADMEAPIDifferences writes it from this list).
type Difference struct {
	Ops      []string // "METHOD /path" as the OpenAPI names it
	Where    string   // "body a.b[].c" or "query name"
	Schema   string   // the field, as an OpenAPI schema in JSON, where the newer document adds it
	Nullable bool     // the newer document sends the field as null
	Spec     string   // what the 2021 OpenAPI says
	Newer    string   // what the newer document says, and which
	Held     string   // what the server does, and why
}

var (
	registryOps = []string{"POST /registry", "PUT /registry/{registryId}", "POST /registry/validate"}
	scheduleOps = []string{"POST /registry/{registryId}/schedule", "PUT /registry/{registryId}/schedule/{scheduleId}"}
	str         = `{"type":"string"}`
	guide       = "the CS API guide (Create/Update/Validate a Registry)"
)

// Differences lists every difference the test suite found between the
// documents, in the order of the README's table.
func Differences() []Difference {
	return []Difference{
		{Ops: registryOps, Where: "body registryName", Schema: str, Spec: "no such field",
			Newer: "v1.17 notes: a registry has a name (the field is registryName in " + guide + ")", Held: "sent: the notes are newer"},
		{Ops: registryOps, Where: "body sensorProfileId", Schema: str, Spec: "no such field",
			Newer: "v1.17 notes: a registry can be given a sensor profile directly (sensorProfileId in " + guide + ")", Held: "sent: the notes are newer"},
		{Ops: registryOps, Where: "body aws.accountId", Schema: str, Spec: "aws is an AwsConnector {name, arn, description}; the body's own description asks for accountId, arn and region",
			Newer: guide + ": aws {accountId, arn, region, accountType}", Held: "sent: the description and the guide agree"},
		{Ops: registryOps, Where: "body aws.region", Schema: str, Spec: "as aws.accountId", Newer: "as aws.accountId", Held: "sent"},
		{Ops: registryOps, Where: "body aws.accountType", Schema: `{"type":"string","enum":["Global","US_Gov"]}`, Spec: "no such field", Newer: guide + ": Global or US_Gov", Held: "sent when given"},
		{Ops: registryOps, Where: "body acr", Schema: `{"type":"object","properties":{"connectorId":{"type":"string"}}}`, Spec: "no such field: only aws",
			Newer: guide + ": acr {connectorId} for Azure registries", Held: "sent: without it an Azure registry cannot be added"},
		{Ops: registryOps, Where: "body gcp", Schema: `{"type":"object","properties":{"connectorId":{"type":"string"},"projectId":{"type":"string"},"location":{"type":"string"}}}`,
			Spec: "no such field", Newer: guide + ": gcp {connectorId, projectId, location} for GCR", Held: "sent: as acr"},
		{Ops: registryOps, Where: "body gcar", Schema: `{"type":"object","properties":{"connectorId":{"type":"string"},"projectId":{"type":"string"},"registry":{"type":"string"}}}`,
			Spec: "no such field", Newer: guide + ": gcar {connectorId, projectId, registry} for Google Artifact Registry", Held: "sent: as acr"},
		{Ops: registryOps, Where: "body credential.accessToken", Schema: str, Spec: "credential is {username, password}",
			Newer: guide + ": accessToken, for JFrog", Held: "sent when given"},
		{Ops: scheduleOps, Where: "body forceScan", Schema: `{"type":"boolean"}`, Spec: "no such field",
			Newer: "v1.21 notes: forceScan (scan all images), in both samples", Held: "sent: the notes are newer"},
		{Ops: scheduleOps, Where: "body additionalFilters", Schema: `{"type":"object","nullable":true,"properties":{"numberOfTags":{"type":"integer"},"sortCriteria":{"type":"string"}}}`,
			Spec: "no such field", Newer: "v1.21 notes: additionalFilters {numberOfTags, sortCriteria}, or null (sample 1)", Held: "sent when given; null is not sent (absent and null alike)"},
		{Ops: scheduleOps, Where: "body scheduleIntervalInDays", Schema: `{"type":"integer"}`, Spec: "no such field",
			Newer: "v1.21 notes: scheduleIntervalInDays, in both samples", Held: "sent when given"},
		{Ops: scheduleOps, Where: "body registryType", Schema: str, Spec: "no such field",
			Newer: "v1.21 notes: both samples carry the registry's type", Held: "sent, always the registry's own (a contradicting value is refused)"},
		{Ops: scheduleOps, Where: "body filters[].days", Nullable: true, Spec: "an integer",
			Newer: "v1.21 notes: null (sample 2)", Held: "null is not sent: absent and null alike (no age filter)"},
		{Ops: scheduleOps, Where: "body filters[].repoTags[].tag", Nullable: true, Spec: "a string",
			Newer: "v1.21 notes: null (both samples)", Held: "null is not sent: absent and null alike (every tag)"},
		{Ops: []string{"DELETE /registry"}, Where: "query registryIds", Schema: `{"type":"array","items":{"type":"string"}}`,
			Spec:  "no parameters at all: the conversion lost them (x-codegen-request-body-name: registryIds)",
			Newer: "the CS API guide (Delete Registries): ?registryIds=a&registryIds=b, or a {\"registryIds\": [...]} body", Held: "sent as the query"},
		{Ops: []string{"DELETE /registry/{registryId}/schedule"}, Where: "query scheduleIds", Schema: `{"type":"array","items":{"type":"string"}}`,
			Spec:  "no parameters: the conversion lost them (x-codegen-request-body-name: scheduleIds)",
			Newer: "the CS API guide: DELETE /registry/{registryId}/schedule/bulk?scheduleIds=… (or a filter)", Held: "the guide's path, /schedule/bulk, with its scheduleIds or filter: the newer document wins (the 2021 path stays judged, as documented, and unused)"},
	}
}

// Changes2026 are the differences the current CS API pages (2026) make
// to operations of the 2021 document: fields and parameters they add.
// docs/api-notes.md lists them (TestAPINotes2026 writes its table).
func Changes2026() []Difference {
	return []Difference{
		{Ops: scheduleOps, Where: "body scheduleScanIntervalInDays", Schema: `{"type":"integer","minimum":1,"maximum":365}`, Spec: "no such field",
			Newer: "2026 guide (Create/Update a Registry Schedule): its table names the interval scheduleScanIntervalInDays, 1-365; the same pages' weekDay note, the v1.21 samples and the list's answer say scheduleIntervalInDays",
			Held:  "both are accepted; the server sends scheduleIntervalInDays, the only name JSON shows, and takes scheduleScanIntervalInDays from a model as its alias"},
		{Ops: scheduleOps, Where: "body weekDay", Schema: `{"type":"string","enum":["SUNDAY","MONDAY","TUESDAY","WEDNESDAY","THURSDAY","FRIDAY","SATURDAY"]}`, Spec: "no such field",
			Newer: "2026 guide: weekDay, the day a weekly (interval 7) automatic scan runs", Held: "sent when given; only with an interval of 7"},
		{Ops: []string{"GET /images/{imageSha}/vuln"}, Where: "query applyException", Schema: `{"type":"boolean"}`, Spec: "no such parameter",
			Newer: "2026 guide (Fetch Vulnerability Details for an Image): applyException, default true: vulnerabilities an active exception covers are left out", Held: "sent when given"},
		{Ops: []string{"GET /images/{imageSha}", "GET /images/list"}, Where: "query scanDetails", Schema: str, Spec: "no such parameter",
			Newer: "2026 guide: scanDetails, comma-separated malware, secrets (and compliance, for an image's details); the bulk list's sample sends it though its table does not list it",
			Held:  "sent when given"},
	}
}

// applyDifferences adds to the 2021 document what the newer documents
// say, where the server follows them.
func applyDifferences(doc *openapi3.T) error {
	for _, d := range append(Differences(), Changes2026()...) {
		if d.Schema == "" && !d.Nullable {
			continue
		}
		for _, opName := range d.Ops {
			method, path, _ := strings.Cut(opName, " ")
			item := doc.Paths.Value(path)
			if item == nil || item.GetOperation(method) == nil {
				return fmt.Errorf("difference %s: the document has no %s", d.Where, opName)
			}
			if err := apply(item.GetOperation(method), d); err != nil {
				return fmt.Errorf("difference %s of %s: %w", d.Where, opName, err)
			}
		}
	}
	return nil
}

func apply(op *openapi3.Operation, d Difference) error {
	kind, where, _ := strings.Cut(d.Where, " ")
	var add *openapi3.Schema
	if d.Schema != "" {
		add = &openapi3.Schema{}
		if err := json.Unmarshal([]byte(d.Schema), add); err != nil {
			return err
		}
	}
	if kind == "query" {
		if op.Parameters.GetByInAndName(openapi3.ParameterInQuery, where) != nil {
			return nil // already there (the same schema serves several operations)
		}
		op.Parameters = append(op.Parameters, &openapi3.ParameterRef{Value: &openapi3.Parameter{Name: where, In: openapi3.ParameterInQuery,
			Style: "form", Explode: openapi3.Ptr(true), Schema: openapi3.NewSchemaRef("", add)}})
		return nil
	}
	if op.RequestBody == nil || op.RequestBody.Value == nil || op.RequestBody.Value.Content.Get("application/json") == nil {
		return fmt.Errorf("no JSON body")
	}
	s := op.RequestBody.Value.Content.Get("application/json").Schema.Value
	parts := strings.Split(where, ".")
	for _, p := range parts[:len(parts)-1] {
		if s = step(s, p); s == nil {
			return fmt.Errorf("no %s", p)
		}
	}
	last := parts[len(parts)-1]
	if add == nil {
		if s = step(s, last); s == nil {
			return fmt.Errorf("no %s", last)
		}
		s.Nullable = true
		return nil
	}
	if s.Properties == nil {
		s.Properties = openapi3.Schemas{}
	}
	s.Properties[last] = openapi3.NewSchemaRef("", add)
	return nil
}

// step goes into property p of s ("p[]": into its items).
func step(s *openapi3.Schema, p string) *openapi3.Schema {
	name, items := strings.CutSuffix(p, "[]")
	ref := s.Properties[name]
	if ref == nil || ref.Value == nil {
		return nil
	}
	s = ref.Value
	if items {
		if s.Items == nil {
			return nil
		}
		s = s.Items.Value
	}
	return s
}
