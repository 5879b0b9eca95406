package toolsets

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	json "github.com/segmentio/encoding/json"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/schemas"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/shape"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
)

// The exceptions toolset (the 2026 API): an exception accepts the risk of
// (or marks as false positive) the QIDs of a QID list on images or
// containers, from a start to an end date; while it is active, Qualys
// leaves those QIDs out of the asset's vulnerabilities. Assignments take
// the asset's UUID, the lists its SHA.

var exceptionView = shape.View{
	Default: []string{"exceptionId", "uuid", "name", "reason", "explanation", "scope", "entityAssignmentType", "imageSelectionType", "dynamicFilter", "listId", "qids", "startDate", "endDate", "updatedBy", "updated"},
	Times:   []string{"startDate", "endDate", "created", "updated"},
}

// exceptionHost is what exceptions are assigned to: images or containers.
type exceptionHost struct {
	kind, scope, path, shaParam string
	res                         *resource // its inventory resource: how a delete names one
	other                       string    // the tool that unassigns the other scope's exceptions
}

var (
	imageHost     = &exceptionHost{kind: "image", scope: "IMAGE", path: "/images", shaParam: "imageSha", res: images, other: "unassign_container_exceptions"}
	containerHost = &exceptionHost{kind: "container", scope: "CONTAINER", path: "/containers", shaParam: "containerSha", res: containers, other: "unassign_image_exceptions"}
)

func exceptionTools() []tool.Tool {
	const set = "exceptions"
	unImage, guardImage := unassignOf[schemas.UnassignImageExceptions](imageHost)
	unContainer, guardContainer := unassignOf[schemas.UnassignContainerExceptions](containerHost)
	return []tool.Tool{
		tool.Def("create_exception", set, tool.Write, "Accept QID list listId's QIDs on images or containers, from startDate to endDate.", createException),
		tool.Def("get_exception", set, tool.Read, "Get an exception: reason, scope, QID list, dates; includeQids lists its QIDs.", getException),
		tool.Def("update_exception", set, tool.Write, "Change an exception; fields merge over it. entityAssignmentRequest replaces its assets.", updateException, tool.Idempotent[schemas.UpdateException]()),
		tool.Def("list_image_exceptions", set, tool.Read, "List the exceptions on an image, by SHA.", listExceptionsOf[schemas.ImageSha](imageHost, func(in *schemas.ImageSha) string { return in.ImageSha })),
		tool.Def("assign_image_exceptions", set, tool.Write, "Put IMAGE exceptions on an image, by UUID: their QIDs stop counting on it and its containers.", assignOf[schemas.AssignImageExceptions](imageHost), tool.Idempotent[schemas.AssignImageExceptions]()),
		tool.Def("unassign_image_exceptions", set, tool.Destructive, "Take exceptions off an image, by UUID: what they covered is open again.", unImage, guardImage,
			tool.Undo[schemas.UnassignImageExceptions]("assign_image_exceptions puts the same exceptions on the image again.")),
		tool.Def("list_container_exceptions", set, tool.Read, "List the exceptions on a container, by SHA, its image's included.", listExceptionsOf[schemas.ContainerSha](containerHost, func(in *schemas.ContainerSha) string { return in.ContainerSha })),
		tool.Def("assign_container_exceptions", set, tool.Write, "Put CONTAINER exceptions on a container, by UUID.", assignOf[schemas.AssignContainerExceptions](containerHost), tool.Idempotent[schemas.AssignContainerExceptions]()),
		tool.Def("unassign_container_exceptions", set, tool.Destructive, "Take CONTAINER exceptions off a container, by UUID: what they covered is open again.", unContainer, guardContainer,
			tool.Undo[schemas.UnassignContainerExceptions]("assign_container_exceptions puts the same exceptions on the container again.")),
	}
}

const exceptionPath = "/exception/{exceptionId}"

