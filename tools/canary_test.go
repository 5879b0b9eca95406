package tools_test

// The secrets canary: the whole catalogue runs with canary values for the
// Qualys password, the JWT, registry and connector credentials and the
// activation keys, through the guard's accept path and its token path, and
// none of them may appear in what the server writes: the protocol stream,
// stderr (at debug), the audit log, or any tool result — except the
// activation keys in the result of a confirmed reveal.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/toolsets"
)

// The canaries the test sends (the Qualys password is the harness's).
const (
	canaryQualysPass = "canary-pass-7f3a"
	canaryRegPass    = "canary-reg-password-3b71"
	canaryRegPass2   = "canary-reg-password-rotated-8e02"
	canaryRegToken   = "canary-reg-access-token-c4d9"
	canaryValidate   = "canary-validate-password-51aa"
	canaryACRSecret  = "canary-acr-client-secret-0f6e"
	canaryGCPKey     = "canary-gcp-private-key-a7d3"
	canaryDupPass    = "canary-dup-password-92bc"
	canaryBadKey     = "canary-bad-key-e510"
	activationID     = "39b63fbb-3e3a-4905-829f-aaae794079fc" // the sandbox's activation keys
	customerID       = "1ab79f42-6cc3-757c-83d9-b0562c8a6dc8"
)

func gcpKey(privateKey, kind string) string {
	b, _ := json.Marshal(map[string]string{"type": kind, "project_id": "cs-canary-4410", "private_key_id": "k1",
		"private_key": "-----BEGIN PRIVATE KEY-----\n" + privateKey + "\n-----END PRIVATE KEY-----\n", "client_email": "qualys@cs-canary-4410.iam.gserviceaccount.com"})
	return string(b)
}

// canaryFixture carries what earlier calls created to the later ones.
type canaryFixture struct {
	ids   map[string]string
	image sandbox.Image // unused, in a registry
	busy  sandbox.Image // with containers
	ctr   sandbox.Container
	gone  sandbox.Container
}

// newCanaryFixture picks the images and containers the calls use from the
// sandbox's inventory.
func newCanaryFixture(t *testing.T, e *Env) *canaryFixture {
	f := &canaryFixture{ids: map[string]string{}}
	f.image = imageBy(t, e, func(im sandbox.Image) bool { return im.AssociatedContainersCount == 0 && len(im.RegistryUUID) > 0 })
	f.busy = imageBy(t, e, func(im sandbox.Image) bool { return im.AssociatedContainersCount > 0 })
	f.ctr = invFirst(t, e.SB.InventoryContainers(), func(c sandbox.Container) bool { return c.State == "RUNNING" })
	f.gone = invFirst(t, e.SB.InventoryContainers(), func(c sandbox.Container) bool { return c.State == "DELETED" })
	return f
}

// canaryCall is one call of the catalogue run: its arguments (built when
// it runs, from what earlier calls created), whether it must fail, and
// which ID of its answer later calls use.
type canaryCall struct {
	tool string
	args func(f *canaryFixture) map[string]any
	fail bool   // a refusal that carries a secret in its arguments
	keep string // "as=key": remember the answer's key as f.ids[as]
}

func fixed(m map[string]any) func(*canaryFixture) map[string]any {
	return func(*canaryFixture) map[string]any { return m }
}

// one is a single argument taken from the fixture when the call runs.
func one(name string, v func(f *canaryFixture) any) func(*canaryFixture) map[string]any {
	return func(f *canaryFixture) map[string]any { return map[string]any{name: v(f)} }
}

// saved is an ID an earlier call answered.
func saved(key string) func(f *canaryFixture) any {
	return func(f *canaryFixture) any { return f.ids[key] }
}

func busySha(f *canaryFixture) any { return f.busy.Sha }
func ctrSha(f *canaryFixture) any  { return f.ctr.Sha }

