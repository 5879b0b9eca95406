// Command bare is the benchmark's limit: an mcp-go server with one trivial
// tool, on stdio or streamable HTTP, with nothing of ours in the way.
package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

func main() {
	s := server.NewMCPServer("bare", "1.0.0", server.WithToolCapabilities(false))
	s.AddTool(mcp.NewTool("echo", mcp.WithString("text")), func(_ context.Context, r mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText(`{"items":[{"text":"` + r.GetString("text", "") + `"}]}`), nil
	})
	if len(os.Args) > 2 && os.Args[1] == "--http" {
		ln, err := net.Listen("tcp", os.Args[2])
		if err != nil {
			panic(err)
		}
		fmt.Fprintf(os.Stderr, "serving addr=http://%s/mcp\n", ln.Addr())
		http.Serve(ln, server.NewStreamableHTTPServer(s))
		return
	}
	server.ServeStdio(s)
}
