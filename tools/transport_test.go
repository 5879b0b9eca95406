package tools

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
)

func httpServer(t *testing.T, o HTTPOptions) string {
	t.Helper()
	gw, _ := url.Parse("http://127.0.0.1:1")
	s, err := NewServer(client.New(client.Config{Gateway: gw, Username: "u", Password: "p"}), Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	addr := make(chan string, 1)
	errc := make(chan error, 1)
	go func() { errc <- s.ServeHTTP(ctx, o, func(a string) { addr <- a }) }()
	select {
	case a := <-addr:
		return "http://" + a
	case err := <-errc:
		t.Fatal(err)
	case <-time.After(10 * time.Second):
		t.Fatal("no address")
	}
	return ""
}

const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

func post(t *testing.T, base string, hdr map[string]string, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/mcp", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestHTTPTransportChecks(t *testing.T) {
	base := httpServer(t, HTTPOptions{Addr: "127.0.0.1:0", Token: "bearer-secret", MaxBody: 4096, RatePerSecond: 5})
	if r, err := http.Get(base + "/healthz"); err != nil || r.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", r, err)
	}
	auth := map[string]string{"Authorization": "Bearer bearer-secret"}
	if r := post(t, base, nil, initBody); r.StatusCode != 401 {
		t.Fatalf("no token: %d", r.StatusCode)
	}
	if r := post(t, base, map[string]string{"Authorization": "Bearer wrong"}, initBody); r.StatusCode != 401 {
		t.Fatalf("wrong token: %d", r.StatusCode)
	}
	if r := post(t, base, auth, initBody); r.StatusCode != 200 {
		t.Fatalf("good token: %d", r.StatusCode)
	}
	if r := post(t, base, map[string]string{"Authorization": "Bearer bearer-secret", "Origin": "https://evil.example"}, initBody); r.StatusCode != 403 {
		t.Fatalf("foreign origin: %d", r.StatusCode)
	}
	if r := post(t, base, map[string]string{"Authorization": "Bearer bearer-secret", "Origin": "http://localhost:6274"}, initBody); r.StatusCode != 200 {
		t.Fatalf("loopback origin: %d", r.StatusCode)
	}
	if r := post(t, base, map[string]string{"Authorization": "Bearer bearer-secret", "Host": "evil.example"}, initBody); r.StatusCode != 403 {
		t.Fatalf("rebinding Host: %d", r.StatusCode)
	}
	if r := post(t, base, auth, `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"`+strings.Repeat("x", 5000)+`"}}`); r.StatusCode < 400 {
		t.Fatalf("oversized body: %d", r.StatusCode)
	}
	limited := 0
	for i := 0; i < 30; i++ {
		if post(t, base, auth, initBody).StatusCode == 429 {
			limited++
		}
	}
	if limited == 0 {
		t.Fatal("no request was rate limited")
	}
}

func TestHTTPOffLoopbackNeedsToken(t *testing.T) {
	gw, _ := url.Parse("http://127.0.0.1:1")
	s, _ := NewServer(client.New(client.Config{Gateway: gw, Username: "u", Password: "p"}), Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	err := s.ServeHTTP(context.Background(), HTTPOptions{Addr: "0.0.0.0:0"}, nil)
	if err == nil || !strings.Contains(err.Error(), "QUALYS_MCP_HTTP_TOKEN") {
		t.Fatalf("%v", err)
	}
}