// canaryCalls is the catalogue run, in an order where every call is valid
// against the sandbox.
func canaryCalls() []canaryCall {
	repoTags := []any{map[string]any{"repoTags": []any{map[string]any{"repo": "azuretest"}}}}
	return []canaryCall{
		// sensor profiles
		{tool: "list_sensor_profiles", args: fixed(map[string]any{})},
		{tool: "get_sensor_profile", args: fixed(map[string]any{"sensorProfileId": north})},
		{tool: "create_sensor_profile", keep: "profile=profileUuid", args: fixed(map[string]any{"profileName": "canary-profile", "profileType": "Registry",
			"associatedRegistryIds": []string{"1ec46398-23be-40fc-8cde-8b4bd916d5fa"}, "associatedSensorIds": []string{freeReg1}})},
		{tool: "update_sensor_profile", args: fixed(map[string]any{"sensorProfileId": general, "description": "night shift"})},
		{tool: "list_sensor_profile_registries", args: fixed(map[string]any{"sensorProfileId": north})},
		{tool: "list_sensor_profile_sensors", args: fixed(map[string]any{"sensorProfileId": north})},
		{tool: "list_associable_sensors", args: fixed(map[string]any{"sensorProfileType": "General"})},
		{tool: "list_associable_sensor_profiles", args: fixed(map[string]any{"sensorType": "GENERAL"})},
		{tool: "attach_sensor_profile", args: fixed(map[string]any{"sensorId": freeGen, "profileId": general})},
		{tool: "detach_sensor_profile", args: fixed(map[string]any{"sensorId": freeGen})},
		{tool: "delete_sensor_profile", args: func(f *canaryFixture) map[string]any {
			return map[string]any{"sensorProfileId": f.ids["profile"]}
		}},

		// sensors and activation keys
		{tool: "list_sensors", args: fixed(map[string]any{"pageSize": 100, "fields": []string{"*"}})},
		{tool: "get_sensor", args: fixed(map[string]any{"sensorId": freeGen})},
		{tool: "get_activation_keys", args: fixed(map[string]any{})},
		{tool: "get_activation_keys", args: fixed(map[string]any{"reveal": true})},
		{tool: "delete_sensors", args: fixed(map[string]any{"sensorIds": []string{unknownS}})},

		// connectors, then registries that use them
		{tool: "create_acr_connector", keep: "acr=connectorId", args: fixed(map[string]any{"name": "canary-acr", "applicationId": "7d9e1f20-3a4b-4c5d-8e6f-a0b1c2d3e4f5", "clientSecret": canaryACRSecret})},
		{tool: "create_acr_connector", fail: true, args: fixed(map[string]any{"name": "canary-acr", "applicationId": "7d9e1f20-3a4b-4c5d-8e6f-a0b1c2d3e4f5", "clientSecret": canaryACRSecret + "-dup"})},
		{tool: "list_acr_connectors", args: fixed(map[string]any{})},
		{tool: "get_acr_connector", args: one("connectorId", saved("acr"))},
		{tool: "get_aws_base_account", keep: "externalId=externalId", args: fixed(map[string]any{})},
		{tool: "create_aws_connector", args: func(f *canaryFixture) map[string]any {
			return map[string]any{"name": "canary-ecr", "arn": "arn:aws:iam::210987654321:role/qualys-ecr", "externalId": f.ids["externalId"]}
		}},
		{tool: "list_aws_connectors", args: fixed(map[string]any{})},
		{tool: "get_aws_connector", args: fixed(map[string]any{"accountId": "210987654321"})},
		{tool: "create_gcp_connector", keep: "gcp=connectorId", args: fixed(map[string]any{"name": "canary-gar", "serviceAccountJson": gcpKey(canaryGCPKey, "service_account")})},
		{tool: "create_gcp_connector", fail: true, args: fixed(map[string]any{"name": "canary-bad", "serviceAccountJson": gcpKey(canaryBadKey, "user")})},
		{tool: "list_gcp_connectors", args: fixed(map[string]any{})},
		{tool: "get_gcp_connector", args: one("connectorId", saved("gcp"))},

		// registries
		{tool: "list_registries", args: fixed(map[string]any{"pageSize": 100})},
		{tool: "validate_registry", args: fixed(map[string]any{"registryType": "V2-Private", "registryUri": "https://validate.canary.example",
			"credentialType": "BasicAuth", "credential": map[string]any{"username": "scanner", "password": canaryValidate}})},
		{tool: "create_registry", keep: "private=registryUuid", args: fixed(map[string]any{"registryType": "V2-Private", "registryUri": "https://registry.canary.example",
			"registryName": "canary-private", "credentialType": "BasicAuth", "credential": map[string]any{"username": "scanner", "password": canaryRegPass}, "sensorProfileId": north})},
		{tool: "create_registry", fail: true, args: fixed(map[string]any{"registryType": "V2-Private", "registryUri": "https://registry.canary.example",
			"registryName": "canary-private-2", "credentialType": "BasicAuth", "credential": map[string]any{"username": "scanner", "password": canaryDupPass}})},
		{tool: "create_registry", keep: "jfrog=registryUuid", args: fixed(map[string]any{"registryType": "JFrog", "registryUri": "https://canary.jfrog.io",
			"credentialType": "Token", "credential": map[string]any{"accessToken": canaryRegToken}})},
		{tool: "create_registry", args: func(f *canaryFixture) map[string]any {
			return map[string]any{"registryType": "Azure", "registryUri": "https://canary.azurecr.io", "acr": map[string]any{"connectorId": f.ids["acr"]}}
		}},
		{tool: "create_registry", args: func(f *canaryFixture) map[string]any {
			return map[string]any{"registryType": "GOOGLE_ARTIFACT_REGISTRY", "registryUri": "https://europe-west1-docker.pkg.dev",
				"gcar": map[string]any{"connectorId": f.ids["gcp"], "projectId": "cs-canary-4410", "registry": "images"}}
		}},
		{tool: "update_registry", args: func(f *canaryFixture) map[string]any {
			return map[string]any{"registryId": f.ids["private"], "credential": map[string]any{"password": canaryRegPass2}}
		}},
		{tool: "update_registry", fail: true, args: fixed(map[string]any{"registryId": "00000000-1111-2222-3333-444444444444", "credential": map[string]any{"password": canaryDupPass}})},
		{tool: "get_registry", args: one("registryId", saved("private"))},
		{tool: "get_registry", args: one("registryId", saved("jfrog"))},
		{tool: "list_registry_repositories", args: fixed(map[string]any{"registryId": dockerReg})},
		{tool: "delete_registry", args: one("registryId", saved("private"))},
		{tool: "delete_registries", args: func(f *canaryFixture) map[string]any {
			return map[string]any{"registryIds": []string{f.ids["jfrog"], quayReg}}
		}},

		// schedules
		{tool: "list_registry_schedules", args: fixed(map[string]any{"registryId": azureReg})},
		{tool: "create_registry_schedule", args: fixed(map[string]any{"registryId": azureReg, "onDemand": true, "name": "canary-now", "filters": repoTags})},
		{tool: "update_registry_schedule", args: fixed(map[string]any{"registryId": azureReg, "scheduleId": sandbox.TagsScheduleID, "name": "weekly"})},
		{tool: "cancel_registry_schedule", args: fixed(map[string]any{"registryId": ecrReg, "scheduleId": sandbox.RunningScheduleID})},
		{tool: "delete_registry_schedule", args: fixed(map[string]any{"registryId": azureReg, "scheduleId": sandbox.CreatedScheduleID})},
		{tool: "delete_registry_schedules", args: fixed(map[string]any{"registryId": azureReg, "scheduleIds": []string{sandbox.FinishedScheduleID}})},

		// images
		{tool: "list_images", args: fixed(map[string]any{"pageSize": 5, "fields": []string{"*"}})},
		{tool: "list_images_with_details", args: fixed(map[string]any{"limit": 2})},
		{tool: "get_image", args: func(f *canaryFixture) map[string]any {
			return map[string]any{"imageSha": f.busy.Sha, "fields": []string{"*"}}
		}},
		{tool: "get_image_vulnerabilities", args: one("imageSha", busySha)},
		{tool: "get_image_vulnerability_count", args: one("imageSha", busySha)},
		{tool: "get_image_software", args: one("imageSha", busySha)},
		{tool: "get_image_compliance", args: one("imageSha", busySha)},
		{tool: "get_image_associations", args: one("imageSha", busySha)},
		{tool: "get_image_registries", args: one("imageSha", func(f *canaryFixture) any { return f.image.Sha })},
		{tool: "instrument_image", args: func(f *canaryFixture) map[string]any {
			im := f.image
			return map[string]any{"imageSha": im.Sha, "pullRegistryUuid": im.RegistryUUID[0], "pullRepository": im.Repo[0].Repository,
				"pullTag": im.Repo[0].Tag, "pushRepository": im.Repo[0].Repository, "pushTag": im.Repo[0].Tag + "-qualys"}
		}},
		{tool: "delete_images", args: func(f *canaryFixture) map[string]any { return map[string]any{"imageIds": []string{f.image.UUID}} }},

		// containers
		{tool: "list_containers", args: fixed(map[string]any{"pageSize": 5, "fields": []string{"*"}})},
		{tool: "list_containers_with_details", args: fixed(map[string]any{"limit": 2})},
		{tool: "get_container", args: func(f *canaryFixture) map[string]any {
			return map[string]any{"containerSha": f.ctr.Sha, "fields": []string{"*"}}
		}},
		{tool: "get_container_vulnerabilities", args: one("containerSha", ctrSha)},
		{tool: "get_container_vulnerability_count", args: one("containerSha", ctrSha)},
		{tool: "get_container_software", args: one("containerSha", ctrSha)},
		{tool: "get_container_compliance", args: one("containerSha", ctrSha)},
		{tool: "delete_containers", args: func(f *canaryFixture) map[string]any { return map[string]any{"containerIds": []string{f.gone.UUID}} }},

		// controls
		{tool: "list_controls", keep: "control=items.0.id", args: fixed(map[string]any{"pageSize": 5})},
		{tool: "get_control", args: func(f *canaryFixture) map[string]any {
			return map[string]any{"controlId": json.Number(f.ids["control"])}
		}},

		// Kubernetes posture and tags
		{tool: "list_k8s_postures", args: fixed(map[string]any{"pageSize": 5})},
		{tool: "count_k8s_postures", args: fixed(map[string]any{})},
		{tool: "get_k8s_control", args: fixed(map[string]any{"controlId": fmt.Sprint(sandbox.KSPMControlID)})},
		{tool: "get_k8s_control_evidence", args: fixed(map[string]any{"controlId": fmt.Sprint(sandbox.KSPMControlID)})},
		{tool: "create_tag", args: fixed(map[string]any{"name": "canary-nginx", "reevaluate": true, "tagInfoDataList": []any{map[string]any{"entityType": "IMAGE", "rule": "image.repo.repository:nginx"}}})},
		{tool: "update_tag", args: fixed(map[string]any{"name": "canary-nginx", "entityTypeToAdd": []any{map[string]any{"entityType": "CONTAINER", "rule": "container.state:RUNNING"}}})},
		{tool: "evaluate_tag", args: fixed(map[string]any{"tagName": "canary-nginx"})},
		{tool: "assign_tags", args: func(f *canaryFixture) map[string]any {
			return map[string]any{"entityType": "IMAGE", "entitySha": f.busy.Sha, "tagName": "canary-team"}
		}},

		// reports
		{tool: "list_reports", args: fixed(map[string]any{})},
		{tool: "create_report", keep: "report=reportUuid", args: fixed(map[string]any{"name": "canary report", "templateName": "CS_IMAGE_VULNERABILITY", "filter": "severity:5"})},
		{tool: "download_report", args: fixed(map[string]any{"reportUuid": imageReport, "maxBytes": 2000})},
		{tool: "create_report_schedule", keep: "schedule=reportingScheduleID", args: fixed(map[string]any{"name": "canary weekly", "templateName": "CS_IMAGE_VULNERABILITY", "expireAfter": "7",
			"eventTime": "2026-06-01T08:00:00Z", "eventEndTime": "2099-06-01T08:00:00Z", "reportScheduleDetails": map[string]any{"recurrenceType": "WEEKLY", "selectedDayOfWeeks": []string{"MONDAY"}}})},
		{tool: "update_report_schedule", args: func(f *canaryFixture) map[string]any {
			return map[string]any{"reportingScheduleId": f.ids["schedule"], "expireAfter": "30"}
		}},
		{tool: "delete_reports", args: func(f *canaryFixture) map[string]any { return map[string]any{"reportUuids": []string{f.ids["report"]}} }},

		// exceptions
		{tool: "create_exception", keep: "exception=exceptionId", args: func(f *canaryFixture) map[string]any {
			return map[string]any{"name": "canary-accepted", "reason": "RISK_ACCEPTED", "scope": "IMAGE", "listId": sandbox.QIDListLog4j,
				"startDate": "1700000000000", "endDate": "4102358400000", "entityAssignmentRequest": map[string]any{"idsToAdd": []string{f.busy.UUID}}}
		}},
		{tool: "get_exception", args: func(f *canaryFixture) map[string]any {
			return map[string]any{"exceptionId": f.ids["exception"], "includeQids": true}
		}},
		{tool: "update_exception", args: func(f *canaryFixture) map[string]any {
			return map[string]any{"exceptionId": f.ids["exception"], "explanation": "until the rebuild"}
		}},
		{tool: "list_image_exceptions", args: one("imageSha", busySha)},
		{tool: "assign_image_exceptions", args: func(f *canaryFixture) map[string]any {
			return map[string]any{"imageUuid": f.busy.UUID, "exceptionIds": []string{sandbox.DocImageExceptionID}}
		}},
		{tool: "unassign_image_exceptions", args: func(f *canaryFixture) map[string]any {
			return map[string]any{"imageUuid": f.busy.UUID, "exceptionIds": []string{f.ids["exception"]}}
		}},
		{tool: "list_container_exceptions", args: one("containerSha", ctrSha)},
		{tool: "assign_container_exceptions", args: func(f *canaryFixture) map[string]any {
			return map[string]any{"containerUuid": f.ctr.UUID, "exceptionIds": []string{sandbox.DocContainerExceptionID}}
		}},
		{tool: "unassign_container_exceptions", args: func(f *canaryFixture) map[string]any {
			return map[string]any{"containerUuid": f.ctr.UUID, "exceptionIds": []string{sandbox.DocContainerExceptionID}}
		}},

		// policies
		{tool: "list_policies", args: fixed(map[string]any{})},
		{tool: "get_policy", args: fixed(map[string]any{"policyId": sandbox.DocPolicyID, "version": 1})},
		{tool: "get_default_policy", args: fixed(map[string]any{"policyType": "CICD"})},
		{tool: "create_policy", keep: "policy=policyId", args: fixed(map[string]any{"policyName": "canary-gate", "policyType": "CICD", "policyMode": "INACTIVE",
			"centralizedPolicyRules": []any{map[string]any{"name": "No_criticals", "type": "IMAGESCAN_VULN_SEVERITYCOUNT", "action": "DENY",
				"metaData": map[string]any{"operator": "GREATER_THAN", "severityLevel": 5, "threshold": 0}}}})},
		{tool: "update_policy", args: one("policyId", saved("policy"))},
		{tool: "activate_policy", args: one("policyId", saved("policy"))},
		{tool: "deactivate_policy", args: one("policyId", saved("policy"))},
		{tool: "delete_policy", args: one("policyId", saved("policy"))},
	}
}

