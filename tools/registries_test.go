package tools_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

const (
	azureReg  = sandbox.AzureRegistryID
	dockerReg = sandbox.DockerRegistryID
	ecrReg    = sandbox.ECRRegistryID                  // AWS, has a Running schedule
	harborReg = "f78162f6-54c9-4b29-a04e-3518a1d6e211" // V2-Private, username/password
	quayReg   = "d67dac61-7be2-40a2-8145-346c9e322181" // V2, no credential
	acrConn   = "2b9d6b1e-4c1f-4a57-9d0e-8f7a1c2d3e40"
	gcpConn   = "0f4a2c6e-8b1d-4e3f-a5c7-9d2e4f6a8b10"
	ecrARN    = "arn:aws:iam::123456789012:role/qualys-cs"
)

// registryCount is list_registries' count.
func registryCount(e *Env) int {
	return int(e.OK("list_registries", map[string]any{"pageSize": 1})["count"].(float64))
}

func TestRegistryReads(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	all := e.OK("list_registries", map[string]any{"pageSize": 3})
	if len(Items(all)) != 3 || all["nextPage"] != float64(2) || all["count"].(float64) < 8 {
		t.Fatalf("list: %v", all)
	}
	az := Items(e.OK("list_registries", map[string]any{"filter": "registryType:`Azure`"}))
	if len(az) != 1 || az[0]["registryName"] != "azuretest" || az[0]["totalImages"] != float64(4) || az[0]["lastScanned"] != "2022-11-24T10:48:36Z" {
		t.Fatalf("filtered: %v", az)
	}
	if q := e.SB.Requests(); !strings.Contains(q[len(q)-1].Query, "pageNumber=1") || !strings.Contains(q[len(q)-1].Query, "filter=") {
		t.Fatalf("query: %s", q[len(q)-1].Query)
	}
	g := e.OK("get_registry", map[string]any{"registryId": azureReg})
	if g["registryUri"] != "https://azuretest.azurecr.io" || g["acr"].(map[string]any)["connectorId"] != acrConn || g["credentialType"] != "Azure" || g["repoCount"] != float64(2) {
		t.Fatalf("get: %v", g)
	}
	if sl := g["scheduleStatusList"].(map[string]any); sl["Finished"] != float64(3) || sl["Created"] != float64(1) {
		t.Fatalf("schedule statuses: %v", sl)
	}
	h := e.Call("get_registry", map[string]any{"registryId": harborReg})
	if txt := Text(h); !strings.Contains(txt, `"username":"robot$scanner"`) || strings.Contains(txt, "seed-harbor-pass") {
		t.Fatalf("harbor: %s", txt)
	}
	repos := e.OK("list_registry_repositories", map[string]any{"registryId": dockerReg, "pageSize": 2, "sort": "totalImages:desc"})
	if it := Items(repos); len(it) != 2 || it[0]["repoName"] != "library/nginx" || it[0]["totalVulnerableImages"] != float64(3) || repos["nextPage"] != float64(2) || repos["count"] != float64(3) {
		t.Fatalf("repositories: %v", repos)
	}
	if msg := e.Fail("get_registry", map[string]any{"registryId": "00000000-1111-2222-3333-444444444444"}); !strings.Contains(msg, "not found") || !strings.Contains(msg, "registryId") {
		t.Fatal(msg)
	}
}

