package schemas

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/invopop/jsonschema"
)

// The inputs of the 27 tools of the 2026 API (exceptions, centralized
// policies, tags, report schedules, KSPM), as Qualys' current CS API pages
// document their requests. Where the pages spell a field or a value two
// ways, the newest page's wins and the older is taken as an alias
// (XAliasOf, XValueAliases: Canonical sends the newer), and each
// documented sample body, given verbatim, is accepted.

// ---- exceptions ----

// ExceptionID names one exception.
type ExceptionID struct {
	ExceptionID string `json:"exceptionId" jsonschema:"required"`
}

// GetException is get_exception's input.
type GetException struct {
	ExceptionID
	IncludeQids bool `json:"includeQids,omitempty"`
}

// AssetIDs are the assets a static exception is on.
type AssetIDs struct {
	IdsToAdd       []string `json:"idsToAdd,omitempty" jsonschema:"maxItems=1000,description=UUIDs"`
	AdditionFilter string   `json:"additionFilter,omitempty" jsonschema:"maxLength=2000,description=QQL; not with idsToAdd"`
}

// ExceptionOptions are the fields create and update share, none
// required. imageSelectionType is the older pages' name of
// entityAssignmentType; exceptionType has one value, which the server
// sends.
type ExceptionOptions struct {
	Explanation             string    `json:"explanation,omitempty" jsonschema:"maxLength=2000"`
	EntityAssignmentType    string    `json:"entityAssignmentType,omitempty" jsonschema:"enum=STATIC,enum=DYNAMIC"`
	ImageSelectionType      string    `json:"imageSelectionType,omitempty" jsonschema:"enum=STATIC,enum=DYNAMIC" jsonschema_extras:"x-alias-of=entityAssignmentType"`
	DynamicFilter           string    `json:"dynamicFilter,omitempty" jsonschema:"maxLength=2000,description=DYNAMIC: QQL on repo.*\\, cluster.k8s.pod.namespace"`
	EntityAssignmentRequest *AssetIDs `json:"entityAssignmentRequest,omitempty"`
	ExceptionType           string    `json:"exceptionType,omitempty" jsonschema:"enum=VULNERABILITY" jsonschema_extras:"x-set-by=server"`
}

// check refuses what the fields cannot mean together: an end not after
// the start, a dynamic exception without its filter or with IDs, a filter
// on a static one, the assignment type under both names apart.
func (o *ExceptionOptions) check(startDate, endDate string) error {
	kind := o.EntityAssignmentType
	if o.ImageSelectionType != "" {
		if kind != "" && kind != o.ImageSelectionType {
			return &FieldError{Field: "imageSelectionType", Problem: "is the older name of entityAssignmentType, which is given too with another value: give entityAssignmentType only"}
		}
		kind = o.ImageSelectionType
	}
	if startDate != "" && endDate != "" {
		start, _ := strconv.ParseInt(startDate, 10, 64)
		end, _ := strconv.ParseInt(endDate, 10, 64)
		if end <= start {
			return &FieldError{Field: "endDate", Problem: "must be after startDate (epoch milliseconds)"}
		}
	}
	ids := o.EntityAssignmentRequest != nil && len(o.EntityAssignmentRequest.IdsToAdd) > 0
	switch {
	case kind == "DYNAMIC" && o.DynamicFilter == "":
		return &FieldError{Field: "dynamicFilter", Problem: "is required with entityAssignmentType DYNAMIC"}
	case kind == "DYNAMIC" && ids:
		return &FieldError{Field: "entityAssignmentRequest.idsToAdd", Problem: "a DYNAMIC exception's dynamicFilter picks its assets: leave idsToAdd out"}
	case kind != "DYNAMIC" && o.DynamicFilter != "" && (kind != "" || o.EntityAssignmentRequest != nil):
		return &FieldError{Field: "dynamicFilter", Problem: "applies only with entityAssignmentType DYNAMIC"}
	}
	return nil
}

