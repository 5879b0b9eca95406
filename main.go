// Command qualys-cs-mcp is an MCP server for the Qualys Container Security API.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/secret"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools"
)

var version = "0.1.0"

// secrets is the process's one registry of secrets: the client adds the
// password and tokens, run the HTTP token and state keys; everything the
// process writes is redacted with it.
var secrets = secret.New()

func main() {
	if err := run(os.Args[1:]); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "qualys-cs-mcp:", secrets.Redact(err.Error()))
		os.Exit(exitCode(err))
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("qualys-cs-mcp", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parseArgs prints --help on stdout; main prints errors on stderr
	fs.Usage = func() {}
	var (
		useSandbox = fs.Bool("sandbox", false, "serve the tools from an embedded emulated CS gateway (no Qualys account needed)")
		httpAddr   = fs.String("http", "", "serve streamable HTTP on ADDR (e.g. 127.0.0.1:8080) instead of stdio")
		stateless  = fs.Bool("stateless", false, "with --http: stateless mode, for load-balanced replicas")
		readOnly   = fs.Bool("read-only", false, "offer only read tools")
		toolsets   = fs.String("toolsets", tools.DefaultToolsets, "comma-separated toolsets to offer, or all")
		toolNames  = fs.String("tools", "", "comma-separated tools to offer (default: every tool of the toolsets)")
		dynamic    = fs.Bool("dynamic-toolsets", false, "list only list_toolsets, get_toolset_tools and enable_toolset at first; the assistant enables toolsets as it needs them (--toolsets defaults to all)")
		noConfirm  = fs.Bool("no-confirm", false, "turn the confirmation guard off (unattended automation)")
		fallback   = fs.String("confirm-fallback", "url", "for clients that cannot ask the user in a form: url (a confirmation page the user opens), token (the model confirms by itself: no human needed) or deny")
		confirmTTL = fs.Duration("confirm-ttl", tools.TokenTTL, "how long a confirmation (page, elicitation, token) lasts")
		logLevel   = fs.String("log-level", "info", "debug, info, warn or error (logs go to stderr)")
		auditLog   = fs.String("audit-log", "", "append one JSON line per write, destructive call and guard decision to PATH")
		budget     = fs.Int("result-budget", tools.DefaultResultBudget, "maximum bytes of one tool result")
		timeout    = fs.Duration("timeout", 60*time.Second, "timeout of one request to Qualys")
		httpRate   = fs.Float64("http-rate", tools.DefaultRate, "with --http: requests per second allowed per session (burst twice that); per client address, for requests no session carries, four times that")
		maxSess    = fs.Int("max-sessions", tools.DefaultMaxSessions, "with --http: live sessions at most; past that initialize answers 503")
		sessIdle   = fs.Duration("session-idle", tools.DefaultSessionIdle, "with --http: a session without a request for this long ends")
		maxConns   = fs.Int("max-conns", tools.DefaultMaxConns, "with --http: open connections at most (past that the longest idle one is closed)")
		origins    = fs.String("allowed-origins", "", "with --http: comma-separated browser origins allowed besides loopback")
		publicURL  = fs.String("public-url", "", "with --http: the base of confirmation links, as users reach this server (e.g. https://mcp.example.com behind a reverse proxy)")
		showVer    = fs.Bool("version", false, "print the version and exit")
		yes        = fs.Bool("yes", false, "with call: confirm a destructive tool without asking (the preview is still shown)")
		stateURL   = fs.String("state", "", "where replicas share state: redis://HOST:PORT/DB or rediss://... (password from QUALYS_MCP_STATE_PASSWORD[_FILE]; default: in memory, also QUALYS_MCP_STATE_URL)")
		rateLimits = fs.String("rate-limits", "", "requests per 60 s per endpoint class, for subscriptions whose limits differ: class=N,... (classes: bulk-list 120, inventory 5000, other 1000)")
		metrics    = fs.String("metrics", "", "serve Prometheus metrics at http://ADDR/metrics on a listener of its own (e.g. 127.0.0.1:9464: loopback unless Prometheus scrapes from elsewhere); traces go over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set")
	)
	go tools.All() // build the catalogue's schemas while the rest starts up
	sub, pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if *showVer {
		fmt.Println("qualys-cs-mcp", version)
		return nil
	}
	if sub != "" && !flagGiven(fs, "log-level") {
		*logLevel = "warn" // the command line's output is the result
	}
	secrets.Add(os.Getenv("QUALYS_MCP_HTTP_TOKEN"))
	for _, k := range split(os.Getenv("QUALYS_MCP_STATE_KEY")) {
		secrets.Add(strings.TrimSpace(k))
	}
	logger, err := tools.NewLogger(*logLevel, secrets)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if *dynamic && !flagGiven(fs, "toolsets") {
		*toolsets = "all" // on demand, every toolset may be enabled
	}
	opts := tools.Options{
		Version: version, ReadOnly: *readOnly, Toolsets: split(*toolsets), Tools: split(*toolNames),
		DynamicToolsets: *dynamic && sub == "", // tools and call work on the tools themselves
		NoConfirm:       *noConfirm, Fallback: tools.Fallback(*fallback), ConfirmTTL: *confirmTTL, StateKeys: tools.KeysFromEnv(os.Getenv("QUALYS_MCP_STATE_KEY")),
		ResultBudget: *budget, Logger: logger, AuditPath: *auditLog, Secrets: secrets,
	}
	if sub == subcmdTools {
		return listTools(os.Stdout, opts)
	}
	if *publicURL != "" && *httpAddr == "" {
		return &exitError{exitUsage, errors.New("--public-url needs --http")}
	}
	limits, err := client.ParseRateLimits(*rateLimits)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	if opts.State, err = tools.OpenState(ctx, *stateURL, os.Getenv, logger); err != nil {
		return err
	}
	defer opts.State.Close()
	var cfg client.Config
	if *useSandbox {
		sb := sandbox.New(sandbox.Options{Validate: sandboxValidator()})
		base, closeSB, err := sb.Start()
		if err != nil {
			return err
		}
		defer closeSB()
		cfg = client.Config{Username: "sandbox", Password: "sandbox", Unthrottled: true, Transport: sb.Transport()}
		if cfg.Gateway, err = client.ResolveGateway("", base); err != nil {
			return err
		}
	} else if cfg, err = client.ConfigFromEnv(os.Getenv); err != nil {
		return err
	}
	cfg.UserAgent, cfg.Timeout, cfg.Secrets = "qualys-cs-mcp/"+version, *timeout, secrets
	cfg.RateLimits, cfg.State, cfg.StateKey, cfg.Logger = limits, opts.State, opts.StateKeys[0], logger
	tel, stopTelemetry, err := startTelemetry(ctx, *metrics, opts.State, logger) // telemetry:
	if err != nil {
		return err
	}
	defer stopTelemetry()
	cfg.Observer, opts.Telemetry = tel.Observer(), tel // telemetry:
	logger.Info("qualys-cs-mcp starting", "version", version, "gateway", cfg.Gateway.Host, "sandbox", *useSandbox)
	if *noConfirm {
		logger.Warn("--no-confirm: the confirmation guard is OFF; destructive tools run without asking anyone")
	} else if *fallback == string(tools.FallbackToken) {
		logger.Warn("--confirm-fallback token: for clients that cannot ask the user, the model confirms destructive tools by itself with the token; no human is needed")
	}
	srv, err := tools.NewServer(client.New(cfg), opts)
	if err != nil {
		return err
	}
	logger.Info("tools offered", "count", len(srv.Tools))
	if sub == subcmdCall {
		return callTool(ctx, srv, pos, *yes, stdio())
	}
	if *httpAddr != "" {
		return srv.ServeHTTP(ctx, tools.HTTPOptions{Addr: *httpAddr, Stateless: *stateless,
			Token: os.Getenv("QUALYS_MCP_HTTP_TOKEN"), RatePerSecond: *httpRate, AllowedOrigins: split(*origins), PublicURL: *publicURL,
			MaxSessions: *maxSess, SessionIdle: *sessIdle, MaxConns: *maxConns}, nil)
	}
	return srv.ServeStdio(ctx, os.Stdin, os.Stdout)
}

func split(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return strings.Split(s, ",")
}