func TestCreateRegistryPerKind(t *testing.T) {
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	e := NewEnv(t, EnvOptions{Flags: []string{"--audit-log", audit, "--log-level", "debug"}})
	const secret = "canary-registry-pw-91c2"
	before := registryCount(e)
	private := map[string]any{"registryType": "V2-Private", "registryUri": "https://registry.corp.example", "registryName": "corp",
		"credentialType": "BasicAuth", "credential": map[string]any{"username": "scanner", "password": secret}, "sensorProfileId": north}
	res := e.Call("create_registry", private)
	if res.IsError || strings.Contains(Text(res), secret) {
		t.Fatalf("create: %s", Text(res))
	}
	id := mustJSON(t, Text(res))["registryUuid"].(string)
	if !sameJSON(lastBody(t, e, "POST", "/registry"), private) {
		t.Fatalf("body: %v", lastBody(t, e, "POST", "/registry"))
	}
	if user, pw, _, ok := e.SB.RegistrySecrets(id); !ok || user != "scanner" || pw != secret {
		t.Fatalf("stored %q %q", user, pw)
	}
	got := e.Call("get_registry", map[string]any{"registryId": id})
	if txt := Text(got); strings.Contains(txt, secret) || !strings.Contains(txt, `"registryName":"corp"`) || !strings.Contains(txt, `"sensorProfileName":"North"`) {
		t.Fatalf("get: %s", txt)
	}
	// the profile now holds the registry, through the sensor profile tools
	prof := e.OK("get_sensor_profile", map[string]any{"sensorProfileId": north})
	if !strings.Contains(strings.Join(toStrings(prof["associatedRegistries"]), ","), id) {
		t.Fatalf("profile registries: %v", prof["associatedRegistries"])
	}
	regs := Items(e.OK("list_sensor_profile_registries", map[string]any{"sensorProfileId": north}))
	if len(regs) != 2 || regs[1]["registryName"] != "corp" {
		t.Fatalf("list_sensor_profile_registries: %v", regs)
	}

	for _, args := range []map[string]any{
		{"registryType": "AWS", "registryUri": "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com", "aws": map[string]any{"arn": ecrARN, "region": "eu-west-1", "accountType": "Global"}},
		{"registryType": "Azure", "registryUri": "https://second.azurecr.io", "acr": map[string]any{"connectorId": acrConn}},
		{"registryType": "GCP", "registryUri": "https://eu.gcr.io", "gcp": map[string]any{"connectorId": gcpConn, "projectId": "cs-build-284512", "location": "eu"}},
		{"registryType": "GOOGLE_ARTIFACT_REGISTRY", "registryUri": "https://europe-docker.pkg.dev", "gcar": map[string]any{"connectorId": gcpConn, "projectId": "cs-registry", "registry": "docker-v2-repo"}},
		// a type the description does not list is Qualys's to judge, not ours
		{"registryType": "JFrog", "registryUri": "https://acme.jfrog.io", "credentialType": "Token", "credential": map[string]any{"accessToken": "canary-jfrog-token-7781"}},
	} {
		res := e.Call("create_registry", args)
		if res.IsError || strings.Contains(Text(res), "canary") {
			t.Fatalf("%v: %s", args["registryType"], Text(res))
		}
		g := e.OK("get_registry", map[string]any{"registryId": mustJSON(t, Text(res))["registryUuid"]})
		if g["registryType"] != args["registryType"] || g["registryUri"] != args["registryUri"] {
			t.Fatalf("%v: %v", args["registryType"], g)
		}
	}
	if n := registryCount(e); n != before+6 {
		t.Fatalf("registries %d, want %d", n, before+6)
	}

	// Qualys's refusals reach the caller, and never with the password
	dup := put(private, "registryName", "corp-2")
	if msg := e.Fail("create_registry", dup); !strings.Contains(msg, "already exists") || strings.Contains(msg, secret) {
		t.Fatal(msg)
	}
	if msg := e.Fail("create_registry", map[string]any{"registryType": "Azure", "registryUri": "https://third.azurecr.io", "acr": map[string]any{"connectorId": "no-such-connector"}}); !strings.Contains(msg, "ACR connector") {
		t.Fatal(msg)
	}
	if msg := e.Fail("create_registry", map[string]any{"registryType": "V2", "registryUri": "https://x.example", "sensorProfileId": general}); !strings.Contains(msg, "not a Registry profile") {
		t.Fatal(msg)
	}
	e.S.Close() // the server has exited: its logs are complete
	trail, err := os.ReadFile(audit)
	if err != nil || !strings.Contains(string(trail), "create_registry") {
		t.Fatalf("audit log: %v", err)
	}
	for _, log := range []string{e.Stderr.String(), string(trail)} {
		if strings.Contains(log, secret) || strings.Contains(log, "canary-jfrog-token") {
			t.Fatal("a registry secret reached a log")
		}
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// without is a copy of m less the keys.
func without(m map[string]any, keys ...string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

func TestUpdateRegistryIsAMerge(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	get := func(id string) map[string]any { return e.OK("get_registry", map[string]any{"registryId": id}) }
	before := get(harborReg)
	_, pw0, _, _ := e.SB.RegistrySecrets(harborReg)

	e.OK("update_registry", map[string]any{"registryId": harborReg, "registryName": "harbor-renamed"})
	after := get(harborReg)
	if after["registryName"] != "harbor-renamed" || !sameJSON(without(before, "registryName", "updated"), without(after, "registryName", "updated")) {
		t.Fatalf("other fields changed:\n%v\n%v", before, after)
	}
	body := lastBody(t, e, "PUT", "/registry/"+harborReg)
	if body["registryType"] != "V2-Private" || body["registryUri"] != "https://harbor.internal.example" || body["credential"] != nil || body["registryName"] != "harbor-renamed" {
		t.Fatalf("PUT body: %v", body)
	}
	if user, pw, _, _ := e.SB.RegistrySecrets(harborReg); user != "robot$scanner" || pw != pw0 {
		t.Fatalf("secrets changed: %q %q", user, pw)
	}

	// a new password keeps the username
	e.OK("update_registry", map[string]any{"registryId": harborReg, "credential": map[string]any{"password": "canary-new-pw-4410"}})
	if cred := lastBody(t, e, "PUT", "/registry/"+harborReg)["credential"].(map[string]any); cred["username"] != "robot$scanner" {
		t.Fatalf("credential sent: %v", cred)
	}
	if user, pw, _, _ := e.SB.RegistrySecrets(harborReg); user != "robot$scanner" || pw != "canary-new-pw-4410" {
		t.Fatalf("secrets: %q %q", user, pw)
	}

	// assigning a sensor profile moves the registry into it
	e.OK("update_registry", map[string]any{"registryId": azureReg, "sensorProfileId": north})
	if regs := Items(e.OK("list_sensor_profile_registries", map[string]any{"sensorProfileId": north})); len(regs) != 2 {
		t.Fatalf("north registries: %v", regs)
	}
	az := get(azureReg)
	if az["registryName"] != "azuretest" || az["acr"].(map[string]any)["connectorId"] != acrConn || az["sensorProfileId"] != north {
		t.Fatalf("azure: %v", az)
	}
	// the AWS registry's connector block goes back as it came
	e.OK("update_registry", map[string]any{"registryId": ecrReg, "registryName": "ecr-production"})
	if aws := lastBody(t, e, "PUT", "/registry/"+ecrReg)["aws"].(map[string]any); aws["arn"] != ecrARN || aws["region"] != "us-east-1" {
		t.Fatalf("aws: %v", aws)
	}
	if msg := e.Fail("update_registry", map[string]any{"registryId": azureReg, "acr": map[string]any{"connectorId": "gone"}}); !strings.Contains(msg, "ACR connector") {
		t.Fatal(msg)
	}
}

func TestValidateRegistry(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	n := registryCount(e)
	ok := e.OK("validate_registry", map[string]any{"registryType": "DockerHub", "registryUri": "https://index.docker.io", "registryName": "hub"})
	if ok["valid"] != true {
		t.Fatalf("valid: %v", ok)
	}
	bad := e.OK("validate_registry", map[string]any{"registryType": "AWS", "registryUri": "https://111111111111.dkr.ecr.us-east-1.amazonaws.com", "aws": map[string]any{"arn": "arn:aws:iam::111111111111:role/none"}})
	if bad["valid"] != false || !strings.Contains(bad["problem"].(string), "no AWS connector") {
		t.Fatalf("invalid: %v", bad)
	}
	if registryCount(e) != n || e.SB.Count("POST", "/registry/validate") != 2 {
		t.Fatal("validate created a registry, or did not ask Qualys")
	}
}

func registryExists(e *Env, id string) bool {
	return !e.Call("get_registry", map[string]any{"registryId": id}).IsError
}

func TestDeleteRegistryGuard(t *testing.T) {
	for _, answer := range []Elicit{Decline, Cancel} {
		e := NewEnv(t, EnvOptions{Elicit: answer})
		res := e.OK("delete_registry", map[string]any{"registryId": azureReg})
		if res["cancelled"] != true || !registryExists(e, azureReg) || e.SB.Count("DELETE", "") != 0 {
			t.Fatalf("answer %d: %v", answer, res)
		}
		msg := e.Elicited[0]
		for _, want := range []string{`"azuretest"`, `"https://azuretest.azurecr.io"`, "4 image(s)", "4 schedule(s)", `unnamed schedule "` + sandbox.ErrorScheduleID + `" ("Finished")`, `("Created")`} {
			if !strings.Contains(msg, want) {
				t.Fatalf("preview lacks %q: %s", want, msg)
			}
		}
	}
	e := NewEnv(t, EnvOptions{Elicit: Accept})
	e.OK("delete_registry", map[string]any{"registryId": azureReg})
	if registryExists(e, azureReg) || e.SB.Count("DELETE", "/registry/"+azureReg) != 1 {
		t.Fatal("accepted delete did not happen once")
	}
	// a registry with a running schedule: Qualys refuses, the tool says why
	msg := e.Fail("delete_registry", map[string]any{"registryId": ecrReg})
	if !strings.Contains(msg, `"nightly-ecr" ("Running")`) || !strings.Contains(msg, "cancel_registry_schedule") || !registryExists(e, ecrReg) {
		t.Fatal(msg)
	}
	if last := e.Elicited[len(e.Elicited)-1]; !strings.Contains(last, "Qualys refuses while a schedule is Running") {
		t.Fatalf("preview does not warn: %s", last)
	}
}

func TestDeleteRegistriesGuard(t *testing.T) {
	args := map[string]any{"registryIds": []string{quayReg, harborReg}}
	e := NewEnv(t, EnvOptions{Elicit: Decline})
	e.OK("delete_registries", args)
	if !registryExists(e, quayReg) || !registryExists(e, harborReg) || e.SB.Count("DELETE", "") != 0 {
		t.Fatal("declined delete changed something")
	}
	if msg := e.Elicited[0]; !strings.Contains(msg, "Delete 2 registr(ies)") || !strings.Contains(msg, `"quay-mirror" ("https://quay.io"`) || !strings.Contains(msg, `"harbor-internal"`) {
		t.Fatalf("preview: %s", msg)
	}
	e = NewEnv(t, EnvOptions{Elicit: Accept})
	e.OK("delete_registries", args)
	if registryExists(e, quayReg) || registryExists(e, harborReg) {
		t.Fatal("not deleted")
	}
	if q := lastQuery(e, "DELETE", "/registry"); q != "registryIds="+quayReg+"&registryIds="+harborReg {
		t.Fatalf("query: %s", q)
	}
	// all or nothing: the running schedule keeps both
	msg := e.Fail("delete_registries", map[string]any{"registryIds": []string{dockerReg, ecrReg}})
	if !strings.Contains(msg, "nightly-ecr") || !registryExists(e, dockerReg) {
		t.Fatal(msg)
	}
	// a missing registry stops the preview; nothing is deleted
	if msg := e.Fail("delete_registries", map[string]any{"registryIds": []string{dockerReg, quayReg}}); !strings.Contains(msg, "not found") || !registryExists(e, dockerReg) {
		t.Fatal(msg)
	}
}

// lastQuery is the query of the last request with method and path.
func lastQuery(e *Env, method, path string) string {
	reqs := e.SB.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Method == method && reqs[i].Path == path {
			return reqs[i].Query
		}
	}
	return ""
}

// refused calls a tool with bad input and checks the error names the field
// and no request reached the sandbox.
func refused(t *testing.T, e *Env, tool string, args map[string]any, field string) {
	t.Helper()
	before := e.SB.Total()
	msg := e.Fail(tool, args)
	if !strings.Contains(msg, `"`+field+`"`) {
		t.Errorf("%s: want an error naming %q, got: %s", tool, field, msg)
	}
	if e.SB.Total() != before {
		t.Errorf("%s %s: a request reached the sandbox", tool, field)
	}
}

func TestRegistryBadInput(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	ok := map[string]any{"registryType": "V2", "registryUri": "https://r.example"}
	for _, tool := range []string{"create_registry", "validate_registry"} {
		refused(t, e, tool, without(ok, "registryType"), "registryType")
		refused(t, e, tool, put(without(ok, "registryUri"), "registryUri", "r.example"), "registryUri")
		refused(t, e, tool, put(ok, "registryName", 7), "registryName")
		refused(t, e, tool, put(ok, "colour", "red"), "colour")
		refused(t, e, tool, map[string]any{"registryType": "AWS", "registryUri": "https://1.dkr.ecr.x"}, "aws")
		refused(t, e, tool, map[string]any{"registryType": "Azure", "registryUri": "https://a.azurecr.io", "aws": map[string]any{"arn": ecrARN}}, "aws")
		refused(t, e, tool, map[string]any{"registryType": "AWS", "registryUri": "https://1.dkr.ecr.x", "aws": map[string]any{"arn": ecrARN, "accountType": "Moon"}}, "aws.accountType")
		refused(t, e, tool, map[string]any{"registryType": "GCP", "registryUri": "https://gcr.io", "gcp": map[string]any{"connectorId": gcpConn}}, "gcp.projectId")
		refused(t, e, tool, put(ok, "credential", map[string]any{"username": "u", "pin": "1"}), "credential.pin")
		refused(t, e, tool, put(ok, "sensorProfileId", "../../auth"), "sensorProfileId")
	}
	refused(t, e, "get_registry", map[string]any{}, "registryId")
	refused(t, e, "get_registry", map[string]any{"registryId": "a/b"}, "registryId")
	refused(t, e, "list_registries", map[string]any{"pageSize": 5000}, "pageSize")
	refused(t, e, "list_registries", map[string]any{"pageNo": 1}, "pageNo")
	refused(t, e, "update_registry", map[string]any{"registryName": "x"}, "registryId")
	refused(t, e, "update_registry", map[string]any{"registryId": azureReg, "acr": map[string]any{"connectorId": acrConn}, "gcp": map[string]any{"connectorId": gcpConn, "projectId": "p"}}, "gcp")
	refused(t, e, "delete_registry", map[string]any{"registryId": 12}, "registryId")
	refused(t, e, "delete_registries", map[string]any{"registryIds": []string{}}, "registryIds")
	refused(t, e, "delete_registries", map[string]any{"registryIds": azureReg}, "registryIds")
	refused(t, e, "list_registry_repositories", map[string]any{"registryId": azureReg, "sort": true}, "sort")
}

// put is a copy of m with k set to v.
func put(m map[string]any, k string, v any) map[string]any {
	out := without(m)
	out[k] = v
	return out
}