// CreateException is create_exception's input: an exception accepts the
// QIDs of a QID list (no API reads or makes those lists: the user names
// one) on images or containers, by UUID or by filter, until its end.
type CreateException struct {
	Name      string `json:"name" jsonschema:"required,minLength=1,maxLength=256"`
	Reason    string `json:"reason" jsonschema:"required,enum=RISK_ACCEPTED,enum=FALSE_POSITIVE"`
	Scope     string `json:"scope" jsonschema:"required,enum=IMAGE,enum=CONTAINER,description=IMAGE covers its containers too"`
	ListID    string `json:"listId" jsonschema:"required,description=QID list"`
	StartDate string `json:"startDate" jsonschema:"required,pattern=^\\d{1\\,15}$,description=Epoch ms"`
	EndDate   string `json:"endDate" jsonschema:"required,pattern=^\\d{1\\,15}$,description=Epoch ms"`
	ExceptionOptions
}

// Validate checks the fields together.
func (c *CreateException) Validate() error { return c.ExceptionOptions.check(c.StartDate, c.EndDate) }

// UpdateException is update_exception's input: the fields given change,
// over the exception as read. The API does not answer an exception's
// assets: entityAssignmentRequest, when given, replaces the static ones.
type UpdateException struct {
	ExceptionID
	Name      string `json:"name,omitempty" jsonschema:"minLength=1,maxLength=256"`
	Reason    string `json:"reason,omitempty" jsonschema:"enum=RISK_ACCEPTED,enum=FALSE_POSITIVE"`
	Scope     string `json:"scope,omitempty" jsonschema:"enum=IMAGE,enum=CONTAINER"`
	ListID    string `json:"listId,omitempty"`
	StartDate string `json:"startDate,omitempty" jsonschema:"pattern=^\\d{1\\,15}$,description=Epoch ms"`
	EndDate   string `json:"endDate,omitempty" jsonschema:"pattern=^\\d{1\\,15}$,description=Epoch ms"`
	ExceptionOptions
}

// Validate checks the fields given together.
func (u *UpdateException) Validate() error { return u.ExceptionOptions.check(u.StartDate, u.EndDate) }

// ImageExceptions is the input of assign_image_exceptions and
// unassign_image_exceptions: the path takes the image's UUID, not its SHA.
type ImageExceptions struct {
	ImageUUID    string   `json:"imageUuid" jsonschema:"required,description=Not the SHA"`
	ExceptionIds []string `json:"exceptionIds" jsonschema:"required,minItems=1,maxItems=100"`
}

// ContainerExceptions is the input of assign_container_exceptions and
// unassign_container_exceptions: the path takes the container's UUID.
type ContainerExceptions struct {
	ContainerUUID string   `json:"containerUuid" jsonschema:"required,description=Not the SHA"`
	ExceptionIds  []string `json:"exceptionIds" jsonschema:"required,minItems=1,maxItems=100"`
}

// Target is the image's UUID and the exceptions named.
func (e *ImageExceptions) Target() (string, []string) { return e.ImageUUID, e.ExceptionIds }

// Target is the container's UUID and the exceptions named.
func (e *ContainerExceptions) Target() (string, []string) { return e.ContainerUUID, e.ExceptionIds }

// The assign tools' inputs take the documented body's exceptionEvent too
// (a sample pasted whole), which must be the tool's own.
type (
	AssignImageExceptions struct {
		ImageExceptions
		ExceptionEvent string `json:"exceptionEvent,omitempty" jsonschema:"enum=ASSIGN" jsonschema_extras:"x-set-by=server"`
	}
	UnassignImageExceptions struct {
		ImageExceptions
		ExceptionEvent string `json:"exceptionEvent,omitempty" jsonschema:"enum=DEASSIGN" jsonschema_extras:"x-set-by=server"`
	}
	AssignContainerExceptions struct {
		ContainerExceptions
		ExceptionEvent string `json:"exceptionEvent,omitempty" jsonschema:"enum=ASSIGN" jsonschema_extras:"x-set-by=server"`
	}
	UnassignContainerExceptions struct {
		ContainerExceptions
		ExceptionEvent string `json:"exceptionEvent,omitempty" jsonschema:"enum=DEASSIGN" jsonschema_extras:"x-set-by=server"`
	}
)

// ---- centralized policies ----

// PolicyID names one policy.
type PolicyID struct {
	PolicyID string `json:"policyId" jsonschema:"required"`
}

