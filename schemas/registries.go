package schemas

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
)

// ---- registries ----

// RegistryID names one registry.
type RegistryID struct {
	RegistryID string `json:"registryId" jsonschema:"required"`
}

// RegistryCredential is username/password or an access token (JFrog);
// write-only: Qualys never answers it.
type RegistryCredential struct {
	Username    string `json:"username,omitempty" jsonschema:"maxLength=256"`
	Password    string `json:"password,omitempty" jsonschema:"maxLength=1024"`
	AccessToken string `json:"accessToken,omitempty" jsonschema:"maxLength=4096"`
}

// AWSRegistry is how an ECR registry is reached: an existing AWS
// connector's ARN, or account, ARN and region for a new one.
type AWSRegistry struct {
	AccountID   string `json:"accountId,omitempty"`
	ARN         string `json:"arn" jsonschema:"required,maxLength=2048"`
	Region      string `json:"region,omitempty" jsonschema:"maxLength=64"`
	AccountType string `json:"accountType,omitempty" jsonschema:"enum=Global,enum=US_Gov"`
}

// ACRRegistry names the ACR connector of an Azure registry.
type ACRRegistry struct {
	ConnectorID string `json:"connectorId" jsonschema:"required"`
}

// GCPRegistry is a Google Container Registry's connector and project.
type GCPRegistry struct {
	ConnectorID string `json:"connectorId" jsonschema:"required"`
	ProjectID   string `json:"projectId" jsonschema:"required"`
	Location    string `json:"location,omitempty" jsonschema:"maxLength=64"`
}

// GCARRegistry is a Google Artifact Registry's connector, project and
// repository.
type GCARRegistry struct {
	ConnectorID string `json:"connectorId" jsonschema:"required"`
	ProjectID   string `json:"projectId" jsonschema:"required"`
	Registry    string `json:"registry" jsonschema:"required,maxLength=256,description=Repository name"`
}

// RegistryFields are what create and update share; update changes only
// the ones given.
type RegistryFields struct {
	RegistryName     string              `json:"registryName,omitempty" jsonschema:"maxLength=256"`
	DockerHubOrgName string              `json:"dockerHubOrgName,omitempty" jsonschema:"maxLength=256"`
	CredentialType   string              `json:"credentialType,omitempty" jsonschema:"maxLength=64,description=e.g. BasicAuth\\, Token\\, None"`
	Credential       *RegistryCredential `json:"credential,omitempty"`
	AWS              *AWSRegistry        `json:"aws,omitempty"`
	ACR              *ACRRegistry        `json:"acr,omitempty"`
	GCP              *GCPRegistry        `json:"gcp,omitempty"`
	GCAR             *GCARRegistry       `json:"gcar,omitempty"`
	SensorProfileID  string              `json:"sensorProfileId,omitempty"`
}

// CreateRegistry is create_registry's and validate_registry's input. The
// OpenAPI's RegistryRequest also carries registryUuid, which Qualys sets.
type CreateRegistry struct {
	RegistryType string `json:"registryType" jsonschema:"required,minLength=1,maxLength=64,description=e.g. DockerHub\\, V2\\, V2_PRIVATE\\, AWS\\, Azure\\, GCP\\, GOOGLE_ARTIFACT_REGISTRY\\, JFrog"`
	RegistryURI  string `json:"registryUri" jsonschema:"required,maxLength=2048"`
	RegistryUUID string `json:"registryUuid,omitempty" jsonschema_extras:"x-set-by=Qualys"`
	RegistryFields
}

// UpdateRegistry is update_registry's input; type and URI cannot change.
// The API wants them in every update body (the server sends the
// registry's own); given, they must agree, as registryUuid must with
// registryId.
type UpdateRegistry struct {
	RegistryID
	RegistryType string `json:"registryType,omitempty" jsonschema:"maxLength=64" jsonschema_extras:"x-set-by=server"`
	RegistryURI  string `json:"registryUri,omitempty" jsonschema:"maxLength=2048" jsonschema_extras:"x-set-by=server"`
	RegistryUUID string `json:"registryUuid,omitempty" jsonschema_extras:"x-set-by=server"`
	RegistryFields
}

