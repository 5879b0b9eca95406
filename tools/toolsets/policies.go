package toolsets

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	json "github.com/segmentio/encoding/json"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/schemas"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/shape"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
)

// The policies toolset (the 2026 API): centralized policies, whose rules
// decide what CI/CD builds pass (CICD) and what a cluster's admission
// controller admits (K8S_ADMISSION_CONTROLLER). A policy decides for the
// images whose tags all match its tags; where none matches, the type's
// default policy does. Each update is a new version; the mode (ACTIVE,
// INACTIVE) says whether it decides at all.

var policyView = shape.View{
	Default: []string{"uuid", "policyName", "policyType", "policyMode", "description", "isDefault", "version", "assetType", "centralizedPolicyRules",
		"tagIds", "K8sFilters", "k8sFilters", "createdBy", "created", "updatedBy", "updated"},
	Times: []string{"created", "updated"},
	Shape: map[string]func(any) any{"centralizedPolicyRules": readableRules, "tagIds": tagRefs},
}

var policyListView = shape.View{
	Default: []string{"uuid", "policyName", "policyType", "policyMode", "isDefault", "version", "centralizedPolicyRules", "tagIds", "updated"},
	Times:   []string{"updated"},
	Shape:   map[string]func(any) any{"centralizedPolicyRules": ruleNames, "tagIds": tagRefs},
}

func policyTools() []tool.Tool {
	const set = "policies"
	activate, guardActivate := modeOf("ACTIVE", func(in *schemas.ActivatePolicy) string { return in.PolicyID.PolicyID })
	deactivate, guardDeactivate := modeOf("INACTIVE", func(in *schemas.DeactivatePolicy) string { return in.PolicyID.PolicyID })
	return []tool.Tool{
		tool.Def("list_policies", set, tool.Read, "List CI/CD and admission policies. No Qualys page documents it: the answer is passed through.", listPolicies),
		tool.Def("get_policy", set, tool.Read, "Get a policy: type, mode, rules, tags; version reads an older one.", getPolicy),
		tool.Def("get_default_policy", set, tool.Read, "Get a type's default policy: it decides where no other policy's tags all match.", getDefaultPolicy),
		tool.Def("create_policy", set, tool.Write, "Create a CI/CD or admission policy: rules ALLOW or DENY the images with all its tags. ACTIVE decides at once.", createPolicy),
		tool.Def("update_policy", set, tool.Write, "Change a policy (a new version); fields merge over it. Mode: activate_policy, deactivate_policy.", updatePolicy, tool.Idempotent[schemas.UpdatePolicy]()),
		tool.Def("activate_policy", set, tool.Destructive, "Set a policy ACTIVE: it starts deciding what CI/CD or the cluster admits. Answer undocumented: passed through.", activate, guardActivate,
			tool.Undo[schemas.ActivatePolicy]("deactivate_policy sets the policy INACTIVE again.")),
		tool.Def("deactivate_policy", set, tool.Destructive, "Set a policy INACTIVE: it stops deciding what CI/CD or the cluster admits. Answer undocumented: passed through.", deactivate, guardDeactivate,
			tool.Undo[schemas.DeactivatePolicy]("activate_policy sets the policy ACTIVE again.")),
		tool.Def("delete_policy", set, tool.Destructive, "Delete a policy and its versions. No Qualys page documents it: the answer is passed through.", deletePolicy, tool.Guarded(previewDeletePolicy)),
	}
}

const policyPath = "/centralizedPolicy/{policyId}"

func policyParams(id string) P { return P{"policyId": id} }

// readableRules shows rules with their metaData as an object (reads answer
// it as a JSON string, writes take an object).
func readableRules(v any) any {
	rules := objects(v)
	out := make([]any, 0, len(rules))
	for _, r := range rules {
		r["metaData"] = metaObject(r["metaData"])
		out = append(out, shape.DropNulls(r))
	}
	return out
}

