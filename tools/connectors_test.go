package tools_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestACRConnectors(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	const secret = "canary-acr-client-secret-55"
	list := e.OK("list_acr_connectors", nil)
	if list["count"] != float64(1) || Items(list)[0]["acrConnectorId"] != acrConn || Items(list)[0]["name"] != "azure-prod" {
		t.Fatalf("list: %v", list)
	}
	args := map[string]any{"name": "azure-dev", "description": "dev tenant", "applicationId": "7d9e1f20-3a4b-4c5d-8e6f-a0b1c2d3e4f5", "clientSecret": secret}
	res := e.Call("create_acr_connector", args)
	if res.IsError || strings.Contains(Text(res), secret) {
		t.Fatal(Text(res))
	}
	if !sameJSON(lastBody(t, e, "POST", "/registry/acr/connector"), args) {
		t.Fatal("body differs from the arguments")
	}
	id := mustJSON(t, Text(res))["connectorId"].(string)
	got := e.Call("get_acr_connector", map[string]any{"connectorId": id})
	if txt := Text(got); got.IsError || !strings.Contains(txt, `"name":"azure-dev"`) || strings.Contains(txt, secret) {
		t.Fatal(txt)
	}
	if all := e.Call("list_acr_connectors", nil); strings.Contains(Text(all), secret) || mustJSON(t, Text(all))["count"] != float64(2) {
		t.Fatal(Text(all))
	}
	// the new connector serves a new Azure registry
	e.OK("create_registry", map[string]any{"registryType": "Azure", "registryUri": "https://dev.azurecr.io", "acr": map[string]any{"connectorId": id}})
	if msg := e.Fail("create_acr_connector", put(args, "name", "azure-prod")); !strings.Contains(msg, "already exists") || strings.Contains(msg, secret) {
		t.Fatal(msg)
	}
	if msg := e.Fail("get_acr_connector", map[string]any{"connectorId": "nope"}); !strings.Contains(msg, "not found") {
		t.Fatal(msg)
	}
}

func TestAWSConnectors(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	base := e.OK("get_aws_base_account", nil)
	ext, ok := base["externalId"].(float64)
	if base["accountId"] != "805950163170" || !ok {
		t.Fatalf("base: %v", base)
	}
	const arn = "arn:aws:iam::210987654321:role/qualys-ecr"
	args := map[string]any{"name": "ecr-eu", "arn": arn, "externalId": strconv.FormatInt(int64(ext), 10), "description": "EU account"}
	res := e.OK("create_aws_connector", args)
	if res["arn"] != arn || !sameJSON(lastBody(t, e, "POST", "/registry/aws/connector"), args) {
		t.Fatalf("create: %v", res)
	}
	if l := e.OK("list_aws_connectors", nil); l["count"] != float64(2) {
		t.Fatalf("list: %v", l)
	}
	acct := Items(e.OK("get_aws_connector", map[string]any{"accountId": "210987654321"}))
	if len(acct) != 1 || acct[0]["name"] != "ecr-eu" {
		t.Fatalf("by account: %v", acct)
	}
	// the role must trust the subscription's external ID
	if msg := e.Fail("create_aws_connector", map[string]any{"name": "x", "arn": "arn:aws:iam::333333333333:role/r", "externalId": "42"}); !strings.Contains(msg, "externalId") {
		t.Fatal(msg)
	}
	// a registry on that account now needs only the ARN
	e.OK("create_registry", map[string]any{"registryType": "AWS", "registryUri": "https://210987654321.dkr.ecr.eu-west-1.amazonaws.com", "aws": map[string]any{"arn": arn}})
	if msg := e.Fail("get_aws_connector", map[string]any{"accountId": "999999999999"}); !strings.Contains(msg, "not found") {
		t.Fatal(msg)
	}
}

