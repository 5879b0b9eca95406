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

// ---- what the image and container inputs share, for the tools generic
// over the resource ----

// Sha is the image's sha (or imageId).
func (s ImageSha) Sha() string { return s.ImageSha }

// Sha is the container's sha (or containerId).
func (s ContainerSha) Sha() string { return s.ContainerSha }

// Paging is the list arguments.
func (p ListParams) Paging() ListParams { return p }

// Asked is the fields asked for besides the default ones.
func (l *ListImages) Asked() []string { return l.Fields }

// Asked is the fields asked for besides the default ones.
func (l *ListContainers) Asked() []string { return l.Fields }

// Asked is the fields asked for besides the default ones.
func (g *GetImage) Asked() []string { return g.Fields }

// Asked is the fields asked for besides the default ones.
func (g *GetContainer) Asked() []string { return g.Fields }

// Vulns is the vulnerability query.
func (q *VulnQuery) Vulns() *VulnQuery { return q }

// Software is the software query.
func (q *SoftwareQuery) Software() *SoftwareQuery { return q }

// Compliance is the compliance query.
func (q *ComplianceQuery) Compliance() *ComplianceQuery { return q }

// Targets is what to delete: UUIDs, or a filter and its cap.
func (d *DeleteImages) Targets() (ids []string, filter string, maxMatches int) {
	return d.ImageIds, d.Filter, d.MaxMatches
}

// Targets is what to delete: UUIDs, or a filter and its cap.
func (d *DeleteContainers) Targets() (ids []string, filter string, maxMatches int) {
	return d.ContainerIds, d.Filter, d.MaxMatches
}

// ---- images, containers and controls: the API's shapes ----

// Repo is one registry/repository:tag an image is known as.
type Repo struct {
	Registry   string `json:"registry"`
	Repository string `json:"repository"`
	Tag        string `json:"tag"`
}

// RepoDigest is an image's digest in one repository.
type RepoDigest struct {
	Registry   string `json:"registry"`
	Repository string `json:"repository"`
	Digest     string `json:"digest"`
}

// Host is where an image or container was found.
type Host struct {
	Hostname   string `json:"hostname"`
	IPAddress  string `json:"ipAddress"`
	SensorUUID string `json:"sensorUuid"`
	UUID       string `json:"uuid"`
}

// VulnCounts are an image's or container's vulnerabilities by severity;
// null before the first scan.
type VulnCounts struct {
	Severity5Count *int `json:"severity5Count"`
	Severity4Count *int `json:"severity4Count"`
	Severity3Count *int `json:"severity3Count"`
	Severity2Count *int `json:"severity2Count"`
	Severity1Count *int `json:"severity1Count"`
}

// Layer is one image layer.
type Layer struct {
	Comment   *string  `json:"comment"`
	Created   Millis   `json:"created"`
	CreatedBy string   `json:"createdBy"`
	ID        *string  `json:"id"`
	Sha       string   `json:"sha"`
	Size      string   `json:"size"`
	Tags      []string `json:"tags"`
}

// CvssInfo is a vulnerability's CVSS v2 scores.
type CvssInfo struct {
	AccessVector  *string `json:"accessVector"`
	BaseScore     string  `json:"baseScore"`
	TemporalScore string  `json:"temporalScore"`
}

// Cvss3Info is a vulnerability's CVSS v3 scores.
type Cvss3Info struct {
	BaseScore     string `json:"baseScore"`
	TemporalScore string `json:"temporalScore"`
}

// ThreatIntel are a vulnerability's real-time threat indicators.
type ThreatIntel struct {
	ActiveAttacks       bool     `json:"activeAttacks"`
	DenialOfService     bool     `json:"denialOfService"`
	EasyExploit         bool     `json:"easyExploit"`
	ExploitKit          bool     `json:"exploitKit"`
	ExploitKitNames     []string `json:"exploitKitNames"`
	HighDataLoss        bool     `json:"highDataLoss"`
	HighLateralMovement bool     `json:"highLateralMovement"`
	Malware             bool     `json:"malware"`
	MalwareNames        []string `json:"malwareNames"`
	NoPatch             bool     `json:"noPatch"`
	PublicExploit       bool     `json:"publicExploit"`
	PublicExploitNames  []string `json:"publicExploitNames"`
	ZeroDay             bool     `json:"zeroDay"`
}

// VulnSoftware is the software a vulnerability was found in.
type VulnSoftware struct {
	Name       string  `json:"name"`
	Version    string  `json:"version"`
	FixVersion *string `json:"fixVersion"`
}

