package toolsets

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	json "github.com/segmentio/encoding/json"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/schemas"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/shape"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
)

var registryView = shape.View{
	Default: []string{"registryUuid", "registryName", "registryUri", "registryType", "repoCount", "totalImages", "totalVulnerableImages", "lastScanned", "sensorProfileId", "sensorProfileName", "scheduleStatusList"},
	Times:   []string{"lastScanned", "created", "updated"},
}

var repositoryView = shape.View{Default: []string{"repoName", "totalImages", "totalScannedImages", "totalVulnerableImages"}}

func registryTools() []tool.Tool {
	const set = "registries"
	return []tool.Tool{
		tool.Def("list_registries", set, tool.Read, "List registries: URI, type, image counts, last scan, schedule statuses.", listRegistries),
		tool.Def("get_registry", set, tool.Read, "Get a registry: type, URI, credential kind, connector, profile, counts.", getRegistry),
		tool.Def("create_registry", set, tool.Write, "Add a registry; by registryType give credential, aws, acr, gcp or gcar.", createRegistry),
		tool.Def("update_registry", set, tool.Write, "Change a registry's name, credentials, connector or sensor profile.", updateRegistry, tool.Idempotent[schemas.UpdateRegistry]()),
		tool.Def("validate_registry", set, tool.Read, "Check registry settings with Qualys before create_registry.", validateRegistry, tool.Body[schemas.CreateRegistry]()),
		tool.Def("delete_registry", set, tool.Destructive, "Delete a registry and its schedules (not while a scan runs).", deleteRegistry, tool.Guarded(previewDeleteRegistry)),
		tool.Def("delete_registries", set, tool.Destructive, "Delete several registries (not while a scan runs).", deleteRegistries, tool.Guarded(previewDeleteRegistries), tool.TaskOption[schemas.RegistryIDs]()),
		tool.Def("list_registry_repositories", set, tool.Read, "List a registry's repositories with total, scanned and vulnerable image counts.", listRepositories),
	}
}

// ---- helpers the registry, schedule, connector and report tools share ----

// argsWithout is a copy of the caller's arguments less the path IDs: the
// body of a create, or the patch of an update.
func argsWithout(c *tool.Ctx, keys ...string) map[string]any {
	out := make(map[string]any, len(c.Args))
	for k, v := range c.Args {
		out[k] = v
	}
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

var legacyIDRE = regexp.MustCompile(`^\{\s*"?(\w+)"?\s*[=:]\s*"?([A-Za-z0-9._:-]+)"?\s*\}$`)

// answerID reads the ID a create answers: a JSON object under one of keys,
// a JSON string, the pre-v1.21 text form {reportUuId=...}, or a bare ID.
func answerID(body []byte, keys ...string) string {
	var obj map[string]any
	if json.Unmarshal(body, &obj) == nil {
		for _, k := range keys {
			if s, ok := obj[k].(string); ok && s != "" {
				return s
			}
		}
		return ""
	}
	var s string
	if json.Unmarshal(body, &s) == nil {
		return s
	}
	text := strings.TrimSpace(string(body))
	if m := legacyIDRE.FindStringSubmatch(text); m != nil {
		return m[2]
	}
	if client.ValidID("id", text) == nil {
		return text
	}
	return ""
}

// create sends a create call and answers the new ID as key (read from any
// of the answer's keys) with extra.
func create(ctx context.Context, c *tool.Ctx, call client.Call, key string, answerKeys []string, extra map[string]any) (any, error) {
	resp, err := c.Client.Do(ctx, call)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"created": true}
	if id := answerID(resp.Body, answerKeys...); id != "" {
		out[key] = id
	}
	for k, v := range extra {
		if v != "" {
			out[k] = v
		}
	}
	return out, nil
}

// allPages reads every page of a page-numbered list (up to the 10,000
// records page numbers reach), reporting progress page by page.
func allPages(ctx context.Context, c *tool.Ctx, path string, params P, view shape.View) ([]map[string]any, error) {
	var out []map[string]any
	for page := 1; page > 0; {
		res, err := list(ctx, c, path, params, schemas.ListParams{PageNumber: page, PageSize: 1000}, nil, view, nil)
		if err != nil {
			return nil, err
		}
		tool.ProgressPage(ctx, path, page, 1000, res.Count)
		out = append(out, res.Items...)
		page = res.NextPage
	}
	return out, nil
}