// TestCanaryTableCoversTheCatalogue fails when a tool has no canary call
// (or a canary call names no tool).
func TestCanaryTableCoversTheCatalogue(t *testing.T) {
	all, err := toolsets.All()
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, c := range canaryCalls() {
		covered[c.tool] = true
	}
	for _, tl := range all {
		if !covered[tl.Name] {
			t.Errorf("%s has no entry in the canary table", tl.Name)
		}
		delete(covered, tl.Name)
	}
	for name := range covered {
		t.Errorf("the canary table calls %s, which is not a tool", name)
	}
}

// pickPath follows a dotted path (object keys, array indexes) in a result.
func pickPath(m map[string]any, path string) string {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			var i int
			fmt.Sscan(k, &i)
			if i >= len(x) {
				return ""
			}
			v = x[i]
		default:
			return ""
		}
	}
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return fmt.Sprint(int64(x))
	}
	return ""
}

// leak is one canary found where it must not be.
type leak struct{ where, canary string }

// canaries are the secrets by name; activation keys are separate, as a
// confirmed reveal may show them.
type canaries struct {
	secrets    map[string]string
	activation map[string]string
}

func (c canaries) find(where, text string, allowActivation bool) []leak {
	var out []leak
	for name, v := range c.secrets {
		if v != "" && strings.Contains(text, v) {
			out = append(out, leak{where, name})
		}
	}
	if !allowActivation {
		for name, v := range c.activation {
			if strings.Contains(text, v) {
				out = append(out, leak{where, name})
			}
		}
	}
	return out
}

