package sandbox

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Kubernetes security posture (KSPM, release 1.38): CIS Kubernetes
// Benchmark controls evaluated on the clusters' resources. Release 1.38
// names the four paths and the list's parameters; no page shows an answer.
// The sandbox answers a stand-in from its inventory's pods and namespaces
// (one cluster): each control's posture over the resources it checks, and
// the evidence per resource. Tools pass Qualys' answers through as they
// come, so these shapes are the sandbox's, not promises.

type k8sControl struct {
	ID                                                      int
	Name, Section, Criticality, Resource, Rationale, Remedy string
}

var k8sControls = []k8sControl{
	{ID: 20001, Name: "Minimize the admission of privileged containers", Section: "5.2.2", Criticality: "HIGH", Resource: "Pod"},
	{ID: 20002, Name: "Minimize the admission of containers wishing to share the host process ID namespace", Section: "5.2.3", Criticality: "HIGH", Resource: "Pod"},
	{ID: 20003, Name: "Minimize the admission of containers wishing to share the host network namespace", Section: "5.2.5", Criticality: "HIGH", Resource: "Pod"},
	{ID: 20004, Name: "Minimize the admission of containers with allowPrivilegeEscalation", Section: "5.2.6", Criticality: "MEDIUM", Resource: "Pod"},
	{ID: 20005, Name: "Minimize the admission of root containers", Section: "5.2.7", Criticality: "MEDIUM", Resource: "Pod"},
	{ID: 20006, Name: "Minimize the admission of containers with added capabilities", Section: "5.2.9", Criticality: "MEDIUM", Resource: "Pod"},
	{ID: 20007, Name: "Prefer using secrets as files over secrets as environment variables", Section: "5.4.1", Criticality: "LOW", Resource: "Pod"},
	{ID: 20008, Name: "Ensure that the default namespace is not used", Section: "5.7.4", Criticality: "LOW", Resource: "Namespace"},
	{ID: 20009, Name: "Apply Security Context to Your Pods and Containers", Section: "5.7.3", Criticality: "MEDIUM", Resource: "Pod"},
	{ID: 20010, Name: "Ensure that all Namespaces have Network Policies defined", Section: "5.3.2", Criticality: "MEDIUM", Resource: "Namespace"},
}

// KSPMControlID is a control the sandbox's KSPM answers know.
const KSPMControlID = 20001

const k8sCluster = "sandbox-cluster"

type k8sEvidence struct {
	ResourceType, ResourceName, Namespace, Posture, Evidence string
}

type kspm struct {
	evidence map[int][]k8sEvidence
}

// kspmOf evaluates the controls on the inventory's pods and namespaces.
func (inv *inventory) kspmOf() *kspm {
	if inv.kspm != nil {
		return inv.kspm
	}
	k := &kspm{evidence: map[int][]k8sEvidence{}}
	namespaces := map[string]bool{}
	var pods []*container
	for _, c := range inv.containers {
		if c.cluster != nil && c.state != "DELETED" {
			pods = append(pods, c)
			namespaces[c.cluster.K8s.Pod.Namespace] = true
		}
	}
	for _, ctl := range k8sControls {
		var ev []k8sEvidence
		if ctl.Resource == "Namespace" {
			for _, ns := range sortedKeys(namespaces) {
				fail := ctl.ID == 20008 && ns == "default" || ctl.ID == 20010 && fnvOf(ns)%3 == 0
				ev = append(ev, k8sEvidence{"Namespace", ns, ns, posture(!fail), fmt.Sprintf("namespace %s", ns)})
			}
		} else {
			for _, c := range pods {
				pass := true
				switch ctl.ID {
				case 20001:
					pass = !c.privileged
				case 20005:
					pass = !c.isRoot
				default:
					pass = fnvOf(fmt.Sprint(ctl.ID, c.uuid))%5 != 0
				}
				ev = append(ev, k8sEvidence{"Pod", c.cluster.K8s.Pod.Name, c.cluster.K8s.Pod.Namespace, posture(pass),
					fmt.Sprintf("privileged=%v runAsRoot=%v", c.privileged, c.isRoot)})
			}
		}
		k.evidence[ctl.ID] = ev
	}
	inv.kspm = k
	return k
}

