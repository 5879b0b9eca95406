// Package prompts holds the MCP prompts for the common container-security
// workflows: each one is a short plan that names the server's tools and the
// QQL to give them, filled in with the caller's arguments.
package prompts

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/schemas"
)

// arg is one prompt argument. MCP prompt arguments are strings; check
// refuses a bad value before anything is rendered.
type arg struct {
	name, desc string
	required   bool
	def        string
	check      func(string) error // nil with values: one of the values
	values     []string           // what completion offers (and, without check, all it takes)
	list       bool               // comma-separated: completion completes the last item
	from       string             // completion asks the server: "registryProfiles", "repositories", "qql <tool>"
}

// prompt is one declared prompt; render gets every argument, defaults
// filled in and checked. needs are the tools its plan cannot do without.
type prompt struct {
	name, title, desc string
	args              []arg
	needs             []string
	render            func(a map[string]string) string
}

// Register adds the prompts whose tools the server offers (listed, or
// with toolsets on demand still to be enabled): with --read-only, for
// example, the prompts that create things are left out.
func Register(s *server.MCPServer, offered func(tool string) bool) {
	for _, p := range all {
		if !slices.ContainsFunc(p.needs, func(t string) bool { return !offered(t) }) {
			s.AddPrompt(p.mcp(), p.handle)
		}
	}
}

// Names lists every prompt, in the order they are registered.
func Names() []string {
	var n []string
	for _, p := range all {
		n = append(n, p.name)
	}
	return n
}

func (p prompt) mcp() mcp.Prompt {
	opts := []mcp.PromptOption{mcp.WithPromptTitle(p.title), mcp.WithPromptDescription(p.desc)}
	for _, a := range p.args {
		ao := []mcp.ArgumentOption{mcp.ArgumentDescription(a.desc)}
		if a.required {
			ao = append(ao, mcp.RequiredArgument())
		}
		opts = append(opts, mcp.WithArgument(a.name, ao...))
	}
	return mcp.NewPrompt(p.name, opts...)
}

func (p prompt) handle(_ context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
	vals, err := p.resolve(req.Params.Arguments)
	if err != nil {
		return nil, err
	}
	return mcp.NewGetPromptResult(p.desc, []mcp.PromptMessage{
		mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent(p.render(vals))),
	}), nil
}

// Complete is what completion/complete offers for a prompt's argument
// given what is typed so far: the argument's values that start with it
// (for a comma-separated list, its last item), or, in from, the list the
// server must ask Qualys for (this package calls nothing). ok is false for
// an unknown prompt or argument.
func Complete(prompt, argName, typed string) (values []string, from string, ok bool) {
	for _, p := range all {
		if p.name != prompt {
			continue
		}
		for _, a := range p.args {
			if a.name == argName {
				return Matching(a.values, typed, a.list), a.from, true
			}
		}
	}
	return nil, "", false
}

// Matching is the candidates that start with typed (case-insensitive);
// with list, typed is comma-separated and its last item is completed,
// each value then being the whole list.
func Matching(candidates []string, typed string, list bool) []string {
	head, last := "", typed
	if i := strings.LastIndex(typed, ","); list && i >= 0 {
		head, last = typed[:i+1], typed[i+1:]
	}
	last = strings.TrimSpace(last)
	var out []string
	for _, c := range candidates {
		if strings.HasPrefix(strings.ToLower(c), strings.ToLower(last)) && !(list && slices.Contains(splitList(head), c)) {
			out = append(out, head+c)
		}
	}
	return out
}

// resolve checks the arguments: unknown names, missing required ones and
// bad values are refused, naming the argument.
func (p prompt) resolve(in map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for k := range in {
		if !slices.ContainsFunc(p.args, func(a arg) bool { return a.name == k }) {
			return nil, fmt.Errorf("prompt %s: unknown argument %q", p.name, k)
		}
	}
	for _, a := range p.args {
		if a.check == nil && len(a.values) > 0 {
			a.check = oneOf(a.values...)
		}
		v := strings.TrimSpace(in[a.name])
		if v == "" {
			if a.required {
				return nil, fmt.Errorf("prompt %s: argument %q is required: %s", p.name, a.name, a.desc)
			}
			v = a.def
		}
		if v != "" && a.check != nil {
			if err := a.check(v); err != nil {
				return nil, fmt.Errorf("prompt %s: argument %q: %v", p.name, a.name, err)
			}
		}
		out[a.name] = v
	}
	return out, nil
}

// ---- argument checks ----

func intIn(lo, hi int) func(string) error {
	return func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("%q is not a whole number from %d to %d", s, lo, hi)
		}
		return nil
	}
}

