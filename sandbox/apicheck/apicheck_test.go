package apicheck

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
)

func validator(t *testing.T) *Validator {
	t.Helper()
	v, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// The OpenAPI document is the one Qualys published, byte for byte: its
// digest is the one documents/SOURCE.md records.
func TestOpenAPIIsAsPublished(t *testing.T) {
	src, err := os.ReadFile("documents/SOURCE.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("sha256: `([0-9a-f]{64})`").FindSubmatch(src)
	if m == nil {
		t.Fatal("SOURCE.md records no sha256 of the OpenAPI document")
	}
	sum := sha256.Sum256(OpenAPI())
	if got := hex.EncodeToString(sum[:]); got != string(m[1]) {
		t.Fatalf("the OpenAPI document's sha256 is %s, SOURCE.md records %s: it is not the document as published", got, m[1])
	}
}

// Every seed sample is there, names its source, and reads as data.
func TestSeedSamples(t *testing.T) {
	s, err := Samples(Seeds...)
	if err != nil {
		t.Fatal(err)
	}
	bodies, answers := 0, 0
	for _, x := range s {
		t.Logf("%s %v %s", x, x.Query, x.Body)
		if x.Release == "" || x.Section == "" || x.File == "" || x.Line < 1 {
			t.Errorf("%s: does not name its release, section, seed file and line", x)
		}
		if x.Body != nil {
			bodies++
			if !json.Valid(x.Body) {
				t.Errorf("%s: body is not JSON", x)
			}
		}
		if x.Response != nil {
			answers++
		}
	}
	if len(s) != 19 || bodies != 5 || answers < 12 {
		t.Fatalf("%d samples, %d bodies, %d answers", len(s), bodies, answers)
	}
	if all, _ := Samples(); len(all) < len(s) {
		t.Fatalf("all samples: %d, fewer than the seeds' %d", len(all), len(s))
	}
}

func TestDocumentJudges(t *testing.T) {
	v := validator(t)
	for _, c := range []struct {
		method, url, body string
		want              string // "" passes
	}{
		{"GET", "/csapi/v1.3/images?filter=a&pageNumber=1&pageSize=5&sort=created:desc", "", ""},
		{"GET", "/csapi/v1.3/images?pageNo=1", "", "unknown query parameter(s) pageNo"},
		{"GET", "/csapi/v1.3/images?pageSize=many", "", "pageSize"},
		{"POST", "/csapi/v1.3/reports", `{"name":"r","templateName":"CS_IMAGE_VULNERABILITY"}`, ""},
		{"POST", "/csapi/v1.3/reports", `{"name":"r","colour":"red"}`, "colour"},
		{"POST", "/csapi/v1.3/reports", `{"name":7}`, "name"},
		{"GET", "/csapi/v1.3/images/abc", `{"x":1}`, "body"},
		{"GET", "/csapi/v1.3/nothing", "", "neither"},
		{"PUT", "/csapi/v1.3/sensorProfile/6963d471", `{"profileName":"p","associatedRegistryIds":null,"config":{"vulnerabilityManagement":{"globalScanningFlag":true}}}`, ""},
		{"POST", "/csapi/v1.3/sensorProfile", `{"profileName":"p","profileType":"General"}`, "associatedSensorIds"},
		{"POST", "/csapi/v1.3/sensorProfile", `{"profileName":"p","profileType":"General","associatedSensorIds":[],"colour":1}`, "colour"},
		{"PUT", "/csapi/v1.3/sensorProfile/x", `{"config":{"vulnerabilityManagement":{"globalScanningFlag":"yes"}}}`, "globalScanningFlag"},
		{"GET", "/csapi/v1.3/sensorProfile/sensor/associate?pageSize=5", "", "sensorProfileType"},
		{"GET", "/csapi/v1.3/sensors/profile/associate?sensorType=GENERAL&filter=x", "", "filter"},
		{"PUT", "/csapi/v1.3/sensors/abc/profile/detach", "", ""},
	} {
		r := httptest.NewRequest(c.method, "http://gw"+c.url, strings.NewReader(c.body))
		if c.body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		err := v.Validate(r)
		t.Logf("%s %s: %v", c.method, c.url, err)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s %s: refused: %v", c.method, c.url, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s %s %s: want a refusal naming %q, got %v", c.method, c.url, c.body, c.want, err)
		}
	}
}
