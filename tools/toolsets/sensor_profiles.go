package toolsets

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/schemas"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/shape"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
)

var profileView = shape.View{
	Default: []string{"profileId", "profileName", "profileType", "description", "associatedSensorsCount", "associatedRegistriesCount", "associatedSensors", "associatedRegistries", "config", "createdBy", "created", "updatedBy", "updated"},
	Times:   []string{"created", "updated"},
}

var registrySummaryView = shape.View{
	Default: []string{"registryUuid", "registryName", "registryUri", "registryType", "totalImages", "lastScanned"},
	Times:   []string{"lastScanned"},
}

func sensorProfileTools() []tool.Tool {
	const set = "sensor_profiles"
	return []tool.Tool{
		tool.Def("list_sensor_profiles", set, tool.Read, "List sensor profiles (Registry, General, CICD) with their sensor and registry counts.", listSensorProfiles),
		tool.Def("get_sensor_profile", set, tool.Read, "Get a sensor profile: its sensors, registries and config.", getSensorProfile),
		tool.Def("create_sensor_profile", set, tool.Write, "Create a sensor profile for sensors of its type; a Registry profile also takes registries.", createSensorProfile),
		tool.Def("update_sensor_profile", set, tool.Write, "Change a sensor profile; config merges field by field (its type stays).", updateSensorProfile, tool.Idempotent[schemas.UpdateSensorProfileWithPropagation]()),
		tool.Def("delete_sensor_profile", set, tool.Destructive, "Delete a sensor profile; its sensors and registries go back to the Default profile.", deleteSensorProfile, tool.Guarded(previewDeleteProfile)),
		tool.Def("list_sensor_profile_registries", set, tool.Read, "List the registries a sensor profile's sensors scan.", listProfileRegistries),
		tool.Def("list_sensor_profile_sensors", set, tool.Read, "List the sensors in a sensor profile.", listProfileSensors),
		tool.Def("list_associable_sensors", set, tool.Read, "List the sensors that can join a profile of this type (those on the Default profile).", listAssociableSensors),
		tool.Def("list_associable_sensor_profiles", set, tool.Read, "List the profiles a sensor of this type can be attached to.", listAssociableProfiles),
		tool.Def("attach_sensor_profile", set, tool.Write, "Attach a sensor to a profile of its type (General and CICD: sensor 1.21.0+).", attachSensorProfile, tool.Idempotent[schemas.AttachProfile]()),
		tool.Def("detach_sensor_profile", set, tool.Destructive, "Detach a sensor from its profile, back to the Default profile.", detachSensorProfile, tool.Guarded(previewDetach),
			tool.Undo[schemas.SensorID]("attach_sensor_profile attaches the sensor to this profile again.")),
	}
}

func listSensorProfiles(ctx context.Context, c *tool.Ctx, in *schemas.ListParams) (any, error) {
	return list(ctx, c, "/sensorProfile", nil, *in, nil, profileView, nil)
}

func getSensorProfile(ctx context.Context, c *tool.Ctx, in *schemas.SensorProfileID) (any, error) {
	m, err := getJSON(ctx, c, "/sensorProfile/{sensorProfileId}", P{"sensorProfileId": in.SensorProfileID})
	if err != nil {
		return nil, err
	}
	return profileView.Project(m, []string{"*"}), nil
}

func createSensorProfile(ctx context.Context, c *tool.Ctx, in *schemas.CreateSensorProfile) (any, error) {
	if in.ProfileType == "Registry" && len(in.AssociatedRegistryIds) == 0 {
		return nil, tool.Invalid("associatedRegistryIds", "is required for a Registry profile")
	}
	if in.ProfileType != "Registry" && len(in.AssociatedRegistryIds) > 0 {
		return nil, tool.Invalid("associatedRegistryIds", "only Registry profiles hold registries")
	}
	return send(ctx, c, client.Call{Method: http.MethodPost, Path: "/sensorProfile", Body: c.Args}, nil)
}

