// Package roundrobin is the smallest load balancer there is: each request
// goes to the next backend in turn, streams (SSE) flushed as they come. The
// load-balanced example and its end-to-end test put it in front of
// replicas; a real deployment uses its own (see examples/loadbalanced).
package roundrobin

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
)

// New balances requests over backends in turn.
func New(backends []*url.URL) http.Handler {
	var next atomic.Uint64
	return &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(backends[(next.Add(1)-1)%uint64(len(backends))])
			r.SetXForwarded()
		},
		FlushInterval: -1, // server-sent events go through at once
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if r.Context().Err() == nil { // a client that left needs no answer
				http.Error(w, "bad gateway: "+err.Error(), http.StatusBadGateway)
			}
		},
	}
}

// Parse reads backend URLs.
func Parse(raw []string) ([]*url.URL, error) {
	var out []*url.URL
	for _, s := range raw {
		u, err := url.Parse(s)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}