// RegistryKind is which credential block a registry type takes: "aws",
// "acr", "gcp", "gcar", or "" for username/password or token.
func RegistryKind(registryType string) string {
	switch strings.ToUpper(strings.NewReplacer("-", "_", " ", "_").Replace(strings.TrimSpace(registryType))) {
	case "AWS", "ECR", "AWS_ECR":
		return "aws"
	case "AZURE", "ACR":
		return "acr"
	case "GCP", "GCR", "GOOGLE":
		return "gcp"
	case "GOOGLE_ARTIFACT_REGISTRY", "GAR", "GCAR":
		return "gcar"
	}
	return ""
}

func (f *RegistryFields) blocks() map[string]bool {
	return map[string]bool{"aws": f.AWS != nil, "acr": f.ACR != nil, "gcp": f.GCP != nil, "gcar": f.GCAR != nil}
}

// checkKind refuses two connector blocks, and for a known kind a block of
// another kind or, when required, none.
func (f *RegistryFields) checkKind(kind string, required bool) error {
	var given []string
	for _, b := range []string{"aws", "acr", "gcp", "gcar"} {
		if f.blocks()[b] {
			given = append(given, b)
		}
	}
	if len(given) > 1 {
		return &FieldError{Field: given[1], Problem: "give only one of aws, acr, gcp, gcar"}
	}
	if kind == "" {
		return nil
	}
	if len(given) == 1 && given[0] != kind {
		return &FieldError{Field: given[0], Problem: "does not apply to this registryType; it takes " + kind}
	}
	if required && len(given) == 0 {
		return &FieldError{Field: kind, Problem: "is required for this registryType"}
	}
	return nil
}

// Validate checks the URI and that the credential block matches the
// registry kind.
func (c *CreateRegistry) Validate() error {
	if !strings.HasPrefix(c.RegistryURI, "https://") && !strings.HasPrefix(c.RegistryURI, "http://") {
		return &FieldError{Field: "registryUri", Problem: "must be the registry's URL, https://..."}
	}
	return c.checkKind(RegistryKind(c.RegistryType), true)
}

// Validate refuses two connector blocks, and a registryUuid that is not
// the registryId.
func (u *UpdateRegistry) Validate() error {
	if err := samePathID("registryUuid", u.RegistryUUID, "registryId", u.RegistryID.RegistryID); err != nil {
		return err
	}
	return u.checkKind("", false)
}

// RegistryIDs names registries to delete.
type RegistryIDs struct {
	RegistryIds []string `json:"registryIds" jsonschema:"required,minItems=1,maxItems=100"`
}

// ListRepositories is list_registry_repositories' input.
type ListRepositories struct {
	RegistryID
	ListParams
}

// ---- schedules ----

// RepoTag picks a repository and, optionally, its tags.
type RepoTag struct {
	Repo string `json:"repo" jsonschema:"required,minLength=1,maxLength=512"`
	Tag  string `json:"tag,omitempty" jsonschema:"maxLength=512,description=Comma-separated; omit for all"`
}

// ScheduleFilter picks images by repository, tag and age.
type ScheduleFilter struct {
	Days     *int      `json:"days,omitempty" jsonschema:"minimum=1,description=Created in the last N days"`
	RepoTags []RepoTag `json:"repoTags" jsonschema:"required,minItems=1,maxItems=100"`
}

// AdditionalFilters caps how many tags a forced rescan takes (v1.21).
type AdditionalFilters struct {
	NumberOfTags int    `json:"numberOfTags" jsonschema:"required,minimum=1,maximum=20"`
	SortCriteria string `json:"sortCriteria,omitempty" jsonschema:"enum=createdDate"`
}

// ScheduleID names one schedule.
type ScheduleID struct {
	ScheduleID string `json:"scheduleId" jsonschema:"required"`
}

