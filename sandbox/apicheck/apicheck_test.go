package apicheck

import (
	"net/http/httptest"
	"strings"
	"testing"
)

const shared = "../../../shared"

func validator(t *testing.T) *Validator {
	t.Helper()
	v, err := New(shared+"/reference/qualys-cs-openapi-v1.3.yaml", shared+"/seeds")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSamplesRead(t *testing.T) {
	s, err := ReadSamples(shared + "/seeds")
	if err != nil {
		t.Fatal(err)
	}
	bodies := 0
	for _, x := range s {
		t.Logf("%s %v %s", x, x.Query, x.Body)
		if x.Body != nil {
			bodies++
		}
	}
	if len(s) != 19 || bodies != 5 {
		t.Fatalf("%d samples, %d bodies", len(s), bodies)
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
