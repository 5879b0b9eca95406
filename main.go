// Command qualys-cs-mcp is an MCP server for the Qualys Container Security API.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/secret"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/consent"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/consent/passkey"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/service"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/toolsets"
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
	if len(args) > 0 && args[0] == subcmdPasskey { // passkey_cli.go: flags of its own
		return runPasskey(args[1:], os.Stdout, os.Stderr)
	}
	fs := flag.NewFlagSet("qualys-cs-mcp", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parseArgs prints --help on stdout; main prints errors on stderr
	fs.Usage = func() {}
	var (
		useSandbox = fs.Bool("sandbox", false, "serve the tools from an embedded emulated CS gateway (no Qualys account needed)")
		httpAddr   = fs.String("http", "", "serve streamable HTTP on `ADDR` (e.g. 127.0.0.1:8080) instead of stdio")
		stateless  = fs.Bool("stateless", false, "with --http: no server-side sessions, for load-balanced replicas")
		readOnly   = fs.Bool("read-only", false, "offer only read tools")
		setNames   = fs.String("toolsets", toolsets.DefaultToolsets, "comma-separated `LIST` of toolsets to offer, or all")
		toolNames  = fs.String("tools", "", "comma-separated `LIST` of tools to offer (default: every tool of the toolsets)")
		dynamic    = fs.Bool("dynamic-toolsets", false, "list only list_toolsets, get_toolset_tools and enable_toolset at first; the assistant enables toolsets as it needs them (--toolsets defaults to all)")
		noConfirm  = fs.Bool("no-confirm", false, "turn the confirmation guard off: destructive tools run without asking anyone (unattended automation)")
		fallback   = fs.String("confirm-fallback", "url", "for clients that cannot ask the user in a form, `MODE`: url (a confirmation page where the user confirms with a passkey), token (the model confirms by itself: no human needed) or deny")
		with       = fs.String("confirm-with", consent.WithForm, "who may confirm, `MODE`: form (the client's form where it has one, else a passkey on the page) or passkey (a passkey on the page for every client, elicitation included)")
		confirmTTL = fs.Duration("confirm-ttl", consent.TokenTTL, "how long a confirmation (page, elicitation, token) lasts: a `DURATION` such as 10m")
		logLevel   = fs.String("log-level", "info", "logs on stderr at `LEVEL`: debug, info, warn or error")
		auditLog   = fs.String("audit-log", "", "append one JSON line per write, destructive call and guard decision to `PATH` (its folder is made, 0700)")
		budget     = fs.Int("result-budget", tools.DefaultResultBudget, "maximum `BYTES` of one tool result")
		timeout    = fs.Duration("timeout", 60*time.Second, "timeout of one request to Qualys: a `DURATION` such as 90s")
		httpRate   = fs.Float64("http-rate", service.DefaultRate, "with --http: `N` requests per second per session (burst twice that); per client address, for requests no session carries, four times that")
		maxSess    = fs.Int("max-sessions", service.DefaultMaxSessions, "with --http: `N` live sessions at most; past that initialize answers 503")
		sessIdle   = fs.Duration("session-idle", service.DefaultSessionIdle, "with --http: a session without a request for this `DURATION` ends")
		maxConns   = fs.Int("max-conns", service.DefaultMaxConns, "with --http: `N` open connections at most (past that the longest idle one is closed)")
		origins    = fs.String("allowed-origins", "", "with --http: comma-separated `LIST` of browser origins allowed besides loopback")
		publicURL  = fs.String("public-url", "", "with --http: the base `URL` of confirmation links, as users reach this server (e.g. https://mcp.example.com behind a reverse proxy)")
		showVer    = fs.Bool("version", false, "print the version and exit")
		yes        = fs.Bool("yes", false, "with call: confirm a destructive tool without asking (the preview is still shown)")
		stateURL   = fs.String("state", "", "share state with other replicas at `URL`: redis://HOST:PORT/DB or rediss://... (default: in memory; also QUALYS_MCP_STATE_URL)")
		rateLimits = fs.String("rate-limits", "", "requests per 60 s per endpoint class where a subscription's limits differ, as `CLASS=N,...`; the classes: bulk-list (120), inventory (5000), other (1000)")
		metrics    = fs.String("metrics", "", "serve Prometheus metrics at http://`ADDR`/metrics on a listener of its own (e.g. 127.0.0.1:9464); traces go over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set")
	)
	go toolsets.All() // build the catalogue's schemas while the rest starts up
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
	ctx, stop := signalContext()
	defer stop()

	if *dynamic && !flagGiven(fs, "toolsets") {
		*setNames = "all" // on demand, every toolset may be enabled
	}
	opts := tools.Options{
		Version: version, ReadOnly: *readOnly, Toolsets: split(*setNames), Tools: split(*toolNames),
		DynamicToolsets: *dynamic && sub == "", // tools and call work on the tools themselves
		NoConfirm:       *noConfirm, Fallback: consent.Fallback(*fallback), ConfirmWith: *with, ConfirmTTL: *confirmTTL, StateKeys: state.KeysFromEnv(os.Getenv("QUALYS_MCP_STATE_KEY")),
		ResultBudget: *budget, Logger: logger, AuditPath: *auditLog, Secrets: secrets,
	}
	if sub == subcmdTools {
		return listTools(os.Stdout, opts)
	}
	if *auditLog != "" { // a fresh machine has no folder for it yet
		if err := os.MkdirAll(filepath.Dir(*auditLog), 0o700); err != nil {
			return fmt.Errorf("--audit-log %q: cannot make its folder: %w", *auditLog, err)
		}
	}
	if *publicURL != "" && *httpAddr == "" {
		return &exitError{exitUsage, errors.New("--public-url needs --http")}
	}
	limits, err := client.ParseRateLimits(*rateLimits)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	stdioServer := sub == "" && *httpAddr == ""
	startLog := logger
	if stdioServer { // one line says what stdio waits for; the rest at debug
		startLog = slog.New(demoted{logger.Handler()})
	}
	if opts.State, err = tools.OpenState(ctx, *stateURL, os.Getenv, startLog); err != nil {
		return err
	}
	defer opts.State.Close()
	if opts.Passkeys, err = passkey.Open(opts.State, opts.StateKeys, os.Getenv, logger); err != nil {
		logger.Warn("no passkeys file: the confirmation page cannot be confirmed until one is set", "error", err.Error())
	}
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
	tel, stopTelemetry, err := startTelemetry(ctx, *metrics, opts.State, logger)
	if err != nil {
		return err
	}
	defer stopTelemetry()
	cfg.Observer, opts.Telemetry = tel.Observer(), tel
	gateway := cfg.Gateway.Host
	if *useSandbox {
		gateway = "emulated, in process"
	}
	if *noConfirm {
		logger.Warn("--no-confirm: the confirmation guard is OFF; destructive tools run without asking anyone")
	} else if *fallback == string(consent.FallbackToken) {
		logger.Warn("--confirm-fallback token: for clients that cannot ask the user, the model confirms destructive tools by itself with the token; no human is needed")
	}
	srv, err := tools.NewServer(client.New(cfg), opts)
	if err != nil {
		return err
	}
	if sub == subcmdCall {
		return callTool(ctx, srv, pos, *yes, stdio())
	}
	started := []any{"version", version, "gateway", gateway, "tools", len(srv.Tools)}
	if stdioServer {
		logger.Info("serving MCP on stdio: waiting for an MCP client on stdin (Ctrl-C to stop)", started...)
		err = srv.ServeStdio(ctx, os.Stdin, os.Stdout)
	} else {
		logger.Info("qualys-cs-mcp starting", started...)
		err = srv.ServeHTTP(ctx, service.HTTPOptions{Addr: *httpAddr, Stateless: *stateless,
			Token: os.Getenv("QUALYS_MCP_HTTP_TOKEN"), RatePerSecond: *httpRate, AllowedOrigins: split(*origins), PublicURL: *publicURL,
			MaxSessions: *maxSess, SessionIdle: *sessIdle, MaxConns: *maxConns}, nil)
	}
	return stopped(ctx, err, stdioServer, logger)
}

func split(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return strings.Split(s, ",")
}
