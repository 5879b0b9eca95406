package toolsets

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/schemas"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/shape"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
)

var scheduleDates = []string{"jobStartDate", "jobCompletionDate", "jobListingStartDate", "jobListingCompletionDate", "jobScanningStartDate", "jobScanningCompletionDate", "created", "updated"}

var scheduleView = shape.View{
	Default: append([]string{"scheduleUuid", "name", "status", "onDemand", "schedule", "scheduleIntervalInDays", "filters", "additionalFilters", "forceScan", "errors"}, scheduleDates...),
	Times:   scheduleDates,
}

// forceScanNote is what the schedule tools say of forced rescans (v1.21).
const forceScanNote = " forceScan rescans every image (sensor 1.21.0+; GAR, GCR, ACR, private registries)."

func scheduleTools() []tool.Tool {
	const set = "schedules"
	return []tool.Tool{
		tool.Def("list_registry_schedules", set, tool.Read, "List a registry's scan schedules: status, job dates, errors.", listSchedules),
		tool.Def("create_registry_schedule", set, tool.Write, "Scan a registry now (onDemand) or at a time every N days."+forceScanNote, createSchedule, tool.TaskOption[schemas.CreateSchedule]()),
		tool.Def("update_registry_schedule", set, tool.Write, "Change a registry scan schedule."+forceScanNote, updateSchedule, tool.Idempotent[schemas.UpdateSchedule]()),
		tool.Def("cancel_registry_schedule", set, tool.Destructive, "Cancel a Created, Queued, Paused or Running scan schedule.", cancelSchedule, tool.Guarded(previewCancelSchedule)),
		tool.Def("delete_registry_schedule", set, tool.Destructive, "Delete a scan schedule (not while Running).", deleteSchedule, tool.Guarded(previewDeleteSchedule)),
		tool.Def("delete_registry_schedules", set, tool.Destructive, "Delete a registry's scan schedules by ID or filter; Qualys skips Queued, Unknown and Running ones.", deleteSchedules, tool.Guarded(previewDeleteSchedules), tool.TaskOption[schemas.DeleteSchedulesBulk]()),
	}
}

const schedulePath = "/registry/{registryId}/schedule/{scheduleId}"

func schedParams(registryID, scheduleID string) P {
	return P{"registryId": registryID, "scheduleId": scheduleID}
}

func listSchedules(ctx context.Context, c *tool.Ctx, in *schemas.ListSchedules) (any, error) {
	return list(ctx, c, "/registry/{registryId}/schedule", regParams(in.RegistryID.RegistryID), in.ListParams, nil, scheduleView, nil)
}

// registrySchedules reads a registry and the schedules named by ids (all
// when ids is empty); field names the argument that holds the ids.
func registrySchedules(ctx context.Context, c *tool.Ctx, registryID, field string, ids ...string) (map[string]any, []map[string]any, error) {
	reg, err := getJSON(ctx, c, "/registry/{registryId}", regParams(registryID))
	if err != nil {
		return nil, nil, err
	}
	all, err := allPages(ctx, c, "/registry/{registryId}/schedule", regParams(registryID), scheduleView)
	if err != nil || len(ids) == 0 {
		return reg, all, err
	}
	var out []map[string]any
	for _, id := range ids {
		i := slices.IndexFunc(all, func(s map[string]any) bool { return str(s["scheduleUuid"]) == id })
		if i < 0 {
			return nil, nil, tool.Invalid(field, "registry %q (%s) has no schedule %s", str(reg["registryName"]), registryID, id)
		}
		out = append(out, all[i])
	}
	return reg, out, nil
}

// scheduleBody is the request body: the schedule fields plus the
// registry's type, as the v1.21 samples send it. A registryType the
// caller gave must be the registry's.
func scheduleBody(c *tool.Ctx, fields map[string]any, reg map[string]any, registryID string) (map[string]any, error) {
	typ := str(reg["registryType"])
	if typ == "" { // Qualys did not say: the caller's, or a clear refusal
		if typ = str(c.Args["registryType"]); typ == "" {
			return nil, tool.Invalid("registryType", "is needed: Qualys' answer for registry %s names no type (pass the registry's type, e.g. DockerHub, V2, AWS, Azure, GCP)", shape.Quote(registryID))
		}
	}
	if err := agree(c, "registryType", typ, fmt.Sprintf("the type of registry %s (%s)", shape.Quote(str(reg["registryName"])), shape.Quote(registryID))); err != nil {
		return nil, err
	}
	fields["registryType"] = typ
	return fields, nil
}