func TestSecretsCanary(t *testing.T) {
	all, err := toolsets.All()
	if err != nil {
		t.Fatal(err)
	}
	tier := map[string]tool.Tier{}
	for _, tl := range all {
		tier[tl.Name] = tl.Tier
	}
	for _, mode := range []struct {
		name, protocol string
		elicit         Elicit
	}{{"accept/2025-11-25", "2025-11-25", Accept}, {"accept/newest", "", Accept}, {"token/2025-11-25", "2025-11-25", NoElicitation}, {"token/newest", "", NoElicitation}} {
		t.Run(mode.name, func(t *testing.T) {
			audit := filepath.Join(t.TempDir(), "audit.jsonl")
			wire := &syncBuffer{}
			flags := []string{"--audit-log", audit, "--log-level", "debug"}
			if mode.elicit == NoElicitation {
				flags = append(flags, tokenFlags...)
			}
			e := NewEnv(t, EnvOptions{Elicit: mode.elicit, Protocol: mode.protocol, Wire: wire, Flags: flags})
			logs := mode.protocol != "" // the newest protocol has no logging/setLevel
			if logs {
				if err := e.S.SetLoggingLevel(t.Context(), &mcp.SetLoggingLevelParams{Level: "debug"}); err != nil {
					t.Fatal(err)
				}
			}
			f := newCanaryFixture(t, e)

			type seen struct {
				where, text string
				reveal      bool
			}
			var results []seen
			record := func(where string, text string, structured any, reveal bool) {
				raw, _ := json.Marshal(structured)
				results = append(results, seen{where, text + "\n" + string(raw), reveal})
			}
			tokens, guarded := 0, 0
			for i, c := range canaryCalls() {
				args := c.args(f)
				where := fmt.Sprintf("result of call %d (%s)", i, c.tool)
				res := e.Call(c.tool, args)
				text := Text(res)
				reveal := c.tool == "get_activation_keys" && args["reveal"] == true
				if tier[c.tool] == tool.Destructive || reveal {
					guarded++
				}
				if m := mustObject(text); !res.IsError && m["confirmation_token"] != nil {
					// the token path: the preview, then the same call with the token
					if mode.elicit != NoElicitation {
						t.Fatalf("%s: a token with elicitation: %s", where, text)
					}
					record(where+" preview", text, res.StructuredContent, false)
					tokens++
					res = e.Call(c.tool, with(args, "confirmation_token", m["confirmation_token"]))
					text = Text(res)
				} else if mode.elicit == NoElicitation && (tier[c.tool] == tool.Destructive || reveal) {
					t.Fatalf("%s: no confirmation token without elicitation: %s", where, text)
				}
				if res.IsError != c.fail {
					t.Fatalf("%s(%v): error %v, want %v: %s", c.tool, args, res.IsError, c.fail, text)
				}
				m := mustObject(text)
				if m["cancelled"] == true || m["confirmationRequired"] == true {
					t.Fatalf("%s: not executed: %s", where, text)
				}
				if reveal && (m["activationId"] != activationID || m["customerId"] != customerID) {
					t.Fatalf("%s: the confirmed reveal shows %v", where, m)
				}
				if k, path, ok := strings.Cut(c.keep, "="); ok {
					if f.ids[k] = pickPath(m, path); f.ids[k] == "" {
						t.Fatalf("%s: no %s in %s", where, path, text)
					}
				}
				record(where, text, res.StructuredContent, reveal)
			}
			if mode.elicit == Accept && len(e.Elicited) != guarded {
				t.Fatalf("%d confirmations were asked, want %d", len(e.Elicited), guarded)
			}
			if mode.elicit == NoElicitation && tokens != guarded {
				t.Fatalf("%d tokens were issued, want %d", tokens, guarded)
			}
			e.S.Close() // the server has exited: stderr and the audit log are complete

			jwts := e.Tokens()
			if len(jwts) == 0 {
				t.Fatal("the sandbox issued no JWT")
			}
			cs := canaries{secrets: map[string]string{"Qualys password": canaryQualysPass, "registry password": canaryRegPass,
				"rotated registry password": canaryRegPass2, "registry access token": canaryRegToken, "validated password": canaryValidate,
				"ACR client secret": canaryACRSecret, "GCP private key": canaryGCPKey, "refused registry password": canaryDupPass,
				"refused GCP key": canaryBadKey, "seeded registry password": "seed-harbor-pass", "seeded ACR secret": "seed-acr-secret"},
				activation: map[string]string{"activationId": activationID, "customerId": customerID}}
			for i, j := range jwts {
				cs.secrets[fmt.Sprintf("JWT %d", i)] = j
				cs.secrets[fmt.Sprintf("JWT %d signature", i)] = j[strings.LastIndex(j, ".")+1:]
			}

			var leaks []leak
			for _, r := range results {
				leaks = append(leaks, cs.find(r.where, r.text, r.reveal)...)
			}
			stderr := e.Stderr.String()
			if !strings.Contains(stderr, "level=DEBUG") {
				t.Fatalf("stderr is not at debug: %s", stderr)
			}
			leaks = append(leaks, cs.find("stderr", stderr, false)...)
			trail, err := os.ReadFile(audit)
			if err != nil || !strings.Contains(string(trail), `"tool":"create_registry"`) || !strings.Contains(string(trail), `"password":"***"`) {
				t.Fatalf("audit log: %v: %s", err, trail)
			}
			leaks = append(leaks, cs.find("audit log", string(trail), false)...)
			auditLines(t, trail) // every write and destructive call of the catalogue names its target
			leaks = append(leaks, fromServer(t, cs, wire.String(), logs)...)
			for _, l := range leaks {
				t.Errorf("the %s appears in the %s", l.canary, l.where)
			}
		})
	}
}