// Vulnerability is one vulnerability found in an image or container.
type Vulnerability struct {
	AuthType         []string       `json:"authType"`
	Category         string         `json:"category"`
	ContainerResult  *string        `json:"containerResult"`
	CustomerSeverity int            `json:"customerSeverity"`
	Cveids           []string       `json:"cveids"`
	Cvss3Info        *Cvss3Info     `json:"cvss3Info"`
	CvssInfo         *CvssInfo      `json:"cvssInfo"`
	DiscoveryType    []string       `json:"discoveryType"`
	FirstFound       Millis         `json:"firstFound"`
	ImageResult      *string        `json:"imageResult"`
	LastFound        Millis         `json:"lastFound"`
	PatchAvailable   bool           `json:"patchAvailable"`
	Port             *string        `json:"port"`
	Product          []string       `json:"product"`
	Published        int64          `json:"published"`
	QID              int            `json:"qid"`
	Result           string         `json:"result"`
	Risk             int            `json:"risk"`
	Severity         int            `json:"severity"`
	Software         []VulnSoftware `json:"software"`
	Source           *string        `json:"source"`
	Status           *string        `json:"status"`
	SupportedBy      []string       `json:"supportedBy"`
	ThreatIntel      *ThreatIntel   `json:"threatIntel"`
	Title            string         `json:"title"`
	TypeDetected     string         `json:"typeDetected"`
	Vendor           []string       `json:"vendor"`
	Vulnerability    *int           `json:"vulnerability"`
}

// BulkVuln is a vulnerability as the bulk lists show it: qid, result and
// software only.
type BulkVuln struct {
	QID      int            `json:"qid"`
	Result   string         `json:"result"`
	Software []VulnSoftware `json:"software"`
}

// SoftwareVuln is a vulnerability as a software list names it.
type SoftwareVuln struct {
	QID          int    `json:"qid"`
	Severity     int    `json:"severity"`
	Title        string `json:"title"`
	TypeDetected string `json:"typeDetected"`
}

// Software is one installed package.
type Software struct {
	Name            string         `json:"name"`
	Version         string         `json:"version"`
	FixVersion      *string        `json:"fixVersion"`
	Vulnerabilities []SoftwareVuln `json:"vulnerabilities"`
}

// Image is an image as GET /images lists it (the OpenAPI Image, with the
// sha and operatingSystem the live API sends too).
type Image struct {
	Created                   Millis       `json:"created"`
	Updated                   Millis       `json:"updated"`
	Author                    *string      `json:"author"`
	Sha                       string       `json:"sha"`
	Repo                      []Repo       `json:"repo"`
	RepoDigests               []RepoDigest `json:"repoDigests"`
	UUID                      string       `json:"uuid"`
	Size                      int64        `json:"size"`
	Vulnerabilities           VulnCounts   `json:"vulnerabilities"`
	ImageID                   string       `json:"imageId"`
	AssociatedContainersCount int          `json:"associatedContainersCount"`
	AssociatedHostsCount      int          `json:"associatedHostsCount"`
	LastScanned               Millis       `json:"lastScanned"`
	LastVMScanDate            Millis       `json:"lastVmScanDate"`
	RegistryUUID              []string     `json:"registryUuid"`
	Source                    []string     `json:"source"`
	IsDockerHubOfficial       bool         `json:"isDockerHubOfficial"`
	IsInstrumented            bool         `json:"isInstrumented"`
	InstrumentedFrom          *string      `json:"instrumentedFrom"`
	InstrumentationState      *string      `json:"instrumentationState"`
	ScanType                  *string      `json:"scanType"`
	ScanTypes                 []string     `json:"scanTypes"`
	ScanErrorCode             *string      `json:"scanErrorCode"`
	ScanStatus                string       `json:"scanStatus"`
	LastFoundOnHost           *Host        `json:"lastFoundOnHost"`
	OperatingSystem           string       `json:"operatingSystem"`
}