// unpaged reads a list the API answers whole: a JSON array, an envelope,
// or a single object.
func unpaged(ctx context.Context, c *tool.Ctx, path string, params P, view shape.View) (*shape.ListResult, error) {
	resp, err := c.Client.Do(ctx, client.Call{Method: http.MethodGet, Path: path, Params: params})
	if err != nil {
		return nil, err
	}
	var items []map[string]any
	if json.Unmarshal(resp.Body, &items) != nil {
		var env schemas.List[map[string]any]
		var one map[string]any
		switch {
		case json.Unmarshal(resp.Body, &env) == nil && env.Data != nil:
			items = env.Data
		case json.Unmarshal(resp.Body, &one) == nil && len(one) > 0:
			items = []map[string]any{one}
		}
	}
	n := len(items)
	r := &shape.ListResult{Items: make([]map[string]any, 0, n), Count: &n}
	for _, it := range items {
		r.Items = append(r.Items, view.Project(it, nil))
	}
	return r, nil
}

// refusal is Qualys's refusal of a request as invalid (HTTP 400), or nil.
func refusal(err error) *client.APIError {
	var ae *client.APIError
	if errors.As(err, &ae) && ae.Status == http.StatusBadRequest {
		return ae
	}
	return nil
}

// ---- registries ----

func regParams(id string) P { return P{"registryId": id} }

func listRegistries(ctx context.Context, c *tool.Ctx, in *schemas.ListParams) (any, error) {
	return list(ctx, c, "/registry", nil, *in, nil, registryView, nil)
}

func getRegistry(ctx context.Context, c *tool.Ctx, in *schemas.RegistryID) (any, error) {
	m, err := getJSON(ctx, c, "/registry/{registryId}", regParams(in.RegistryID))
	if err != nil {
		return nil, err
	}
	return registryView.Project(m, []string{"*"}), nil
}

func createRegistry(ctx context.Context, c *tool.Ctx, in *schemas.CreateRegistry) (any, error) {
	return create(ctx, c, client.Call{Method: http.MethodPost, Path: "/registry", Body: c.Args}, "registryUuid", []string{"registryUuid", "registryId", "uuid"},
		map[string]any{"registryName": in.RegistryName, "registryUri": in.RegistryURI})
}

// registryBody turns a registry as GET answers it into the body PUT takes:
// its type and URI (the API wants them on every update), and what it has
// of name, organisation, credential kind, connector and sensor profile.
// Secrets are never answered, so they are sent only when the caller gives
// them.
func registryBody(cur map[string]any) map[string]any {
	body := pick(cur, "registryType", "registryUri", "registryName", "credentialType", "sensorProfileId", "aws", "acr", "gcp", "gcar")
	if v, ok := cur["dockerHubOrg"]; ok {
		body["dockerHubOrgName"] = v
	}
	if aws, ok := body["aws"].(map[string]any); ok {
		body["aws"] = pick(aws, "accountId", "arn", "region", "accountType")
	}
	shape.DropNulls(body)
	return body
}

func updateRegistry(ctx context.Context, c *tool.Ctx, in *schemas.UpdateRegistry) (any, error) {
	p := regParams(in.RegistryID.RegistryID)
	cur, err := getJSON(ctx, c, "/registry/{registryId}", p)
	if err != nil {
		return nil, err
	}
	for _, f := range []string{"registryType", "registryUri"} {
		if err := agree(c, f, cur[f], fmt.Sprintf("the %s of registry %q (%s), which cannot change,", f, str(cur["registryName"]), in.RegistryID.RegistryID)); err != nil {
			return nil, err
		}
	}
	base := registryBody(cur)
	if in.Credential != nil {
		if cred, ok := cur["credential"].(map[string]any); ok {
			base["credential"] = pick(cred, "username")
		}
	}
	body := merge(base, argsWithout(c, "registryId"))
	body["registryType"], body["registryUri"] = base["registryType"], base["registryUri"] // the registry's own, as given or not
	return send(ctx, c, client.Call{Method: http.MethodPut, Path: "/registry/{registryId}", Params: p, Body: body},
		map[string]any{"updated": true, "registryUuid": in.RegistryID.RegistryID})
}

func validateRegistry(ctx context.Context, c *tool.Ctx, in *schemas.CreateRegistry) (any, error) {
	resp, err := c.Client.Do(ctx, client.Call{Method: http.MethodPost, Path: "/registry/validate", Body: c.Args})
	if ae := refusal(err); ae != nil {
		return map[string]any{"valid": false, "problem": ae.Message}, nil
	}
	if err != nil {
		return nil, err
	}
	valid := true
	json.Unmarshal(resp.Body, &valid)
	return map[string]any{"valid": valid}, nil
}

func listRepositories(ctx context.Context, c *tool.Ctx, in *schemas.ListRepositories) (any, error) {
	return list(ctx, c, "/registry/{registryId}/repository", regParams(in.RegistryID.RegistryID), in.ListParams, nil, repositoryView, nil)
}

// scheduleLabel names a schedule for a human: its name, or its UUID when
// it has none, with its status.
func scheduleLabel(s map[string]any) string {
	name := str(s["name"])
	if name == "" {
		name = "unnamed schedule " + shape.Quote(str(s["scheduleUuid"]))
	} else {
		name = shape.Quote(name)
	}
	return fmt.Sprintf("%s (%s)", name, shape.Quote(str(s["status"])))
}