// profileBody turns a profile as GET answers it into the body PUT takes:
// a RUNTIME profile's own fields carried over, and the blackout window
// under the 2026 name (a profile written with v1.21's name may be
// answered with it).
func profileBody(cur map[string]any) map[string]any {
	body := map[string]any{
		"profileName":           cur["profileName"],
		"description":           cur["description"],
		"profileType":           cur["profileType"],
		"associatedRegistryIds": cur["associatedRegistries"],
		"associatedSensorIds":   cur["associatedSensors"],
		"config":                cur["config"],
	}
	if body["associatedSensorIds"] == nil { // a profile without sensors: none, not null (which the documents refuse)
		body["associatedSensorIds"] = []any{}
	}
	for _, k := range []string{"runtimeSensor", "ignoreProcesses"} {
		if v, ok := cur[k]; ok && v != nil {
			body[k] = v
		}
	}
	if cfg, ok := cur["config"].(map[string]any); ok {
		if old, has := cfg["weeklyInactiveWindowSchedules"]; has {
			cfg = maps.Clone(cfg)
			delete(cfg, "weeklyInactiveWindowSchedules")
			if _, both := cfg["weeklyBlackoutWindowSchedules"]; !both {
				cfg["weeklyBlackoutWindowSchedules"] = old
			}
			body["config"] = cfg
		}
	}
	return body
}

func updateSensorProfile(ctx context.Context, c *tool.Ctx, in *schemas.UpdateSensorProfileWithPropagation) (any, error) {
	p := P{"sensorProfileId": in.SensorProfileID.SensorProfileID}
	cur, err := getJSON(ctx, c, "/sensorProfile/{sensorProfileId}", p)
	if err != nil {
		return nil, err
	}
	if err := agree(c, "profileType", cur["profileType"], "the profile's type ("+shape.Quote(in.SensorProfileID.SensorProfileID)+")"); err != nil {
		return nil, err
	}
	body := merge(profileBody(cur), argsWithout(c, "sensorProfileId", "isVulnPropagation"))
	if body["config"] == nil {
		delete(body, "config")
	}
	if typ := str(body["profileType"]); typ != "RUNTIME" { // a profile that is not (or no longer) RUNTIME has no runtime fields
		if err := in.RuntimeFields.CheckRuntime(typ); err != nil {
			return nil, err
		}
		delete(body, "runtimeSensor")
		delete(body, "ignoreProcesses")
	}
	var q url.Values
	if in.IsVulnPropagation != nil {
		q = url.Values{"isVulnPropagation": {strconv.FormatBool(*in.IsVulnPropagation)}}
	}
	return send(ctx, c, client.Call{Method: http.MethodPut, Path: "/sensorProfile/{sensorProfileId}", Params: p, Query: q, Body: body}, nil)
}

func previewDeleteProfile(ctx context.Context, c *tool.Ctx, in *schemas.SensorProfileID) (*tool.Preview, error) {
	p := P{"sensorProfileId": in.SensorProfileID}
	cur, err := getJSON(ctx, c, "/sensorProfile/{sensorProfileId}", p)
	if err != nil {
		return nil, err
	}
	if in.SensorProfileID == schemas.DefaultProfileID {
		return nil, tool.Invalid("sensorProfileId", "the Default profile cannot be deleted")
	}
	sensors, err := list(ctx, c, "/sensorProfile/{sensorProfileId}/sensor", p, schemas.ListParams{PageSize: 1000}, nil, sensorView, nil)
	if err != nil {
		return nil, err
	}
	regs, err := list(ctx, c, "/sensorProfile/{sensorProfileId}/registry", p, schemas.ListParams{PageSize: 1000}, nil, registrySummaryView, nil)
	if err != nil {
		return nil, err
	}
	var sensorNames, regNames []string
	for _, s := range sensors.Items {
		sensorNames = append(sensorNames, fmt.Sprintf("%s (%s)", shape.Quote(str(s["hostname"])), shape.Quote(str(s["uuid"]))))
	}
	for _, r := range regs.Items {
		regNames = append(regNames, fmt.Sprintf("%s (%s)", shape.Quote(str(r["registryName"])), shape.Quote(str(r["registryUri"]))))
	}
	summary := fmt.Sprintf("Delete sensor profile %s (%s, %s). %d sensor(s) and %d registr(ies) fall back to the Default profile.",
		shape.Quote(str(cur["profileName"])), shape.ShownValue(cur["profileType"]), shape.Quote(in.SensorProfileID), len(sensorNames), len(regNames))
	if len(sensorNames) > 0 {
		summary += " Sensors: " + strings.Join(sensorNames, ", ") + "."
	}
	if len(regNames) > 0 {
		summary += " Registries: " + strings.Join(regNames, ", ") + "."
	}
	return &tool.Preview{
		Summary: summary,
		Details: map[string]any{"profile": pick(cur, "profileId", "profileName", "profileType"), "sensorsToDefault": sensorNames, "registriesToDefault": regNames},
		Target:  pick(cur, "profileId", "profileName", "profileType", "associatedSensors", "associatedRegistries", "updated"),
	}, nil
}