// policyTypes are the types, in every documented spelling.
var policyTypes = []string{"CICD", "K8S_ADMISSION_CONTROLLER", "IMAGESCAN", "K8S_Admission_Controller"}

func checkPolicyType(t string) error {
	if t != "" && !slices.Contains(policyTypes, t) {
		return &FieldError{Field: "policyType", Problem: "must be CICD or K8S_ADMISSION_CONTROLLER"}
	}
	return nil
}

// GetPolicy is get_policy's input.
type GetPolicy struct {
	PolicyID
	Version int `json:"version,omitempty" jsonschema:"minimum=1"`
}

// DefaultPolicy is get_default_policy's input.
type DefaultPolicy struct {
	PolicyType string `json:"policyType" jsonschema:"required,maxLength=24,description=CICD or K8S_ADMISSION_CONTROLLER" jsonschema_extras:"x-value-aliases=IMAGESCAN:CICD;K8S_Admission_Controller:K8S_ADMISSION_CONTROLLER"`
}

// Validate takes the documented spellings.
func (d *DefaultPolicy) Validate() error { return checkPolicyType(d.PolicyType) }

// RuleMeta is a rule's parameters, by its type: operator, threshold and
// severityLevel (severity counts), value, values (CVEs, QIDs, software,
// image regexes) or options (PODSECURITY).
type RuleMeta struct {
	Operator      string      `json:"operator,omitempty" jsonschema:"enum=GREATER_THAN,enum=GREATER_THAN_EQUAL_TO"`
	Threshold     *int        `json:"threshold,omitempty" jsonschema:"minimum=0"`
	SeverityLevel *int        `json:"severityLevel,omitempty" jsonschema:"minimum=1,maximum=5"`
	Value         *Scalar     `json:"value,omitempty"`
	Values        []Scalar    `json:"values,omitempty" jsonschema:"maxItems=1000"`
	Options       []PodOption `json:"options,omitempty" jsonschema:"maxItems=20"`
}

// Scalar is a rule parameter's value: a string (a CVE, a software, a
// severity such as HIGH) or an integer (a QID, an age in days), by the
// rule's type.
type Scalar struct{ V any }

// JSONSchema is a string or an integer.
func (Scalar) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{OneOf: []*jsonschema.Schema{{Type: "string", MaxLength: ptr(uint64(256))}, {Type: "integer"}}}
}

func ptr[T any](v T) *T { return &v }

// UnmarshalJSON takes a string or a number.
func (s *Scalar) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, &s.V) }

// MarshalJSON writes the value as given.
func (s Scalar) MarshalJSON() ([]byte, error) { return json.Marshal(s.V) }

// PodOption is one PODSECURITY check, on or off.
type PodOption struct {
	ID      string `json:"id" jsonschema:"required,maxLength=64"`
	Enabled bool   `json:"enabled"`
}

// ruleTypes are the rule types the pages list (the malware rule in both
// of its spellings).
var ruleTypes = []string{"IMAGESCAN_VULN_SEVERITYCOUNT", "IMAGESCAN_VULN_CVSSV3_SEVERITYCOUNT", "IMAGESCAN_VULN_SECRETS_SEVERITYCOUNT",
	"IMAGESCAN_VULN_RESTRICTED_CVES", "IMAGESCAN_VULN_RESTRICTED_QIDS", "IMAGESCAN_VULN_QDS_SEVERITY", "IMAGESCAN_VULN_RESTRICTED_SOFTWARES",
	"IMAGESCAN_VULN_RESTRICTED_IMAGES", "IMAGESCAN_VULN_RESTRICTED_OLDER_IMAGES", "IMAGESCAN_VULN_RESTRICTED_MALWARE_IMAGES",
	"IMAGESCAN_VULN_RESTRICTED_malware_IMAGES", "PODSECURITY"}

// PolicyRule is one rule of a policy.
type PolicyRule struct {
	Name           string    `json:"name" jsonschema:"required,pattern=^[A-Za-z_]\\w{1\\,99}$"`
	Type           string    `json:"type" jsonschema:"required,maxLength=48"`
	Action         string    `json:"action" jsonschema:"required,enum=ALLOW,enum=DENY"`
	IsEnabled      *bool     `json:"isEnabled,omitempty"`
	StopProcessing *bool     `json:"stopProcessing,omitempty"`
	SortOrder      *int      `json:"sortOrder,omitempty" jsonschema:"minimum=0"`
	MetaData       *RuleMeta `json:"metaData,omitempty"`
}

