package tools

import (
	"context"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/schemas"
)

var containerTimes = []string{"created", "updated", "stateChanged", "lastScanned", "lastVmScanDate", "lastComplianceScanned"}

var containerShapes = map[string]func(any) any{"host": hostnames, "vulnerabilities": bySeverity, "cluster": podName}

// containerView is a container in a list: the date it was created
// (get_container has the time).
var containerView = View{
	Default: []string{"sha", "name", "imageId", "state", "host", "created", "vulnerabilities"},
	Times:   containerTimes,
	Shape:   with(containerShapes, day, "created"),
}

var containerDetailView = View{
	Default: append([]string{"uuid", "containerId", "imageSha", "stateChanged", "lastScanned", "isRoot", "privileged", "isDrift", "operatingSystem", "cluster", "portMapping"}, containerView.Default...),
	Times:   containerTimes,
	Shape:   containerShapes,
}

// podName shows a Kubernetes cluster object as "namespace/pod".
func podName(v any) any {
	m, _ := v.(map[string]any)
	k8s, _ := m["k8s"].(map[string]any)
	pod, _ := k8s["pod"].(map[string]any)
	if pod == nil {
		return v
	}
	return str(pod["namespace"]) + "/" + str(pod["name"])
}

func containerTools() []Tool {
	const set = "containers"
	return []Tool{
		Def("list_containers", set, Read, "List containers: name, image, state, host, vuln counts. QQL e.g. state:`RUNNING`, host.hostname:`ip-10-0-1-12`.", listContainers),
		Def("list_containers_with_details", set, Read, "List containers in full, by cursor, past the 10,000-record cap.", listContainersDetails),
		Def("get_container", set, Read, "Get a container by sha or containerId: image, state, host, pod, privileges, drift.", getContainer),
		Def("get_container_vulnerabilities", set, Read, "List a container's vulnerabilities incl. drift, most severe first, with CVEs and fixes.", getContainerVulns),
		Def("get_container_vulnerability_count", set, Read, "Count a container's vulnerabilities by severity.", getContainerVulnCount),
		Def("get_container_software", set, Read, "List a container's packages, with versions and fixes.", getContainerSoftware),
		Def("get_container_compliance", set, Read, "List a container's compliance: PASS/FAIL per control.", getContainerCompliance),
		Def("delete_containers", set, Destructive, "Delete containers by UUID or filter (at most maxMatches, default 100).", deleteContainers, Guarded(previewDeleteContainers)),
	}
}

func containerParams(in schemas.ContainerSha) P { return P{"containerSha": in.ContainerSha} }

func listContainers(ctx context.Context, c *Ctx, in *schemas.ListContainers) (any, error) {
	return listPaged(ctx, c, "/containers", in.ListParams, containerView, in.Fields, "list_containers_with_details")
}

func listContainersDetails(ctx context.Context, c *Ctx, in *schemas.BulkList) (any, error) {
	return listBulk(ctx, c, "/containers/list", in, containerView)
}

func getContainer(ctx context.Context, c *Ctx, in *schemas.GetContainer) (any, error) {
	m, err := getJSON(ctx, c, "/containers/{containerSha}", containerParams(in.ContainerSha))
	if err != nil {
		return nil, err
	}
	return containerDetailView.project(m, in.Fields), nil
}

func getContainerVulns(ctx context.Context, c *Ctx, in *schemas.ContainerVulns) (any, error) {
	return vulnerabilities(ctx, c, "/containers/{containerSha}/vuln", containerParams(in.ContainerSha), &in.VulnQuery)
}

func getContainerVulnCount(ctx context.Context, c *Ctx, in *schemas.ContainerSha) (any, error) {
	return vulnCount(ctx, c, "/containers/{containerSha}/vuln/count", containerParams(*in))
}

func getContainerSoftware(ctx context.Context, c *Ctx, in *schemas.ContainerSoftware) (any, error) {
	return software(ctx, c, "/containers/{containerSha}/software", containerParams(in.ContainerSha), &in.SoftwareQuery)
}

func getContainerCompliance(ctx context.Context, c *Ctx, in *schemas.ContainerCompliance) (any, error) {
	return compliance(ctx, c, "/containers/{containerSha}/compliance", containerParams(in.ContainerSha), &in.ComplianceQuery)
}

var containerDeletion = deletion{what: "container", path: "/containers", idsParam: "containerIds",
	name: func(m map[string]any) string {
		return Quote(str(m["name"])) + " (" + Quote(str(m["containerId"])) + ", " + Quote(str(m["state"])) + ")"
	},
	target: []string{"uuid", "sha", "state"},
}

func previewDeleteContainers(ctx context.Context, c *Ctx, in *schemas.DeleteContainers) (*Preview, error) {
	return containerDeletion.preview(ctx, c, in.ContainerIds, in.Filter, in.MaxMatches)
}

func deleteContainers(ctx context.Context, c *Ctx, in *schemas.DeleteContainers) (any, error) {
	return containerDeletion.run(ctx, c, in.ContainerIds, in.Filter, in.MaxMatches)
}
