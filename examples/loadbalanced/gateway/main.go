// Command gateway serves the embedded emulated CS gateway (the sandbox) on
// a loopback port, so that the replicas of the load-balanced example share
// one gateway as they would share Qualys: they log in to it and are
// throttled as against the real API. GET /stats says how many /auth and API
// requests reached it, and how many deletions.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8099", "loopback address to listen on")
	flag.Parse()
	if host, _, err := net.SplitHostPort(*listen); err != nil || !client.IsLoopback(host) {
		log.Fatalf("-listen %q: the example listens on loopback only", *listen)
	}
	sb := sandbox.New(sandbox.Options{}) // user sandbox, password sandbox
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "auth=%d api=%d delete=%d\n", sb.AuthCalls(), sb.Total(), sb.Count(http.MethodDelete, ""))
	})
	mux.Handle("/", sb.Handler())
	log.Printf("emulated gateway on http://%s (user sandbox, password sandbox)", *listen)
	srv := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