// K8sFilter scopes an admission-controller policy to a cluster or a
// namespace.
type K8sFilter struct {
	Cluster   *K8sCluster   `json:"cluster,omitempty"`
	Namespace *K8sNamespace `json:"namespace,omitempty"`
}

// K8sCluster names a cluster.
type K8sCluster struct {
	ClusterUID  string `json:"clusterUid,omitempty" jsonschema:"maxLength=128"`
	ClusterName string `json:"clusterName,omitempty" jsonschema:"maxLength=256"`
}

// K8sNamespace names a namespace of a cluster.
type K8sNamespace struct {
	NamespaceUUID  string `json:"namespaceUuid,omitempty" jsonschema:"maxLength=128"`
	NamespaceValue string `json:"namespaceValue,omitempty" jsonschema:"maxLength=256"`
	ClusterUID     string `json:"clusterUid,omitempty" jsonschema:"maxLength=128"`
}

// PolicyOptions are the fields create and update share, none required.
type PolicyOptions struct {
	PolicyMode  string      `json:"policyMode,omitempty" jsonschema:"enum=ACTIVE,enum=INACTIVE"`
	Description string      `json:"description,omitempty" jsonschema:"maxLength=250"`
	TagIds      []string    `json:"tagIds,omitempty" jsonschema:"maxItems=100"`
	K8sFilters  []K8sFilter `json:"k8sFilters,omitempty" jsonschema:"maxItems=100"`
	AssetType   string      `json:"assetType,omitempty" jsonschema:"enum=CICD" jsonschema_extras:"x-set-by=server"`
	IsDefault   *bool       `json:"isDefault,omitempty" jsonschema_extras:"x-set-by=Qualys"`
	SetByQualys
}

// checkPolicy refuses a type no page spells, an unknown rule type, a rule
// name twice, no enabled rule, and a default policy.
func checkPolicy(typ string, rules []PolicyRule, o *PolicyOptions) error {
	if err := checkPolicyType(typ); err != nil {
		return err
	}
	if o.IsDefault != nil && *o.IsDefault {
		return &FieldError{Field: "isDefault", Problem: "a type's default policy is Qualys' own: a policy made here is not one"}
	}
	enabled := len(rules) == 0
	for i, r := range rules {
		where := fmt.Sprintf("centralizedPolicyRules.%d", i)
		if !slices.Contains(ruleTypes, r.Type) {
			return &FieldError{Field: where + ".type", Problem: "is not a rule type: " + strings.Join(slices.Delete(slices.Clone(ruleTypes), 10, 11), ", ")}
		}
		if slices.ContainsFunc(rules[:i], func(o PolicyRule) bool { return strings.EqualFold(o.Name, r.Name) }) {
			return &FieldError{Field: where + ".name", Problem: "rule names are unique: " + r.Name + " is given twice"}
		}
		enabled = enabled || r.IsEnabled == nil || *r.IsEnabled
	}
	if !enabled {
		return &FieldError{Field: "centralizedPolicyRules", Problem: "a policy needs at least one enabled rule"}
	}
	return nil
}

// CreatePolicy is create_policy's input.
type CreatePolicy struct {
	PolicyName             string       `json:"policyName" jsonschema:"required,minLength=1,maxLength=150"`
	PolicyType             string       `json:"policyType" jsonschema:"required,maxLength=24,description=CICD or K8S_ADMISSION_CONTROLLER" jsonschema_extras:"x-value-aliases=IMAGESCAN:CICD;K8S_Admission_Controller:K8S_ADMISSION_CONTROLLER"`
	CentralizedPolicyRules []PolicyRule `json:"centralizedPolicyRules" jsonschema:"required,minItems=1,maxItems=100"`
	PolicyOptions
}

// Validate checks the fields together.
func (c *CreatePolicy) Validate() error {
	return checkPolicy(c.PolicyType, c.CentralizedPolicyRules, &c.PolicyOptions)
}