func createSchedule(ctx context.Context, c *tool.Ctx, in *schemas.CreateSchedule) (any, error) {
	p := regParams(in.RegistryID.RegistryID)
	reg, err := getJSON(ctx, c, "/registry/{registryId}", p)
	if err != nil {
		return nil, err
	}
	body, err := scheduleBody(c, argsWithout(c, "registryId"), reg, in.RegistryID.RegistryID)
	if err != nil {
		return nil, err
	}
	out, err := create(ctx, c, client.Call{Method: http.MethodPost, Path: "/registry/{registryId}/schedule", Params: p, Body: body}, "scheduleUuid", []string{"scheduleUuid", "scheduleId"},
		map[string]any{"registryUuid": in.RegistryID.RegistryID})
	if err != nil || !tool.InTask(ctx) || in.OnDemand == nil || !*in.OnDemand {
		return out, err
	}
	return followScan(ctx, c, in.RegistryID.RegistryID, out.(map[string]any)), nil
}

// followScan follows an on-demand scan (a forced rescan among them) when
// the call runs as a task: it polls the registry's schedules until the
// new one is no longer pending or running, and answers it as the scan
// left it (its status, job dates and errors).
func followScan(ctx context.Context, c *tool.Ctx, registryID string, m map[string]any) map[string]any {
	id := str(m["scheduleUuid"])
	if id == "" {
		m["next"] = "Qualys did not answer the schedule's UUID: find it with list_registry_schedules."
		return m
	}
	var sched map[string]any
	err := follow(ctx, 0, func() (bool, error) {
		all, err := allPages(ctx, c, "/registry/{registryId}/schedule", regParams(registryID), scheduleView)
		if err != nil {
			return false, err
		}
		i := slices.IndexFunc(all, func(s map[string]any) bool { return str(s["scheduleUuid"]) == id })
		if i < 0 {
			return false, fmt.Errorf("schedule %s is no longer listed", id)
		}
		sched = all[i]
		done := !slices.Contains(cancellable, str(sched["status"]))
		tool.Progress(ctx, done, "scan %s of registry %s is %s", word(id), word(registryID), word(str(sched["status"])))
		return done, nil
	})
	if sched != nil {
		m["schedule"], m["status"] = sched, sched["status"]
	}
	switch {
	case err != nil:
		m["next"] = fmt.Sprintf("The scan was requested, but following it stopped (%v); see list_registry_schedules.", err)
	case count(sched["errors"]) > 0:
		m["next"] = "The scan ended with errors (schedule.errors)."
	default:
		m["next"] = "The scan ended; list_images shows what it found."
	}
	return m
}

func updateSchedule(ctx context.Context, c *tool.Ctx, in *schemas.UpdateSchedule) (any, error) {
	regID, schedID := in.RegistryID.RegistryID, in.ScheduleID.ScheduleID
	reg, cur, err := registrySchedules(ctx, c, regID, "scheduleId", schedID)
	if err != nil {
		return nil, err
	}
	base, err := scheduleBody(c, shape.DropNulls(pick(cur[0], "name", "onDemand", "schedule", "filters", "scheduleIntervalInDays", "forceScan", "additionalFilters")).(map[string]any), reg, regID)
	if err != nil {
		return nil, err
	}
	body := merge(base, argsWithout(c, "registryId", "scheduleId"))
	body["registryType"] = base["registryType"]
	return send(ctx, c, client.Call{Method: http.MethodPut, Path: schedulePath, Params: schedParams(regID, schedID), Body: body},
		map[string]any{"updated": true, "scheduleUuid": schedID})
}

