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

// ---- sensor_profiles ----

// SensorProfileID names one profile.
type SensorProfileID struct {
	SensorProfileID string `json:"sensorProfileId" jsonschema:"required"`
}

// SensorProfileBody is the body of create and update, as the seeds send it.
type SensorProfileBody struct {
	ProfileName           string         `json:"profileName,omitempty" jsonschema:"minLength=1,maxLength=256"`
	Description           *string        `json:"description,omitempty" jsonschema:"maxLength=1024"`
	ProfileType           string         `json:"profileType,omitempty" jsonschema:"enum=Registry,enum=General,enum=CICD"`
	AssociatedRegistryIds []string       `json:"associatedRegistryIds,omitempty"`
	AssociatedSensorIds   []string       `json:"associatedSensorIds,omitempty"`
	Config                *ProfileConfig `json:"config,omitempty"`
}

// CreateSensorProfile is create_sensor_profile's input.
type CreateSensorProfile struct {
	ProfileName           string         `json:"profileName" jsonschema:"required,minLength=1,maxLength=256"`
	Description           *string        `json:"description,omitempty" jsonschema:"maxLength=1024"`
	ProfileType           string         `json:"profileType" jsonschema:"required,enum=Registry,enum=General,enum=CICD"`
	AssociatedRegistryIds []string       `json:"associatedRegistryIds,omitempty"`
	AssociatedSensorIds   []string       `json:"associatedSensorIds" jsonschema:"required"`
	Config                *ProfileConfig `json:"config,omitempty"`
	SetByQualys
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

// Validate refuses a profileId that is not the sensorProfileId.
func (u *UpdateSensorProfile) Validate() error {
	return samePathID("profileId", u.ProfileID, "sensorProfileId", u.SensorProfileID.SensorProfileID)
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