// UpdatePolicy is update_policy's input: the fields given change, over the
// policy as read (a new version).
type UpdatePolicy struct {
	PolicyID
	PolicyName             string       `json:"policyName,omitempty" jsonschema:"minLength=1,maxLength=150"`
	PolicyType             string       `json:"policyType,omitempty" jsonschema:"maxLength=24" jsonschema_extras:"x-value-aliases=IMAGESCAN:CICD;K8S_Admission_Controller:K8S_ADMISSION_CONTROLLER"`
	CentralizedPolicyRules []PolicyRule `json:"centralizedPolicyRules,omitempty" jsonschema:"minItems=1,maxItems=100"`
	PolicyOptions
}

// Validate checks the fields given together.
func (u *UpdatePolicy) Validate() error {
	return checkPolicy(u.PolicyType, u.CentralizedPolicyRules, &u.PolicyOptions)
}

// The mode tools' inputs take the documented body's policyMode too, which
// must be the tool's own.
type (
	ActivatePolicy struct {
		PolicyID
		PolicyMode string `json:"policyMode,omitempty" jsonschema:"enum=ACTIVE" jsonschema_extras:"x-set-by=server"`
	}
	DeactivatePolicy struct {
		PolicyID
		PolicyMode string `json:"policyMode,omitempty" jsonschema:"enum=INACTIVE" jsonschema_extras:"x-set-by=server"`
	}
)

// ---- tags ----

// TagRule is a dynamic tag's rule for one entity type: QQL whose fields
// start with the type (image.repo.repository:nginx).
type TagRule struct {
	EntityType string `json:"entityType" jsonschema:"required,enum=IMAGE,enum=CONTAINER"`
	Rule       string `json:"rule" jsonschema:"required,minLength=1,maxLength=2000"`
}

// checkRules refuses a rule whose fields are not of its entity type, and
// two rules for one type.
func checkRules(field string, rules []TagRule) error {
	seen := map[string]bool{}
	for i, r := range rules {
		typ := strings.ToLower(r.EntityType)
		if seen[typ] {
			return &FieldError{Field: fmt.Sprintf("%s.%d.entityType", field, i), Problem: "one rule per entity type"}
		}
		seen[typ] = true
		if err := checkRule(fmt.Sprintf("%s.%d.rule", field, i), typ, r.Rule); err != nil {
			return err
		}
	}
	return nil
}

func checkRule(field, typ, rule string) error {
	if !strings.HasPrefix(strings.TrimSpace(rule), typ+".") {
		return &FieldError{Field: field, Problem: fmt.Sprintf("a %s rule's fields start %s. (e.g. %s.repo.repository:nginx)", typ, typ, typ)}
	}
	return nil
}

// CreateTag is create_tag's input.
type CreateTag struct {
	Name            string    `json:"name" jsonschema:"required,minLength=1,maxLength=256"`
	Reevaluate      *bool     `json:"reevaluate,omitempty"`
	TagInfoDataList []TagRule `json:"tagInfoDataList,omitempty" jsonschema:"maxItems=2"`
}

// Validate checks the rules.
func (c *CreateTag) Validate() error { return checkRules("tagInfoDataList", c.TagInfoDataList) }

// RuleUpdate is a new rule for an entity type the tag has one for.
type RuleUpdate struct {
	Image     string `json:"image,omitempty" jsonschema:"maxLength=2000"`
	Container string `json:"container,omitempty" jsonschema:"maxLength=2000"`
}

// UpdateTag is update_tag's input: exactly one of entityTypeToAdd (a rule
// for a type the tag has none for) and entityTypeRuleToUpdate.
type UpdateTag struct {
	Name                   string      `json:"name" jsonschema:"required,minLength=1,maxLength=256"`
	Reevaluate             *bool       `json:"reevaluate,omitempty"`
	EntityTypeToAdd        []TagRule   `json:"entityTypeToAdd,omitempty" jsonschema:"maxItems=2"`
	EntityTypeRuleToUpdate *RuleUpdate `json:"entityTypeRuleToUpdate,omitempty"`
}