func createException(ctx context.Context, c *tool.Ctx, in *schemas.CreateException) (any, error) {
	return create(ctx, c, client.Call{Method: http.MethodPost, Path: "/exception", Body: c.Args}, "exceptionId", []string{"exceptionId"},
		map[string]any{"name": in.Name, "endDate": shape.RFC3339(in.EndDate)})
}

// readException reads an exception as Qualys answers it, with its QIDs or
// not. The query says which, always: the documented samples send it.
func readException(ctx context.Context, c *tool.Ctx, id string, qids bool) (map[string]any, error) {
	var m map[string]any
	return m, getQuery(ctx, c, exceptionPath, P{"exceptionId": id}, &m, "includeQids", strconv.FormatBool(qids))
}

func getException(ctx context.Context, c *tool.Ctx, in *schemas.GetException) (any, error) {
	m, err := readException(ctx, c, in.ExceptionID.ExceptionID, in.IncludeQids)
	if err != nil {
		return nil, err
	}
	return exceptionView.Project(m, []string{"*"}), nil
}

// exceptionBody turns an exception as GET answers it into the body PUT
// takes (the create body). GET answers no assets: a body without
// entityAssignmentRequest leaves them as they are. STATIC, the default,
// is not sent, as the create sample sends it.
func exceptionBody(cur map[string]any) map[string]any {
	b := pick(cur, "name", "reason", "explanation", "scope", "listId", "startDate", "endDate")
	b["exceptionType"] = "VULNERABILITY"
	if cmp.Or(str(cur["entityAssignmentType"]), str(cur["imageSelectionType"])) == "DYNAMIC" {
		b["entityAssignmentType"], b["dynamicFilter"] = "DYNAMIC", cur["dynamicFilter"]
	}
	return shape.DropNulls(b).(map[string]any)
}

func updateException(ctx context.Context, c *tool.Ctx, in *schemas.UpdateException) (any, error) {
	id := in.ExceptionID.ExceptionID
	cur, err := readException(ctx, c, id, false)
	if err != nil {
		return nil, err
	}
	args := argsWithout(c, "exceptionId")
	if r, ok := args["entityAssignmentRequest"].(map[string]any); ok && len(r) == 0 {
		delete(args, "entityAssignmentRequest") // nothing in it (its nulls are absent): the assets stay
	}
	body := merge(exceptionBody(cur), args)
	if body["entityAssignmentType"] == "STATIC" && args["dynamicFilter"] == nil {
		delete(body, "dynamicFilter") // turned STATIC: the filter goes
	}
	// the merged body is a whole create body: check it as one
	var whole schemas.CreateException
	raw, _ := json.Marshal(body)
	if err := json.Unmarshal(raw, &whole); err != nil {
		return nil, err
	}
	if err := whole.Validate(); err != nil {
		return nil, fmt.Errorf("with exception %s as Qualys has it: %w", shape.Quote(id), err)
	}
	return send(ctx, c, client.Call{Method: http.MethodPut, Path: exceptionPath, Params: P{"exceptionId": id}, Body: body},
		map[string]any{"updated": true, "exceptionId": id})
}

func (h *exceptionHost) listPath() string { return h.path + "/{" + h.shaParam + "}/exceptions" }

func listExceptionsOf[In any](h *exceptionHost, sha func(*In) string) tool.Handler[In] {
	return func(ctx context.Context, c *tool.Ctx, in *In) (any, error) {
		return unpaged(ctx, c, h.listPath(), P{h.shaParam: sha(in)}, exceptionView)
	}
}

// assignment is the input of the assign and unassign tools: the asset's
// UUID and the exceptions.
type assignment interface{ Target() (string, []string) }