func oneOf(vals ...string) func(string) error {
	return func(s string) error {
		if !slices.Contains(vals, s) {
			return fmt.Errorf("%q is not one of %s", s, strings.Join(vals, ", "))
		}
		return nil
	}
}

func matches(re *regexp.Regexp, what string) func(string) error {
	return func(s string) error {
		if !re.MatchString(s) {
			return fmt.Errorf("%q is not %s", s, what)
		}
		return nil
	}
}

// plain keeps a value from breaking out of a QQL backtick literal or the
// line it is rendered on.
func plain(s string) error {
	if strings.ContainsAny(s, "`\n") {
		return fmt.Errorf("must not contain backticks or line breaks")
	}
	return nil
}

var (
	cveRE  = regexp.MustCompile(`^CVE-\d{4}-\d{4,7}$`)
	timeRE = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
	shaRE  = regexp.MustCompile(`^(sha256:)?([0-9a-f]{12}|[0-9a-f]{64})$`)
	uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	uriRE  = regexp.MustCompile(`^https?://[^\s` + "`" + `]+$`)
	days   = []string{"SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"}
	bools  = []string{"true", "false"}
	// registryTypes are the types the tools' registryType describes.
	registryTypes = []string{"DockerHub", "V2", "V2_PRIVATE", "AWS", "Azure", "GCP", "GOOGLE_ARTIFACT_REGISTRY", "JFrog"}
)