// previewSchedules names the schedules a cancel or delete touches, by name
// and status, with their registry.
func previewSchedules(ctx context.Context, c *tool.Ctx, verb, registryID, field string, ids []string, warnIf []string, warning string) (*tool.Preview, error) {
	reg, scheds, err := registrySchedules(ctx, c, registryID, field, ids...)
	if err != nil {
		return nil, err
	}
	return schedulesPreview(verb, reg, scheds, registryID, warnIf, warning), nil
}

// schedulesPreview is the preview of a change to these schedules of reg:
// each by name and status, those in a warnIf status named again with
// the warning; the target is their IDs and statuses.
func schedulesPreview(verb string, reg map[string]any, scheds []map[string]any, registryID string, warnIf []string, warning string) *tool.Preview {
	var labels, warn []string
	var target []map[string]any
	for _, s := range scheds {
		labels = append(labels, scheduleLabel(s))
		target = append(target, pick(s, "scheduleUuid", "status"))
		if slices.Contains(warnIf, str(s["status"])) {
			warn = append(warn, scheduleLabel(s))
		}
	}
	summary := fmt.Sprintf("%s %d scan schedule(s) of registry %s (%s, %s): %s.", verb, len(scheds), shape.Quote(str(reg["registryName"])), shape.Quote(str(reg["registryUri"])), shape.Quote(registryID), strings.Join(labels, ", "))
	if len(warn) > 0 {
		summary += fmt.Sprintf(" %s: %s.", warning, strings.Join(warn, ", "))
	}
	return &tool.Preview{
		Summary: summary,
		Details: map[string]any{"registry": pick(reg, "registryUuid", "registryName", "registryUri"), "schedules": labels, "notApplicable": warn},
		Target:  target,
	}
}

var cancellable = []string{"Created", "Queued", "Paused", "Running", "BaselineQueued", "BaselineRunning"}

func previewCancelSchedule(ctx context.Context, c *tool.Ctx, in *schemas.RegistrySchedule) (*tool.Preview, error) {
	p, err := previewSchedules(ctx, c, "Cancel", in.RegistryID.RegistryID, "scheduleId", []string{in.ScheduleID.ScheduleID}, nil, "")
	if err != nil {
		return nil, err
	}
	if st := p.Target.([]map[string]any)[0]["status"]; !slices.Contains(cancellable, str(st)) {
		p.Summary += fmt.Sprintf(" Qualys cancels only schedules that are %s; this one is %v, so it will refuse.", strings.Join(cancellable, ", "), st)
	}
	return p, nil
}

func cancelSchedule(ctx context.Context, c *tool.Ctx, in *schemas.RegistrySchedule) (any, error) {
	id := in.ScheduleID.ScheduleID
	return send(ctx, c, client.Call{Method: http.MethodPost, Path: schedulePath + "/cancel", Params: schedParams(in.RegistryID.RegistryID, id)},
		map[string]any{"scheduleUuid": id, "action": "cancel requested"})
}

func previewDeleteSchedule(ctx context.Context, c *tool.Ctx, in *schemas.RegistrySchedule) (*tool.Preview, error) {
	return previewSchedules(ctx, c, "Delete", in.RegistryID.RegistryID, "scheduleId", []string{in.ScheduleID.ScheduleID},
		[]string{"Running"}, "A Running schedule cannot be deleted, so Qualys will refuse; cancel it first")
}

func deleteSchedule(ctx context.Context, c *tool.Ctx, in *schemas.RegistrySchedule) (any, error) {
	regID, id := in.RegistryID.RegistryID, in.ScheduleID.ScheduleID
	out, err := send(ctx, c, client.Call{Method: http.MethodDelete, Path: schedulePath, Params: schedParams(regID, id)},
		map[string]any{"deleted": true, "scheduleUuid": id})
	return out, explainRunning(ctx, c, err, id, regID)
}

// notDeletable are the statuses the bulk delete skips.
var notDeletable = []string{"Queued", "Unknown", "Running"}