// Validate asks for exactly one of the two, and checks the rules.
func (u *UpdateTag) Validate() error {
	upd := u.EntityTypeRuleToUpdate != nil && (u.EntityTypeRuleToUpdate.Image != "" || u.EntityTypeRuleToUpdate.Container != "")
	if (len(u.EntityTypeToAdd) > 0) == upd {
		return &FieldError{Field: "entityTypeToAdd", Problem: "give exactly one of entityTypeToAdd and entityTypeRuleToUpdate"}
	}
	if upd {
		for typ, rule := range map[string]string{"image": u.EntityTypeRuleToUpdate.Image, "container": u.EntityTypeRuleToUpdate.Container} {
			if rule != "" {
				if err := checkRule("entityTypeRuleToUpdate."+typ, typ, rule); err != nil {
					return err
				}
			}
		}
	}
	return checkRules("entityTypeToAdd", u.EntityTypeToAdd)
}

// EvaluateTag is evaluate_tag's input.
type EvaluateTag struct {
	TagName string `json:"tagName" jsonschema:"required,minLength=1,maxLength=256"`
}

// TagToAdd is one tag to put on the asset.
type TagToAdd struct {
	TagUUID              string `json:"tagUuid" jsonschema:"required"`
	IsCascadeToContainer bool   `json:"isCascadeToContainer,omitempty" jsonschema:"description=Image's containers too"`
}

// AssignTags is assign_tags' input: the asset by UUID or SHA; the tags by
// UUID or one by name (a new name makes the tag).
type AssignTags struct {
	EntityType     string     `json:"entityType" jsonschema:"required,enum=IMAGE,enum=CONTAINER"`
	EntityUUID     string     `json:"entityUUID,omitempty"`
	EntitySha      string     `json:"entitySha,omitempty"`
	TagsToAdd      []TagToAdd `json:"tagsToAdd,omitempty" jsonschema:"maxItems=100"`
	TagName        string     `json:"tagName,omitempty" jsonschema:"maxLength=256"`
	SubscriptionID string     `json:"subscriptionId,omitempty"`
	ModuleCode     string     `json:"moduleCode,omitempty" jsonschema:"enum=CS" jsonschema_extras:"x-set-by=server"`
}

// Validate asks for the asset and a tag.
func (a *AssignTags) Validate() error {
	switch {
	case a.EntityUUID == "" && a.EntitySha == "":
		return &FieldError{Field: "entityUUID", Problem: "give entityUUID or entitySha"}
	case len(a.TagsToAdd) == 0 && a.TagName == "":
		return &FieldError{Field: "tagsToAdd", Problem: "give tagsToAdd or tagName"}
	}
	return nil
}

// ---- report schedules ----

// ReportScheduleDetails is a schedule's recurrence and notification.
type ReportScheduleDetails struct {
	RecurrenceType     string   `json:"recurrenceType" jsonschema:"required,enum=DAILY,enum=WEEKLY,enum=MONTHLY"`
	SelectedDayOfWeeks []string `json:"selectedDayOfWeeks,omitempty" jsonschema:"maxItems=7,description=WEEKLY only: MONDAY.."`
	EmailNotification  *int     `json:"emailNotification,omitempty" jsonschema:"enum=0,enum=1"`
	Recipient          string   `json:"recipient,omitempty" jsonschema:"maxLength=1024"`
	EmailSubject       string   `json:"emailSubject,omitempty" jsonschema:"maxLength=256"`
	CustomMessage      string   `json:"customMessage,omitempty" jsonschema:"maxLength=2000"`
	SendAsAttachment   *int     `json:"sendAsAttachment,omitempty" jsonschema:"enum=0,enum=1"`
	Zip                *int     `json:"zip,omitempty" jsonschema:"enum=0,enum=1"`
}

