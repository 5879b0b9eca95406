package sandbox

import (
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
	"weak"
)

// The synthetic inventory: images, the containers running them on a few
// dozen hosts, the vulnerabilities found in their software, and compliance
// controls. It is generated from a fixed seed, so the same size gives the
// same inventory (timestamps are relative to the sandbox's start).

// DefaultInventory is the number of containers when Options.Scale is 0.
const DefaultInventory = 1000

type inventory struct {
	images        []*image // in generation order
	imageBySha    map[string]*image
	imageByID     map[string]*image // the short imageId
	containers    []*container
	containerBy   map[string]*container // sha, containerId and uuid
	controls      []Control
	instrumented  []InstrumentRequest
	version       int // bumped on every change, so that search docs are rebuilt
	docsVersion   int
	imageDocs     []map[string]any
	containerDocs []map[string]any
	exceptions    *exceptions // exceptions.go
	kspm          *kspm       // kspm.go, made on first use
}

// vulnDef is one QID of the knowledge base.
type vulnDef struct {
	QID       int
	Title     string
	Severity  int
	CVEs      []string
	Category  string
	Fix       string // fixed version; "" when no patch exists
	Published int64
	Cvss      string
	Cvss3     string
	Threat    ThreatIntel
	Vendor    string
	always    bool // found in every image with the package (the famous, exploited ones)
	doc       map[string]any
}

// pkgInst is one installed package and the vulnerabilities found in it.
type pkgInst struct {
	Name, Version string
	vulns         []*vulnInst
	layer         string // the SHA of the image layer that brought it ("" for drift)
	app           bool   // an application package, not the OS's
}

// vulnInst is a QID found in one package of one image.
type vulnInst struct {
	def         *vulnDef
	pkg         *pkgInst
	potential   bool
	first, last int64
	doc         map[string]any
	driftReason string // for a container's drift
}

type image struct {
	uuid, sha, imageID, os, arch, dockerVersion, author string
	family                                              string
	repo                                                []Repo
	digests                                             []RepoDigest
	registryUUIDs                                       []string
	labels                                              []Label
	layers                                              []Layer
	users                                               []string
	size                                                int64
	created, lastScanned                                int64
	source                                              string
	official                                            bool
	instrumentationState                                *string
	pkgs                                                []*pkgInst
	vulns                                               []*vulnInst
	vulnDocs                                            []any
	compliance                                          []ControlResult
	containers                                          []*container
}

type container struct {
	uuid, sha, containerID, name, state, command, ipv4, mac string
	image                                                   *image
	host                                                    *Host
	created, stateChanged, lastScanned, updated             int64
	isRoot, privileged                                      bool
	args, env                                               []string
	ports                                                   []PortMapping
	labels                                                  []Label
	cluster                                                 *Cluster
	drift                                                   []*vulnInst
	driftSoftware                                           []*pkgInst
	vulnDocs                                                []any
	compliance                                              []ControlResult
}

// inventories finds a Server's inventory (the Server struct is shared with
// the other areas of the sandbox). Entries go when their Server does.
var inventories sync.Map // weak.Pointer[Server] -> *invAPI

func (s *Server) registerInventory(a *invAPI) {
	key := weak.Make(s)
	inventories.Store(key, a)
	runtime.AddCleanup(s, func(k weak.Pointer[Server]) { inventories.Delete(k) }, key)
}

// inventory is the server's inventory, generated if need be; the caller
// holds s.mu.
func (s *Server) inventory() *inventory {
	v, _ := inventories.Load(weak.Make(s))
	return v.(*invAPI).load()
}

// InventoryImages returns every image as GET /images lists it.
func (s *Server) InventoryImages() []Image {
	return snapshot(s, func(inv *inventory) []*image { return inv.images }, (*image).listJSON)
}

// InventoryContainers returns every container as GET /containers lists it.
func (s *Server) InventoryContainers() []Container {
	return snapshot(s, func(inv *inventory) []*container { return inv.containers }, (*container).listJSON)
}

// snapshot renders the inventory's items under the server's lock.
func snapshot[I, T any](s *Server, items func(*inventory) []I, render func(I) T) []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := items(s.inventory())
	out := make([]T, 0, len(all))
	for _, it := range all {
		out = append(out, render(it))
	}
	return out
}

// InstrumentRequests returns the instrumentation requests accepted so far.
func (s *Server) InstrumentRequests() []InstrumentRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]InstrumentRequest(nil), s.inventory().instrumented...)
}

// ---- generation ----

type gen struct {
	r   *rand.Rand
	now int64 // ms, on the hour
}

func (g *gen) hex(n int) string {
	b := make([]byte, (n+1)/2)
	for i := range b {
		b[i] = byte(g.r.Uint32())
	}
	return hex.EncodeToString(b)[:n]
}

// uuid is a name-based (version 3) UUID, as Qualys gives images and containers.
func (g *gen) uuid() string {
	h := g.hex(32)
	return h[:8] + "-" + h[8:12] + "-3" + h[13:16] + "-" + "89ab"[g.r.IntN(4):][:1] + h[17:20] + "-" + h[20:]
}