func posture(pass bool) string {
	if pass {
		return "PASS"
	}
	return "FAIL"
}

func fnvOf(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

func (k *kspm) controlJSON(ctl k8sControl, detail bool) map[string]any {
	passed, failed := 0, 0
	for _, e := range k.evidence[ctl.ID] {
		if e.Posture == "PASS" {
			passed++
		} else {
			failed++
		}
	}
	m := map[string]any{"controlId": ctl.ID, "controlName": ctl.Name, "section": ctl.Section, "criticality": ctl.Criticality,
		"resourceType": ctl.Resource, "clusterName": k8sCluster, "posture": posture(failed == 0), "passedResources": passed, "failedResources": failed}
	if detail {
		m["benchmark"] = "CIS Kubernetes Benchmark"
		m["rationale"] = ctl.Name + " limits what a compromised workload can reach."
		m["remediation"] = "Change the workload's pod spec (or the namespace's policies) so that the check passes, and redeploy."
	}
	return m
}

func (a *invAPI) kspmControl(w http.ResponseWriter, r *http.Request) (k8sControl, bool) {
	id := r.PathValue("controlId")
	n, err := strconv.Atoi(id)
	if err != nil {
		badRequest(w, "controlId must be an integer")
		return k8sControl{}, false
	}
	for _, c := range k8sControls {
		if c.ID == n {
			return c, true
		}
	}
	notFound(w, "K8s control", id)
	return k8sControl{}, false
}

// kspmRoutes are the posture operations (served with the inventory).
func (a *invAPI) kspmRoutes() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"GET /k8s_postures/list": func(w http.ResponseWriter, r *http.Request) {
			k := a.inv.kspmOf()
			items := make([]map[string]any, 0, len(k8sControls))
			for _, c := range k8sControls {
				items = append(items, k.controlJSON(c, false))
			}
			if v := r.URL.Query().Get("limit"); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 || n > 250 {
					badRequest(w, "limit must be between 1 and 250")
					return
				}
				if q := r.URL.Query(); q.Get("pageSize") == "" {
					q.Set("pageSize", v) // limit is a page's size when pageSize is not given
					r.URL.RawQuery = q.Encode()
				}
			}
			listAnswer(w, r, items, "data")
		},
		"GET /k8s_postures/count": func(w http.ResponseWriter, r *http.Request) {
			k := a.inv.kspmOf()
			out := map[string]any{"totalControls": len(k8sControls)}
			by := map[string]int{}
			for _, c := range k8sControls {
				by[k.controlJSON(c, false)["posture"].(string)]++
			}
			out["passedControls"], out["failedControls"] = by["PASS"], by["FAIL"]
			writeJSON(w, http.StatusOK, out)
		},
		"GET /k8s_postures/control/{controlId}": func(w http.ResponseWriter, r *http.Request) {
			if c, ok := a.kspmControl(w, r); ok {
				writeJSON(w, http.StatusOK, a.inv.kspmOf().controlJSON(c, true))
			}
		},
		"GET /k8s_postures/control/{controlId}/evidence": func(w http.ResponseWriter, r *http.Request) {
			c, ok := a.kspmControl(w, r)
			if !ok {
				return
			}
			ev := a.inv.kspmOf().evidence[c.ID]
			data := make([]map[string]any, 0, len(ev))
			for _, e := range ev {
				data = append(data, map[string]any{"resourceType": e.ResourceType, "resourceName": e.ResourceName, "namespace": e.Namespace,
					"clusterName": k8sCluster, "posture": e.Posture, "evidence": e.Evidence})
			}
			sort.SliceStable(data, func(i, j int) bool {
				return strings.Compare(data[i]["posture"].(string), data[j]["posture"].(string)) < 0
			})
			writeJSON(w, http.StatusOK, map[string]any{"data": data, "count": len(data)})
		},
	}
}