// metaObject is a rule's metaData as an object, whichever way it came.
func metaObject(v any) any {
	if s, ok := v.(string); ok {
		var m any
		if json.Unmarshal([]byte(s), &m) == nil {
			return m
		}
	}
	return v
}

// ruleNames shows rules as "name (type, action)".
func ruleNames(v any) any {
	var out []any
	for _, r := range objects(v) {
		out = append(out, fmt.Sprintf("%s (%s, %s)", str(r["name"]), str(r["type"]), str(r["action"])))
	}
	return out
}

// tagRefs shows tags (objects on reads, UUIDs on writes) as uuid and name.
func tagRefs(v any) any {
	var out []any
	for _, t := range asSlice(v) {
		if m, ok := t.(map[string]any); ok {
			t = shape.Present(pick(m, "uuid", "name"))
		}
		out = append(out, t)
	}
	return out
}

func listPolicies(ctx context.Context, c *tool.Ctx, _ *schemas.None) (any, error) {
	return unpaged(ctx, c, "/centralizedPolicy", nil, policyListView)
}

func getPolicy(ctx context.Context, c *tool.Ctx, in *schemas.GetPolicy) (any, error) {
	var m map[string]any
	version := ""
	if in.Version > 0 {
		version = strconv.Itoa(in.Version)
	}
	if err := getQuery(ctx, c, policyPath, policyParams(in.PolicyID.PolicyID), &m, "version", version); err != nil {
		return nil, err
	}
	return policyView.Project(m, nil), nil
}

func getDefaultPolicy(ctx context.Context, c *tool.Ctx, _ *schemas.DefaultPolicy) (any, error) {
	m, err := getJSON(ctx, c, "/centralizedPolicy/defaultPolicy/{policyType}", P{"policyType": str(c.Args["policyType"])})
	if err != nil {
		return nil, err
	}
	return policyView.Project(m, nil), nil
}

func createPolicy(ctx context.Context, c *tool.Ctx, in *schemas.CreatePolicy) (any, error) {
	return create(ctx, c, client.Call{Method: http.MethodPost, Path: "/centralizedPolicy", Body: c.Args}, "policyId", []string{"uuid"},
		map[string]any{"policyName": in.PolicyName, "policyMode": c.Args["policyMode"]})
}

// policyBody turns a policy as GET answers it into the body PUT takes:
// rules' metaData as objects, tags as their UUIDs, k8sFilters by the
// create page's name.
func policyBody(cur map[string]any) map[string]any {
	b := pick(cur, "policyName", "policyType", "policyMode", "description", "assetType")
	var rules []any
	for _, r := range objects(cur["centralizedPolicyRules"]) {
		r = pick(r, "name", "type", "action", "isEnabled", "stopProcessing", "sortOrder", "metaData")
		r["metaData"] = metaObject(r["metaData"])
		rules = append(rules, r)
	}
	b["centralizedPolicyRules"] = rules
	var tags []any
	for _, t := range asSlice(cur["tagIds"]) {
		if m, ok := t.(map[string]any); ok {
			t = m["uuid"]
		}
		tags = append(tags, t)
	}
	if len(tags) > 0 {
		b["tagIds"] = tags
	}
	for _, k := range []string{"k8sFilters", "K8sFilters"} {
		if f := asSlice(cur[k]); len(f) > 0 {
			b["k8sFilters"] = f
		}
	}
	return shape.DropNulls(b).(map[string]any)
}

func updatePolicy(ctx context.Context, c *tool.Ctx, in *schemas.UpdatePolicy) (any, error) {
	id := in.PolicyID.PolicyID
	cur, err := getJSON(ctx, c, policyPath, policyParams(id))
	if err != nil {
		return nil, err
	}
	if mode, ok := c.Args["policyMode"]; ok && mode != cur["policyMode"] {
		return nil, tool.Invalid("policyMode", "is %s, but policy %s is %s: a policy's mode changes only with activate_policy or deactivate_policy, which ask the user first (leave policyMode out)",
			shape.ShownValue(mode), shape.Quote(str(cur["policyName"])), shape.ShownValue(cur["policyMode"]))
	}
	body := merge(policyBody(cur), argsWithout(c, "policyId"))
	return send(ctx, c, client.Call{Method: http.MethodPut, Path: policyPath, Params: policyParams(id), Body: body},
		map[string]any{"updated": true, "policyId": id})
}

