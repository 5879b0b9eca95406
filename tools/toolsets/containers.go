package toolsets

import (
	"github.com/qualys-cs-mcp/qualys-cs-mcp/schemas"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/shape"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
)

// The containers toolset: the inventory tools (inventory.go) over
// /containers.

var containerTimes = []string{"created", "updated", "stateChanged", "lastScanned", "lastVmScanDate", "lastComplianceScanned"}

var containerShapes = map[string]func(any) any{"host": hostnames, "vulnerabilities": bySeverity, "cluster": podName}

// containerView is a container in a list: the date it was created
// (get_container has the time).
var containerView = shape.View{
	Default: []string{"sha", "name", "imageId", "state", "host", "created", "vulnerabilities"},
	Times:   containerTimes,
	Shape:   with(containerShapes, day, "created"),
}

var containerDetailView = shape.View{
	Default: append([]string{"uuid", "containerId", "imageSha", "stateChanged", "lastScanned", "isRoot", "privileged", "isDrift", "operatingSystem", "cluster", "portMapping", "riskScore", "maxQdsScore", "qdsSeverity", "criticality"}, containerView.Default...),
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

var containers = &resource{path: "/containers", param: "containerSha", bulk: "list_containers_with_details", list: containerView, detail: containerDetailView,
	del: deletion{what: "container", path: "/containers", idsParam: "containerIds",
		name: func(m map[string]any) string {
			return shape.Quote(str(m["name"])) + " (" + shape.Quote(str(m["containerId"])) + ", " + shape.Quote(str(m["state"])) + ")"
		},
		target: []string{"uuid", "sha", "state"},
	}}

func containerTools() []tool.Tool {
	const set = "containers"
	del, guard := deleteOf[schemas.DeleteContainers](containers)
	return []tool.Tool{
		tool.Def("list_containers", set, tool.Read, "List containers: name, image, state, host, vuln counts. QQL e.g. state:`RUNNING`, host.hostname:`ip-10-0-1-12`.", listOf[schemas.ListContainers](containers)),
		tool.Def("list_containers_with_details", set, tool.Read, "List containers in full, by cursor, past the 10,000-record cap.", containers.listDetails),
		tool.Def("get_container", set, tool.Read, "Get a container by sha or containerId: image, state, host, pod, privileges, drift.", getOf[schemas.GetContainer](containers)),
		tool.Def("get_container_vulnerabilities", set, tool.Read, "List a container's vulnerabilities incl. drift, most severe first, with CVEs and fixes.", itemRead[schemas.ContainerVulns](containers, "/vuln", (*schemas.ContainerVulns).Vulns, vulnerabilities)),
		tool.Def("get_container_vulnerability_count", set, tool.Read, "Count a container's vulnerabilities by severity.", vulnCountOf[schemas.ContainerSha](containers)),
		tool.Def("get_container_software", set, tool.Read, "List a container's packages, with versions and fixes.", itemRead[schemas.ContainerSoftware](containers, "/software", (*schemas.ContainerSoftware).Software, software)),
		tool.Def("get_container_compliance", set, tool.Read, "List a container's compliance: PASS/FAIL per control.", itemRead[schemas.ContainerCompliance](containers, "/compliance", (*schemas.ContainerCompliance).Compliance, compliance)),
		tool.Def("delete_containers", set, tool.Destructive, "Delete containers by UUID or filter (at most maxMatches, default 100).", del, guard, tool.TaskOption[schemas.DeleteContainers]()),
	}
}