func TestGCPConnectorUploadsTheKey(t *testing.T) {
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	e := NewEnv(t, EnvOptions{Flags: []string{"--audit-log", audit, "--log-level", "debug"}})
	const key = `{"type":"service_account","project_id":"cs-registry-4410","private_key":"-----BEGIN PRIVATE KEY-----canary-gcp-key-9931-----END PRIVATE KEY-----","client_email":"qualys@cs-registry-4410.iam.gserviceaccount.com"}`
	res := e.Call("create_gcp_connector", map[string]any{"name": "gar-eu", "description": "artifact registry", "serviceAccountJson": key})
	if res.IsError || strings.Contains(Text(res), "canary-gcp-key") {
		t.Fatal(Text(res))
	}
	// name and description in the query, the key as the multipart file part
	var sent string
	for _, r := range e.SB.Requests() {
		if r.Method == "POST" && r.Path == "/registry/gcp/connector" {
			sent = string(r.Body)
			if !strings.Contains(r.Query, "name=gar-eu") || !strings.Contains(r.Query, "description=artifact+registry") {
				t.Fatalf("query: %s", r.Query)
			}
		}
	}
	if !strings.Contains(sent, `Content-Disposition: form-data; name="serviceAccountJson"; filename=`) || !strings.Contains(sent, key) {
		t.Fatalf("body: %s", sent)
	}
	id := mustJSON(t, Text(res))["connectorId"].(string)
	got := e.Call("get_gcp_connector", map[string]any{"connectorId": id})
	if txt := Text(got); !strings.Contains(txt, `"gcpProjectId":"cs-registry-4410"`) || strings.Contains(txt, "canary-gcp-key") {
		t.Fatal(txt)
	}
	if l := e.OK("list_gcp_connectors", nil); l["count"] != float64(2) {
		t.Fatalf("list: %v", l)
	}
	e.OK("create_registry", map[string]any{"registryType": "GOOGLE_ARTIFACT_REGISTRY", "registryUri": "https://europe-west1-docker.pkg.dev",
		"gcar": map[string]any{"connectorId": id, "projectId": "cs-registry-4410", "registry": "images"}})
	// a file that is not a service account key is refused by Qualys
	if msg := e.Fail("create_gcp_connector", map[string]any{"name": "bad", "serviceAccountJson": `{"type":"user"}`}); !strings.Contains(msg, "service account key") {
		t.Fatal(msg)
	}
	e.S.Close() // the server has exited: its logs are complete
	trail, _ := os.ReadFile(audit)
	if !strings.Contains(string(trail), "create_gcp_connector") || strings.Contains(string(trail)+e.Stderr.String(), "canary-gcp-key") {
		t.Fatal("the key reached a log, or nothing was audited")
	}
}

func TestConnectorBadInput(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	acr := map[string]any{"name": "n", "applicationId": "7d9e1f20-3a4b-4c5d-8e6f-a0b1c2d3e4f5", "clientSecret": "s3cret-value"}
	refused(t, e, "create_acr_connector", without(acr, "clientSecret"), "clientSecret")
	refused(t, e, "create_acr_connector", without(acr, "name"), "name")
	refused(t, e, "create_acr_connector", put(acr, "tenant", "t"), "tenant")
	aws := map[string]any{"name": "n", "arn": "arn:aws:iam::123456789012:role/r", "externalId": "7406589023171"}
	refused(t, e, "create_aws_connector", put(aws, "arn", "arn:aws:s3:::bucket"), "arn")
	refused(t, e, "create_aws_connector", without(aws, "externalId"), "externalId")
	refused(t, e, "create_aws_connector", put(aws, "externalId", 7406589023171), "externalId")
	gcp := map[string]any{"name": "n", "serviceAccountJson": `{"type":"service_account"}`}
	refused(t, e, "create_gcp_connector", put(gcp, "serviceAccountJson", "not json at all"), "serviceAccountJson")
	refused(t, e, "create_gcp_connector", without(gcp, "serviceAccountJson"), "serviceAccountJson")
	refused(t, e, "create_gcp_connector", put(gcp, "connectorId", "a b"), "connectorId")
	for _, tool := range []string{"get_acr_connector", "get_gcp_connector"} {
		refused(t, e, tool, map[string]any{}, "connectorId")
		refused(t, e, tool, map[string]any{"connectorId": "../../auth"}, "connectorId")
	}
	refused(t, e, "get_aws_connector", map[string]any{"accountId": 123456789012}, "accountId")
	for _, tool := range []string{"list_acr_connectors", "list_aws_connectors", "list_gcp_connectors", "get_aws_base_account"} {
		refused(t, e, tool, map[string]any{"pageSize": 5}, "pageSize")
	}
}
