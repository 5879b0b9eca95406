package main

// `qualys-cs-mcp passkey add|list|remove`: the passkeys whose user
// verification confirms destructive calls on the confirmation page.
// Without --state they live in the file QUALYS_MCP_PASSKEYS names (default
// in the user's config folder); with --state (and QUALYS_MCP_STATE_KEY),
// sealed in the shared store, so every replica knows them.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/consent/passkey"
)

const subcmdPasskey = "passkey"

const passkeyUsage = `Usage:
  qualys-cs-mcp passkey add --name NAME [--expires 10m]
      serve an enrolment page on http://localhost:PORT, print its link (one line on stdout),
      wait until a passkey is created there, store it, exit 0. The first passkey is free;
      every later one needs a confirmation with an enrolled passkey on that page first.
  qualys-cs-mcp passkey add --name NAME --state redis://... --public-url https://HOST [--expires 24h]
      print a one-time enrolment link for NAME, served by the HTTP service at HOST, and exit.
  qualys-cs-mcp passkey list      the passkeys: name, relying party, created, last used
  qualys-cs-mcp passkey remove NAME

Passkeys live in the file QUALYS_MCP_PASSKEYS names (default: the user's config folder,
qualys-cs-mcp/passkeys.json); with --state (or QUALYS_MCP_STATE_URL) in the shared store,
sealed with QUALYS_MCP_STATE_KEY.

Flags:
`

// runPasskey runs `qualys-cs-mcp passkey ...` (args after "passkey").
func runPasskey(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("qualys-cs-mcp passkey", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		name      = fs.String("name", "", "with add: the passkey's name (A-Z a-z 0-9 . _ - @ +), recorded as human/passkey:NAME when it confirms")
		stateURL  = fs.String("state", "", "the shared state store: redis://HOST:PORT/DB or rediss://... (default: QUALYS_MCP_STATE_URL, else the passkeys file)")
		publicURL = fs.String("public-url", "", "with add and --state: the HTTP service's public URL; print an enrolment link served there")
		expires   = fs.Duration("expires", 0, "with add: how long the page or link lasts (default 10m, 24h for a --public-url link)")
	)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, passkeyUsage)
				fs.SetOutput(stdout)
				fs.PrintDefaults()
				return err
			}
			return &exitError{exitUsage, fmt.Errorf("%w (see qualys-cs-mcp passkey --help)", err)}
		}
		if fs.NArg() == 0 {
			break
		}
		pos, args = append(pos, fs.Arg(0)), fs.Args()[1:]
	}
	sub := ""
	if len(pos) > 0 {
		sub = pos[0]
	}
	switch {
	case sub == "add" && len(pos) == 1:
		if err := passkey.CheckName(*name); err != nil {
			return &exitError{exitUsage, fmt.Errorf("passkey add --name: %w", err)}
		}
	case sub == "list" && len(pos) == 1, sub == "remove" && len(pos) == 2:
	default:
		return exitWith(exitUsage, "usage: qualys-cs-mcp passkey add --name NAME | list | remove NAME (see qualys-cs-mcp passkey --help)")
	}
	if *publicURL != "" && sub != "add" {
		return exitWith(exitUsage, "--public-url goes with passkey add")
	}

	for _, k := range split(os.Getenv("QUALYS_MCP_STATE_KEY")) {
		secrets.Add(strings.TrimSpace(k))
	}
	logger, err := tools.NewLogger("warn", secrets)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	store, err := tools.OpenState(ctx, *stateURL, os.Getenv, logger)
	if err != nil {
		return err
	}
	defer store.Close()
	if !store.Shared() && *publicURL != "" {
		return exitWith(exitUsage, "an enrolment link for a shared HTTP service (--public-url) is kept in its shared store: give --state (and QUALYS_MCP_STATE_KEY)")
	}
	svc, err := passkey.Open(store, state.KeysFromEnv(os.Getenv("QUALYS_MCP_STATE_KEY")), os.Getenv, logger)
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		return listPasskeys(ctx, svc, stdout, stderr)
	case "remove":
		if err := svc.Remove(ctx, pos[1]); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "Removed the passkey %s (from %s).\n", pos[1], svc.Where())
		return nil
	}
	if *publicURL != "" {
		return passkeyLink(ctx, svc, *name, *publicURL, *expires, stdout, stderr)
	}
	return passkeyAdd(ctx, svc, *name, *expires, stdout, stderr)
}

func listPasskeys(ctx context.Context, svc *passkey.Service, stdout, stderr io.Writer) error {
	all, err := svc.List(ctx)
	if err != nil {
		return err
	}
	if len(all) == 0 {
		fmt.Fprintf(stderr, "No passkey is enrolled (%s). Add one: qualys-cs-mcp passkey add --name NAME\n", svc.Where())
		return nil
	}
	day := func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.Local().Format("2006-01-02 15:04")
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tRELYING PARTY\tCREATED\tLAST USED\tENROLLED BY")
	for _, p := range all {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Name, p.RPID, day(p.Created), day(p.LastUsed), p.By)
	}
	return tw.Flush()
}

// passkeyAdd serves the enrolment page on localhost until the passkey is
// created there, the page expires, or the user interrupts.
func passkeyAdd(ctx context.Context, svc *passkey.Service, name string, ttl time.Duration, stdout, stderr io.Writer) error {
	if ttl <= 0 {
		ttl = 10 * time.Minute
	}
	lns, rp, err := passkey.ListenLocal()
	if err != nil {
		return fmt.Errorf("the enrolment page could not be served: %w", err)
	}
	e, err := svc.NewEnrolment(ctx, passkey.EnrolOptions{Name: name, RP: rp, TTL: ttl})
	if err != nil {
		for _, ln := range lns {
			ln.Close()
		}
		return err
	}
	mux := http.NewServeMux()
	mux.Handle(passkey.Path, svc.Handler(rp, passkey.HandlerOptions{Loopback: true}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	for _, ln := range lns {
		go srv.Serve(ln)
	}
	defer func() { // let the last answer reach the page
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	fmt.Fprintln(stdout, e.URL)
	fmt.Fprintf(stderr, "Open this link in your browser to create the passkey %s (on this computer, until %s; Ctrl-C stops).\n", name, e.Exp.Local().Format(time.TimeOnly))
	switch err := svc.Wait(ctx, e); {
	case errors.Is(err, context.Canceled):
		return errors.New("interrupted: no passkey was enrolled")
	case err != nil:
		return err
	}
	fmt.Fprintf(stderr, "The passkey %s is enrolled (in %s).\n", name, svc.Where())
	return nil
}

// passkeyLink makes a one-time enrolment link for name on the HTTP
// service at publicURL (which mounts passkey.Path on its listener).
func passkeyLink(ctx context.Context, svc *passkey.Service, name, publicURL string, ttl time.Duration, stdout, stderr io.Writer) error {
	rp, err := passkey.PublicRP(publicURL)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	if ttl <= 0 {
		ttl = 24 * time.Hour
	}
	e, err := svc.NewEnrolment(ctx, passkey.EnrolOptions{Name: name, RP: rp, Base: publicURL, TTL: ttl, Link: true})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, e.URL)
	fmt.Fprintf(stderr, "Give this link to %s only: it enrols one passkey named %s for %s, once, until %s.\n", name, name, rp.ID, e.Exp.Local().Format(time.DateTime))
	return nil
}