// ScheduleOptions are the optional schedule fields create and update
// share. The interval is scheduleIntervalInDays in the v1.21 samples, the
// only JSON that shows it, and in the 2026 guide's own weekDay note; its
// table names it scheduleScanIntervalInDays, taken as an alias.
type ScheduleOptions struct {
	Name                       string             `json:"name,omitempty" jsonschema:"maxLength=256"`
	Schedule                   string             `json:"schedule,omitempty" jsonschema:"pattern=^([01]\\d|2[0-3]):[0-5]\\d$"`
	ScheduleIntervalInDays     *int               `json:"scheduleIntervalInDays,omitempty" jsonschema:"minimum=1,maximum=365"`
	ScheduleScanIntervalInDays *int               `json:"scheduleScanIntervalInDays,omitempty" jsonschema:"minimum=1,maximum=365" jsonschema_extras:"x-alias-of=scheduleIntervalInDays"`
	WeekDay                    string             `json:"weekDay,omitempty" jsonschema:"maxLength=9"`
	ForceScan                  *bool              `json:"forceScan,omitempty"`
	AdditionalFilters          *AdditionalFilters `json:"additionalFilters,omitempty"`
	RegistryType               string             `json:"registryType,omitempty" jsonschema:"maxLength=64" jsonschema_extras:"x-set-by=server"` // the v1.21 samples send the registry's type
}

// weekDays are the names weekDay and the day lists take.
var weekDays = []string{"MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"}

// check refuses the interval under both its names with two values, and a
// weekDay that is not a day's name or goes with an interval other than 7.
func (o *ScheduleOptions) check() error {
	n := o.ScheduleIntervalInDays
	if o.ScheduleScanIntervalInDays != nil {
		if n != nil && *n != *o.ScheduleScanIntervalInDays {
			return &FieldError{Field: "scheduleScanIntervalInDays", Problem: "names the same interval as scheduleIntervalInDays, which is given too with another value: give scheduleIntervalInDays only"}
		}
		n = o.ScheduleScanIntervalInDays
	}
	switch {
	case o.WeekDay != "" && !slices.Contains(weekDays, o.WeekDay):
		return &FieldError{Field: "weekDay", Problem: "must be a day's name in capitals: " + strings.Join(weekDays, ", ")}
	case o.WeekDay != "" && (n == nil || *n != 7):
		return &FieldError{Field: "weekDay", Problem: "applies only to a weekly scan: scheduleIntervalInDays 7"}
	}
	return nil
}

// CreateSchedule is create_registry_schedule's input.
type CreateSchedule struct {
	RegistryID
	OnDemand *bool            `json:"onDemand" jsonschema:"required"` // the tool says: now (onDemand) or at a time
	Filters  []ScheduleFilter `json:"filters" jsonschema:"required,minItems=1,maxItems=100"`
	ScheduleOptions
}

// Validate asks an automatic scan for its start time.
func (c *CreateSchedule) Validate() error {
	if c.OnDemand != nil && !*c.OnDemand && c.Schedule == "" {
		return &FieldError{Field: "schedule", Problem: "is required for an automatic scan (onDemand false): HH:MM in UTC"}
	}
	return c.ScheduleOptions.check()
}

// UpdateSchedule is update_registry_schedule's input: only the fields
// given change.
type UpdateSchedule struct {
	RegistryID
	ScheduleID
	OnDemand *bool            `json:"onDemand,omitempty"`
	Filters  []ScheduleFilter `json:"filters,omitempty" jsonschema:"minItems=1,maxItems=100"`
	ScheduleOptions
}

// Validate checks the interval's names and the weekly day.
func (u *UpdateSchedule) Validate() error { return u.ScheduleOptions.check() }

// RegistrySchedule names one schedule of a registry.
type RegistrySchedule struct {
	RegistryID
	ScheduleID
}

// ListSchedules is list_registry_schedules' input.
type ListSchedules struct {
	RegistryID
	ListParams
}

// ---- connectors ----

// ConnectorID names one ACR or GCP connector.
type ConnectorID struct {
	ConnectorID string `json:"connectorId" jsonschema:"required"`
}

// AWSAccountID names an AWS account.
type AWSAccountID struct {
	AccountID string `json:"accountId" jsonschema:"required"`
}