// ImageDetails is GET /images/{imageSha}.
type ImageDetails struct {
	Created              Millis       `json:"created"`
	Updated              Millis       `json:"updated"`
	Author               *string      `json:"author"`
	Repo                 []Repo       `json:"repo"`
	RepoDigests          []RepoDigest `json:"repoDigests"`
	Label                []Label      `json:"label"`
	UUID                 string       `json:"uuid"`
	Sha                  string       `json:"sha"`
	OperatingSystem      string       `json:"operatingSystem"`
	CustomerUUID         string       `json:"customerUuid"`
	DockerVersion        string       `json:"dockerVersion"`
	Size                 int64        `json:"size"`
	Layers               []Layer      `json:"layers"`
	Host                 []Host       `json:"host"`
	Architecture         string       `json:"architecture"`
	ImageID              string       `json:"imageId"`
	RegistryUUID         []string     `json:"registryUuid"`
	Source               []string     `json:"source"`
	TotalVulnCount       int          `json:"totalVulnCount"`
	Vulnerabilities      VulnCounts   `json:"vulnerabilities"`
	Users                []string     `json:"users"`
	InstrumentationState *string      `json:"instrumentationState"`
	InstrumentedFrom     *string      `json:"instrumentedFrom"`
	IsDockerHubOfficial  bool         `json:"isDockerHubOfficial"`
	IsInstrumented       bool         `json:"isInstrumented"`
	ScanType             *string      `json:"scanType"`
	ScanErrorCode        *string      `json:"scanErrorCode"`
	ScanStatus           string       `json:"scanStatus"`
	LastScanned          Millis       `json:"lastScanned"`
	LastFoundOnHost      *Host        `json:"lastFoundOnHost"`
}

// BulkImageDetails is an image as GET /images/list answers it.
type BulkImageDetails struct {
	Created              Millis       `json:"created"`
	Updated              Millis       `json:"updated"`
	Author               *string      `json:"author"`
	Repo                 []Repo       `json:"repo"`
	RepoDigests          []RepoDigest `json:"repoDigests"`
	Label                []Label      `json:"label"`
	UUID                 string       `json:"uuid"`
	Sha                  string       `json:"sha"`
	OperatingSystem      string       `json:"operatingSystem"`
	CustomerUUID         string       `json:"customerUuid"`
	ImageID              string       `json:"imageId"`
	DockerVersion        string       `json:"dockerVersion"`
	Size                 int64        `json:"size"`
	Layers               []Layer      `json:"layers"`
	Architecture         string       `json:"architecture"`
	LastScanned          Millis       `json:"lastScanned"`
	RegistryUUID         []string     `json:"registryUuid"`
	Source               []string     `json:"source"`
	Users                []string     `json:"users"`
	LastFoundOnHost      *Host        `json:"lastFoundOnHost"`
	IsDockerHubOfficial  bool         `json:"isDockerHubOfficial"`
	IsInstrumented       bool         `json:"isInstrumented"`
	InstrumentedFrom     *string      `json:"instrumentedFrom"`
	InstrumentationState *string      `json:"instrumentationState"`
	ScanType             *string      `json:"scanType"`
	Softwares            []Software   `json:"softwares"`
	Vulnerabilities      []BulkVuln   `json:"vulnerabilities"`
}

// Container is a container as GET /containers lists it
// (ContainerWithComplianceDetails).
type Container struct {
	ImageID               string         `json:"imageId"`
	Created               Millis         `json:"created"`
	Updated               Millis         `json:"updated"`
	Sha                   string         `json:"sha"`
	UUID                  string         `json:"uuid"`
	Name                  string         `json:"name"`
	Host                  *Host          `json:"host"`
	State                 string         `json:"state"`
	ImageUUID             string         `json:"imageUuid"`
	ContainerID           string         `json:"containerId"`
	StateChanged          Millis         `json:"stateChanged"`
	LastScanned           Millis         `json:"lastScanned"`
	LastVMScanDate        Millis         `json:"lastVmScanDate"`
	IsRoot                *bool          `json:"isRoot"`
	Vulnerabilities       VulnCounts     `json:"vulnerabilities"`
	IsInstrumented        bool           `json:"isInstrumented"`
	Compliance            map[string]int `json:"compliance"`
	LastComplianceScanned Millis         `json:"lastComplianceScanned"`
}

// PortMapping is one published port of a container.
type PortMapping struct {
	HostIP   string `json:"hostIp"`
	HostPort int    `json:"hostPort"`
	Port     int    `json:"port"`
	Protocol string `json:"protocol"`
}

// Service is a service running in a container.
type Service struct {
	Description string `json:"description"`
	Name        string `json:"name"`
	Status      string `json:"status"`
}

// Drift is what changed in a container since its image.
type Drift struct {
	Category      []string        `json:"category"`
	Reason        []string        `json:"reason"`
	Software      []DriftSoftware `json:"software"`
	Vulnerability []Vulnerability `json:"vulnerability"`
}

// DriftSoftware is software added or changed in a running container.
type DriftSoftware struct {
	FixVersion      *string        `json:"fixVersion"`
	Name            string         `json:"name"`
	Reason          string         `json:"reason"`
	Source          string         `json:"source"`
	Version         string         `json:"version"`
	Vulnerabilities []SoftwareVuln `json:"vulnerabilities"`
}

