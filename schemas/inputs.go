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
}

// UpdateSensorProfile is update_sensor_profile's input: only the fields
// given change.
type UpdateSensorProfile struct {
	SensorProfileID
	SensorProfileBody
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

// ListAssociableProfiles is list_associable_sensor_profiles' input.
type ListAssociableProfiles struct {
	SensorType string `json:"sensorType,omitempty" jsonschema:"enum=REGISTRY,enum=GENERAL,enum=CICD,default=GENERAL"`
	ListParams
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