// CreateACRConnector is create_acr_connector's input.
type CreateACRConnector struct {
	Name          string `json:"name" jsonschema:"required,minLength=1,maxLength=256"`
	Description   string `json:"description,omitempty" jsonschema:"maxLength=1024"`
	ApplicationID string `json:"applicationId" jsonschema:"required"`
	ClientSecret  string `json:"clientSecret" jsonschema:"required,minLength=1,maxLength=1024"`
	ConnectorID   string `json:"connectorId,omitempty"`
}

// CreateAWSConnector is create_aws_connector's input.
type CreateAWSConnector struct {
	Name        string `json:"name" jsonschema:"required,minLength=1,maxLength=256"`
	Description string `json:"description,omitempty" jsonschema:"maxLength=1024"`
	ARN         string `json:"arn" jsonschema:"required,maxLength=2048"`
	ExternalID  string `json:"externalId" jsonschema:"required"`
}

// roleARN is an IAM role ARN; its group is the AWS account.
var roleARN = regexp.MustCompile(`^arn:aws[a-z-]*:iam::([0-9]{12}):role/.+`)

// Validate checks the ARN names an IAM role.
func (c *CreateAWSConnector) Validate() error {
	if !roleARN.MatchString(c.ARN) {
		return &FieldError{Field: "arn", Problem: "must be an IAM role ARN, arn:aws:iam::<12-digit account>:role/<name>"}
	}
	return nil
}

// CreateGCPConnector is create_gcp_connector's input.
type CreateGCPConnector struct {
	Name               string `json:"name" jsonschema:"required,minLength=1,maxLength=256"`
	Description        string `json:"description,omitempty" jsonschema:"maxLength=1024"`
	ConnectorID        string `json:"connectorId,omitempty"`
	ServiceAccountJSON string `json:"serviceAccountJson" jsonschema:"required,minLength=2,maxLength=65536"`
}

// Validate checks the key is a JSON object.
func (c *CreateGCPConnector) Validate() error {
	var m map[string]any
	if json.Unmarshal([]byte(c.ServiceAccountJSON), &m) != nil {
		return &FieldError{Field: "serviceAccountJson", Problem: "must be the key file's JSON object"}
	}
	return nil
}

// ---- reports ----

// CreateReport is create_report's input.
type CreateReport struct {
	Name           string   `json:"name" jsonschema:"required,minLength=1,maxLength=150"`
	Description    string   `json:"description,omitempty" jsonschema:"maxLength=250"`
	TemplateName   string   `json:"templateName" jsonschema:"required,maxLength=64,pattern=^\\w+$,description=e.g. CS_IMAGE_VULNERABILITY\\, CS_CONTAINER_VULNERABILITY\\, CS_Images\\, CS_Containers"`
	Filter         string   `json:"filter,omitempty" jsonschema:"maxLength=2000"`
	DisplayColumns []string `json:"displayColumns,omitempty" jsonschema:"maxItems=100,description=e.g. repo\\, qid\\, severity"`
	Wait           bool     `json:"wait,omitempty" jsonschema:"description=Poll until GENERATED (progress notifications)"`
	MaxWaitSeconds int      `json:"maxWaitSeconds,omitempty" jsonschema:"minimum=1,maximum=3600,description=Default 300"`
}

// DefaultReportWait is how many seconds create_report waits, with wait and
// no maxWaitSeconds, for the report to be generated.
const DefaultReportWait = 300

// Validate: maxWaitSeconds goes with wait.
func (c *CreateReport) Validate() error {
	if c.MaxWaitSeconds > 0 && !c.Wait {
		return &FieldError{Field: "maxWaitSeconds", Problem: "applies only with wait: true"}
	}
	return nil
}

// ReportUUID names one report.
type ReportUUID struct {
	ReportUUID string `json:"reportUuid" jsonschema:"required"`
}

// DownloadReport is download_report's input.
type DownloadReport struct {
	ReportUUID
	StartRow int `json:"startRow,omitempty" jsonschema:"minimum=1"`
	MaxBytes int `json:"maxBytes,omitempty" jsonschema:"minimum=1000,maximum=1000000"`
}

// ReportUUIDs names reports to delete.
type ReportUUIDs struct {
	ReportUuids []string `json:"reportUuids" jsonschema:"required,minItems=1,maxItems=100"`
}