// assignCall is the PUT that assigns (ASSIGN) or removes (DEASSIGN)
// exceptions; its answer, the asset's UUID, is passed through.
func (h *exceptionHost) assignCall(ctx context.Context, c *tool.Ctx, event, uuid string, ids []string) (any, error) {
	return send(ctx, c, client.Call{Method: http.MethodPut, Path: h.path + "/{assetId}/exceptions", Params: P{"assetId": uuid},
		Body: map[string]any{"exceptionEvent": event, "exceptionIds": ids}}, map[string]any{"exceptionEvent": event, "exceptionIds": ids})
}

func assignOf[In any, PIn interface {
	*In
	assignment
}](h *exceptionHost) tool.Handler[In] {
	return func(ctx context.Context, c *tool.Ctx, in *In) (any, error) {
		uuid, ids := PIn(in).Target()
		return h.assignCall(ctx, c, "ASSIGN", uuid, ids)
	}
}

func unassignOf[In any, PIn interface {
	*In
	assignment
}](h *exceptionHost) (tool.Handler[In], tool.Option[In]) {
	run := func(ctx context.Context, c *tool.Ctx, in *In) (any, error) {
		uuid, ids := PIn(in).Target()
		return h.assignCall(ctx, c, "DEASSIGN", uuid, ids)
	}
	preview := func(ctx context.Context, c *tool.Ctx, in *In) (*tool.Preview, error) {
		uuid, ids := PIn(in).Target()
		return h.previewUnassign(ctx, c, uuid, ids)
	}
	return run, tool.Guarded(preview)
}

// hostView keeps what names an image or a container, and what the preview
// needs of it.
var hostView = shape.View{Default: []string{"uuid", "sha", "imageId", "repo", "name", "containerId", "state", "associatedContainersCount"}}

// byUUID reads the image or container a UUID names, from its list (the
// assignment takes the UUID, the other reads the SHA).
func (h *exceptionHost) byUUID(ctx context.Context, c *tool.Ctx, uuid string) (map[string]any, error) {
	res, err := list(ctx, c, h.path, nil, schemas.ListParams{Filter: "uuid:`" + uuid + "`", PageSize: 1}, nil, hostView, nil)
	if err != nil {
		return nil, err
	}
	if len(res.Items) == 0 || str(res.Items[0]["uuid"]) != uuid {
		return nil, tool.Invalid(h.kind+"Uuid", "no %s has UUID %s (the UUID, not the SHA)", h.kind, shape.Quote(uuid))
	}
	return res.Items[0], nil
}

// maxOthers is how many other exceptions of an asset the preview reads the
// QIDs of (one call each).
const maxOthers = 50

