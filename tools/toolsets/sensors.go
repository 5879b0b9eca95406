package toolsets

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/schemas"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/shape"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
)

// sensorView is a sensor in a list: what a health check reads (the
// sensor_health prompt's table). ipv4, sensorId and the rest are a fields
// argument or get_sensor away.
var sensorView = shape.View{
	Default: []string{"uuid", "hostname", "sensorType", "status", "sensorVersion", "lastCheckedIn", "associatedSensorProfile", "associatedSensorProfileName"},
	Times:   []string{"lastCheckedIn", "created"},
	Shape:   map[string]func(any) any{"associatedSensorProfileName": shape.As("profileName")},
}

func sensorTools() []tool.Tool {
	const set = "sensors"
	return []tool.Tool{
		tool.Def("list_sensors", set, tool.Read, "List sensors: host, type, status, version, last check-in, profile.", listSensors),
		tool.Def("get_sensor", set, tool.Read, "Get a sensor by UUID or sensorId, with its labels and profile.", getSensor),
		tool.Def("delete_sensors", set, tool.Destructive, "Delete sensors by ID or filter; only those in status UNKNOWN can go.", deleteSensors, tool.Guarded(previewDeleteSensors), tool.TaskOption[schemas.DeleteSensors]()),
		tool.Def("get_activation_keys", set, tool.Read, "Get the sensor activation keys, masked unless reveal (which asks the user).", getActivationKeys, tool.GuardedIf(func(in *schemas.ActivationKeys) bool { return in.Reveal }, previewReveal)),
	}
}

func listSensors(ctx context.Context, c *tool.Ctx, in *schemas.ListSensors) (any, error) {
	return list(ctx, c, "/sensors", nil, in.ListParams, nil, sensorView, in.Fields)
}

func getSensor(ctx context.Context, c *tool.Ctx, in *schemas.SensorID) (any, error) {
	m, err := getJSON(ctx, c, "/sensors/{sensorId}", P{"sensorId": in.SensorID})
	if err != nil {
		return nil, err
	}
	return sensorView.Project(m, []string{"*"}), nil
}

func deleteQuery(in *schemas.DeleteSensors) url.Values {
	q := url.Values{}
	for _, id := range in.SensorIds {
		q.Add("sensorIds", id)
	}
	if in.Filter != "" && len(in.SensorIds) == 0 {
		q.Set("filter", in.Filter)
	}
	return q
}

// matchSensors reads the sensors a delete would touch.
func matchSensors(ctx context.Context, c *tool.Ctx, in *schemas.DeleteSensors) ([]map[string]any, error) {
	if len(in.SensorIds) > 0 {
		var out []map[string]any
		for _, id := range in.SensorIds {
			m, err := getJSON(ctx, c, "/sensors/{sensorId}", P{"sensorId": id})
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		}
		return out, nil
	}
	res, err := list(ctx, c, "/sensors", nil, schemas.ListParams{Filter: in.Filter, PageSize: 1000}, nil, sensorView, nil)
	if err != nil {
		return nil, err
	}
	if res.NextPage > 0 {
		return nil, tool.Invalid("filter", "matches more than 1000 sensors; narrow it")
	}
	return res.Items, nil
}

func previewDeleteSensors(ctx context.Context, c *tool.Ctx, in *schemas.DeleteSensors) (*tool.Preview, error) {
	sensors, err := matchSensors(ctx, c, in)
	if err != nil {
		return nil, err
	}
	if len(sensors) == 0 {
		return nil, tool.Invalid("filter", "matches no sensors; nothing to delete")
	}
	var names, busy []string
	var target []map[string]any
	for _, s := range sensors {
		names = append(names, fmt.Sprintf("%s (%s, %s)", shape.Quote(str(s["hostname"])), shape.Quote(str(s["uuid"])), shape.Quote(str(s["status"]))))
		if !strings.EqualFold(str(s["status"]), "UNKNOWN") {
			busy = append(busy, shape.Quote(str(s["hostname"])))
		}
		target = append(target, pick(s, "uuid", "status", "associatedSensorProfile"))
	}
	summary := fmt.Sprintf("Delete %d sensor(s): %s.", len(names), strings.Join(names, ", "))
	if len(busy) > 0 {
		summary += fmt.Sprintf(" Qualys deletes only sensors in status UNKNOWN, so it will refuse: %s.", strings.Join(busy, ", "))
	}
	return &tool.Preview{Summary: summary, Details: map[string]any{"count": len(names), "sensors": names, "notUnknown": busy}, Target: target}, nil
}

func deleteSensors(ctx context.Context, c *tool.Ctx, in *schemas.DeleteSensors) (any, error) {
	var targets []string // a task follows the deletion job until they are gone
	if tool.InTask(ctx) {
		sensors, err := matchSensors(ctx, c, in)
		if err != nil {
			return nil, err
		}
		for _, s := range sensors {
			targets = append(targets, str(s["uuid"]))
		}
	}
	out, err := send(ctx, c, client.Call{Method: http.MethodDelete, Path: "/sensors", Query: deleteQuery(in)},
		map[string]any{"deleted": true, "sensorIds": in.SensorIds, "filter": in.Filter})
	if err != nil {
		return nil, err
	}
	return followDeletion(ctx, out, "sensor", targets, func() ([]string, error) { return stillListed(ctx, c, "/sensors", "uuid", targets) })
}

func previewReveal(ctx context.Context, c *tool.Ctx, in *schemas.ActivationKeys) (*tool.Preview, error) {
	return &tool.Preview{
		Summary: "Reveal the sensor activation keys (customerId and activationId) in this conversation. Anyone who reads them can register sensors to this subscription.",
		Target:  "activation-keys",
	}, nil
}

func getActivationKeys(ctx context.Context, c *tool.Ctx, in *schemas.ActivationKeys) (any, error) {
	var a schemas.Activation
	if err := getInto(ctx, c, "/activationkey", nil, &a); err != nil {
		return nil, err
	}
	out := map[string]any{"customerId": a.CustomerID, "activationId": a.ActivationID, "platformUrl": a.PlatformURL, "masked": !in.Reveal}
	if in.Reveal { // behind the guard: the user agreed
		return shape.Revealed(out), nil
	}
	return out, nil // the factory masks the keys in every other result
}
