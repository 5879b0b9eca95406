package toolsets

import (
	"fmt"
	"strings"
	"testing"
)

// decodeFor decodes raw arguments for the named tool.
func decodeFor(t *testing.T, tool, raw string) error {
	t.Helper()
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	for i := range all {
		if all[i].Name == tool {
			_, _, _, err := all[i].Decode([]byte(raw))
			return err
		}
	}
	t.Fatalf("no tool %s", tool)
	return nil
}

// profileType takes exactly the three types the API documents, spelled as
// it spells them.
func TestProfileTypeEnum(t *testing.T) {
	const sensors = `"associatedSensorIds":["3a00f41d-8bb8-41d2-b2c2-54ed50131082"]`
	for _, typ := range []string{"Registry", "General", "CICD"} {
		if err := decodeFor(t, "create_sensor_profile", fmt.Sprintf(`{"profileName":"p","profileType":%q,%s}`, typ, sensors)); err != nil {
			t.Errorf("%s refused: %v", typ, err)
		}
	}
	for _, typ := range []string{"general", "GENERAL", "Cicd", "CI/CD", "Default", "Docker", ""} {
		err := decodeFor(t, "create_sensor_profile", fmt.Sprintf(`{"profileName":"p","profileType":%q,%s}`, typ, sensors))
		if err == nil || !strings.Contains(err.Error(), "profileType") || !strings.Contains(err.Error(), "Registry, General, CICD") {
			t.Errorf("%q: %v", typ, err)
		}
	}
	if err := decodeFor(t, "create_sensor_profile", `{"profileName":"p",`+sensors+`}`); err == nil || !strings.Contains(err.Error(), "profileType") {
		t.Errorf("a profile without a type: %v", err)
	}
	if err := decodeFor(t, "list_associable_sensors", `{"sensorProfileType":"Registry"}`); err != nil {
		t.Error(err)
	}
	if err := decodeFor(t, "list_associable_sensors", `{"sensorProfileType":"REGISTRY"}`); err == nil || !strings.Contains(err.Error(), "sensorProfileType") {
		t.Errorf("REGISTRY: %v", err)
	}
}

// Each item of repeatOnDays is a day as the API spells it, SUNDAY to
// SATURDAY; a bad item is refused by its position.
func TestRepeatOnDaysItems(t *testing.T) {
	window := func(days string) string {
		return `{"sensorProfileId":"8aee8879-d536-4efd-b23d-41dcb77a4a32","config":{"weeklyInactiveWindowSchedules":[{"repeatOnDays":` + days + `,"startTime":"01:00","endTime":"02:00"}]}}`
	}
	for _, day := range []string{"SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"} {
		if err := decodeFor(t, "update_sensor_profile", window(`["`+day+`"]`)); err != nil {
			t.Errorf("%s refused: %v", day, err)
		}
	}
	if err := decodeFor(t, "update_sensor_profile", window(`["SUNDAY","MONDAY","TUESDAY","WEDNESDAY","THURSDAY","FRIDAY","SATURDAY"]`)); err != nil {
		t.Errorf("the whole week: %v", err)
	}
	for _, bad := range []struct{ days, at string }{
		{`["Monday"]`, "repeatOnDays.0"}, {`["MON"]`, "repeatOnDays.0"}, {`["SUNDAY","HOLIDAY"]`, "repeatOnDays.1"},
		{`["SATURDAY",""]`, "repeatOnDays.1"}, {`[1]`, "repeatOnDays.0"}, {`[]`, "repeatOnDays"},
	} {
		err := decodeFor(t, "update_sensor_profile", window(bad.days))
		if err == nil || !strings.Contains(err.Error(), bad.at) {
			t.Errorf("%s: %v (want it refused at %s)", bad.days, err, bad.at)
		}
		if strings.Contains(bad.days, `"`) && !strings.Contains(err.Error(), "SUNDAY, MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY") {
			t.Errorf("%s: the refusal does not list the days: %v", bad.days, err)
		}
	}
}
