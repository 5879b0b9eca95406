// Command proxy is the round-robin balancer of the load-balanced example:
// each request to -listen goes to the next of -backends in turn. Loopback
// only; a real deployment uses its own balancer (see compose.yaml).
package main

import (
	"flag"
	"log"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/internal/roundrobin"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8100", "loopback address to listen on")
	backends := flag.String("backends", "", "comma-separated replica URLs, e.g. http://127.0.0.1:8101,http://127.0.0.1:8102")
	flag.Parse()
	if host, _, err := net.SplitHostPort(*listen); err != nil || !client.IsLoopback(host) {
		log.Fatalf("-listen %q: the example listens on loopback only", *listen)
	}
	urls, err := roundrobin.Parse(strings.Split(*backends, ","))
	if err != nil || *backends == "" {
		log.Fatalf("-backends %q: %v", *backends, err)
	}
	log.Printf("round-robin on http://%s over %s", *listen, *backends)
	srv := &http.Server{Addr: *listen, Handler: roundrobin.New(urls), ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