// previewUnassign names the exceptions that leave the asset and what is
// open on it again: the vulnerabilities an exception leaving hides now
// that no exception staying covers.
func (h *exceptionHost) previewUnassign(ctx context.Context, c *tool.Ctx, uuid string, ids []string) (*tool.Preview, error) {
	asset, err := h.byUUID(ctx, c, uuid)
	if err != nil {
		return nil, err
	}
	sha, name := str(asset["sha"]), h.res.del.name(asset)
	on, err := unpaged(ctx, c, h.listPath(), P{h.shaParam: sha}, exceptionView)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	var leaving []map[string]any
	var labels []string
	leavingQIDs, unknown := map[float64]bool{}, []string{}
	for _, id := range ids {
		if !slices.ContainsFunc(on.Items, func(x map[string]any) bool { return exceptionKey(x) == id }) {
			return nil, tool.Invalid("exceptionIds", "exception %s is not on %s %s", shape.Quote(id), h.kind, name)
		}
		x, err := readException(ctx, c, id, true)
		if err != nil {
			return nil, err
		}
		switch {
		case str(x["scope"]) != "" && str(x["scope"]) != h.scope:
			return nil, tool.Invalid("exceptionIds", "exception %s is a %s exception (on the %s's image): take it off with %s", shape.Quote(str(x["name"])), str(x["scope"]), h.kind, h.other)
		case cmp.Or(str(x["entityAssignmentType"]), str(x["imageSelectionType"])) == "DYNAMIC":
			return nil, tool.Invalid("exceptionIds", "exception %s is DYNAMIC: its filter %s picks its assets (change it with update_exception)", shape.Quote(str(x["name"])), shape.Quote(str(x["dynamicFilter"])))
		}
		leaving = append(leaving, pick(x, "exceptionId", "name", "reason", "listId", "startDate", "endDate", "updated"))
		labels = append(labels, exceptionLabel(x, now))
		if x["qids"] == nil {
			unknown = append(unknown, shape.Quote(str(x["name"])))
		}
		if active(x, now) {
			for _, q := range asSlice(x["qids"]) {
				leavingQIDs[num(q)] = true
			}
		}
	}
	staying, partial, err := stayingQIDs(ctx, c, on.Items, ids, now)
	if err != nil {
		return nil, err
	}
	hidden, err := h.hiddenVulns(ctx, c, sha)
	if err != nil {
		return nil, err
	}
	var exposed []map[string]any
	var shown []string
	for _, v := range hidden {
		if q := num(v["qid"]); leavingQIDs[q] && !staying[q] {
			exposed = append(exposed, pick(v, "qid", "severity", "cveids", "title"))
			shown = append(shown, vulnLabel(v))
		}
	}
	summary := fmt.Sprintf("Take %d exception(s) off %s %s (UUID %s): %s.", len(ids), h.kind, name, shape.Quote(uuid), strings.Join(labels, "; "))
	switch {
	case len(exposed) > 0:
		summary += fmt.Sprintf(" Open again on this %s: %d vulnerabilit(ies): %s.", h.kind, len(exposed), strings.Join(capList(shown, 20), ", "))
	default:
		summary += fmt.Sprintf(" Nothing is open again: the %s has none of their QIDs that no other exception covers.", h.kind)
	}
	if len(unknown) > 0 {
		summary += fmt.Sprintf(" Qualys answered no QIDs for %s: what they hide cannot be named.", strings.Join(unknown, ", "))
	}
	if partial {
		summary += fmt.Sprintf(" More than %d other exceptions are on it: some of these may stay covered.", maxOthers)
	}
	if n := count(asset["associatedContainersCount"]); h.scope == "IMAGE" && n > 0 {
		summary += fmt.Sprintf(" They stop covering its %d container(s) too.", n)
	}
	onIDs := make([]map[string]any, 0, len(on.Items))
	for _, x := range on.Items {
		onIDs = append(onIDs, map[string]any{"id": exceptionKey(x), "updated": x["updated"], "startDate": x["startDate"], "endDate": x["endDate"]})
	}
	return &tool.Preview{
		Summary: summary,
		Details: map[string]any{h.kind: pick(asset, "uuid", "sha"), "exceptions": leaving, "openAgain": exposed},
		Target:  map[string]any{"asset": pick(asset, "uuid", "sha"), "exceptions": onIDs, "leaving": leaving, "openAgain": exposed},
	}, nil
}

// exceptionKey is an exception's ID: uuid in the asset lists, exceptionId
// in the details.
func exceptionKey(x map[string]any) string { return cmp.Or(str(x["uuid"]), str(x["exceptionId"])) }

// stayingQIDs are the QIDs the active exceptions that stay on the asset
// cover (at most maxOthers are read: partial says more were there).
func stayingQIDs(ctx context.Context, c *tool.Ctx, on []map[string]any, leaving []string, now time.Time) (map[float64]bool, bool, error) {
	out := map[float64]bool{}
	n := 0
	for _, x := range on {
		id := exceptionKey(x)
		if slices.Contains(leaving, id) || !active(x, now) {
			continue
		}
		if n++; n > maxOthers {
			return out, true, nil
		}
		d, err := readException(ctx, c, id, true)
		if err != nil {
			return nil, false, err
		}
		for _, q := range asSlice(d["qids"]) {
			out[num(q)] = true
		}
	}
	return out, false, nil
}