func previewRegistries(ctx context.Context, c *tool.Ctx, ids []string) (*tool.Preview, error) {
	var lines, running []string
	var details, target []map[string]any
	for _, id := range ids {
		reg, err := getJSON(ctx, c, "/registry/{registryId}", regParams(id))
		if err != nil {
			return nil, err
		}
		scheds, err := allPages(ctx, c, "/registry/{registryId}/schedule", regParams(id), scheduleView)
		if err != nil {
			return nil, err
		}
		var labels []string
		var states []map[string]any
		for _, s := range scheds {
			labels = append(labels, scheduleLabel(s))
			states = append(states, pick(s, "scheduleUuid", "status"))
			if str(s["status"]) == "Running" {
				running = append(running, scheduleLabel(s))
			}
		}
		line := fmt.Sprintf("%s (%s, %s, %s): %s image(s) in %s repositor(ies), %d schedule(s)", shape.Quote(str(reg["registryName"])), shape.Quote(str(reg["registryUri"])), shape.Quote(str(reg["registryType"])), shape.Quote(id), shape.ShownValue(reg["totalImages"]), shape.ShownValue(reg["repoCount"]), len(scheds))
		if len(labels) > 0 {
			line += ": " + strings.Join(labels, ", ")
		}
		lines = append(lines, line)
		d := pick(reg, "registryUuid", "registryName", "registryUri", "registryType", "totalImages", "repoCount")
		d["schedules"] = labels
		details = append(details, d)
		t := pick(reg, "registryUuid", "registryName", "registryUri")
		t["schedules"] = states
		target = append(target, t)
	}
	summary := fmt.Sprintf("Delete %d registr(ies) and their scan schedules: %s.", len(ids), strings.Join(lines, "; "))
	if len(running) > 0 {
		summary += fmt.Sprintf(" Qualys refuses while a schedule is Running (%s): cancel it first with cancel_registry_schedule.", strings.Join(running, ", "))
	}
	return &tool.Preview{Summary: summary, Details: map[string]any{"registries": details, "running": running}, Target: target}, nil
}

func previewDeleteRegistry(ctx context.Context, c *tool.Ctx, in *schemas.RegistryID) (*tool.Preview, error) {
	return previewRegistries(ctx, c, []string{in.RegistryID})
}

func previewDeleteRegistries(ctx context.Context, c *tool.Ctx, in *schemas.RegistryIDs) (*tool.Preview, error) {
	return previewRegistries(ctx, c, in.RegistryIds)
}

// explainRunning adds, to Qualys's refusal of a delete, which running
// schedules stand in the way (scheduleID, or any when "") and what to do.
func explainRunning(ctx context.Context, c *tool.Ctx, err error, scheduleID string, registryIDs ...string) error {
	if refusal(err) == nil {
		return err
	}
	var running []string
	for _, id := range registryIDs {
		scheds, lerr := allPages(ctx, c, "/registry/{registryId}/schedule", regParams(id), scheduleView)
		if lerr != nil {
			continue
		}
		for _, s := range scheds {
			if str(s["status"]) == "Running" && (scheduleID == "" || str(s["scheduleUuid"]) == scheduleID) {
				running = append(running, scheduleLabel(s)+" of registry "+id)
			}
		}
	}
	if len(running) == 0 {
		return err
	}
	return fmt.Errorf("%w. A running schedule cannot be deleted, nor a registry that has one: %s. Cancel it with cancel_registry_schedule, or wait until it finishes, then try again", err, strings.Join(running, ", "))
}

func deleteRegistry(ctx context.Context, c *tool.Ctx, in *schemas.RegistryID) (any, error) {
	out, err := send(ctx, c, client.Call{Method: http.MethodDelete, Path: "/registry/{registryId}", Params: regParams(in.RegistryID)},
		map[string]any{"deleted": true, "registryUuid": in.RegistryID})
	return out, explainRunning(ctx, c, err, "", in.RegistryID)
}

func deleteRegistries(ctx context.Context, c *tool.Ctx, in *schemas.RegistryIDs) (any, error) {
	out, err := send(ctx, c, client.Call{Method: http.MethodDelete, Path: "/registry", Query: url.Values{"registryIds": in.RegistryIds}},
		map[string]any{"deleted": true, "registryIds": in.RegistryIds})
	if err != nil {
		return out, explainRunning(ctx, c, err, "", in.RegistryIds...)
	}
	return followDeletion(ctx, out, "registry", in.RegistryIds, func() ([]string, error) {
		return stillListed(ctx, c, "/registry", "registryUuid", in.RegistryIds)
	})
}
