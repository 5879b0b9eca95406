// Command bare is the benchmark's limit: an mcp-go server on stdio or
// streamable HTTP with nothing of ours in the way, and one trivial tool,
// echo. With --gateway URL it has a second, sensors: one resty GET of a
// page of sensors from that gateway (after one POST /auth at start-up),
// whose answer is the body as it came: the least a tool that reads the
// API can do.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"

	"github.com/go-resty/resty/v2"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

func main() {
	addr := flag.String("http", "", "serve streamable HTTP on ADDR")
	gateway := flag.String("gateway", "", "the gateway's base URL")
	flag.Parse()
	s := server.NewMCPServer("bare", "1.0.0", server.WithToolCapabilities(false))
	s.AddTool(mcp.NewTool("echo", mcp.WithString("text")), func(_ context.Context, r mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText(`{"items":[{"text":"` + r.GetString("text", "") + `"}]}`), nil
	})
	if *gateway != "" {
		rc := resty.New()
		auth, err := rc.R().SetFormData(map[string]string{"username": "bench", "password": "bench", "token": "true"}).Post(*gateway + "/auth")
		if err != nil || auth.StatusCode()/100 != 2 {
			fmt.Fprintln(os.Stderr, "bare: /auth:", err, auth.Status())
			os.Exit(1)
		}
		token := string(auth.Body())
		s.AddTool(mcp.NewTool("sensors", mcp.WithNumber("pageSize")), func(ctx context.Context, r mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			resp, err := rc.R().SetContext(ctx).SetAuthToken(token).
				SetQueryParam("pageNumber", "1").SetQueryParam("pageSize", fmt.Sprint(r.GetInt("pageSize", 50))).
				Get(*gateway + "/csapi/v1.3/sensors")
			if err != nil {
				return mcp.NewToolResultError(err.Error()), nil
			}
			return mcp.NewToolResultText(string(resp.Body())), nil
		})
	}
	if *addr != "" {
		ln, err := net.Listen("tcp", *addr)
		if err != nil {
			panic(err)
		}
		fmt.Fprintf(os.Stderr, "serving addr=http://%s/mcp\n", ln.Addr())
		http.Serve(ln, server.NewStreamableHTTPServer(s))
		return
	}
	server.ServeStdio(s)
}