// fromServer checks every message the server wrote on stdout (the wire's
// "read:" lines): log and progress notifications, elicitation requests
// and results. Answers to a reveal call may show the activation keys. The
// wire logs a request after sending it, so its answer may come first:
// the reveal calls are found before the answers are read.
func fromServer(t *testing.T, cs canaries, wire string, logs bool) []leak {
	t.Helper()
	type message struct {
		dir, text string
		ID        json.RawMessage `json:"id"`
		Method    string          `json:"method"`
		Params    struct {
			Name      string         `json:"name"`
			Arguments map[string]any `json:"arguments"`
		} `json:"params"`
	}
	var msgs []message
	reveals := map[string]bool{}
	for _, line := range strings.Split(wire, "\n") {
		dir, text, _ := strings.Cut(line, ": ")
		if dir != "read" && dir != "write" {
			continue
		}
		m := message{dir: dir, text: text}
		if err := json.Unmarshal([]byte(text), &m); err != nil {
			t.Fatalf("wire: %v: %s", err, line)
		}
		if dir == "write" && m.Method == "tools/call" && m.Params.Name == "get_activation_keys" && m.Params.Arguments["reveal"] == true {
			reveals[string(m.ID)] = true
		}
		msgs = append(msgs, m)
	}
	var out []leak
	n := 0
	for _, m := range msgs {
		if m.dir == "read" {
			n++
			out = append(out, cs.find("protocol stream (stdout)", m.text, m.Method == "" && reveals[string(m.ID)])...)
		}
	}
	if n < 70 || logs && !strings.Contains(wire, `"method":"notifications/message"`) {
		t.Fatalf("the wire holds %d messages from the server (log notifications expected: %v)", n, logs)
	}
	return out
}

