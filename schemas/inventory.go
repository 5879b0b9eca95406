package schemas

import "strings"

// ---- images, containers and controls: inputs ----

// ListImages is list_images' input.
type ListImages struct {
	ListParams
	Fields []string `json:"fields,omitempty" jsonschema:"description=e.g. uuid\\, imageId\\, size\\, layers"`
}

// ListContainers is list_containers' input.
type ListContainers struct {
	ListParams
	Fields []string `json:"fields,omitempty" jsonschema:"description=e.g. uuid\\, containerId\\, isRoot"`
}

// BulkList is the input of list_images_with_details and
// list_containers_with_details: cursor paging over /images/list and
// /containers/list.
type BulkList struct {
	Filter string   `json:"filter,omitempty" jsonschema:"maxLength=2000"`
	Limit  int      `json:"limit,omitempty" jsonschema:"minimum=1,maximum=250"`
	Cursor string   `json:"cursor,omitempty" jsonschema:"maxLength=8192"`
	Fields []string `json:"fields,omitempty"`
}

// ImageSha names one image.
type ImageSha struct {
	ImageSha string `json:"imageSha" jsonschema:"required"`
}

// ContainerSha names one container.
type ContainerSha struct {
	ContainerSha string `json:"containerSha" jsonschema:"required"`
}

// GetImage is get_image's input.
type GetImage struct {
	ImageSha
	Fields []string `json:"fields,omitempty" jsonschema:"description=e.g. label\\, layers\\, users"`
}

// GetContainer is get_container's input.
type GetContainer struct {
	ContainerSha
	Fields []string `json:"fields,omitempty" jsonschema:"description=e.g. environment\\, portMapping\\, label"`
}

// VulnQuery is what the vulnerability tools share.
type VulnQuery struct {
	Filter      string   `json:"filter,omitempty" jsonschema:"maxLength=2000"`
	Type        string   `json:"type,omitempty" jsonschema:"enum=ALL,enum=DETAILS,enum=SUMMARY"`
	Sort        string   `json:"sort,omitempty" jsonschema:"maxLength=64"`
	MinSeverity int      `json:"minSeverity,omitempty" jsonschema:"minimum=1,maximum=5"`
	FixableOnly bool     `json:"fixableOnly,omitempty"`
	Fields      []string `json:"fields,omitempty"`
	Cursor      string   `json:"cursor,omitempty" jsonschema:"maxLength=8192"`
}

// ImageVulns is get_image_vulnerabilities' input.
type ImageVulns struct {
	ImageSha
	VulnQuery
}

// ContainerVulns is get_container_vulnerabilities' input.
type ContainerVulns struct {
	ContainerSha
	VulnQuery
}

// SoftwareQuery is what the software tools share.
type SoftwareQuery struct {
	Filter         string `json:"filter,omitempty" jsonschema:"maxLength=2000"`
	Sort           string `json:"sort,omitempty" jsonschema:"maxLength=100"`
	VulnerableOnly bool   `json:"vulnerableOnly,omitempty"`
	Cursor         string `json:"cursor,omitempty" jsonschema:"maxLength=8192"`
}

// ImageSoftware is get_image_software's input.
type ImageSoftware struct {
	ImageSha
	SoftwareQuery
}

// ContainerSoftware is get_container_software's input.
type ContainerSoftware struct {
	ContainerSha
	SoftwareQuery
}

// ComplianceQuery is what the compliance tools share.
type ComplianceQuery struct {
	Posture string `json:"posture,omitempty" jsonschema:"enum=PASS,enum=FAIL,enum=SETTING_NOT_FOUND"`
	Cursor  string `json:"cursor,omitempty" jsonschema:"maxLength=8192"`
}

// ImageCompliance is get_image_compliance's input.
type ImageCompliance struct {
	ImageSha
	ComplianceQuery
}

// ContainerCompliance is get_container_compliance's input.
type ContainerCompliance struct {
	ContainerSha
	ComplianceQuery
}

// ImageAssociations is get_image_associations' input.
type ImageAssociations struct {
	ImageSha
	Filter string `json:"filter,omitempty" jsonschema:"maxLength=2000"`
	Type   string `json:"type,omitempty" jsonschema:"enum=ALL,enum=CONTAINER,enum=DRIFT,enum=HOST"`
	Cursor string `json:"cursor,omitempty" jsonschema:"maxLength=8192"`
}

// InstrumentImage is instrument_image's input: the image to pull and
// where to push the instrumented copy, in the same registry.
type InstrumentImage struct {
	ImageSha
	PullRegistryUUID string `json:"pullRegistryUuid" jsonschema:"required"`
	PullRepository   string `json:"pullRepository" jsonschema:"required,minLength=1,maxLength=256"`
	PullTag          string `json:"pullTag" jsonschema:"required,minLength=1,maxLength=128"`
	PushRepository   string `json:"pushRepository" jsonschema:"required,minLength=1,maxLength=256"`
	PushTag          string `json:"pushTag" jsonschema:"required,minLength=1,maxLength=128"`
}

// DefaultDeleteCap is how many images or containers a filter may match
// before a delete needs maxMatches raised.
const DefaultDeleteCap = 100

// DeleteImages is delete_images' input: UUIDs or a filter.
type DeleteImages struct {
	ImageIds   []string `json:"imageIds,omitempty" jsonschema:"maxItems=1000"`
	Filter     string   `json:"filter,omitempty" jsonschema:"maxLength=2000"`
	MaxMatches int      `json:"maxMatches,omitempty" jsonschema:"minimum=1,maximum=10000"`
}

// DeleteContainers is delete_containers' input: UUIDs or a filter.
type DeleteContainers struct {
	ContainerIds []string `json:"containerIds,omitempty" jsonschema:"maxItems=1000"`
	Filter       string   `json:"filter,omitempty" jsonschema:"maxLength=2000"`
	MaxMatches   int      `json:"maxMatches,omitempty" jsonschema:"minimum=1,maximum=10000"`
}

// ListControls is list_controls' input.
type ListControls struct {
	ListParams
	Fields []string `json:"fields,omitempty" jsonschema:"description=e.g. comments\\, technologies"`
}

// ControlID names one compliance control.
type ControlID struct {
	ControlID int `json:"controlId" jsonschema:"required,minimum=1"`
}

// Validate refuses a delete with neither IDs nor a filter, or with both.
func (d *DeleteImages) Validate() error { return idsOrFilter("imageIds", d.ImageIds, d.Filter) }

// Validate refuses a delete with neither IDs nor a filter, or with both.
func (d *DeleteContainers) Validate() error {
	return idsOrFilter("containerIds", d.ContainerIds, d.Filter)
}

func idsOrFilter(field string, ids []string, filter string) error {
	switch hasFilter := strings.TrimSpace(filter) != ""; {
	case len(ids) == 0 && !hasFilter:
		return &FieldError{Field: field, Problem: "give " + field + " or a filter; a delete with neither is refused"}
	case len(ids) > 0 && hasFilter:
		return &FieldError{Field: "filter", Problem: "give " + field + " or a filter, not both"}
	}
	return nil
}

// ---- the API's shapes the server sends ----

// InstrumentRequest is the body of POST /images/{imageSha}/instrument.
type InstrumentRequest struct {
	ImageID          string `json:"imageId"`
	PullRegistryUUID string `json:"pullRegistryUuid"`
	PullRepository   string `json:"pullRepository"`
	PullTag          string `json:"pullTag"`
	PushRepository   string `json:"pushRepository"`
	PushTag          string `json:"pushTag"`
}