// modeOf is a mode tool (activate_policy, deactivate_policy): its handler
// and its guard.
func modeOf[In any](mode string, id func(*In) string) (tool.Handler[In], tool.Option[In]) {
	run := func(ctx context.Context, c *tool.Ctx, in *In) (any, error) {
		return send(ctx, c, client.Call{Method: http.MethodPut, Path: policyPath + "/mode", Params: policyParams(id(in)), Body: map[string]any{"policyMode": mode}},
			map[string]any{"policyId": id(in), "policyMode": mode})
	}
	preview := func(ctx context.Context, c *tool.Ctx, in *In) (*tool.Preview, error) {
		return previewMode(ctx, c, id(in), mode)
	}
	return run, tool.Guarded(preview)
}

// policyScene is a policy as read, with the policies of its type: what a
// preview says of what it decides and what decides in its place.
type policyScene struct {
	cur         map[string]any
	label, what string
	deflt       string   // the type's default policy, named ("" if it is this one or unknown)
	others      []string // the other ACTIVE policies of its type, named
	target      map[string]any
}

func readScene(ctx context.Context, c *tool.Ctx, id string) (*policyScene, error) {
	cur, err := getJSON(ctx, c, policyPath, policyParams(id))
	if err != nil {
		return nil, err
	}
	all, err := unpaged(ctx, c, "/centralizedPolicy", nil, policyListView)
	if err != nil {
		return nil, err
	}
	typ := str(cur["policyType"])
	s := &policyScene{cur: cur, label: policyLabel(cur), what: decides(typ)}
	var peers []any
	for _, p := range all.Items {
		if str(p["policyType"]) != typ || str(p["uuid"]) == id {
			continue
		}
		peers = append(peers, pick(p, "uuid", "policyMode", "version", "updated"))
		name := fmt.Sprintf("%s (%s)", shape.Quote(str(p["policyName"])), shape.Quote(str(p["uuid"])))
		switch {
		case p["isDefault"] == true:
			s.deflt = name
		case str(p["policyMode"]) == "ACTIVE":
			s.others = append(s.others, name)
		}
	}
	s.target = map[string]any{"policy": pick(cur, "uuid", "policyMode", "version", "updated"), "sameType": peers}
	return s, nil
}

// decides says what a policy of a type decides.
func decides(typ string) string {
	switch typ {
	case "CICD":
		return "which images CI/CD builds pass"
	case "K8S_ADMISSION_CONTROLLER":
		return "which images the Kubernetes admission controller admits"
	}
	return "what CI/CD or the cluster admits"
}

// policyLabel names a policy for a person: name, ID, type, mode, version,
// rules, tags and Kubernetes scope.
func policyLabel(p map[string]any) string {
	var rules []string
	for _, r := range objects(p["centralizedPolicyRules"]) {
		off := ""
		if r["isEnabled"] == false {
			off = ", off"
		}
		rules = append(rules, fmt.Sprintf("%s (%s, %s%s)", shape.Quote(str(r["name"])), shape.Quote(str(r["type"])), shape.Quote(str(r["action"])), off))
	}
	var tags []string
	for _, t := range asSlice(tagRefs(p["tagIds"])) {
		if m, ok := t.(map[string]any); ok {
			t = m["name"]
		}
		tags = append(tags, shape.ShownValue(t))
	}
	s := fmt.Sprintf("%s (%s; %s, %s, version %s; %d rule(s): %s", shape.Quote(str(p["policyName"])), shape.Quote(str(p["uuid"])),
		shape.Quote(str(p["policyType"])), shape.Quote(str(p["policyMode"])), shape.ShownValue(p["version"]), len(rules), strings.Join(capList(rules, 5), ", "))
	if len(tags) > 0 {
		s += "; tags " + strings.Join(capList(tags, 10), ", ")
	} else {
		s += "; no tags"
	}
	for _, k := range []string{"k8sFilters", "K8sFilters"} {
		if f := asSlice(p[k]); len(f) > 0 {
			raw, _ := json.Marshal(f)
			s += "; Kubernetes scope " + shape.Quote(string(raw))
		}
	}
	return s + ")"
}

