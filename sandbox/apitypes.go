package sandbox

// The gateway's own types: what it stores and answers, written from the
// API's documents (the OpenAPI's schemas and the release notes' samples).
// They are the sandbox's, not the server's: the sandbox must not share
// the server's idea of the API (package schemas), or a field misnamed
// there would be answered and accepted alike and no test could see it.

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// DefaultProfileID is the sensor profile everything falls back to.
const DefaultProfileID = "00000000-0000-0000-0000-000000000000"

// Millis is a timestamp as the API answers it: a string of epoch
// milliseconds, or null.
type Millis struct {
	Ms    int64
	Valid bool
}

// MillisOf converts a time.
func MillisOf(t time.Time) Millis { return Millis{Ms: t.UnixMilli(), Valid: true} }

// Time is the instant, or the zero time.
func (m Millis) Time() time.Time {
	if !m.Valid {
		return time.Time{}
	}
	return time.UnixMilli(m.Ms).UTC()
}

func (m Millis) MarshalJSON() ([]byte, error) {
	if !m.Valid {
		return []byte("null"), nil
	}
	return []byte(`"` + strconv.FormatInt(m.Ms, 10) + `"`), nil
}

// registryKind is which connector block a registry type takes: "aws",
// "acr", "gcp", "gcar", or "" for username/password or token.
func registryKind(registryType string) string {
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

// roleARN is an IAM role ARN; its group is the AWS account.
var roleARN = regexp.MustCompile(`^arn:aws[a-z-]*:iam::([0-9]{12}):role/.+`)

// Label is a sensor label.
type Label struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Sensor is a CS sensor as GET /sensors answers it.
type Sensor struct {
	UUID                        string  `json:"uuid"`
	ActivationUUID              string  `json:"activationUuid,omitempty"`
	Hostname                    string  `json:"hostname,omitempty"`
	CustomerUUID                string  `json:"customerUuid,omitempty"`
	DockerVersion               string  `json:"dockerVersion,omitempty"`
	IPv4                        string  `json:"ipv4,omitempty"`
	OS                          string  `json:"os,omitempty"`
	IPv6                        string  `json:"ipv6,omitempty"`
	SensorVersion               string  `json:"sensorVersion,omitempty"`
	Platform                    string  `json:"platform,omitempty"`
	LastCheckedIn               Millis  `json:"lastCheckedIn"`
	Label                       []Label `json:"label"`
	Privileged                  *string `json:"privileged"`
	MacAddress                  string  `json:"macAddress,omitempty"`
	VulnSigVersion              *string `json:"vulnSigVersion"`
	HostUUID                    string  `json:"hostUuid,omitempty"`
	ConfigurationProfile        *string `json:"configurationProfile"`
	Status                      string  `json:"status"`
	Registry                    *string `json:"registry"`
	Sha                         *string `json:"sha"`
	SensorID                    *string `json:"sensorId"`
	Name                        *string `json:"name"`
	Created                     Millis  `json:"created"`
	ImageID                     *string `json:"imageId"`
	ImageSha                    *string `json:"imageSha"`
	BinaryVersion               *string `json:"binaryVersion"`
	SensorType                  string  `json:"sensorType"`
	ContainerRuntime            string  `json:"containerRuntime,omitempty"`
	ContainerRuntimeVersion     string  `json:"containerRuntimeVersion,omitempty"`
	Architecture                string  `json:"architecture,omitempty"`
	AssociatedSensorProfile     string  `json:"associatedSensorProfile"`
	AssociatedSensorProfileName *string `json:"associatedSensorProfileName"`
	Cluster                     any     `json:"cluster"`
}

// ProfileConfig is the sensor configuration of a profile (v1.21). The
// weekly window is weeklyBlackoutWindowSchedules in the 2026 guide and
// weeklyInactiveWindowSchedules in v1.21: the gateway takes either (both
// are documented), not both, and answers it under the name it was last
// written with.
type ProfileConfig struct {
	WeeklyInactiveWindowSchedules []InactiveWindow         `json:"weeklyInactiveWindowSchedules,omitempty"`
	WeeklyBlackoutWindowSchedules []InactiveWindow         `json:"weeklyBlackoutWindowSchedules,omitempty"`
	VulnerabilityManagement       *VulnerabilityManagement `json:"vulnerabilityManagement,omitempty"`
	PerformanceManagement         *PerformanceManagement   `json:"performanceManagement,omitempty"`
}

// windows are the profile's weekly windows, under either name.
func (c *ProfileConfig) windows() []InactiveWindow {
	return append(append([]InactiveWindow{}, c.WeeklyInactiveWindowSchedules...), c.WeeklyBlackoutWindowSchedules...)
}

// InactiveWindow is a weekly window in which the profile's sensors rest.
type InactiveWindow struct {
	RepeatOnDays []string `json:"repeatOnDays"`
	AllDayToggle *bool    `json:"allDayToggle,omitempty"`
	StartTime    string   `json:"startTime,omitempty"`
	EndTime      string   `json:"endTime,omitempty"`
}

// VulnerabilityManagement configures the sensors' scans.
type VulnerabilityManagement struct {
	GlobalScanningFlag        *bool    `json:"globalScanningFlag,omitempty"`
	ScanningPolicy            string   `json:"scanningPolicy,omitempty"`
	ContainerScanningInterval *int     `json:"containerScanningInterval,omitempty"`
	ImageExclusionRegexList   []string `json:"imageExclusionRegexList,omitempty"`
}

// PerformanceManagement configures the sensors' logs.
type PerformanceManagement struct {
	MaxNoOfArchivedLogFiles *int   `json:"maxNoOfArchivedLogFiles,omitempty"`
	MaxLogFileSize          *int   `json:"maxLogFileSize,omitempty"`
	LogSecurityLevel        string `json:"logSecurityLevel,omitempty"`
}

// RegistrySummary is a registry as a sensor profile lists it.
type RegistrySummary struct {
	RegistryUUID string `json:"registryUuid"`
	RegistryName string `json:"registryName"`
	RegistryURI  string `json:"registryUri"`
	RegistryType string `json:"registryType"`
	TotalImages  int    `json:"totalImages"`
	LastScanned  Millis `json:"lastScanned"`
}

// Activation is what GET /activationkey answers.
type Activation struct {
	CustomerID   string `json:"customerId"`
	ActivationID string `json:"activationId"`
	PlatformURL  string `json:"platformUrl"`
}

// RegistryCredential is username/password or an access token (JFrog);
// write-only: Qualys never answers it.
type RegistryCredential struct {
	Username    string `json:"username,omitempty"`
	Password    string `json:"password,omitempty"`
	AccessToken string `json:"accessToken,omitempty"`
}

// AWSRegistry is how an ECR registry is reached: an existing AWS
// connector's ARN, or account, ARN and region for a new one.
type AWSRegistry struct {
	AccountID   string `json:"accountId,omitempty"`
	ARN         string `json:"arn"`
	Region      string `json:"region,omitempty"`
	AccountType string `json:"accountType,omitempty"`
}

// ACRRegistry names the ACR connector of an Azure registry.
type ACRRegistry struct {
	ConnectorID string `json:"connectorId"`
}

// GCPRegistry is a Google Container Registry's connector and project.
type GCPRegistry struct {
	ConnectorID string `json:"connectorId"`
	ProjectID   string `json:"projectId"`
	Location    string `json:"location,omitempty"`
}

// GCARRegistry is a Google Artifact Registry's connector, project and
// repository.
type GCARRegistry struct {
	ConnectorID string `json:"connectorId"`
	ProjectID   string `json:"projectId"`
	Registry    string `json:"registry"`
}

// AdditionalFilters caps how many tags a forced rescan takes (v1.21).
type AdditionalFilters struct {
	NumberOfTags int    `json:"numberOfTags"`
	SortCriteria string `json:"sortCriteria,omitempty"`
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

// Layer is one image layer (layerNumber and isBaseLayer: the 2026 guide).
type Layer struct {
	Comment     *string  `json:"comment"`
	Created     Millis   `json:"created"`
	CreatedBy   string   `json:"createdBy"`
	ID          *string  `json:"id"`
	Sha         string   `json:"sha"`
	Size        string   `json:"size"`
	Tags        []string `json:"tags"`
	LayerNumber int      `json:"layerNumber"`
	IsBaseLayer bool     `json:"isBaseLayer"`
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
	LayerSha         *string        `json:"layerSha"` // release 1.37: the layer that brought it (null for drift)
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

// Software is one installed package; scanType, packagePath and lifecycle
// are the 2026 guide's.
type Software struct {
	Name            string         `json:"name"`
	Version         string         `json:"version"`
	FixVersion      *string        `json:"fixVersion"`
	Vulnerabilities []SoftwareVuln `json:"vulnerabilities"`
	ScanType        string         `json:"scanType"`
	PackagePath     *string        `json:"packagePath"`
	Lifecycle       *Lifecycle     `json:"lifecycle"`
}

// Lifecycle is a package's support lifecycle: its stage (GA, EOL, EOS)
// and the dates of general availability, end of support and end of life.
type Lifecycle struct {
	Stage               string `json:"stage"`
	LifeCycleConfidence string `json:"lifeCycleConfidence"`
	EOL                 Millis `json:"eol"`
	EOS                 Millis `json:"eos"`
	GA                  Millis `json:"ga"`
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
	// the 2026 guide (releases 1.37, 1.39)
	LastUsedDate           Millis `json:"lastUsedDate"`
	IsContinuouslyAssessed bool   `json:"isContinuouslyAssessed"`
	LastAssessed           Millis `json:"lastAssessed"`
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
	// the 2026 guide (releases 1.37, 1.39, 1.42)
	LastUsedDate           Millis         `json:"lastUsedDate"`
	IsContinuouslyAssessed bool           `json:"isContinuouslyAssessed"`
	LastAssessed           Millis         `json:"lastAssessed"`
	ScanDetails            map[string]any `json:"scanDetails,omitempty"` // with ?scanDetails=
}

// BulkImageDetails is an image as GET /images/list answers it.
type BulkImageDetails struct {
	Created              Millis         `json:"created"`
	Updated              Millis         `json:"updated"`
	Author               *string        `json:"author"`
	Repo                 []Repo         `json:"repo"`
	RepoDigests          []RepoDigest   `json:"repoDigests"`
	Label                []Label        `json:"label"`
	UUID                 string         `json:"uuid"`
	Sha                  string         `json:"sha"`
	OperatingSystem      string         `json:"operatingSystem"`
	CustomerUUID         string         `json:"customerUuid"`
	ImageID              string         `json:"imageId"`
	DockerVersion        string         `json:"dockerVersion"`
	Size                 int64          `json:"size"`
	Layers               []Layer        `json:"layers"`
	Architecture         string         `json:"architecture"`
	LastScanned          Millis         `json:"lastScanned"`
	RegistryUUID         []string       `json:"registryUuid"`
	Source               []string       `json:"source"`
	Users                []string       `json:"users"`
	LastFoundOnHost      *Host          `json:"lastFoundOnHost"`
	IsDockerHubOfficial  bool           `json:"isDockerHubOfficial"`
	IsInstrumented       bool           `json:"isInstrumented"`
	InstrumentedFrom     *string        `json:"instrumentedFrom"`
	InstrumentationState *string        `json:"instrumentationState"`
	ScanType             *string        `json:"scanType"`
	Softwares            []Software     `json:"softwares"`
	Vulnerabilities      []BulkVuln     `json:"vulnerabilities"`
	ScanDetails          map[string]any `json:"scanDetails,omitempty"` // with ?scanDetails= (releases 1.37, 1.42)
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
	ContainerRisk
}

// ContainerRisk are the fields the 2026 container details add (releases
// 1.38, 1.41, 1.42): the image's digest, where the container was found,
// its TruRisk score and highest QDS, its asset criticality, vulnerability
// propagation, and its Qualys Locator Paths.
type ContainerRisk struct {
	ImageDigest             *string  `json:"imageDigest"`
	Sources                 []string `json:"sources"`
	HostArchitecture        []string `json:"hostArchitecture"`
	RiskScore               *int     `json:"riskScore"`
	RiskScoreCalculatedDate Millis   `json:"riskScoreCalculatedDate"`
	FormulaUsed             *string  `json:"formulaUsed"`
	MaxQdsScore             *int     `json:"maxQdsScore"`
	QdsSeverity             *string  `json:"qdsSeverity"`
	ScanTypes               []string `json:"scanTypes"`
	Criticality             int      `json:"criticality"`
	CriticalityUpdated      Millis   `json:"criticalityUpdated"`
	IsVulnPropagated        *bool    `json:"isVulnPropagated"`
	VulnPropagationDate     Millis   `json:"vulnPropagationDate"`
	AccountQlp              *string  `json:"accountQlp"`
	ClusterQlp              *string  `json:"clusterQlp"`
	NamespaceQlp            *string  `json:"namespaceQlp"`
	PodQlp                  *string  `json:"podQlp"`
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