func (g *gen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

// ago is a time between lo and hi before now, in ms.
func (g *gen) ago(lo, hi time.Duration) int64 {
	return g.now - int64(lo/time.Millisecond) - g.r.Int64N(int64((hi-lo)/time.Millisecond)+1)
}

type family struct {
	os, category, advisory string
	qidBase                int
	pkgs                   [][2]string // name, version
}

var families = map[string]family{
	"debian":  {"Debian GNU/Linux 11 (bullseye)", "Debian", "DSA %d-1", 178000, [][2]string{{"libc6", "2.31-13+deb11u3"}, {"openssl", "1.1.1n-0+deb11u3"}, {"libssl1.1", "1.1.1n-0+deb11u3"}, {"zlib1g", "1:1.2.11.dfsg-2+deb11u1"}, {"curl", "7.74.0-1.3+deb11u2"}, {"libcurl4", "7.74.0-1.3+deb11u2"}, {"bash", "5.1-2+deb11u1"}, {"tar", "1.34+dfsg-1"}, {"gzip", "1.10-4+deb11u1"}, {"libxml2", "2.9.10+dfsg-6.7+deb11u2"}, {"libexpat1", "2.2.10-2+deb11u3"}, {"libncursesw6", "6.2+20201114-2"}, {"e2fsprogs", "1.46.2-2"}, {"libsystemd0", "247.3-7+deb11u1"}, {"util-linux", "2.36.1-8+deb11u1"}, {"perl-base", "5.32.1-4+deb11u2"}, {"libgnutls30", "3.7.1-5+deb11u2"}, {"libkrb5-3", "1.18.3-6+deb11u2"}, {"libsqlite3-0", "3.34.1-3"}}},
	"ubuntu":  {"Ubuntu 20.04.5 LTS", "Ubuntu", "USN-%d-1", 198000, [][2]string{{"libc6", "2.31-0ubuntu9.9"}, {"openssl", "1.1.1f-1ubuntu2.16"}, {"libssl1.1", "1.1.1f-1ubuntu2.16"}, {"zlib1g", "1:1.2.11.dfsg-2ubuntu1.3"}, {"curl", "7.68.0-1ubuntu2.13"}, {"libcurl4", "7.68.0-1ubuntu2.13"}, {"bash", "5.0-6ubuntu1.2"}, {"tar", "1.30+dfsg-7ubuntu0.20.04.2"}, {"libxml2", "2.9.10+dfsg-5ubuntu0.20.04.4"}, {"libexpat1", "2.2.9-1ubuntu0.4"}, {"libsystemd0", "245.4-4ubuntu3.18"}, {"util-linux", "2.34-0.1ubuntu9.3"}, {"libgnutls30", "3.6.13-2ubuntu1.7"}, {"libkrb5-3", "1.17-6ubuntu4.1"}, {"libsqlite3-0", "3.31.1-4ubuntu0.4"}}},
	"alpine":  {"Alpine Linux v3.16", "Alpine Linux", "ALPINE-%d", 690000, [][2]string{{"musl", "1.2.3-r0"}, {"busybox", "1.35.0-r17"}, {"libcrypto3", "3.0.5-r0"}, {"libssl3", "3.0.5-r0"}, {"zlib", "1.2.12-r1"}, {"apk-tools", "2.12.9-r3"}, {"ssl_client", "1.35.0-r17"}, {"libcurl", "7.83.1-r3"}, {"expat", "2.4.8-r0"}, {"ncurses-libs", "6.3_p20220521-r0"}, {"sqlite-libs", "3.38.5-r0"}}},
	"rhel":    {"Red Hat Enterprise Linux 8.6 (Ootpa)", "RedHat", "RHSA-2022:%d", 240000, [][2]string{{"glibc", "2.28-189.el8"}, {"openssl-libs", "1:1.1.1k-6.el8_5"}, {"zlib", "1.2.11-18.el8_5"}, {"curl", "7.61.1-22.el8"}, {"libcurl", "7.61.1-22.el8"}, {"bash", "4.4.20-3.el8"}, {"systemd-libs", "239-58.el8"}, {"krb5-libs", "1.18.2-14.el8"}, {"libxml2", "2.9.7-13.el8"}, {"expat", "2.2.5-8.el8"}, {"sqlite-libs", "3.26.0-15.el8"}, {"python3-libs", "3.6.8-45.el8"}}},
	"oracle":  {"Oracle Linux Server 8.6", "OEL", "ELSA-2022-%d", 159000, [][2]string{{"glibc", "2.28-189.0.1.el8"}, {"openssl-libs", "1:1.1.1k-6.el8_5"}, {"zlib", "1.2.11-18.el8_5"}, {"curl", "7.61.1-22.el8"}, {"bash", "4.4.20-3.el8"}, {"krb5-libs", "1.18.2-14.el8"}, {"libxml2", "2.9.7-13.el8"}, {"expat", "2.2.5-8.el8"}}},
	"amazon":  {"Amazon Linux 2", "Amazon Linux", "ALAS2-2022-%d", 352000, [][2]string{{"glibc", "2.26-60.amzn2"}, {"openssl-libs", "1:1.0.2k-24.amzn2.0.4"}, {"zlib", "1.2.7-19.amzn2.0.1"}, {"curl", "7.79.1-4.amzn2.0.1"}, {"libcurl", "7.79.1-4.amzn2.0.1"}, {"bash", "4.2.46-34.amzn2"}, {"expat", "2.1.0-12.amzn2"}, {"krb5-libs", "1.15.1-51.amzn2"}, {"python-libs", "2.7.18-1.amzn2.0.5"}}},
	"busybox": {"BusyBox v1.35.0", "Local", "BUSYBOX-%d", 690500, [][2]string{{"busybox", "1.35.0"}}},
}

// apps are application packages; their QIDs are in category "Local".
var apps = map[string]struct {
	version, title string
	qidBase        int
}{
	"nginx":            {"1.21.6", "nginx", 730100},
	"redis":            {"6.2.6", "Redis", 730150},
	"postgresql":       {"13.7", "PostgreSQL", 730200},
	"nodejs":           {"16.15.0", "Node.js", 730250},
	"npm":              {"8.5.5", "npm", 730300},
	"lodash":           {"4.17.15", "lodash", 730350},
	"python3":          {"3.9.13", "Python", 730400},
	"pip":              {"22.0.4", "pip", 730450},
	"django":           {"3.2.12", "Django", 730500},
	"go":               {"1.18.3", "Go", 730550},
	"mysql":            {"8.0.29", "MySQL", 730600},
	"apache2":          {"2.4.53", "Apache HTTP Server", 730650},
	"openjdk":          {"11.0.15", "OpenJDK", 730700},
	"tomcat":           {"9.0.60", "Apache Tomcat", 730750},
	"log4j-core":       {"2.14.1", "Apache Log4j", 376150},
	"jackson-databind": {"2.12.3", "Jackson Databind", 730800},
	"spring-core":      {"5.3.16", "Spring Framework", 730850},
	"kafka":            {"3.1.0", "Apache Kafka", 730900},
	"elasticsearch":    {"7.16.2", "Elasticsearch", 730950},
	"grafana":          {"8.3.4", "Grafana", 731000},
	"prometheus":       {"2.33.1", "Prometheus", 731050},
	"traefik":          {"2.6.1", "Traefik", 731100},
	"celery":           {"5.2.3", "Celery", 731150},
}

var repoPool = []struct {
	name, registry, family string
	apps                   []string
	official               bool
}{
	{"library/nginx", "docker.io", "debian", []string{"nginx"}, true},
	{"library/redis", "docker.io", "debian", []string{"redis"}, true},
	{"library/postgres", "docker.io", "debian", []string{"postgresql"}, true},
	{"library/alpine", "docker.io", "alpine", nil, true},
	{"library/node", "docker.io", "debian", []string{"nodejs", "npm"}, true},
	{"library/python", "docker.io", "debian", []string{"python3", "pip"}, true},
	{"library/golang", "docker.io", "debian", []string{"go"}, true},
	{"library/mysql", "docker.io", "oracle", []string{"mysql"}, true},
	{"library/httpd", "docker.io", "debian", []string{"apache2"}, true},
	{"library/busybox", "docker.io", "busybox", nil, true},
	{"library/ubuntu", "docker.io", "ubuntu", nil, true},
	{"library/openjdk", "docker.io", "oracle", []string{"openjdk"}, true},
	{"library/tomcat", "docker.io", "ubuntu", []string{"openjdk", "tomcat", "log4j-core"}, true},
	{"bitnami/kafka", "docker.io", "debian", []string{"openjdk", "kafka", "log4j-core"}, false},
	{"bitnami/elasticsearch", "docker.io", "debian", []string{"openjdk", "elasticsearch", "log4j-core"}, false},
	{"grafana/grafana", "docker.io", "alpine", []string{"grafana"}, false},
	{"prom/prometheus", "docker.io", "busybox", []string{"prometheus"}, false},
	{"library/traefik", "docker.io", "alpine", []string{"traefik"}, true},
	{"acme/payments-api", "ecr", "alpine", []string{"go"}, false},
	{"acme/orders-service", "ecr", "debian", []string{"openjdk", "log4j-core", "jackson-databind", "spring-core"}, false},
	{"acme/web-frontend", "gcr", "alpine", []string{"nodejs", "npm", "lodash"}, false},
	{"acme/auth-service", "gcr", "ubuntu", []string{"python3", "pip", "django"}, false},
	{"acme/inventory-worker", "azure", "rhel", []string{"python3", "celery"}, false},
	{"acme/reporting", "ecr", "amazon", []string{"openjdk", "log4j-core"}, false},
	{"acme/search-indexer", "azure", "debian", []string{"openjdk", "elasticsearch", "log4j-core"}, false},
	{"acme/notifications", "gcr", "alpine", []string{"nodejs", "npm"}, false},
}

// famous are QIDs with their real CVEs, so that "where is CVE-X" has answers.
var famous = []struct {
	key, title, fix string // key: package, or family/package
	qid, sev        int
	cves            []string
	exploited       bool
}{
	{"log4j-core", "Apache Log4j Remote Code Execution (RCE) Vulnerability (Log4Shell)", "2.17.1", 376187, 5, []string{"CVE-2021-44228", "CVE-2021-45046"}, true},
	{"log4j-core", "Apache Log4j Denial of Service (DoS) Vulnerability", "2.17.0", 376209, 3, []string{"CVE-2021-45105"}, false},
	{"spring-core", "Spring Framework Remote Code Execution Vulnerability (Spring4Shell)", "5.3.18", 730857, 5, []string{"CVE-2022-22965"}, true},
	{"alpine/libcrypto3", "OpenSSL X.509 Email Address Buffer Overflow Vulnerability", "3.0.7-r0", 690021, 4, []string{"CVE-2022-3602", "CVE-2022-3786"}, false},
	{"debian/openssl", "OpenSSL Infinite Loop in BN_mod_sqrt() Denial of Service Vulnerability", "1.1.1n-0+deb11u4", 178019, 3, []string{"CVE-2022-0778"}, true},
	{"debian/zlib1g", "zlib Heap-Based Buffer Over-Read in inflate Vulnerability", "1:1.2.11.dfsg-2+deb11u2", 178023, 4, []string{"CVE-2022-37434"}, false},
	{"rhel/glibc", "GNU C Library Buffer Overflow in ld.so (Looney Tunables)", "2.28-225.el8", 240037, 4, []string{"CVE-2023-4911"}, true},
	{"lodash", "lodash Prototype Pollution Vulnerability", "4.17.21", 730353, 4, []string{"CVE-2020-8203", "CVE-2021-23337"}, false},
	{"alpine/busybox", "BusyBox netstat Escape Sequence Injection Vulnerability", "1.35.0-r18", 690503, 3, []string{"CVE-2022-28391"}, false},
}

// catalog builds the knowledge base: for every package a few QIDs.
func (g *gen) catalog() map[string][]*vulnDef {
	byPkg := map[string][]*vulnDef{}
	sevs := []int{1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 5}
	add := func(key, category, title string, qid int, sev int, cves []string, fix string, exploited bool) {
		d := &vulnDef{QID: qid, Title: title, Severity: sev, CVEs: cves, Category: category, Fix: fix,
			Published: g.ago(30*24*time.Hour, 3*365*24*time.Hour), Vendor: strings.ToLower(strings.Fields(category)[0])}
		base := float64(sev)*1.8 + g.r.Float64()
		d.Cvss = fmt.Sprintf("%.1f", math.Min(base, 10))
		d.Cvss3 = fmt.Sprintf("%.1f", math.Min(base+0.6, 10))
		d.Threat = ThreatIntel{PublicExploit: exploited || g.chance(0.15), EasyExploit: exploited, ActiveAttacks: exploited,
			DenialOfService: g.chance(0.2), HighDataLoss: sev == 5, NoPatch: fix == "", Malware: exploited && sev == 5,
			PublicExploitNames: []string{}, ExploitKitNames: []string{}, MalwareNames: []string{}}
		d.always = exploited
		d.doc = map[string]any{"qid": float64(qid), "title": title, "severity": float64(sev), "cveids": anySlice(cves),
			"category": category, "patchAvailable": fix != ""}
		byPkg[key] = append(byPkg[key], d)
	}
	cve := func() string { return fmt.Sprintf("CVE-%d-%d", 2019+g.r.IntN(5), 1000+g.r.IntN(45000)) }
	cves := func() []string {
		out := []string{cve()}
		for g.chance(0.35) && len(out) < 4 {
			out = append(out, cve())
		}
		return out
	}
	for _, name := range sortedKeys(families) {
		f := families[name]
		for i, p := range f.pkgs {
			for j := range 2 + g.r.IntN(3) {
				fix := ""
				if g.chance(0.75) {
					fix = p[1] + "+fix" + fmt.Sprint(j+1)
				}
				add(name+"/"+p[0], f.category, fmt.Sprintf("%s Security Update for %s (%s)", f.category, p[0], fmt.Sprintf(f.advisory, 4000+g.r.IntN(2000))),
					f.qidBase+i*10+j, sevs[g.r.IntN(len(sevs))], cves(), fix, false)
			}
		}
	}
	for _, name := range sortedKeys(apps) {
		a := apps[name]
		for j := range 2 + g.r.IntN(3) {
			fix := ""
			if g.chance(0.8) {
				fix = bumpVersion(a.version, j+1)
			}
			add(name, "Local", fmt.Sprintf("%s Multiple Vulnerabilities (%s %d)", a.title, g.pick([]string{"January", "April", "July", "October"}), 2020+g.r.IntN(4)),
				a.qidBase+j, sevs[g.r.IntN(len(sevs))], cves(), fix, false)
		}
	}
	for _, f := range famous {
		add(f.key, byPkg[f.key][0].Category, f.title, f.qid, f.sev, f.cves, f.fix, f.exploited)
	}
	return byPkg
}

func bumpVersion(v string, n int) string {
	i := strings.LastIndex(v, ".")
	var last int
	fmt.Sscan(v[i+1:], &last)
	return fmt.Sprintf("%s.%d", v[:i], last+n)
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func anySlice(xs []string) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// controlStatements are CIS Docker Benchmark controls: build (4.x, checked
// on images) and runtime (5.x, checked on containers).
var controlStatements = []string{
	"Ensure that a user for the container has been created",
	"Ensure that containers use only trusted base images",
	"Ensure that unnecessary packages are not installed in the container",
	"Ensure images are scanned and rebuilt to include security patches",
	"Ensure Content trust for Docker is Enabled",
	"Ensure that HEALTHCHECK instructions have been added to container images",
	"Ensure update instructions are not used alone in the Dockerfile",
	"Ensure setuid and setgid permissions are removed",
	"Ensure that COPY is used instead of ADD in Dockerfiles",
	"Ensure secrets are not stored in Dockerfiles",
	"Ensure only verified packages are installed",
	"Ensure that, if applicable, an AppArmor Profile is enabled",
	"Ensure that, if applicable, SELinux security options are set",
	"Ensure that Linux kernel capabilities are restricted within containers",
	"Ensure that privileged containers are not used",
	"Ensure sensitive host system directories are not mounted on containers",
	"Ensure sshd is not run within containers",
	"Ensure privileged ports are not mapped within containers",
	"Ensure that only needed ports are open on the container",
	"Ensure that the host's network namespace is not shared",
	"Ensure that the memory usage for containers is limited",
	"Ensure that CPU priority is set appropriately on containers",
	"Ensure that the container's root filesystem is mounted as read only",
	"Ensure that incoming container traffic is bound to a specific host interface",
	"Ensure that the 'on-failure' container restart policy is set to '5'",
	"Ensure that the host's process namespace is not shared",
	"Ensure that the host's IPC namespace is not shared",
	"Ensure that host devices are not directly exposed to containers",
	"Ensure that the default ulimit is overwritten at runtime if needed",
	"Ensure mount propagation mode is not set to shared",
	"Ensure that the host's UTS namespace is not shared",
	"Ensure the default seccomp profile is not Disabled",
	"Ensure that docker exec commands are not used with the privileged option",
	"Ensure that docker exec commands are not used with the user=root option",
	"Ensure that cgroup usage is confirmed",
	"Ensure that the container is restricted from acquiring additional privileges",
	"Ensure that container health is checked at runtime",
	"Ensure that the PIDs cgroup limit is used",
	"Ensure that Docker's default bridge 'docker0' is not used",
	"Ensure that the Docker socket is not mounted inside any containers",
}

const buildControls = 11 // the first statements are about images

func (g *gen) controls() []Control {
	crit := []string{"URGENT", "CRITICAL", "SERIOUS", "MEDIUM", "MINIMAL"}
	out := make([]Control, len(controlStatements))
	for i, st := range controlStatements {
		sub := "Container Runtime"
		if i < buildControls {
			sub = "Container Images and Build File"
		}
		var comments *string
		if i%7 == 3 {
			comments = strp("Scored in CIS Docker Benchmark v1.4.0")
		}
		out[i] = Control{ID: 19376 + i, Statement: st, Criticality: crit[g.r.IntN(len(crit))], Comments: comments,
			Deprecated: "false", Category: "Docker", SubCategory: sub,
			Technologies: []ControlTechnology{{TechnologyID: 414, TechnologyName: "Docker 20.x",
				Rational:    "Without this, a compromised container has more reach into its host and its neighbours than it needs. " + st + " limits that reach.",
				Remediation: st + ": change the Dockerfile or the run-time options accordingly, rebuild the image and redeploy the containers that use it."}}}
	}
	return out
}

func (g *gen) compliance(controls []Control, from, to, n int, at int64) []ControlResult {
	idx := g.r.Perm(to - from)[:n]
	sort.Ints(idx)
	out := make([]ControlResult, 0, n)
	for _, i := range idx {
		c := controls[from+i]
		posture, value := "PASS", "1"
		switch x := g.r.Float64(); {
		case x < 0.3:
			posture, value = "FAIL", "0"
		case x < 0.38:
			posture, value = "SETTING_NOT_FOUND", "161803399999999"
		}
		out = append(out, ControlResult{ControlID: c.ID, PolicyUUID: "5f1b1c4e-9c2f-3d6a-8e0b-5c0000000414", TechnologyID: 414,
			Criticality: c.Criticality, Posture: posture, LastEvaluated: Millis{Ms: at, Valid: true},
			Datapoints: []Label{{Key: fmt.Sprintf("dockersensor00.control.%d", c.ID), Value: value}}})
	}
	return out
}

// newInventory generates an inventory of n containers; registries are the
// seeded registries images may come from.
func newInventory(n int, now time.Time, registries map[string]*registry) *inventory {
	if n == 0 {
		n = DefaultInventory
	}
	n = max(n, 0)
	g := &gen{r: rand.New(rand.NewPCG(0x5eed, 0xc0ffee)), now: now.Truncate(time.Hour).UnixMilli()}
	inv := &inventory{imageBySha: map[string]*image{}, imageByID: map[string]*image{}, containerBy: map[string]*container{}}
	catalog := g.catalog()
	inv.controls = g.controls()
	regHost := map[string][2]string{"docker.io": {"docker.io", ""}}
	for _, pick := range [][2]string{{"ecr", "AWS"}, {"gcr", "Google"}, {"azure", "Azure"}} {
		for _, id := range sortedKeys(registries) {
			if r := registries[id]; r.Type == pick[1] {
				regHost[pick[0]] = [2]string{strings.TrimPrefix(r.URI, "https://"), r.UUID}
				break
			}
		}
		if _, ok := regHost[pick[0]]; !ok {
			regHost[pick[0]] = [2]string{pick[0] + ".example", ""}
		}
	}

	nImages := max(n*3/10, min(n, 3))
	for i := range nImages {
		rp := repoPool[i%len(repoPool)]
		f := families[rp.family]
		im := &image{uuid: g.uuid(), sha: g.hex(64), family: rp.family, os: f.os, arch: "amd64", dockerVersion: "20.10.12",
			official: rp.official, created: g.ago(24*time.Hour, 720*24*time.Hour), source: "GENERAL"}
		im.imageID = im.sha[:12]
		im.lastScanned = g.ago(0, 72*time.Hour)
		if g.chance(0.1) {
			im.arch = "arm64"
		}
		if !rp.official {
			im.author = "platform-team@acme.example"
		}
		reg := regHost[rp.registry]
		generation := i / len(repoPool)
		tag := fmt.Sprintf("%d.%d.%d", 1+generation/10, generation%10, g.r.IntN(10))
		im.repo = []Repo{{Registry: reg[0], Repository: rp.name, Tag: tag}}
		if generation == (nImages-1-i%len(repoPool))/len(repoPool) {
			im.repo = append(im.repo, Repo{Registry: reg[0], Repository: rp.name, Tag: "latest"})
		}
		im.digests = []RepoDigest{{Registry: reg[0], Repository: rp.name, Digest: "sha256:" + g.hex(64)}}
		if reg[1] != "" {
			im.registryUUIDs = []string{reg[1]}
			im.source = "REGISTRY"
		}
		im.labels = []Label{{Key: "org.opencontainers.image.source", Value: "https://github.com/" + rp.name}}
		if rp.official {
			im.labels = append(im.labels, Label{Key: "maintainer", Value: "Docker Official Images"})
		}
		im.users = []string{"root"}
		if g.chance(0.4) {
			im.users = append(im.users, "app")
		}
		for l := range 3 + g.r.IntN(8) {
			size := g.r.Int64N(60_000_000)
			im.size += size
			im.layers = append(im.layers, Layer{Created: Millis{Ms: im.created - int64(l)*60_000, Valid: true},
				CreatedBy: g.pick([]string{"/bin/sh -c #(nop) ADD file:" + g.hex(16) + " in / ", "/bin/sh -c apt-get update && apt-get install -y --no-install-recommends ca-certificates", "/bin/sh -c #(nop) COPY dir:" + g.hex(16) + " in /app ", "/bin/sh -c #(nop)  CMD [\"/app/start\"]"}),
				Sha:       "sha256:" + g.hex(64), Size: fmt.Sprintf("%.1f MB", float64(size)/1e6)})
		}
		// Software: the OS packages (a few may be missing) and the apps.
		for _, p := range f.pkgs {
			if g.chance(0.85) {
				im.pkgs = append(im.pkgs, &pkgInst{Name: p[0], Version: p[1]})
			}
		}
		for _, a := range rp.apps {
			im.pkgs = append(im.pkgs, &pkgInst{Name: a, Version: apps[a].version})
		}
		for _, p := range im.pkgs {
			key := rp.family + "/" + p.Name
			if _, ok := apps[p.Name]; ok {
				key = p.Name
			}
			for _, d := range catalog[key] {
				if d.always || g.chance(0.4) {
					v := &vulnInst{def: d, pkg: p, potential: g.chance(0.12), first: im.created + g.r.Int64N(max(im.lastScanned-im.created, 1)), last: im.lastScanned}
					v.doc = vulnDoc(v)
					p.vulns = append(p.vulns, v)
					im.vulns = append(im.vulns, v)
				}
			}
		}
		for _, v := range im.vulns {
			im.vulnDocs = append(im.vulnDocs, v.doc)
		}
		im.compliance = g.compliance(inv.controls, 0, buildControls, 6+g.r.IntN(5), im.lastScanned)
		inv.images = append(inv.images, im)
		inv.imageBySha[im.sha] = im
		inv.imageByID[im.imageID] = im
	}

	nHosts := max(4, n/25)
	hosts := make([]*Host, nHosts)
	for i := range hosts {
		ip := fmt.Sprintf("10.0.%d.%d", 1+i/200, 10+i%200)
		hosts[i] = &Host{Hostname: "ip-" + strings.ReplaceAll(ip, ".", "-"), IPAddress: ip,
			SensorUUID: g.uuid(), UUID: g.uuid()}
	}
	states := []string{"RUNNING", "RUNNING", "RUNNING", "RUNNING", "RUNNING", "RUNNING", "STOPPED", "STOPPED", "STOPPED", "CREATED", "PAUSED", "DELETED"}
	namespaces := []string{"default", "payments", "web", "monitoring", "data", "batch"}
	used := max(int(float64(nImages)*0.7), 1)
	for range n {
		im := inv.images[min(int(float64(used)*math.Pow(g.r.Float64(), 1.6)), used-1)]
		h := hosts[g.r.IntN(nHosts)]
		base := im.repo[0].Repository[strings.LastIndex(im.repo[0].Repository, "/")+1:]
		c := &container{uuid: g.uuid(), sha: g.hex(64), image: im, host: h, state: states[g.r.IntN(len(states))],
			name: base + "-" + g.hex(6) + "-" + g.hex(5), created: g.ago(time.Hour, 90*24*time.Hour),
			isRoot: g.chance(0.45), privileged: g.chance(0.08), ipv4: fmt.Sprintf("172.17.%d.%d", g.r.IntN(255), 2+g.r.IntN(250)),
			command: "/docker-entrypoint.sh", args: []string{base, "--port", "8080"},
			env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "APP_ENV=production", "LOG_LEVEL=info"}}
		c.containerID = c.sha[:12]
		c.mac = fmt.Sprintf("02:42:ac:11:%02x:%02x", g.r.IntN(256), g.r.IntN(256))
		c.stateChanged = c.created + g.r.Int64N(g.now-c.created+1)
		c.lastScanned = g.ago(0, 48*time.Hour)
		// Coarse update times, so that many containers share one: the bulk
		// list's cursor must page through ties.
		c.updated = g.now - int64(g.r.IntN(max(n/5, 1)))*int64(time.Hour/time.Millisecond)
		if g.chance(0.5) {
			c.ports = []PortMapping{{HostIP: "0.0.0.0", HostPort: 30000 + g.r.IntN(2000), Port: 8080, Protocol: "tcp"}}
		}
		c.labels = []Label{{Key: "app", Value: base}}
		if g.chance(0.6) {
			cl := &Cluster{Type: "kubernetes", Version: "1.24.3"}
			cl.K8s.Pod.Name, cl.K8s.Pod.Namespace, cl.K8s.Pod.UUID = c.name, g.pick(namespaces), g.uuid()
			cl.K8s.Pod.Label = c.labels
			cl.K8s.Node.Name = h.Hostname
			c.cluster = cl
		}
		if g.chance(0.05) {
			p := &pkgInst{Name: "netcat-openbsd", Version: "1.217-3"}
			d := &vulnDef{QID: 731500 + g.r.IntN(50), Title: "Unexpected netcat Installed in a Running Container", Severity: 3 + g.r.IntN(2),
				CVEs: []string{}, Category: "Local", Published: g.ago(30*24*time.Hour, 365*24*time.Hour), Cvss: "5.0", Cvss3: "5.3", Vendor: "local"}
			d.doc = map[string]any{"qid": float64(d.QID), "title": d.Title, "severity": float64(d.Severity), "cveids": []any{}, "category": d.Category, "patchAvailable": false}
			v := &vulnInst{def: d, pkg: p, first: c.stateChanged, last: c.lastScanned, driftReason: "ADDED"}
			v.doc = vulnDoc(v)
			p.vulns = []*vulnInst{v}
			c.drift, c.driftSoftware = []*vulnInst{v}, []*pkgInst{p}
		}
		c.vulnDocs = append(append([]any{}, im.vulnDocs...), func() []any {
			var d []any
			for _, v := range c.drift {
				d = append(d, v.doc)
			}
			return d
		}()...)
		c.compliance = g.compliance(inv.controls, buildControls, len(inv.controls), 8+g.r.IntN(8), c.lastScanned)
		im.containers = append(im.containers, c)
		inv.containers = append(inv.containers, c)
		inv.containerBy[c.sha] = c
		inv.containerBy[c.containerID] = c
		inv.containerBy[c.uuid] = c
	}
	documentAssets(inv)
	seedExceptions(inv)
	for _, im := range inv.images {
		layered(im)
	}
	return inv
}

// layered numbers an image's layers from its base (the oldest, listed
// last) and gives each package the layer that brought it: derived from
// what the generator made, so the inventory is the same as without it.
func layered(im *image) {
	for i := range im.layers {
		im.layers[i].LayerNumber, im.layers[i].IsBaseLayer = len(im.layers)-i, i == len(im.layers)-1
	}
	for _, p := range im.pkgs {
		_, p.app = apps[p.Name]
		if len(im.layers) > 0 {
			p.layer = im.layers[int(fnvOf(p.Name)%uint32(len(im.layers)))].Sha
		}
	}
}

func vulnDoc(v *vulnInst) map[string]any {
	m := make(map[string]any, len(v.def.doc)+3)
	for k, val := range v.def.doc {
		m[k] = val
	}
	m["typeDetected"] = v.typeDetected()
	m["software"] = []any{map[string]any{"name": v.pkg.Name, "version": v.pkg.Version}}
	m["firstFound"] = fmt.Sprint(v.first)
	return m
}

// ---- the API's shapes ----

func ms(v int64) Millis { return Millis{Ms: v, Valid: v > 0} }

func (v *vulnInst) typeDetected() string {
	if v.potential {
		return "POTENTIAL"
	}
	return "CONFIRMED"
}

func (v *vulnInst) software() []VulnSoftware {
	var fix *string
	if v.def.Fix != "" {
		fix = strp(v.def.Fix)
	}
	return []VulnSoftware{{Name: v.pkg.Name, Version: v.pkg.Version, FixVersion: fix}}
}

func (v *vulnInst) result() string {
	return fmt.Sprintf("#table cols=\"3\"\nPackage Installed_Version Required_Version\n%s %s %s", v.pkg.Name, v.pkg.Version, orDash(v.def.Fix))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (v *vulnInst) full(container bool) Vulnerability {
	d := v.def
	out := Vulnerability{AuthType: []string{"UNIX_AUTH"}, Category: d.Category, CustomerSeverity: d.Severity, Cveids: d.CVEs,
		Cvss3Info: &Cvss3Info{BaseScore: d.Cvss3, TemporalScore: d.Cvss3}, CvssInfo: &CvssInfo{AccessVector: strp("Network"), BaseScore: d.Cvss, TemporalScore: d.Cvss},
		DiscoveryType: []string{"AUTHENTICATED"}, FirstFound: ms(v.first), LastFound: ms(v.last), PatchAvailable: d.Fix != "",
		Product: []string{v.pkg.Name}, Published: d.Published, QID: d.QID, Result: v.result(), Risk: d.Severity * 10, Severity: d.Severity,
		Software: v.software(), SupportedBy: []string{"CS"}, ThreatIntel: &d.Threat, Title: d.Title, TypeDetected: v.typeDetected(),
		Vendor: []string{d.Vendor}}
	if v.pkg.layer != "" {
		out.LayerSha = strp(v.pkg.layer)
	}
	if out.Cveids == nil {
		out.Cveids = []string{}
	}
	res := v.result()
	if container {
		out.ContainerResult = &res
	} else {
		out.ImageResult = &res
	}
	return out
}

func counts(vulns ...[]*vulnInst) VulnCounts {
	var n [6]int
	for _, vs := range vulns {
		for _, v := range vs {
			n[v.def.Severity]++
		}
	}
	return VulnCounts{Severity5Count: &n[5], Severity4Count: &n[4], Severity3Count: &n[3], Severity2Count: &n[2], Severity1Count: &n[1]}
}

func (im *image) active() []*container {
	var out []*container
	for _, c := range im.containers {
		if c.state != "DELETED" {
			out = append(out, c)
		}
	}
	return out
}

func (im *image) hosts() []Host {
	seen := map[string]bool{}
	var out []Host
	for _, c := range im.active() {
		if !seen[c.host.UUID] {
			seen[c.host.UUID] = true
			out = append(out, *c.host)
		}
	}
	return out
}

func (im *image) lastFoundOnHost() *Host {
	var best *container
	for _, c := range im.containers {
		if best == nil || c.lastScanned > best.lastScanned {
			best = c
		}
	}
	if best == nil {
		return nil
	}
	h := *best.host
	return &h
}

func (im *image) instrumented() (bool, *string) {
	return im.instrumentationState != nil && *im.instrumentationState == "INSTRUMENTED", im.instrumentationState
}

func (im *image) authorPtr() *string {
	if im.author == "" {
		return nil
	}
	return strp(im.author)
}

// lastUsed is when one of the image's containers last changed state.
func (im *image) lastUsed() Millis {
	var last int64
	for _, c := range im.containers {
		last = max(last, c.stateChanged)
	}
	return ms(last)
}

func (im *image) listJSON() Image {
	isInstr, state := im.instrumented()
	return Image{LastUsedDate: im.lastUsed(), Created: ms(im.created), Updated: ms(im.lastScanned), Author: im.authorPtr(), Sha: im.sha, Repo: im.repo,
		RepoDigests: im.digests, UUID: im.uuid, Size: im.size, Vulnerabilities: counts(im.vulns), ImageID: im.imageID,
		AssociatedContainersCount: len(im.active()), AssociatedHostsCount: len(im.hosts()), LastScanned: ms(im.lastScanned),
		LastVMScanDate: ms(im.lastScanned), RegistryUUID: im.registryUUIDs, Source: []string{im.source},
		IsDockerHubOfficial: im.official, IsInstrumented: isInstr, InstrumentationState: state, ScanTypes: []string{"DYNAMIC"},
		ScanStatus: "SUCCESS", LastFoundOnHost: im.lastFoundOnHost(), OperatingSystem: im.os}
}

func (im *image) detailsJSON() ImageDetails {
	isInstr, state := im.instrumented()
	return ImageDetails{LastUsedDate: im.lastUsed(), Created: ms(im.created), Updated: ms(im.lastScanned), Author: im.authorPtr(), Repo: im.repo, RepoDigests: im.digests,
		Label: im.labels, UUID: im.uuid, Sha: im.sha, OperatingSystem: im.os, CustomerUUID: customerUUID, DockerVersion: im.dockerVersion,
		Size: im.size, Layers: im.layers, Host: im.hosts(), Architecture: im.arch, ImageID: im.imageID, RegistryUUID: im.registryUUIDs,
		Source: []string{im.source}, TotalVulnCount: len(im.vulns), Vulnerabilities: counts(im.vulns), Users: im.users,
		InstrumentationState: state, IsDockerHubOfficial: im.official, IsInstrumented: isInstr, ScanStatus: "SUCCESS",
		LastScanned: ms(im.lastScanned), LastFoundOnHost: im.lastFoundOnHost()}
}

func (im *image) bulkJSON() BulkImageDetails {
	isInstr, state := im.instrumented()
	vulns := make([]BulkVuln, 0, len(im.vulns))
	for _, v := range im.vulns {
		vulns = append(vulns, BulkVuln{QID: v.def.QID, Result: v.result(), Software: v.software()})
	}
	return BulkImageDetails{Created: ms(im.created), Updated: ms(im.lastScanned), Author: im.authorPtr(), Repo: im.repo, RepoDigests: im.digests,
		Label: im.labels, UUID: im.uuid, Sha: im.sha, OperatingSystem: im.os, CustomerUUID: customerUUID, ImageID: im.imageID,
		DockerVersion: im.dockerVersion, Size: im.size, Layers: im.layers, Architecture: im.arch, LastScanned: ms(im.lastScanned),
		RegistryUUID: im.registryUUIDs, Source: []string{im.source}, Users: im.users, LastFoundOnHost: im.lastFoundOnHost(),
		IsDockerHubOfficial: im.official, IsInstrumented: isInstr, InstrumentationState: state, Softwares: softwareJSON(im.pkgs),
		Vulnerabilities: vulns}
}

const customerUUID = "1ab79f42-6cc3-757c-83d9-b0562c8a6dc8"

func softwareJSON(pkgs []*pkgInst) []Software {
	out := make([]Software, 0, len(pkgs))
	for _, p := range pkgs {
		s := Software{Name: p.Name, Version: p.Version, Vulnerabilities: []SoftwareVuln{}, ScanType: "DYNAMIC", Lifecycle: p.lifecycle()}
		if p.app {
			s.PackagePath = strp("/opt/app/lib/" + p.Name)
		}
		for _, v := range p.vulns {
			s.Vulnerabilities = append(s.Vulnerabilities, SoftwareVuln{QID: v.def.QID, Severity: v.def.Severity, Title: v.def.Title, TypeDetected: v.typeDetected()})
			if v.def.Fix != "" && (s.FixVersion == nil || *s.FixVersion < v.def.Fix) {
				s.FixVersion = strp(v.def.Fix)
			}
		}
		out = append(out, s)
	}
	return out
}

// unknownDate is what the guide's lifecycle sample answers for a date not
// known: 1950-01-01.
var unknownDate = Millis{Ms: -631152000000, Valid: true}

// lifecycle is the package's support lifecycle, derived from its name and
// version: most are GA, some past end of support or of life.
func (p *pkgInst) lifecycle() *Lifecycle {
	h := fnvOf(p.Name + " " + p.Version)
	l := &Lifecycle{Stage: "GA", LifeCycleConfidence: "Exact", EOL: unknownDate, EOS: unknownDate, GA: Millis{Ms: 1500000000000 + int64(h%200)*86400000, Valid: true}}
	switch h % 7 {
	case 0:
		l.Stage, l.EOL, l.EOS = "EOL", Millis{Ms: 1672531200000, Valid: true}, Millis{Ms: 1640995200000, Valid: true}
	case 1:
		l.Stage, l.EOS = "EOS", Millis{Ms: 1704067200000, Valid: true}
	case 2:
		l.LifeCycleConfidence = "Approximate"
	}
	return l
}

// scanDetails is what ?scanDetails= asks of an image: its malware and
// secrets findings (and compliance, on the image's details). The guide
// names the parameter and its values, not the answer: these are the
// sandbox's stand-ins, derived from the image.
func (im *image) scanDetails(kinds string) map[string]any {
	if kinds == "" {
		return nil
	}
	out := map[string]any{}
	h := fnvOf(im.sha)
	for _, k := range strings.Split(kinds, ",") {
		switch k = strings.TrimSpace(k); k {
		case "malware":
			found := []map[string]any{}
			if h%13 == 0 {
				found = append(found, map[string]any{"name": "Linux.Trojan.CoinMiner", "path": "/usr/local/bin/.cache/kworker", "severity": "HIGH"})
			}
			out[k] = map[string]any{"count": len(found), "findings": found}
		case "secrets":
			found := []map[string]any{}
			if h%7 == 0 {
				found = append(found, map[string]any{"type": "AWS Access Key", "path": "/app/.env", "line": 3, "severity": "HIGH"})
			}
			out[k] = map[string]any{"count": len(found), "findings": found}
		case "compliance":
			failed := 0
			for _, c := range im.compliance {
				if c.Posture == "FAIL" {
					failed++
				}
			}
			out[k] = map[string]any{"controls": len(im.compliance), "failed": failed}
		}
	}
	return out
}

// qds is a vulnerability's Qualys Detection Score (1-100), derived from
// its severity and threat.
func (d *vulnDef) qds() int {
	q := d.Severity * 15
	if d.Threat.ActiveAttacks {
		q += 20
	}
	if d.Threat.PublicExploit {
		q += 10
	}
	return min(q, 100)
}

// risk is a container's TruRisk fields: its highest QDS, its asset
// criticality (1-5, derived from where it runs) and their score.
func (c *container) risk() ContainerRisk {
	maxQds := 0
	for _, v := range append(append([]*vulnInst{}, c.image.vulns...), c.drift...) {
		maxQds = max(maxQds, v.def.qds())
	}
	sev := "LOW"
	switch {
	case maxQds >= 90:
		sev = "CRITICAL"
	case maxQds >= 70:
		sev = "HIGH"
	case maxQds >= 40:
		sev = "MEDIUM"
	}
	where := c.host.Hostname
	r := ContainerRisk{Sources: []string{"GENERAL"}, HostArchitecture: []string{c.image.arch}, ScanTypes: []string{"DYNAMIC"},
		RiskScoreCalculatedDate: ms(c.lastScanned), FormulaUsed: strp("TruRisk"), CriticalityUpdated: ms(c.created), IsVulnPropagated: new(bool)}
	if d := c.image.digests; len(d) > 0 {
		r.ImageDigest = strp(strings.TrimPrefix(d[0].Digest, "sha256:"))
	}
	if cl := c.cluster; cl != nil {
		where = cl.K8s.Pod.Namespace
		r.Sources = []string{"CLUSTER"}
		r.ClusterQlp = strp("k8s://" + k8sCluster)
		r.NamespaceQlp = strp(*r.ClusterQlp + "/" + cl.K8s.Pod.Namespace)
		r.PodQlp = strp(*r.NamespaceQlp + "/" + cl.K8s.Pod.Name)
	}
	r.Criticality = 1 + int(fnvOf(where)%5)
	if maxQds > 0 {
		score := min(1000, maxQds*r.Criticality*2)
		r.MaxQdsScore, r.QdsSeverity, r.RiskScore = &maxQds, &sev, &score
	}
	return r
}

func (c *container) compliancePosture() map[string]int {
	m := map[string]int{"PASS": 0, "FAIL": 0}
	for _, r := range c.compliance {
		m[r.Posture]++
	}
	return m
}

func (c *container) listJSON() Container {
	isRoot := c.isRoot
	return Container{ImageID: c.image.imageID, Created: ms(c.created), Updated: ms(c.updated), Sha: c.sha, UUID: c.uuid, Name: c.name,
		Host: c.host, State: c.state, ImageUUID: c.image.uuid, ContainerID: c.containerID, StateChanged: ms(c.stateChanged),
		LastScanned: ms(c.lastScanned), LastVMScanDate: ms(c.lastScanned), IsRoot: &isRoot, Vulnerabilities: counts(c.image.vulns, c.drift),
		Compliance: c.compliancePosture(), LastComplianceScanned: ms(c.lastScanned)}
}

// detailsJSON is the container in full; bulk gives the bulk list's
// vulnerabilities (qid, result, software) instead of full ones.
func (c *container) detailsJSON(bulk bool) ContainerDetails {
	isRoot := c.isRoot
	var vulns any
	if bulk {
		vs := make([]BulkVuln, 0, len(c.image.vulns)+len(c.drift))
		for _, v := range append(append([]*vulnInst{}, c.image.vulns...), c.drift...) {
			vs = append(vs, BulkVuln{QID: v.def.QID, Result: v.result(), Software: v.software()})
		}
		vulns = vs
	} else {
		vs := make([]Vulnerability, 0, len(c.image.vulns)+len(c.drift))
		for _, v := range append(append([]*vulnInst{}, c.image.vulns...), c.drift...) {
			vs = append(vs, v.full(true))
		}
		vulns = vs
	}
	var drift *Drift
	if len(c.drift) > 0 {
		drift = &Drift{Category: []string{"SOFTWARE"}, Reason: []string{"ADDED"}}
		for _, p := range c.driftSoftware {
			sw := softwareJSON([]*pkgInst{p})[0]
			drift.Software = append(drift.Software, DriftSoftware{FixVersion: sw.FixVersion, Name: p.Name, Reason: "ADDED", Source: "RUNTIME", Version: p.Version, Vulnerabilities: sw.Vulnerabilities})
		}
		for _, v := range c.drift {
			drift.Vulnerability = append(drift.Vulnerability, v.full(true))
		}
	}
	return ContainerDetails{Arguments: c.args, Command: c.command, ContainerID: c.containerID, Created: ms(c.created), Updated: ms(c.updated),
		CustomerUUID: customerUUID, Drift: drift, Environment: c.env, Host: c.host, Hostname: c.containerID, ImageID: c.image.imageID,
		ImageSha: c.image.sha, ImageUUID: c.image.uuid, IPv4: c.ipv4, IsDrift: len(c.drift) > 0, IsRoot: &isRoot, Label: c.labels,
		LastScanned: ms(c.lastScanned), MacAddress: c.mac, Name: c.name, OperatingSystem: c.image.os, Path: c.command,
		PortMapping: c.ports, Privileged: c.privileged, SensorUUID: c.host.SensorUUID, Services: []Service{},
		Sha: c.sha, Softwares: softwareJSON(append(append([]*pkgInst{}, c.image.pkgs...), c.driftSoftware...)), Source: "GENERAL",
		State: c.state, StateChanged: ms(c.stateChanged), Users: c.image.users, UUID: c.uuid, Vulnerabilities: vulns, Cluster: c.cluster,
		ContainerRisk: c.risk()}
}

// docs returns the search documents of the images and containers: what
// QQL filters and sorts look at. A document is the item as listed, with
// its vulnerabilities in full (qid, severity, cveids, ...) instead of
// counts, and for a container the imageSha.
func (inv *inventory) docs() (images, containers []map[string]any) {
	if inv.imageDocs != nil && inv.docsVersion == inv.version {
		return inv.imageDocs, inv.containerDocs
	}
	inv.imageDocs = make([]map[string]any, len(inv.images))
	for i, im := range inv.images {
		d := asMap(im.listJSON())
		d["vulnerabilities"] = im.vulnDocs
		d["imagesInUse"] = d["lastUsedDate"] // the QQL token of an image's last use
		inv.imageDocs[i] = d
	}
	inv.containerDocs = make([]map[string]any, len(inv.containers))
	for i, c := range inv.containers {
		d := asMap(c.listJSON())
		d["vulnerabilities"] = c.vulnDocs
		d["imageSha"] = c.image.sha
		d["isDrift"] = len(c.drift) > 0
		d["privileged"] = c.privileged
		inv.containerDocs[i] = d
	}
	inv.docsVersion = inv.version
	return inv.imageDocs, inv.containerDocs
}

func (inv *inventory) image(id string) *image {
	if im := inv.imageBySha[strings.TrimPrefix(id, "sha256:")]; im != nil {
		return im
	}
	return inv.imageByID[id]
}

func (inv *inventory) removeImages(gone map[*image]bool) {
	var keep []*image
	for _, im := range inv.images {
		if gone[im] {
			delete(inv.imageBySha, im.sha)
			delete(inv.imageByID, im.imageID)
			continue
		}
		keep = append(keep, im)
	}
	inv.images = keep
	inv.version++
}

func (inv *inventory) removeContainers(gone map[*container]bool) {
	var keep []*container
	for _, c := range inv.containers {
		if gone[c] {
			delete(inv.containerBy, c.sha)
			delete(inv.containerBy, c.containerID)
			delete(inv.containerBy, c.uuid)
			var rest []*container
			for _, o := range c.image.containers {
				if o != c {
					rest = append(rest, o)
				}
			}
			c.image.containers = rest
			continue
		}
		keep = append(keep, c)
	}
	inv.containers = keep
	inv.version++
}