// bulkTargets reads the registry and the schedules a bulk delete names:
// by ID, or those its filter matches (the schedule list's QQL). Given
// both, Qualys would take the IDs and ignore the filter: refused, so that
// the preview and the delete mean the same.
func bulkTargets(ctx context.Context, c *tool.Ctx, in *schemas.DeleteSchedulesBulk) (map[string]any, []map[string]any, error) {
	regID := in.RegistryID.RegistryID
	if len(in.ScheduleIds) > 0 {
		if in.Filter != "" {
			return nil, nil, tool.Invalid("filter", "give scheduleIds or a filter, not both: Qualys would take the IDs and ignore the filter")
		}
		return registrySchedules(ctx, c, regID, "scheduleIds", in.ScheduleIds...)
	}
	reg, err := getJSON(ctx, c, "/registry/{registryId}", regParams(regID))
	if err != nil {
		return nil, nil, err
	}
	var out []map[string]any
	for page := 1; page > 0; {
		res, err := list(ctx, c, "/registry/{registryId}/schedule", regParams(regID), schemas.ListParams{Filter: in.Filter, PageNumber: page, PageSize: 1000}, nil, scheduleView, nil)
		if err != nil {
			return nil, nil, err
		}
		out, page = append(out, res.Items...), res.NextPage
	}
	if len(out) == 0 {
		return nil, nil, tool.Invalid("filter", "matches no schedule of registry %s (%s); nothing to delete", shape.Quote(str(reg["registryName"])), shape.Quote(regID))
	}
	return reg, out, nil
}

func previewDeleteSchedules(ctx context.Context, c *tool.Ctx, in *schemas.DeleteSchedulesBulk) (*tool.Preview, error) {
	reg, scheds, err := bulkTargets(ctx, c, in)
	if err != nil {
		return nil, err
	}
	return schedulesPreview("Delete", reg, scheds, in.RegistryID.RegistryID, notDeletable, "Qualys skips schedules that are Queued, Unknown or Running (cancel them first)"), nil
}

// deleteSchedules sends the 2026 guide's bulk delete (the IDs repeated
// in the query, or the filter), then reads the schedules again to say
// which went and which Qualys skipped.
func deleteSchedules(ctx context.Context, c *tool.Ctx, in *schemas.DeleteSchedulesBulk) (any, error) {
	regID := in.RegistryID.RegistryID
	_, targets, err := bulkTargets(ctx, c, in) // what the preview named (read again: the guide's filter is evaluated by Qualys)
	if err != nil {
		return nil, err
	}
	q := url.Values{"scheduleIds": in.ScheduleIds}
	if len(in.ScheduleIds) == 0 {
		q = url.Values{"filter": {in.Filter}}
	}
	answer, err := send(ctx, c, client.Call{Method: http.MethodDelete, Path: "/registry/{registryId}/schedule/bulk", Params: regParams(regID), Query: q}, nil)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(targets))
	for _, s := range targets {
		ids = append(ids, str(s["scheduleUuid"]))
	}
	// A task follows the job until each schedule is gone or one Qualys
	// skips (Queued, Unknown, Running).
	followDeletion(ctx, answer, "schedule", ids, func() ([]string, error) {
		_, left, err := registrySchedules(ctx, c, regID, "scheduleIds")
		var pending []string
		for _, s := range left {
			if id := str(s["scheduleUuid"]); slices.Contains(ids, id) && !slices.Contains(notDeletable, str(s["status"])) {
				pending = append(pending, id)
			}
		}
		return pending, err
	})
	out, _ := answer.(map[string]any)
	if out == nil {
		out = map[string]any{}
	}
	// Qualys skips some silently: say which are still there, and why.
	_, left, err := registrySchedules(ctx, c, regID, "scheduleIds")
	if err != nil {
		out["note"] = "delete requested; the schedules could not be read again to check: " + err.Error()
		return out, nil
	}
	deleted, kept := []string{}, []string{}
	for _, t := range targets {
		i := slices.IndexFunc(left, func(s map[string]any) bool { return str(s["scheduleUuid"]) == str(t["scheduleUuid"]) })
		if i < 0 {
			deleted = append(deleted, str(t["scheduleUuid"]))
		} else {
			kept = append(kept, scheduleLabel(left[i]))
		}
	}
	out["deleted"] = deleted
	if len(kept) > 0 {
		out["notDeleted"] = kept
		out["note"] = "Qualys does not delete schedules that are Queued, Unknown or Running; cancel them with cancel_registry_schedule first."
	}
	return out, nil
}