func mustObject(text string) map[string]any {
	var m map[string]any
	json.Unmarshal([]byte(text), &m)
	return m
}

// TestNoCredentialFlags: credentials come from the environment or a file,
// never from flags, which any user can read in the process list.
func TestNoCredentialFlags(t *testing.T) {
	out, _ := exec.Command(binary, "--help").CombinedOutput()
	var flags []string
	for _, m := range regexp.MustCompile(`(?m)^\s+-{1,2}([A-Za-z0-9][A-Za-z0-9_-]*)`).FindAllStringSubmatch(string(out), -1) {
		flags = append(flags, m[1])
	}
	if len(flags) < 10 || !slices.Contains(flags, "audit-log") || !slices.Contains(flags, "log-level") {
		t.Fatalf("could not read the flags from --help (%v): %s", flags, out)
	}
	allowed := []string{} // flags whose name looks secret but take none: none so far
	for _, fl := range flags {
		n := strings.ToLower(fl)
		for _, word := range []string{"password", "passwd", "secret", "token", "key", "credential"} {
			if strings.Contains(n, word) && !slices.Contains(allowed, fl) {
				t.Errorf("flag --%s takes a credential on the command line", fl)
			}
		}
	}
	for _, fl := range []string{"--password", "--token", "--http-token"} {
		cmd := exec.Command(binary, fl, canaryQualysPass)
		cmd.Env = []string{}
		if b, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(b), "flag provided but not defined") || strings.Contains(string(b), canaryQualysPass) {
			t.Errorf("%s: %v: %s", fl, err, b)
		}
	}
}