// Cluster is where a Kubernetes container runs.
type Cluster struct {
	Type    string `json:"type"`
	Version string `json:"version"`
	K8s     struct {
		Project *string `json:"project"`
		Pod     struct {
			Name      string  `json:"name"`
			Namespace string  `json:"namespace"`
			UUID      string  `json:"uuid"`
			Label     []Label `json:"label"`
		} `json:"pod"`
		Node struct {
			Name     string `json:"name"`
			IsMaster bool   `json:"isMaster"`
		} `json:"node"`
	} `json:"k8s"`
}

// ContainerDetails is GET /containers/{containerSha}, and (with the
// bulk-list vulnerabilities) an item of GET /containers/list.
type ContainerDetails struct {
	Arguments       []string      `json:"arguments"`
	Command         string        `json:"command"`
	ContainerID     string        `json:"containerId"`
	Created         Millis        `json:"created"`
	Updated         Millis        `json:"updated"`
	CustomerUUID    string        `json:"customerUuid"`
	Drift           *Drift        `json:"drift"`
	Environment     []string      `json:"environment"`
	Host            *Host         `json:"host"`
	Hostname        string        `json:"hostname"`
	ImageID         string        `json:"imageId"`
	ImageSha        string        `json:"imageSha"`
	ImageUUID       string        `json:"imageUuid"`
	IPv4            string        `json:"ipv4"`
	IPv6            *string       `json:"ipv6"`
	IsDrift         bool          `json:"isDrift"`
	IsInstrumented  bool          `json:"isInstrumented"`
	IsRoot          *bool         `json:"isRoot"`
	Label           []Label       `json:"label"`
	LabelScanned    *string       `json:"labelScanned"`
	LastScanned     Millis        `json:"lastScanned"`
	MacAddress      string        `json:"macAddress"`
	Name            string        `json:"name"`
	OperatingSystem string        `json:"operatingSystem"`
	Path            string        `json:"path"`
	PortMapping     []PortMapping `json:"portMapping"`
	Privileged      bool          `json:"privileged"`
	SensorUUID      string        `json:"sensorUuid"`
	Services        []Service     `json:"services"`
	Sha             string        `json:"sha"`
	Softwares       []Software    `json:"softwares"`
	Source          string        `json:"source"`
	State           string        `json:"state"`
	StateChanged    Millis        `json:"stateChanged"`
	Users           []string      `json:"users"`
	UUID            string        `json:"uuid"`
	Vulnerabilities any           `json:"vulnerabilities"`
	Cluster         *Cluster      `json:"cluster"`
}

// ControlTechnology is how a control applies to one technology.
type ControlTechnology struct {
	TechnologyID   int    `json:"technologyId"`
	TechnologyName string `json:"technologyName"`
	Rational       string `json:"rational"`
	Remediation    string `json:"remediation"`
}

// Control is a compliance control (PcControl).
type Control struct {
	ID           int                 `json:"id"`
	Statement    string              `json:"statement"`
	Criticality  string              `json:"criticality"`
	Comments     *string             `json:"comments"`
	Deprecated   string              `json:"deprecated"`
	Category     string              `json:"category"`
	SubCategory  string              `json:"subCategory"`
	Technologies []ControlTechnology `json:"technologies"`
}

// ControlResult is a control's posture on one image or container.
type ControlResult struct {
	ControlID     int     `json:"controlId"`
	PolicyUUID    string  `json:"policyUuid"`
	TechnologyID  int     `json:"technologyId"`
	Criticality   string  `json:"criticality"`
	Posture       string  `json:"posture"`
	LastEvaluated Millis  `json:"lastEvaluated"`
	Datapoints    []Label `json:"datapoints"`
}

// PolicyCompliance is GET /images/{imageSha}/compliance and
// /containers/{containerSha}/compliance.
type PolicyCompliance struct {
	CustomerUUID          string          `json:"customerUuid"`
	UUID                  string          `json:"uuid"`
	Sha                   string          `json:"sha"`
	Created               Millis          `json:"created"`
	Updated               Millis          `json:"updated"`
	Controls              []ControlResult `json:"controls"`
	LastComplianceScanned Millis          `json:"lastComplianceScanned"`
}

// InstrumentRequest is the body of POST /images/{imageSha}/instrument.
type InstrumentRequest struct {
	ImageID          string `json:"imageId"`
	PullRegistryUUID string `json:"pullRegistryUuid"`
	PullRepository   string `json:"pullRepository"`
	PullTag          string `json:"pullTag"`
	PushRepository   string `json:"pushRepository"`
	PushTag          string `json:"pushTag"`
}
