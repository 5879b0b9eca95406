package schemas

import (
	"fmt"
	"strings"
)

// ListParams are the paging and filtering arguments every list takes.
type ListParams struct {
	Filter     string `json:"filter,omitempty" jsonschema:"maxLength=2000"`
	PageNumber int    `json:"pageNumber,omitempty" jsonschema:"minimum=1"`
	PageSize   int    `json:"pageSize,omitempty" jsonschema:"minimum=1,maximum=1000"`
	Sort       string `json:"sort,omitempty" jsonschema:"maxLength=100"`
}

// SetByQualys are the fields the release notes' sample bodies carry that
// Qualys sets itself (the v1.17 create and update samples, the v1.21
// update sample): accepted and passed on as the samples send them, never
// published as arguments, and named in the result's note as ignored.
type SetByQualys struct {
	CreatedBy string `json:"createdBy,omitempty" jsonschema:"maxLength=256" jsonschema_extras:"x-set-by=Qualys"`
	UpdatedBy string `json:"updatedBy,omitempty" jsonschema:"maxLength=256" jsonschema_extras:"x-set-by=Qualys"`
	Created   string `json:"created,omitempty" jsonschema:"maxLength=32,description=Epoch milliseconds as a string" jsonschema_extras:"x-set-by=Qualys"`
	Updated   string `json:"updated,omitempty" jsonschema:"maxLength=32,description=Epoch milliseconds as a string" jsonschema_extras:"x-set-by=Qualys"`
}

// XSetBy marks, in a validation schema, a property the documents put in a
// request body that is not an argument: "Qualys" (the API sets it; the
// value given is ignored) or "server" (this server derives it; a value
// given must agree). Publish leaves such properties out.
const XSetBy = "x-set-by"

// XAliasOf marks, in a validation schema, a property that is an older
// document's name of another (its value): taken from a model, sent under
// the newer name (Canonical), not published.
const XAliasOf = "x-alias-of"

// XValueAliases marks a string property whose older documents spell some
// values otherwise: "old:new;old2:new2". Canonical sends the new spelling.
const XValueAliases = "x-value-aliases"

// ---- sensor_profiles ----

// SensorProfileID names one profile.
type SensorProfileID struct {
	SensorProfileID string `json:"sensorProfileId" jsonschema:"required"`
}

// SensorProfileBody is the body of an update, as the seeds send it. A
// profile keeps its type (its sensors are of that type): profileType, which
// the v1.21 sample repeats, is the profile's as read, and a value given
// must agree.
type SensorProfileBody struct {
	ProfileName           string         `json:"profileName,omitempty" jsonschema:"minLength=1,maxLength=256"`
	Description           *string        `json:"description,omitempty" jsonschema:"maxLength=1024"`
	ProfileType           string         `json:"profileType,omitempty" jsonschema:"enum=Registry,enum=General,enum=CICD,enum=Cluster,enum=RUNTIME" jsonschema_extras:"x-set-by=server"`
	AssociatedRegistryIds []string       `json:"associatedRegistryIds,omitempty"`
	AssociatedSensorIds   []string       `json:"associatedSensorIds,omitempty"`
	Config                *ProfileConfig `json:"config,omitempty"`
}

// RuntimeFields are a RUNTIME profile's (the 2026 guide): whether its
// runtime sensor sends events (enable, the default, or disable), and the
// processes it ignores. update_sensor_profile's merge carries them over
// from the profile as read.
type RuntimeFields struct {
	RuntimeSensor   string `json:"runtimeSensor,omitempty" jsonschema:"maxLength=7"`
	IgnoreProcesses string `json:"ignoreProcesses,omitempty" jsonschema:"maxLength=4096"`
}

// check refuses runtime fields on a profile of another type and a
// runtimeSensor other than enable or disable.
func (r RuntimeFields) check(profileType string) error {
	switch {
	case profileType != "RUNTIME" && (r.RuntimeSensor != "" || r.IgnoreProcesses != ""):
		return &FieldError{Field: "runtimeSensor", Problem: "runtimeSensor and ignoreProcesses apply only to a RUNTIME profile"}
	case r.RuntimeSensor != "" && r.RuntimeSensor != "enable" && r.RuntimeSensor != "disable":
		return &FieldError{Field: "runtimeSensor", Problem: "must be enable or disable"}
	}
	return nil
}