// check refuses days without WEEKLY (and WEEKLY without days), a day's
// name misspelled, and an email without its recipient.
func (d *ReportScheduleDetails) check() error {
	if d == nil {
		return nil
	}
	switch {
	case d.RecurrenceType == "WEEKLY" && len(d.SelectedDayOfWeeks) == 0:
		return &FieldError{Field: "reportScheduleDetails.selectedDayOfWeeks", Problem: "is required for a WEEKLY schedule"}
	case d.RecurrenceType != "WEEKLY" && len(d.SelectedDayOfWeeks) > 0:
		return &FieldError{Field: "reportScheduleDetails.selectedDayOfWeeks", Problem: "applies only to a WEEKLY schedule"}
	case d.EmailNotification != nil && *d.EmailNotification == 1 && !strings.Contains(d.Recipient, "@"):
		return &FieldError{Field: "reportScheduleDetails.recipient", Problem: "an email address is required with emailNotification 1"}
	}
	for _, day := range d.SelectedDayOfWeeks {
		if !slices.Contains(weekDays, day) {
			return &FieldError{Field: "reportScheduleDetails.selectedDayOfWeeks", Problem: day + " is not a day's name: " + strings.Join(weekDays, ", ")}
		}
	}
	return nil
}

// ReportScheduleOptions are the fields create and update share, none
// required.
type ReportScheduleOptions struct {
	DisplayColumns        []string               `json:"displayColumns,omitempty" jsonschema:"maxItems=100"`
	ReportScheduleDetails *ReportScheduleDetails `json:"reportScheduleDetails,omitempty"`
}

// checkTimes refuses a time that is not UTC RFC 3339 and an end not after
// the start.
func checkTimes(start, end string) error {
	var at [2]time.Time
	for i, v := range []string{start, end} {
		if v == "" {
			continue
		}
		x, err := time.Parse(time.RFC3339, v)
		if err != nil || !strings.HasSuffix(v, "Z") {
			return &FieldError{Field: []string{"eventTime", "eventEndTime"}[i], Problem: "must be a UTC time, e.g. 2026-02-16T19:30:00Z"}
		}
		at[i] = x
	}
	if !at[0].IsZero() && !at[1].IsZero() && !at[1].After(at[0]) {
		return &FieldError{Field: "eventEndTime", Problem: "must be after eventTime"}
	}
	return nil
}

// CreateReportSchedule is create_report_schedule's input. With no
// reportScheduleDetails (or null) the report is made once, at eventTime:
// the server sends reportScheduleDetails null, as the API asks.
type CreateReportSchedule struct {
	Name         string `json:"name" jsonschema:"required,minLength=1,maxLength=150"`
	TemplateName string `json:"templateName" jsonschema:"required,maxLength=64,pattern=^\\w+$,description=e.g. CS_IMAGE_VULNERABILITY"`
	ExpireAfter  string `json:"expireAfter" jsonschema:"required,enum=1,enum=7,enum=30,enum=90,description=Days"`
	EventTime    string `json:"eventTime" jsonschema:"required,maxLength=32,description=UTC start"`
	EventEndTime string `json:"eventEndTime" jsonschema:"required,maxLength=32,description=UTC end"`
	Description  string `json:"description,omitempty" jsonschema:"maxLength=250"`
	Filter       string `json:"filter,omitempty" jsonschema:"maxLength=2000"`
	Action       string `json:"action,omitempty" jsonschema:"enum=CREATE" jsonschema_extras:"x-set-by=server"`
	ReportScheduleOptions
}

// Validate checks the times and the recurrence.
func (c *CreateReportSchedule) Validate() error {
	if err := checkTimes(c.EventTime, c.EventEndTime); err != nil {
		return err
	}
	return c.ReportScheduleDetails.check()
}

// UpdateReportSchedule is update_report_schedule's input: only an Active
// schedule changes; the fields given are sent (no API reads a schedule).
type UpdateReportSchedule struct {
	ReportingScheduleID string `json:"reportingScheduleId" jsonschema:"required"`
	ExpireAfter         string `json:"expireAfter,omitempty" jsonschema:"enum=1,enum=7,enum=30,enum=90,description=Days"`
	EventTime           string `json:"eventTime,omitempty" jsonschema:"maxLength=32,description=UTC start"`
	EventEndTime        string `json:"eventEndTime,omitempty" jsonschema:"maxLength=32,description=UTC end"`
	ReportScheduleOptions
}

// Validate checks the times and the recurrence given.
func (u *UpdateReportSchedule) Validate() error {
	if err := checkTimes(u.EventTime, u.EventEndTime); err != nil {
		return err
	}
	return u.ReportScheduleDetails.check()
}

// ---- Kubernetes posture ----

