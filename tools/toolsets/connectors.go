package toolsets

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/schemas"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/shape"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
)

// connectorView shows every connector kind's public fields; their secrets
// are write-only and never answered.
var connectorView = shape.View{Default: []string{"acrConnectorId", "gcpConnectorId", "name", "description", "arn", "applicationId", "gcpProjectId", "location"}}

func connectorTools() []tool.Tool {
	const set = "connectors"
	return []tool.Tool{
		tool.Def("create_acr_connector", set, tool.Write, "Connect Azure (ACR) through a service principal.", createACRConnector),
		tool.Def("list_acr_connectors", set, tool.Read, "List the Azure (ACR) connectors.", listConnectors("/registry/acr/connectors")),
		tool.Def("get_acr_connector", set, tool.Read, "Get an Azure (ACR) connector.", getConnector("/registry/acr/connector/{connectorId}")),
		tool.Def("get_aws_base_account", set, tool.Read, "Get the account and externalId an IAM role must trust for create_aws_connector.", getAWSBase),
		tool.Def("create_aws_connector", set, tool.Write, "Connect AWS (ECR) through an IAM role.", createAWSConnector),
		tool.Def("list_aws_connectors", set, tool.Read, "List the AWS (ECR) connectors.", listConnectors("/registry/aws/connectors")),
		tool.Def("get_aws_connector", set, tool.Read, "List the connectors of one AWS account.", getAWSConnectors),
		tool.Def("create_gcp_connector", set, tool.Write, "Connect GCP (GCR, Artifact Registry) through a service account key.", createGCPConnector),
		tool.Def("list_gcp_connectors", set, tool.Read, "List the GCP connectors.", listConnectors("/registry/gcp/connectors")),
		tool.Def("get_gcp_connector", set, tool.Read, "Get a GCP connector.", getConnector("/registry/gcp/connector/{connectorId}")),
	}
}

func listConnectors(path string) tool.Handler[schemas.None] {
	return func(ctx context.Context, c *tool.Ctx, _ *schemas.None) (any, error) {
		return unpaged(ctx, c, path, nil, connectorView)
	}
}

func getConnector(path string) tool.Handler[schemas.ConnectorID] {
	return func(ctx context.Context, c *tool.Ctx, in *schemas.ConnectorID) (any, error) {
		m, err := getJSON(ctx, c, path, P{"connectorId": in.ConnectorID})
		if err != nil {
			return nil, err
		}
		return connectorView.Project(m, nil), nil
	}
}

func getAWSConnectors(ctx context.Context, c *tool.Ctx, in *schemas.AWSAccountID) (any, error) {
	return unpaged(ctx, c, "/registry/aws/connectors/{accountId}", P{"accountId": in.AccountID}, connectorView)
}

func getAWSBase(ctx context.Context, c *tool.Ctx, _ *schemas.None) (any, error) {
	return getJSON(ctx, c, "/registry/aws-base", nil)
}

func createACRConnector(ctx context.Context, c *tool.Ctx, in *schemas.CreateACRConnector) (any, error) {
	return create(ctx, c, client.Call{Method: http.MethodPost, Path: "/registry/acr/connector", Body: c.Args}, "connectorId", []string{"acrConnectorId", "connectorId"},
		map[string]any{"name": in.Name})
}

func createAWSConnector(ctx context.Context, c *tool.Ctx, in *schemas.CreateAWSConnector) (any, error) {
	return create(ctx, c, client.Call{Method: http.MethodPost, Path: "/registry/aws/connector", Body: c.Args}, "arn", []string{"arn"},
		map[string]any{"name": in.Name, "arn": in.ARN})
}

// createGCPConnector sends the name, description and connector ID in the
// query and the key as the multipart file part serviceAccountJson, as the
// API takes them.
func createGCPConnector(ctx context.Context, c *tool.Ctx, in *schemas.CreateGCPConnector) (any, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	part, err := mw.CreateFormFile("serviceAccountJson", "service-account.json")
	if err != nil {
		return nil, err
	}
	part.Write([]byte(in.ServiceAccountJSON))
	mw.Close()
	q := url.Values{"name": {in.Name}}
	if in.Description != "" {
		q.Set("description", in.Description)
	}
	if in.ConnectorID != "" {
		q.Set("connectorId", in.ConnectorID)
	}
	return create(ctx, c, client.Call{Method: http.MethodPost, Path: "/registry/gcp/connector", Query: q, Raw: buf.Bytes(), ContentType: mw.FormDataContentType()},
		"connectorId", []string{"gcpConnectorId", "connectorId"}, map[string]any{"name": in.Name})
}