// hiddenVulns are the vulnerabilities the active exceptions on an asset
// hide now, most severe first. An image's are those its list leaves out
// with applyException (the default) and shows without; a container's list
// takes no applyException, so all of them (the QIDs decide).
func (h *exceptionHost) hiddenVulns(ctx context.Context, c *tool.Ctx, sha string) ([]map[string]any, error) {
	read := func(apply string) ([]map[string]any, error) {
		var raw map[string]any
		q := []string{"type", "DETAILS"}
		if apply != "" {
			q = append(q, "applyException", apply)
		}
		if err := getQuery(ctx, c, h.path+"/{"+h.shaParam+"}/vuln", P{h.shaParam: sha}, &raw, q...); err != nil {
			return nil, err
		}
		if d, ok := raw["details"].(map[string]any); ok { // a container's: {vulns, driftVulns}
			return append(objects(d["vulns"]), objects(d["driftVulns"])...), nil
		}
		return objects(raw["details"]), nil
	}
	if h.scope != "IMAGE" {
		all, err := read("")
		return bySeverityDesc(all), err
	}
	all, err := read("false")
	if err != nil {
		return nil, err
	}
	shown, err := read("true")
	if err != nil {
		return nil, err
	}
	open := map[float64]bool{}
	for _, v := range shown {
		open[num(v["qid"])] = true
	}
	return bySeverityDesc(slices.DeleteFunc(all, func(v map[string]any) bool { return open[num(v["qid"])] })), nil
}

func bySeverityDesc(vs []map[string]any) []map[string]any {
	sort.SliceStable(vs, func(i, j int) bool {
		if a, b := num(vs[i]["severity"]), num(vs[j]["severity"]); a != b {
			return a > b
		}
		return num(vs[i]["qid"]) < num(vs[j]["qid"])
	})
	return vs
}

// active says whether an exception is in force at now (from its start to
// its end, either as epoch ms or RFC 3339).
func active(x map[string]any, now time.Time) bool {
	start, end := when(x["startDate"]), when(x["endDate"])
	return (start.IsZero() || !now.Before(start)) && (end.IsZero() || !now.After(end))
}

func when(v any) time.Time {
	if s, ok := shape.RFC3339(v).(string); ok {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// exceptionLabel names an exception for a person: its name, reason and
// end (or that it is not in force).
func exceptionLabel(x map[string]any, now time.Time) string {
	end := "no end date"
	if t := when(x["endDate"]); !t.IsZero() {
		end = "until " + t.UTC().Format(time.DateOnly)
	}
	if !active(x, now) {
		end += ", not in force now"
	}
	return fmt.Sprintf("%s (%s, %s, QID list %s)", shape.Quote(str(x["name"])), shape.Quote(str(x["reason"])), end, shape.Quote(str(x["listId"])))
}

// vulnLabel names a vulnerability: QID, severity, CVEs and title.
func vulnLabel(v map[string]any) string {
	var cves []string
	for _, c := range asSlice(v["cveids"]) {
		cves = append(cves, shape.Quote(fmt.Sprint(c)))
	}
	s := fmt.Sprintf("QID %s (severity %s", shape.ShownValue(v["qid"]), shape.ShownValue(v["severity"]))
	if len(cves) > 0 {
		s += ", " + strings.Join(capList(cves, 3), ", ")
	}
	return s + ", " + shape.Quote(str(v["title"])) + ")"
}

// capList keeps the first n, saying how many more there are.
func capList(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(slices.Clone(s[:n]), fmt.Sprintf("and %d more", len(s)-n))
}

func asSlice(v any) []any {
	a, _ := v.([]any)
	return a
}

// num is a JSON number (or a numeric string) as a float, 0 otherwise.
func num(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case string:
		f, _ := strconv.ParseFloat(x, 64)
		return f
	}
	return 0
}