// K8sControlID names one CIS Kubernetes control.
type K8sControlID struct {
	ControlID string `json:"controlId" jsonschema:"required,pattern=^\\d{1\\,15}$"`
}

// K8sEvidence is get_k8s_control_evidence's input: a control's evidence
// holds a row per resource, which the cursor pages through.
type K8sEvidence struct {
	K8sControlID
	Cursor string `json:"cursor,omitempty" jsonschema:"maxLength=8192"`
}

// ---- the changed operations' new query parameters ----
// Each is the input of a tool the catalogue had, with the parameter the
// 2026 guide adds; a tool takes it when its handler sends it.

// DeleteSchedulesBulk is delete_registry_schedules' input on the 2026
// path (DELETE /registry/{registryId}/schedule/bulk): scheduleIds, or a
// filter (both given, Qualys takes the IDs).
type DeleteSchedulesBulk struct {
	RegistryID
	ScheduleIds []string `json:"scheduleIds,omitempty" jsonschema:"maxItems=100"`
	Filter      string   `json:"filter,omitempty" jsonschema:"maxLength=2000"`
}

// Validate refuses a delete with neither IDs nor a filter.
func (d *DeleteSchedulesBulk) Validate() error {
	if len(d.ScheduleIds) == 0 && strings.TrimSpace(d.Filter) == "" {
		return &FieldError{Field: "scheduleIds", Problem: "give scheduleIds or a filter; a delete with neither is refused"}
	}
	return nil
}

// ImageVulnsWithExceptions is get_image_vulnerabilities' input with
// applyException (default true: what an active exception covers is left
// out).
type ImageVulnsWithExceptions struct {
	ImageVulns
	ApplyException *bool `json:"applyException,omitempty" jsonschema:"description=false: list excepted ones too"`
}

// GetImageWithScans is get_image's input with scanDetails, written as the
// query takes it and the guide's samples send it: kinds, comma-separated
// ("malware,secrets"; the bulk list's sample "malware, secrets").
type GetImageWithScans struct {
	GetImage
	ScanDetails string `json:"scanDetails,omitempty" jsonschema:"maxLength=64,description=malware\\,secrets\\,compliance"`
}

// Validate takes the kinds the guide lists.
func (g *GetImageWithScans) Validate() error {
	return scanKinds(g.ScanDetails, "malware", "secrets", "compliance")
}

// BulkImagesWithScans is list_images_with_details' input with scanDetails.
type BulkImagesWithScans struct {
	BulkList
	ScanDetails string `json:"scanDetails,omitempty" jsonschema:"maxLength=64,description=malware\\,secrets"`
}

// Validate takes the kinds the guide lists.
func (b *BulkImagesWithScans) Validate() error { return scanKinds(b.ScanDetails, "malware", "secrets") }

// scanKinds checks a comma-separated list of kinds of scan.
func scanKinds(given string, allowed ...string) error {
	for _, k := range strings.Split(given, ",") {
		if k = strings.TrimSpace(k); k != "" && !slices.Contains(allowed, k) {
			return &FieldError{Field: "scanDetails", Problem: strconv.Quote(k) + " is not one of " + strings.Join(allowed, ", ")}
		}
	}
	return nil
}

// UpdateSensorProfileWithPropagation is update_sensor_profile's input with
// isVulnPropagation, a query parameter of the update (release 1.42), and
// a RUNTIME profile's fields (whose type the handler checks against the
// profile as read when profileType is not given).
type UpdateSensorProfileWithPropagation struct {
	UpdateSensorProfile
	IsVulnPropagation *bool `json:"isVulnPropagation,omitempty"`
	RuntimeFields
}

// Validate checks the update's fields, and the runtime fields against the
// profile type when it is given.
func (u *UpdateSensorProfileWithPropagation) Validate() error {
	if err := u.UpdateSensorProfile.Validate(); err != nil {
		return err
	}
	typ := u.ProfileType
	if typ == "" {
		typ = "RUNTIME" // not given: the profile as read decides (the handler checks)
	}
	return u.RuntimeFields.check(typ)
}

// CheckRuntime refuses runtime fields on a profile that is not RUNTIME
// (its type as read, when the update does not change it).
func (r RuntimeFields) CheckRuntime(profileType string) error { return r.check(profileType) }