// instead says what decides in a policy's place, for the images it
// matched, once it stops deciding.
func (s *policyScene) instead() string {
	typ := shape.Quote(str(s.cur["policyType"]))
	if s.cur["isDefault"] == true {
		return fmt.Sprintf("It is the default %s policy, which decides where no other policy's tags all match: Qualys' pages do not say what decides there without it.", typ)
	}
	out := "The images it matched fall to "
	if s.deflt != "" {
		out += fmt.Sprintf("the default %s policy %s", typ, s.deflt)
	} else {
		out += fmt.Sprintf("the default %s policy", typ)
	}
	if len(s.others) > 0 {
		out += fmt.Sprintf(", or to another ACTIVE %s policy whose tags all match them (%s)", typ, strings.Join(capList(s.others, 10), ", "))
	}
	return out + "."
}

func previewMode(ctx context.Context, c *tool.Ctx, id, mode string) (*tool.Preview, error) {
	s, err := readScene(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if str(s.cur["policyMode"]) == mode {
		return nil, tool.Invalid("policyId", "policy %s is %s already: there is nothing to change", shape.Quote(str(s.cur["policyName"])), mode)
	}
	var summary string
	if mode == "ACTIVE" {
		summary = fmt.Sprintf("Activate policy %s: it starts deciding %s", s.label, s.what)
		if s.cur["isDefault"] == true {
			summary += ", wherever no other policy's tags all match (it is the default policy of its type)."
		} else {
			summary += ", for the images whose tags all match its tags, in place of " + cmp.Or(s.deflt, "the default policy of its type") + "."
		}
		if len(s.others) > 0 {
			summary += fmt.Sprintf(" Also ACTIVE for this type: %s; Qualys' pages do not say which decides where several match.", strings.Join(capList(s.others, 10), ", "))
		}
	} else {
		summary = fmt.Sprintf("Deactivate policy %s: it stops deciding %s. %s", s.label, s.what, s.instead())
	}
	return &tool.Preview{
		Summary: summary,
		Details: map[string]any{"policy": pick(s.cur, "uuid", "policyName", "policyType", "policyMode", "version", "isDefault"), "newMode": mode, "defaultPolicy": s.deflt, "otherActive": s.others},
		Target:  s.target,
	}, nil
}

func previewDeletePolicy(ctx context.Context, c *tool.Ctx, in *schemas.PolicyID) (*tool.Preview, error) {
	s, err := readScene(ctx, c, in.PolicyID)
	if err != nil {
		return nil, err
	}
	summary := fmt.Sprintf("Delete policy %s, with all its versions.", s.label)
	switch {
	case s.cur["isDefault"] == true:
		summary += fmt.Sprintf(" It is the default policy of its type, deciding %s where no other policy's tags all match: Qualys may refuse to delete it.", s.what)
	case str(s.cur["policyMode"]) == "ACTIVE":
		summary += fmt.Sprintf(" It stops deciding %s. %s", s.what, s.instead())
	default:
		summary += " It is INACTIVE: it decides nothing now."
	}
	return &tool.Preview{
		Summary: summary,
		Details: map[string]any{"policy": pick(s.cur, "uuid", "policyName", "policyType", "policyMode", "version", "isDefault"), "defaultPolicy": s.deflt, "otherActive": s.others},
		Target:  s.target,
	}, nil
}

func deletePolicy(ctx context.Context, c *tool.Ctx, in *schemas.PolicyID) (any, error) {
	return send(ctx, c, client.Call{Method: http.MethodDelete, Path: policyPath, Params: policyParams(in.PolicyID)},
		map[string]any{"deleted": true, "policyId": in.PolicyID})
}
