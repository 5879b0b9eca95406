// Package schemas holds the Qualys CS API's Go types and the tools' input
// types, and turns the input types into JSON Schema. It knows nothing of HTTP.
package schemas

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	json "github.com/segmentio/encoding/json"
)

// DefaultProfileID is the sensor profile everything falls back to.
const DefaultProfileID = "00000000-0000-0000-0000-000000000000"

// Millis is a timestamp the API sends as a string of epoch milliseconds, a
// number, or null. It encodes back as a string of epoch milliseconds.
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

func (m *Millis) UnmarshalJSON(b []byte) error {
	*m = Millis{}
	s := strings.Trim(string(bytes.TrimSpace(b)), `"`)
	if s == "" || s == "null" {
		return nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*m = Millis{Ms: n, Valid: true}
		return nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		*m = Millis{Ms: int64(f), Valid: true}
		return nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		*m = MillisOf(t)
		return nil
	}
	return nil // an unreadable timestamp is not worth failing a whole answer
}

func (m Millis) MarshalJSON() ([]byte, error) {
	if !m.Valid {
		return []byte("null"), nil
	}
	return []byte(`"` + strconv.FormatInt(m.Ms, 10) + `"`), nil
}

// List is a list envelope: v1.21 answers {"data": [...], "count": N,
// "groups": {}}, v1.17 some lists as {"content": [...]}.
type List[T any] struct {
	Data  []T  `json:"data"`
	Count *int `json:"count,omitempty"`
}

func (l *List[T]) UnmarshalJSON(b []byte) error {
	var v struct {
		Data    []T             `json:"data"`
		Content []T             `json:"content"`
		Count   json.RawMessage `json:"count"`
		Total   json.RawMessage `json:"totalElements"`
	}
	if _, err := json.Parse(b, &v, json.ZeroCopy); err != nil {
		return err
	}
	l.Data = v.Data
	if l.Data == nil {
		l.Data = v.Content
	}
	l.Count = nil
	for _, raw := range []json.RawMessage{v.Count, v.Total} {
		var n Millis // tolerant integer: number or string
		if json.Unmarshal(raw, &n) == nil && n.Valid {
			c := int(n.Ms)
			l.Count = &c
			break
		}
	}
	return nil
}

// ProfileConfig is the sensor configuration of a profile (v1.21). The
// weekly window is weeklyBlackoutWindowSchedules in the 2026 guide;
// v1.21's weeklyInactiveWindowSchedules is taken as its alias.
type ProfileConfig struct {
	WeeklyBlackoutWindowSchedules []InactiveWindow         `json:"weeklyBlackoutWindowSchedules,omitempty"`
	WeeklyInactiveWindowSchedules []InactiveWindow         `json:"weeklyInactiveWindowSchedules,omitempty" jsonschema_extras:"x-alias-of=weeklyBlackoutWindowSchedules"`
	VulnerabilityManagement       *VulnerabilityManagement `json:"vulnerabilityManagement,omitempty"`
	PerformanceManagement         *PerformanceManagement   `json:"performanceManagement,omitempty"`
}

// Validate refuses the window under both its names.
func (c *ProfileConfig) Validate() error {
	if c != nil && c.WeeklyInactiveWindowSchedules != nil && c.WeeklyBlackoutWindowSchedules != nil {
		return &FieldError{Field: "config.weeklyInactiveWindowSchedules", Problem: "is v1.21's name of weeklyBlackoutWindowSchedules, which is given too: give weeklyBlackoutWindowSchedules only"}
	}
	return nil
}

// InactiveWindow is a weekly window in which the profile's sensors rest.
type InactiveWindow struct {
	RepeatOnDays []string `json:"repeatOnDays" jsonschema:"required,minItems=1,enum=SUNDAY,enum=MONDAY,enum=TUESDAY,enum=WEDNESDAY,enum=THURSDAY,enum=FRIDAY,enum=SATURDAY"`
	AllDayToggle *bool    `json:"allDayToggle,omitempty"`
	StartTime    string   `json:"startTime,omitempty" jsonschema:"pattern=^([01]\\d|2[0-3]):[0-5]\\d$"`
	EndTime      string   `json:"endTime,omitempty" jsonschema:"pattern=^([01]\\d|2[0-3]):[0-5]\\d$"`
}

// VulnerabilityManagement configures the sensors' scans.
type VulnerabilityManagement struct {
	GlobalScanningFlag        *bool    `json:"globalScanningFlag,omitempty"`
	ScanningPolicy            string   `json:"scanningPolicy,omitempty" jsonschema:"enum=DynamicWithStaticScanningAsFallback,enum=Dynamic"`
	ContainerScanningInterval *int     `json:"containerScanningInterval,omitempty" jsonschema:"enum=12,enum=24,enum=48,description=Hours"`
	ImageExclusionRegexList   []string `json:"imageExclusionRegexList,omitempty"`
}

// PerformanceManagement configures the sensors' logs.
type PerformanceManagement struct {
	MaxNoOfArchivedLogFiles *int   `json:"maxNoOfArchivedLogFiles,omitempty" jsonschema:"minimum=0"`
	MaxLogFileSize          *int   `json:"maxLogFileSize,omitempty" jsonschema:"minimum=1"`
	LogSecurityLevel        string `json:"logSecurityLevel,omitempty"`
}

// Activation is what GET /activationkey answers.
type Activation struct {
	CustomerID   string `json:"customerId"`
	ActivationID string `json:"activationId"`
	PlatformURL  string `json:"platformUrl"`
}

// UUIDAnswer covers the create and update answers: {"profileUuid": ...},
// {"scheduleUuid": ...}, {"reportUuId": ...} and the like.
type UUIDAnswer map[string]any
