package toolsets

import (
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

// The images toolset: the inventory tools (inventory.go) over /images, and
// what only images have: associations, registries, instrumentation.

var imageTimes = []string{"created", "updated", "lastScanned", "lastVmScanDate", "lastUsedDate"}

var imageShapes = map[string]func(any) any{"repo": repoTags, "vulnerabilities": bySeverity, "host": hostnames, "lastFoundOnHost": hostnames}

// imageView is an image in a list: dates to the day (get_image has the
// times).
var imageView = shape.View{
	Default: []string{"sha", "repo", "operatingSystem", "created", "lastScanned", "vulnerabilities", "associatedContainersCount", "scanDetails"},
	Times:   imageTimes,
	Shape:   with(imageShapes, day, "created", "lastScanned"),
}

var imageDetailView = shape.View{
	Default: append([]string{"uuid", "imageId", "size", "architecture", "author", "registryUuid", "source", "scanStatus", "isInstrumented", "instrumentationState", "totalVulnCount", "host", "lastUsedDate"}, imageView.Default...),
	Times:   imageTimes,
	Shape:   imageShapes,
}

var associatedHostView = shape.View{
	Default: []string{"type", "hostname", "ipAddress", "runningContainerCountForAssociatedImage", "stoppedContainerCountForAssociatedImage"},
}

var images = &resource{path: "/images", param: "imageSha", bulk: "list_images_with_details", list: imageView, detail: imageDetailView,
	del: deletion{what: "image", path: "/images", idsParam: "imageIds",
		name: func(m map[string]any) string {
			tags, _ := repoTags(m["repo"]).([]any)
			name := shape.Quote(str(m["imageId"]))
			if len(tags) > 0 {
				name = fmt.Sprintf("%s (%s)", shape.ShownValue(tags[0]), name)
			}
			return name
		},
		blocked:    func(m map[string]any) bool { return count(m["associatedContainersCount"]) > 0 },
		blockedWhy: "have active containers",
		target:     []string{"uuid", "sha", "associatedContainersCount"},
	}}

func imageTools() []tool.Tool {
	const set = "images"
	del, guard := deleteOf[schemas.DeleteImages](images)
	return []tool.Tool{
		tool.Def("list_images", set, tool.Read, "List images: sha, repo:tag, OS, vuln counts. QQL e.g. repo.repository:nginx, vulnerabilities.severity:5, vulnerabilities.cveids:`CVE-2021-44228`.", listOf[schemas.ListImages](images)),
		tool.Def("list_images_with_details", set, tool.Read, "List images in full, by cursor, past the 10,000-record cap.", listImagesDetails),
		tool.Def("get_image", set, tool.Read, "Get an image by sha or imageId: tags, OS, hosts, vuln counts, scanDetails asked.", getImage),
		tool.Def("get_image_vulnerabilities", set, tool.Read, "List an image's vulnerabilities, most severe first, with CVEs, fixes and layer.", imageVulns),
		tool.Def("get_image_vulnerability_count", set, tool.Read, "Count an image's vulnerabilities by severity.", vulnCountOf[schemas.ImageSha](images)),
		tool.Def("get_image_software", set, tool.Read, "List an image's packages, with versions and fixes.", itemRead[schemas.ImageSoftware](images, "/software", (*schemas.ImageSoftware).Software, software)),
		tool.Def("get_image_compliance", set, tool.Read, "List an image's compliance: PASS/FAIL per control.", itemRead[schemas.ImageCompliance](images, "/compliance", (*schemas.ImageCompliance).Compliance, compliance)),
		tool.Def("get_image_associations", set, tool.Read, "List the containers and hosts that use an image.", getImageAssociations),
		tool.Def("get_image_registries", set, tool.Read, "List the registries, repositories and tags an image is in.", getImageRegistries),
		tool.Def("instrument_image", set, tool.Write, "Add the Qualys runtime agent to an image: pull, instrument, push to pushRepository:pushTag.", instrumentImage),
		tool.Def("delete_images", set, tool.Destructive, "Delete images by UUID or filter (at most maxMatches, default 100); not those with active containers.", del, guard, tool.TaskOption[schemas.DeleteImages]()),
	}
}

// repoTags shows repo objects as "registry/repository:tag".
func repoTags(v any) any {
	arr, ok := v.([]any)
	if !ok {
		return v
	}
	out := make([]any, 0, len(arr))
	for _, e := range arr {
		m, ok := e.(map[string]any)
		if !ok {
			out = append(out, e)
			continue
		}
		s := str(m["repository"])
		if t := str(m["tag"]); t != "" {
			s += ":" + t
		}
		if r := str(m["registry"]); r != "" {
			s = r + "/" + s
		}
		out = append(out, s)
	}
	return out
}

func getImageAssociations(ctx context.Context, c *tool.Ctx, in *schemas.ImageAssociations) (any, error) {
	st, err := openCursor(c, in)
	if err != nil {
		return nil, err
	}
	var raw map[string]any
	if err := getQuery(ctx, c, images.at("/association"), images.params(in.Sha()), &raw, "filter", in.Filter, "type", in.Type); err != nil {
		return nil, err
	}
	var items []map[string]any
	counts := map[string]any{}
	for _, kind := range []struct{ key, typ string }{{"containers", "CONTAINER"}, {"driftContainers", "DRIFT"}, {"hosts", "HOST"}} {
		rows := objects(raw[kind.key])
		counts[kind.key] = len(rows)
		for _, row := range rows {
			row["type"] = kind.typ
			if kind.typ == "HOST" {
				items = append(items, associatedHostView.Project(row, nil))
			} else {
				items = append(items, containerView.Project(row, []string{"type"}))
			}
		}
	}
	return pageItems(c, st.Skip, items, map[string]any{"counts": counts})
}

func getImageRegistries(ctx context.Context, c *tool.Ctx, in *schemas.ImageSha) (any, error) {
	var rows []map[string]any
	if err := getInto(ctx, c, images.at("/associatedRegistries"), images.params(in.Sha()), &rows); err != nil {
		return nil, err
	}
	if rows == nil {
		rows = []map[string]any{}
	}
	return map[string]any{"items": rows, "count": len(rows)}, nil
}

func instrumentImage(ctx context.Context, c *tool.Ctx, in *schemas.InstrumentImage) (any, error) {
	id := strings.TrimPrefix(in.ImageSha.ImageSha, "sha256:")
	body := schemas.InstrumentRequest{ImageID: id[:min(12, len(id))], PullRegistryUUID: in.PullRegistryUUID, PullRepository: in.PullRepository,
		PullTag: in.PullTag, PushRepository: in.PushRepository, PushTag: in.PushTag}
	resp, err := c.Client.Do(ctx, client.Call{Method: http.MethodPost, Path: images.at("/instrument"), Params: images.params(in.Sha()), Body: body})
	if err != nil {
		return nil, err
	}
	out := map[string]any{"queued": true, "imageSha": in.ImageSha.ImageSha, "pushTo": in.PushRepository + ":" + in.PushTag}
	// The API answers a JSON string (the OpenAPI says so), or an object.
	var answer any
	if json.Unmarshal(resp.Body, &answer) == nil {
		switch a := answer.(type) {
		case string:
			out["message"] = a
		case map[string]any:
			out = merge(out, a)
		}
	}
	return out, nil
}

func listImagesDetails(ctx context.Context, c *tool.Ctx, in *schemas.BulkImagesWithScans) (any, error) {
	return listBulk(ctx, c, images.path+"/list", &in.BulkList, images.list, "scanDetails")
}

// getImage reads an image, with the scans scanDetails asks for (sent as
// given: kinds, comma-separated).
func getImage(ctx context.Context, c *tool.Ctx, in *schemas.GetImageWithScans) (any, error) {
	var m map[string]any
	if err := getQuery(ctx, c, images.at(""), images.params(in.Sha()), &m, "scanDetails", in.ScanDetails); err != nil {
		return nil, err
	}
	return images.detail.Project(m, in.Asked()), nil
}

// imageVulns is get_image_vulnerabilities: applyException and sort are
// the API's too (sort as the guide writes it: vulnerabilities.qid:asc).
func imageVulns(ctx context.Context, c *tool.Ctx, in *schemas.ImageVulnsWithExceptions) (any, error) {
	return vulnsQuery(ctx, c, images.at("/vuln"), images.params(in.Sha()), &in.VulnQuery, in, func() []string {
		q := []string{"sort", apiSort(in.Sort)}
		if in.ApplyException != nil {
			q = append(q, "applyException", strconv.FormatBool(*in.ApplyException))
		}
		return q
	})
}

// apiSort is a vulnerability sort as the API's token: the field under
// vulnerabilities. ("" stays "": the API's own order).
func apiSort(s string) string {
	if s == "" || strings.HasPrefix(s, "vulnerabilities.") {
		return s
	}
	return "vulnerabilities." + s
}