func deleteSensorProfile(ctx context.Context, c *tool.Ctx, in *schemas.SensorProfileID) (any, error) {
	return send(ctx, c, client.Call{Method: http.MethodDelete, Path: "/sensorProfile/{sensorProfileId}", Params: P{"sensorProfileId": in.SensorProfileID}},
		map[string]any{"deleted": true, "sensorProfileId": in.SensorProfileID})
}

func listProfileRegistries(ctx context.Context, c *tool.Ctx, in *schemas.ListByProfile) (any, error) {
	return list(ctx, c, "/sensorProfile/{sensorProfileId}/registry", P{"sensorProfileId": in.SensorProfileID.SensorProfileID}, in.ListParams, nil, registrySummaryView, nil)
}

func listProfileSensors(ctx context.Context, c *tool.Ctx, in *schemas.ListByProfile) (any, error) {
	return list(ctx, c, "/sensorProfile/{sensorProfileId}/sensor", P{"sensorProfileId": in.SensorProfileID.SensorProfileID}, in.ListParams, nil, sensorView, nil)
}

func listAssociableSensors(ctx context.Context, c *tool.Ctx, in *schemas.ListAssociableSensors) (any, error) {
	return list(ctx, c, "/sensorProfile/sensor/associate", nil, in.ListParams, url.Values{"sensorProfileType": {in.SensorProfileType}}, sensorView, nil)
}

func listAssociableProfiles(ctx context.Context, c *tool.Ctx, in *schemas.ListAssociableProfiles) (any, error) {
	typ := in.SensorType
	if typ == "" {
		typ = "GENERAL"
	}
	return list(ctx, c, "/sensors/profile/associate", nil, in.PageParams.List(), url.Values{"sensorType": {typ}}, profileView, nil)
}

func attachSensorProfile(ctx context.Context, c *tool.Ctx, in *schemas.AttachProfile) (any, error) {
	return send(ctx, c, client.Call{Method: http.MethodPut, Path: "/sensors/{sensorId}/profile/{profileId}/attach", Params: P{"sensorId": in.SensorID, "profileId": in.ProfileID}},
		map[string]any{"attached": true, "sensorId": in.SensorID, "profileId": in.ProfileID})
}

func previewDetach(ctx context.Context, c *tool.Ctx, in *schemas.SensorID) (*tool.Preview, error) {
	sn, err := getJSON(ctx, c, "/sensors/{sensorId}", P{"sensorId": in.SensorID})
	if err != nil {
		return nil, err
	}
	prof := str(sn["associatedSensorProfile"])
	if prof == "" || prof == schemas.DefaultProfileID {
		return nil, tool.Invalid("sensorId", "sensor %s is on the Default profile already; there is nothing to detach", in.SensorID)
	}
	name := str(sn["associatedSensorProfileName"])
	return &tool.Preview{
		Summary: fmt.Sprintf("Detach sensor %s (%s, %s) from sensor profile %s (%s); it falls back to the Default profile and its settings.", shape.Quote(str(sn["hostname"])), shape.Quote(str(sn["uuid"])), shape.Quote(str(sn["sensorType"])), shape.Quote(name), shape.Quote(prof)),
		Details: map[string]any{"sensor": pick(sn, "uuid", "hostname", "sensorType"), "fromProfile": map[string]any{"profileId": prof, "profileName": name}},
		Target:  pick(sn, "uuid", "associatedSensorProfile"),
	}, nil
}

func detachSensorProfile(ctx context.Context, c *tool.Ctx, in *schemas.SensorID) (any, error) {
	return send(ctx, c, client.Call{Method: http.MethodPut, Path: "/sensors/{sensorId}/profile/detach", Params: P{"sensorId": in.SensorID}},
		map[string]any{"detached": true, "sensorId": in.SensorID, "profileId": schemas.DefaultProfileID})
}