// CreateSensorProfile is create_sensor_profile's input.
type CreateSensorProfile struct {
	ProfileName           string         `json:"profileName" jsonschema:"required,minLength=1,maxLength=256"`
	Description           *string        `json:"description,omitempty" jsonschema:"maxLength=1024"`
	ProfileType           string         `json:"profileType" jsonschema:"required,enum=Registry,enum=General,enum=CICD,enum=Cluster,enum=RUNTIME"`
	AssociatedRegistryIds []string       `json:"associatedRegistryIds,omitempty"`
	AssociatedSensorIds   []string       `json:"associatedSensorIds" jsonschema:"required"`
	Config                *ProfileConfig `json:"config,omitempty"`
	RuntimeFields
	SetByQualys
}

// Validate refuses runtime fields on another type of profile, and the
// window under both its names.
func (c *CreateSensorProfile) Validate() error {
	if err := c.RuntimeFields.check(c.ProfileType); err != nil {
		return err
	}
	return c.Config.Validate()
}

// UpdateSensorProfile is update_sensor_profile's input: only the fields
// given change. profileId, which the v1.21 sample body repeats from the
// path, must agree with sensorProfileId.
type UpdateSensorProfile struct {
	SensorProfileID
	SensorProfileBody
	ProfileID string `json:"profileId,omitempty" jsonschema_extras:"x-set-by=server"`
	SetByQualys
}

// Validate refuses a profileId that is not the sensorProfileId, and the
// window under both its names.
func (u *UpdateSensorProfile) Validate() error {
	if err := samePathID("profileId", u.ProfileID, "sensorProfileId", u.SensorProfileID.SensorProfileID); err != nil {
		return err
	}
	return u.Config.Validate()
}

// samePathID refuses a body field that repeats a path ID with another
// value, naming both.
func samePathID(field, given, pathField, path string) error {
	if given == "" || given == path {
		return nil
	}
	return &FieldError{Field: field, Problem: fmt.Sprintf("is %q but %s is %q: they name the same thing and must agree (leave %s out)", given, pathField, path, field)}
}

// ListByProfile lists what belongs to one profile.
type ListByProfile struct {
	SensorProfileID
	ListParams
}

// ListAssociableSensors is list_associable_sensors' input.
type ListAssociableSensors struct {
	SensorProfileType string `json:"sensorProfileType" jsonschema:"required,enum=Registry,enum=General,enum=CICD"`
	ListParams
}

// ListAssociableProfiles is list_associable_sensor_profiles' input: the
// v1.21 table lists no filter for this API, only paging and sort.
type ListAssociableProfiles struct {
	SensorType string `json:"sensorType,omitempty" jsonschema:"enum=REGISTRY,enum=GENERAL,enum=CICD,default=GENERAL"`
	PageParams
}

// PageParams are the paging and sort arguments of a list with no filter.
type PageParams struct {
	PageNumber int    `json:"pageNumber,omitempty" jsonschema:"minimum=1"`
	PageSize   int    `json:"pageSize,omitempty" jsonschema:"minimum=1,maximum=1000"`
	Sort       string `json:"sort,omitempty" jsonschema:"maxLength=100"`
}

// List is the same paging with no filter.
func (p PageParams) List() ListParams {
	return ListParams{PageNumber: p.PageNumber, PageSize: p.PageSize, Sort: p.Sort}
}

// AttachProfile is attach_sensor_profile's input.
type AttachProfile struct {
	SensorID  string `json:"sensorId" jsonschema:"required"`
	ProfileID string `json:"profileId" jsonschema:"required"`
}

// ---- sensors ----

// SensorID names one sensor: its UUID or its short sensorId.
type SensorID struct {
	SensorID string `json:"sensorId" jsonschema:"required"`
}

// ListSensors is list_sensors' input.
type ListSensors struct {
	ListParams
	Fields []string `json:"fields,omitempty"`
}

// DeleteSensors is delete_sensors' input: IDs or a filter.
type DeleteSensors struct {
	SensorIds []string `json:"sensorIds,omitempty" jsonschema:"maxItems=1000"`
	Filter    string   `json:"filter,omitempty" jsonschema:"maxLength=2000"`
}

// ActivationKeys is get_activation_keys' input.
type ActivationKeys struct {
	Reveal bool `json:"reveal,omitempty"`
}

// None is the input of a tool that takes no arguments.
type None struct{}

// FieldError is bad input, named by the field.
type FieldError struct {
	Field, Problem string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return "invalid arguments: " + e.Problem
	}
	return fmt.Sprintf("invalid argument %q: %s", e.Field, e.Problem)
}

// Validate refuses a delete with neither IDs nor a filter.
func (d *DeleteSensors) Validate() error {
	if len(d.SensorIds) == 0 && strings.TrimSpace(d.Filter) == "" {
		return &FieldError{Field: "sensorIds", Problem: "give sensorIds or a filter; a delete with neither is refused"}
	}
	return nil
}