func dayList(s string) error {
	for _, d := range splitList(strings.ToUpper(s)) {
		if !slices.Contains(days, d) {
			return fmt.Errorf("%q is not a day; use %s, comma-separated", d, strings.Join(days, ", "))
		}
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// and joins QQL terms, skipping empty ones.
func and(terms ...string) string {
	var t []string
	for _, s := range terms {
		if s = strings.TrimSpace(s); s != "" {
			t = append(t, s)
		}
	}
	return strings.Join(t, " and ")
}

// ---- the prompts ----

var all = []prompt{
	{
		name: "triage", title: "Vulnerability triage",
		desc: "The images and running containers with the most severe vulnerabilities, and what fixes them.",
		args: []arg{
			{name: "minSeverity", desc: "Lowest Qualys severity to report, 1-5 (default 4)", def: "4", check: intIn(1, 5), values: []string{"1", "2", "3", "4", "5"}},
			{name: "limit", desc: "How many images and containers to rank (default 10, at most 50)", def: "10", check: intIn(1, 50), values: []string{"5", "10", "20", "50"}},
			{name: "scope", desc: "Extra QQL to narrow the estate, e.g. repo.registry:`docker.io`", check: oneLine, from: "qql list_images"},
		},
		needs:  []string{"list_images", "list_containers", "get_image_vulnerabilities"},
		render: renderTriage,
	},
	{
		name: "cve_exposure", title: "A CVE across the estate",
		desc: "Which images and containers carry a CVE, and where they run.",
		args: []arg{
			{name: "cve", desc: "The CVE ID, e.g. CVE-2021-44228", required: true, check: matches(cveRE, "a CVE ID like CVE-2021-44228")},
			{name: "runningOnly", desc: "true: only containers in state RUNNING (default true)", def: "true", values: bools},
		},
		needs:  []string{"list_images", "list_containers"},
		render: renderCVE,
	},
	{
		name: "onboard_registry", title: "Onboard a registry",
		desc: "Validate and create a registry, give it a Registry sensor profile, and schedule its first scan.",
		args: []arg{
			{name: "registryType", desc: "e.g. DockerHub, V2, V2_PRIVATE, AWS, Azure, GCP, GOOGLE_ARTIFACT_REGISTRY, JFrog", required: true, check: plain, values: registryTypes},
			{name: "registryUri", desc: "The registry URL, e.g. https://registry-1.docker.io", required: true, check: matches(uriRE, "an http(s) URL")},
			{name: "registryName", desc: "A name for the registry (default: its host)", check: plain},
			{name: "sensorProfile", desc: "Name of the Registry sensor profile to attach (default: ask)", check: plain, from: "registryProfiles"},
			{name: "repos", desc: "Repositories to scan, comma-separated (default: ask)", check: plain, list: true, from: "repositories"},
			{name: "forceRescan", desc: "true: rescan every image on each run, where supported (default false)", def: "false", values: bools},
		},
		needs:  []string{"validate_registry", "create_registry", "create_registry_schedule"},
		render: renderOnboard,
	},
	{
		name: "sensor_health", title: "Sensor health",
		desc: "Sensors not checked in recently, in status UNKNOWN, or still on the Default profile, and what to do.",
		args: []arg{
			{name: "staleHours", desc: "A sensor is stale after this many hours without a check-in (default 24)", def: "24", check: intIn(1, 24*90), values: []string{"12", "24", "48", "72", "168"}},
			{name: "sensorType", desc: "REGISTRY, GENERAL or CICD (default: all)", values: []string{"REGISTRY", "GENERAL", "CICD"}},
		},
		needs:  []string{"list_sensors", "list_associable_sensors"},
		render: renderHealth,
	},
	{
		name: "sensor_profile_setup", title: "Sensor profile for General or CICD sensors",
		desc: "Create a General or CICD sensor profile with a weekly inactive window (sensor 1.21.0+) and attach sensors.",
		args: []arg{
			{name: "profileType", desc: "General or CICD", required: true, values: []string{"General", "CICD"}},
			{name: "profileName", desc: "Name of the new profile", required: true, check: plain},
			{name: "inactiveDays", desc: "Days the sensors rest, comma-separated, e.g. SATURDAY,SUNDAY (default: none)", check: dayList, values: days, list: true},
			{name: "inactiveStart", desc: "Start of the daily window, HH:MM (default: all day)", check: matches(timeRE, "a time HH:MM")},
			{name: "inactiveEnd", desc: "End of the daily window, HH:MM (with inactiveStart)", check: matches(timeRE, "a time HH:MM")},
		},
		needs:  []string{"list_associable_sensors", "create_sensor_profile"},
		render: renderProfile,
	},
	{
		name: "accept_risk", title: "Triage and accept risk",
		desc: "An image's critical vulnerabilities, what fixes them, and an exception with an end date for those the user accepts.",
		args: []arg{
			{name: "imageSha", desc: "The image's SHA (or its 12-character imageId)", required: true, check: matches(shaRE, "an image SHA or imageId (hex)")},
			{name: "days", desc: "How long the exception lasts, in days (default 30, at most 365)", def: "30", check: intIn(1, 365), values: []string{"7", "14", "30", "90"}},
			{name: "listId", desc: "UUID of the QID list holding the QIDs to accept (default: ask)", check: matches(uuidRE, "a UUID")},
			{name: "reason", desc: "RISK_ACCEPTED (default) or FALSE_POSITIVE", def: "RISK_ACCEPTED", values: []string{"RISK_ACCEPTED", "FALSE_POSITIVE"}},
			{name: "minSeverity", desc: "Lowest Qualys severity to triage, 4 or 5 (default 5: critical)", def: "5", values: []string{"4", "5"}},
		},
		needs:  []string{"get_image", "get_image_vulnerabilities", "list_image_exceptions", "create_exception", "assign_image_exceptions", "get_exception"},
		render: renderAcceptRisk,
	},
}

// oneLine lets a QQL scope hold backtick literals but not break the line
// it is rendered on.
func oneLine(s string) error {
	if strings.ContainsAny(s, "\n\r") {
		return fmt.Errorf("must be one line")
	}
	return nil
}

const qqlNote = "Filters are Qualys QQL: `field:value` terms joined by and/or, backticks for an exact value, `[a .. b]` ranges, dates like now-7d.\n"

func renderTriage(a map[string]string) string {
	sev := fmt.Sprintf("vulnerabilities.severity:[%s .. 5]", a["minSeverity"])
	return fmt.Sprintf(`Triage the container estate in Qualys Container Security. %s
1. Running containers: call list_containers with filter %s, sort created:desc, pageSize 100. Rank them by their vulnerabilities severity5Count, then severity4Count; keep the top %s.
2. Images: call list_images with filter %s the same way; keep the top %s, preferring images that running containers use (imageId).
3. For each kept image, call get_image_vulnerabilities with filter vulnerabilities.severity:[%s .. 5] (or get_container_vulnerabilities for a container): note each QID, title, CVEs, and whether a patch is available and the fixed software version.
4. Answer with one table per kind (name/repo:tag, host for containers, severity counts, top QIDs) and a fix list grouped by package: "upgrade openssl to 3.0.8 fixes N QIDs in M images". Say which images need a rebuild and which containers a redeploy. Change nothing.`,
		qqlNote, "`"+and("state:`RUNNING`", sev, a["scope"])+"`", a["limit"], "`"+and(sev, a["scope"])+"`", a["limit"], a["minSeverity"])
}

func renderCVE(a map[string]string) string {
	cve := "vulnerabilities.cveids:`" + a["cve"] + "`"
	containers := cve
	if a["runningOnly"] == "true" {
		containers = and("state:`RUNNING`", cve)
	}
	return fmt.Sprintf(`Find %[1]s across the container estate in Qualys Container Security. %[2]s
1. Images: call list_images with filter %[3]s (page with pageNumber until nextPage is absent; past 10,000 use list_images_with_details). Note repo:tag, sha and created.
2. Containers: call list_containers with filter %[4]s. Note name, image, host and state.
3. For the most exposed images, call get_image_associations to see the hosts and containers using them, and get_image_registries for where they are stored.
4. For one image, call get_image_vulnerabilities with filter %[3]s to read the QID, the affected software and the fixed version.
5. Answer: how many images and containers carry %[1]s, a table of images (repo:tag, registry, containers running it, hosts), and the fix. Change nothing.`,
		a["cve"], qqlNote, "`"+cve+"`", "`"+containers+"`")
}

func renderOnboard(a map[string]string) string {
	name := a["registryName"]
	if name == "" {
		name = "(ask the user; default the registry's host)"
	}
	profile := "one (ask the user which)"
	if a["sensorProfile"] != "" {
		profile = "the one named `" + a["sensorProfile"] + "`"
	}
	repos := "ask the user which repositories (and tags) to scan"
	if a["repos"] != "" {
		repos = "repositories " + strings.Join(splitList(a["repos"]), ", ")
	}
	force := "Leave forceScan off."
	if a["forceRescan"] == "true" {
		force = "Set forceScan true with additionalFilters {numberOfTags (1-20), sortCriteria createdDate}: forced rescans need sensor 1.21.0+ and apply only to Google Artifact Registry, GCR, Azure ACR and private registries; for any other type say so and leave it off."
	}
	return fmt.Sprintf(`Onboard a %[1]s registry at %[2]s into Qualys Container Security.
1. Check it is not already there: list_registries with filter registryUri:%[7]s.
2. Credentials: ask the user for them now (username and password, or an access token; AWS, Azure and GCP registries need an existing connector: list_aws_connectors, list_acr_connectors or list_gcp_connectors, and create_aws_connector, create_acr_connector or create_gcp_connector if none fits). Never repeat a secret back.
3. Call validate_registry with registryType %[1]s, registryUri %[2]s and the credentials. Stop and report if it fails.
4. Sensor profile: list_sensor_profiles with filter profileType:%[8]s and pick %[3]s; its sensors must be REGISTRY sensors that are checked in (list_sensor_profile_sensors).
5. Call create_registry with the same fields, registryName %[4]s and sensorProfileId of that profile. Note the new registryId.
6. Schedule the first scan: create_registry_schedule with registryId, onDemand true, filters [{repoTags: [{repo, tag}]}] for %[5]s. %[6]s
7. Confirm with get_registry and list_registry_schedules, and report the registry, its profile and the schedule.`,
		a["registryType"], a["registryUri"], profile, name, repos, force, "`"+a["registryUri"]+"`", "`Registry`")
}

func renderHealth(a map[string]string) string {
	typ, profType := "", "each of Registry, General and CICD"
	if a["sensorType"] != "" {
		typ = "sensorType:`" + a["sensorType"] + "`"
		profType = map[string]string{"REGISTRY": "Registry", "GENERAL": "General", "CICD": "CICD"}[a["sensorType"]]
	}
	h := a["staleHours"]
	return fmt.Sprintf(`Check the health of the Qualys Container Security sensors. %[1]s
1. Lost: list_sensors with filter %[2]s.
2. Stale: list_sensors with filter %[3]s (no check-in for %[4]s hours; sort lastCheckedIn:asc).
3. Unmanaged: list_associable_sensors with sensorProfileType %[5]s lists the sensors still on the Default profile.
4. Old: note sensors below version 1.21.0: General and CICD sensors need it for profiles and inactive windows, registry sensors for forced rescans.
5. Answer with a table per finding (hostname, sensorType, status, sensorVersion, lastCheckedIn, profile) and what to do: restart or reinstall stale sensors on their hosts; delete_sensors only for sensors in status UNKNOWN that are gone for good (it asks the user to confirm); move Default-profile sensors to a profile with attach_sensor_profile (list_associable_sensor_profiles shows which fit); upgrade old sensors. Do not delete or attach anything unless the user asks.`,
		qqlNote, "`"+and("status:`UNKNOWN`", typ)+"`", "`"+and("not lastCheckedIn:[now-"+h+"h .. now]", typ)+"`", h, profType)
}

// inactiveWindow builds the config the profile set-up prompt proposes, as
// the create_sensor_profile config argument takes it.
func inactiveWindow(a map[string]string) *schemas.ProfileConfig {
	d := splitList(strings.ToUpper(a["inactiveDays"]))
	if len(d) == 0 {
		return nil
	}
	w := schemas.InactiveWindow{RepeatOnDays: d}
	allDay := a["inactiveStart"] == "" || a["inactiveEnd"] == ""
	w.AllDayToggle = &allDay
	if !allDay {
		w.StartTime, w.EndTime = a["inactiveStart"], a["inactiveEnd"]
	}
	return &schemas.ProfileConfig{WeeklyBlackoutWindowSchedules: []schemas.InactiveWindow{w}}
}

func renderProfile(a map[string]string) string {
	typ := a["profileType"]
	window := "No inactive window was asked for: ask the user whether the sensors should rest on some days (e.g. weekends) and add config.weeklyBlackoutWindowSchedules if so."
	if cfg := inactiveWindow(a); cfg != nil {
		b, _ := json.Marshal(cfg)
		window = "Pass config " + string(b) + " (weeklyBlackoutWindowSchedules: repeatOnDays SUNDAY..SATURDAY, allDayToggle, or startTime/endTime HH:MM)."
	}
	return fmt.Sprintf(`Set up a %[1]s sensor profile named %[2]s in Qualys Container Security (v1.21: profiles for General and CICD sensors, with an inactive window).
1. Check the name is free: list_sensor_profiles with filter profileName:%[5]s.
2. Candidates: list_associable_sensors with sensorProfileType %[1]s lists the %[3]s sensors still on the Default profile. Keep those at sensorVersion 1.21.0 or later (older ones cannot take a profile or an inactive window: say which to upgrade). Ask the user which to include.
3. Call create_sensor_profile with profileName %[2]s, profileType %[1]s, associatedSensorIds (the chosen sensor UUIDs). %[4]s Optionally config.vulnerabilityManagement {scanningPolicy DynamicWithStaticScanningAsFallback or Dynamic, containerScanningInterval in hours, 48 recommended}.
4. Verify with get_sensor_profile and list_sensor_profile_sensors. Sensors added later join with attach_sensor_profile (list_associable_sensor_profiles with sensorType %[3]s shows the profiles they fit).
5. Report the profile, its sensors and its inactive window.`,
		typ, "`"+a["profileName"]+"`", strings.ToUpper(typ), window, "`"+a["profileName"]+"`")
}

func renderAcceptRisk(a map[string]string) string {
	days, _ := strconv.Atoi(a["days"])
	now := time.Now().UTC().Truncate(time.Minute)
	end := now.AddDate(0, 0, days)
	list := "ask the user for the listId of a QID list holding exactly the chosen QIDs"
	if a["listId"] != "" {
		list = "listId " + a["listId"] + " is the user's: ask them to confirm it holds exactly the chosen QIDs"
	}
	img, until := "`"+a["imageSha"]+"`", end.Format(time.DateOnly)
	return fmt.Sprintf(`Triage the severity %[2]s+ vulnerabilities of image %[1]s in Qualys Container Security, and accept the risk of those the user cannot fix now, until a date.
1. Call get_image with imageSha %[1]s: note its uuid (the exception tools take the UUID, not the SHA), repo:tag and associatedContainersCount.
2. Call get_image_vulnerabilities with imageSha %[1]s and minSeverity %[2]s: note each QID, title, CVEs and fix (patchAvailable, fixed version). Call list_image_exceptions with imageSha %[1]s for what is accepted already.
3. Show the user a table (QID, severity, CVEs, title, fix). Recommend fixing (rebuild with the fixed package) over accepting. Ask which QIDs to accept and why: the justification, in their words. Stop if none.
4. An exception covers the QIDs of a QID list, made in the Qualys UI (no API makes or reads one): %[3]s.
5. Call create_exception with name (e.g. accept <repo:tag> <QIDs>), reason %[4]s, explanation (the justification), scope IMAGE, listId, startDate %[5]d (now) and endDate %[6]d (%[7]s, %[8]d days on; epoch ms, as strings). Note its exceptionId.
6. Call get_exception with that exceptionId and includeQids true: its qids must be the chosen QIDs; if not, tell the user before going on.
7. Call assign_image_exceptions with imageUuid (step 1's uuid) and exceptionIds [exceptionId].
8. Verify: get_image_vulnerabilities with imageSha %[1]s no longer lists the accepted QIDs (the exception covers the image's containers too), and list_image_exceptions shows it. Report the exceptionId, QIDs, justification and end date: on %[7]s the QIDs count again.`,
		img, a["minSeverity"], list, a["reason"], now.UnixMilli(), end.UnixMilli(), until, days)
}
