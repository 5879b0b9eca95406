package main

// The command line: `qualys-cs-mcp tools` lists the tools, `qualys-cs-mcp
// call TOOL '{json}'` runs one through the same server as an MCP call (the
// in-process MCP client of mcp-go), so validation, the confirmation guard,
// result shaping and redaction are the ones MCP clients get.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/extras"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/shape"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/toolsets"
)

// Exit codes of the command line.
const (
	exitFailed    = 1 // a tool error, or the server could not start
	exitUsage     = 2 // bad flags, arguments or tool name
	exitDeclined  = 3 // a destructive call was not confirmed; nothing changed
	subcmdTools   = "tools"
	subcmdCall    = "call"
	cliClientName = "qualys-cs-mcp-cli"
)

// exitError carries an exit code to main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitWith(code int, format string, a ...any) error {
	return &exitError{code, fmt.Errorf(format, a...)}
}

// exitCode maps run's error to the process exit code.
func exitCode(err error) int {
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	return exitFailed
}

// parseArgs parses flags that may come before, between or after the
// positional arguments (`call --sandbox list_sensors '{}' --read-only`);
// everything after "--" is positional. It returns the subcommand ("" for
// the server) and its arguments.
func parseArgs(fs *flag.FlagSet, args []string) (sub string, pos []string, err error) {
	var rest []string
	if i := slices.Index(args, "--"); i >= 0 {
		args, rest = args[:i], args[i+1:]
	}
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				printUsage(os.Stdout, fs) // asked for: the answer, on stdout
				return "", nil, err
			}
			return "", nil, &exitError{exitUsage, fmt.Errorf("%w (see --help)", err)}
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	pos = append(pos, rest...)
	if len(pos) == 0 {
		return "", nil, nil
	}
	switch pos[0] {
	case subcmdTools:
		if len(pos) > 1 {
			return "", nil, exitWith(exitUsage, "tools takes no arguments, only flags")
		}
		return pos[0], nil, nil
	case subcmdCall:
		if len(pos) < 2 || len(pos) > 3 {
			return "", nil, exitWith(exitUsage, "usage: qualys-cs-mcp call [flags] TOOL ['{json arguments}' | -]")
		}
		return pos[0], pos[1:], nil
	}
	return "", nil, exitWith(exitUsage, "unexpected argument %q; the subcommands are tools and call (see --help)", pos[0])
}

// flagGroups places each flag in a --help section, in the order shown;
// adding a flag is adding its line here (TestHelpGroupsEveryFlag fails on a
// flag that has none).
var flagGroups = []struct{ flag, group string }{
	{"sandbox", "Running"},
	{"log-level", "Running"},
	{"version", "Running"},
	{"metrics", "Running"},
	{"read-only", "Tools"},
	{"toolsets", "Tools"},
	{"tools", "Tools"},
	{"dynamic-toolsets", "Tools"},
	{"confirm-fallback", "Consent"},
	{"confirm-with", "Consent"},
	{"confirm-ttl", "Consent"},
	{"no-confirm", "Consent"},
	{"audit-log", "Consent"},
	{"yes", "Consent"},
	{"http", "HTTP service"},
	{"stateless", "HTTP service"},
	{"public-url", "HTTP service"},
	{"allowed-origins", "HTTP service"},
	{"state", "Shared state (replicas)"},
	{"timeout", "Limits"},
	{"rate-limits", "Limits"},
	{"result-budget", "Limits"},
	{"http-rate", "Limits"},
	{"max-sessions", "Limits"},
	{"session-idle", "Limits"},
	{"max-conns", "Limits"},
}

// envHelp is every environment variable the binary reads, for --help
// (TestHelpNamesEveryVariable checks it against the code).
var envHelp = []struct{ name, text string }{
	{"QUALYS_USERNAME", "the Qualys API user (a CS User role cannot use the API)"},
	{"QUALYS_PASSWORD", "its password"},
	{"QUALYS_PASSWORD_FILE", "a file holding the password, instead of QUALYS_PASSWORD"},
	{"QUALYS_TOKEN", "a pre-issued JWT: no login (renewed with the user and password when set)"},
	{"QUALYS_POD", "the platform: " + strings.Join(client.PodNames(), ", ")},
	{"QUALYS_GATEWAY_URL", "the API gateway's URL, instead of QUALYS_POD (https, except on loopback)"},
	{"QUALYS_MCP_HTTP_TOKEN", "with --http: the bearer token clients must send (required off loopback)"},
	{"QUALYS_MCP_STATE_KEY", "the key sealing confirmations (and the shared JWT): required with --state, the same on every replica; new,old during a rotation"},
	{"QUALYS_MCP_STATE_URL", "as --state (the flag wins)"},
	{"QUALYS_MCP_STATE_PASSWORD", "the Redis password (never in --state)"},
	{"QUALYS_MCP_STATE_PASSWORD_FILE", "a file holding the Redis password"},
	{"QUALYS_MCP_PASSKEYS", "the passkeys file (default: qualys-cs-mcp/passkeys.json in the user's config folder); with --state they are in the shared store"},
}

const helpWidth = 80

// printUsage prints the synopsis, the flags by group and the environment
// variables on w.
func printUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, `Usage:
  qualys-cs-mcp [flags]            serve MCP on stdio: an MCP client starts it
                                   and talks to it on stdin and stdout
  qualys-cs-mcp --http ADDR        serve MCP over streamable HTTP at ADDR/mcp
  qualys-cs-mcp tools [flags]      list the tools the flags offer
  qualys-cs-mcp call [flags] TOOL ['{json}' | -]
                                   run one tool and print its result
                                   (- reads the JSON arguments from stdin)
`)
	var order []string
	rows := map[string][][2]string{}
	add := func(group string, f *flag.Flag) {
		if _, ok := rows[group]; !ok {
			order = append(order, group)
		}
		name, usage := flag.UnquoteUsage(f)
		left := "--" + f.Name
		if name != "" {
			left += " " + name
		}
		if d := f.DefValue; d != "" && d != "false" && d != "0" && d != "0s" {
			usage += " (default " + d + ")"
		}
		rows[group] = append(rows[group], [2]string{left, usage})
	}
	grouped := map[string]bool{}
	for _, g := range flagGroups {
		if f := fs.Lookup(g.flag); f != nil {
			add(g.group, f)
			grouped[g.flag] = true
		}
	}
	fs.VisitAll(func(f *flag.Flag) {
		if !grouped[f.Name] {
			add("Ungrouped (give them a group in cli.go's flagGroups)", f)
		}
	})
	for _, g := range order {
		fmt.Fprintf(w, "\n%s:\n", g)
		printRows(w, rows[g], 27)
	}
	fmt.Fprint(w, "\nEnvironment (credentials go here or in files, never in flags):\n")
	var env [][2]string
	for _, e := range envHelp {
		env = append(env, [2]string{e.name, e.text})
	}
	printRows(w, env, 34)
	fmt.Fprint(w, "\nExit codes: 0 done (or stopped by SIGINT/SIGTERM), 1 failed, 2 bad usage,\n3 not confirmed (call: nothing changed).\n")
}

// printRows prints two columns, the second starting at column col and
// wrapped at helpWidth; a longer first column puts it on the next line.
func printRows(w io.Writer, rows [][2]string, col int) {
	pad := strings.Repeat(" ", col)
	for _, r := range rows {
		line := "  " + r[0]
		if len(line)+2 > col {
			fmt.Fprintln(w, line)
			line = pad
		} else {
			line += pad[len(line):]
		}
		sep := ""
		for _, word := range strings.Fields(r[1]) {
			// a list too long for a line breaks after its commas
			for _, part := range strings.SplitAfter(word, ",") {
				if len(line) > col && len(line)+len(sep)+len(part) > helpWidth {
					fmt.Fprintln(w, line)
					line, sep = pad, ""
				}
				line += sep + part
				sep = ""
			}
			sep = " "
		}
		fmt.Fprintln(w, line)
	}
}

// listTools prints the tools the flags offer, one line each. It needs no
// credentials.
func listTools(w io.Writer, o tools.Options) error {
	all, err := toolsets.All()
	if err != nil {
		return err
	}
	chosen, err := toolsets.Select(all, o.ReadOnly, o.Toolsets, o.Tools)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TOOL\tTIER\tTOOLSET\tDESCRIPTION")
	for _, t := range chosen {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Name, t.Tier.Word(), t.Toolset, t.Description)
	}
	return tw.Flush()
}

// cliIO is the terminal the call command talks to.
type cliIO struct {
	in       io.Reader
	out, err io.Writer
	tty      bool // in is an interactive terminal
}

// stdio returns the process's streams; stdin counts as a terminal when it
// is a character device other than the null device.
func stdio() cliIO {
	tty := false
	if fi, err := os.Stdin.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		null, err := os.Stat(os.DevNull)
		tty = err != nil || !os.SameFile(fi, null)
	}
	return cliIO{in: os.Stdin, out: os.Stdout, err: os.Stderr, tty: tty}
}

// callTool runs one tool through srv's MCP pipeline with an in-process
// client, printing the result on out and a tool error on err.
func callTool(ctx context.Context, srv *tools.Server, pos []string, yes bool, term cliIO) error {
	name, raw := pos[0], "{}"
	if len(pos) > 1 {
		raw = pos[1]
	}
	if raw == "-" {
		b, err := io.ReadAll(term.in)
		if err != nil {
			return exitWith(exitUsage, "reading the arguments from stdin: %v", err)
		}
		raw, term.tty = string(b), false
	}
	var args map[string]any
	if err := json.Unmarshal([]byte(raw), &args); err != nil || args == nil {
		return exitWith(exitUsage, "the arguments must be one JSON object, e.g. '{\"pageSize\": 5}'")
	}
	if err := offered(srv, name); err != nil {
		return err
	}

	ask := &confirmer{yes: yes, term: term, stop: ctx.Done(), redact: srv.Redact}
	c, err := mcpclient.NewInProcessClientWithOptions(srv.MCP, mcpclient.WithElicitationHandler(ask))
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Start(ctx); err != nil {
		return err
	}
	init := mcp.InitializeRequest{}
	init.Params.ClientInfo = mcp.Implementation{Name: cliClientName, Version: version}
	if _, err := c.Initialize(ctx, init); err != nil {
		return fmt.Errorf("initialize: %w", err)
	}
	req := mcp.CallToolRequest{}
	req.Params.Name, req.Params.Arguments = name, args
	if slices.ContainsFunc(srv.Tools, func(t tool.Tool) bool { return t.Name == name && t.Guarded() }) {
		// A confirmation on the page (--confirm-with passkey) is waited
		// for: its link and the wait are shown on the terminal.
		req.Params.Meta = &mcp.Meta{ProgressToken: "call"}
		c.OnNotification(func(n mcp.JSONRPCNotification) {
			if msg, ok := n.Params.AdditionalFields["message"].(string); ok && n.Method == string(mcp.MethodNotificationProgress) {
				fmt.Fprintln(term.err, srv.Redact(shape.Printable(msg)))
			}
		})
	}
	res, err := c.CallTool(ctx, req)
	switch {
	case ask.declined != "":
		return exitWith(exitDeclined, "%s: %s; nothing was changed", name, ask.declined)
	case err != nil:
		return fmt.Errorf("%s: %w", name, err)
	case res.IsError:
		return &exitError{exitFailed, errors.New(srv.Redact(extras.ResultText(res)))}
	}
	fmt.Fprintln(term.out, srv.Redact(indent(extras.ResultText(res)))) // last: indenting re-encodes the text
	return nil
}

// offered refuses a tool the flags do not offer, saying why.
func offered(srv *tools.Server, name string) error {
	if slices.ContainsFunc(srv.Tools, func(t tool.Tool) bool { return t.Name == name }) {
		return nil
	}
	all, _ := toolsets.All()
	if slices.ContainsFunc(all, func(t tool.Tool) bool { return t.Name == name }) {
		return exitWith(exitUsage, "tool %s is not offered with these flags (--read-only, --toolsets, --tools)", name)
	}
	return exitWith(exitUsage, "unknown tool %q; `qualys-cs-mcp tools` lists them", name)
}

// indent pretty-prints a JSON text; anything else is printed as it is.
func indent(text string) string {
	var v any
	if json.Unmarshal([]byte(text), &v) != nil {
		return text
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return text
	}
	return string(b)
}

// confirmer answers the confirmation guard's elicitation: it shows the
// preview on the terminal and asks y/N; without a terminal it declines
// unless --yes was given.
type confirmer struct {
	yes      bool
	term     cliIO
	stop     <-chan struct{} // closed on Ctrl-C: stop waiting for an answer
	declined string          // why the user's confirmation was not given
	redact   func(string) string
}

func (c *confirmer) Elicit(_ context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	fmt.Fprintln(c.term.err, c.redact(shape.Printable(req.Params.Message))) // its values are quoted; nothing else can act on the terminal; redacted last
	decline := func(why string) (*mcp.ElicitationResult, error) {
		c.declined = why
		return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: mcp.ElicitationResponseActionDecline}}, nil
	}
	content, ok := confirmation(req.Params.RequestedSchema)
	switch {
	case !ok:
		return decline("the server asked for input the command line cannot give")
	case c.yes:
		fmt.Fprintln(c.term.err, "Confirmed by --yes.")
	case !c.term.tty:
		return decline("refused: there is no terminal to confirm on (run again with --yes to confirm)")
	default:
		q := "[y/N] "
		if !strings.HasSuffix(strings.TrimSpace(req.Params.Message), "?") {
			q = "Proceed? " + q
		}
		fmt.Fprint(c.term.err, q)
		answer := make(chan string, 1)
		go func() {
			line, _ := bufio.NewReader(c.term.in).ReadString('\n')
			answer <- line
		}()
		select {
		case <-c.stop:
			fmt.Fprintln(c.term.err)
			return decline("interrupted")
		case line := <-answer:
			if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
				return decline("not confirmed")
			}
		}
	}
	return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: mcp.ElicitationResponseActionAccept, Content: content}}, nil
}

// confirmation fills a yes/no form: every property must be a boolean, and
// each is answered true. Anything else cannot be answered here.
func confirmation(schema any) (map[string]any, bool) {
	b, _ := json.Marshal(schema)
	var s struct {
		Properties map[string]struct {
			Type string `json:"type"`
		} `json:"properties"`
	}
	if json.Unmarshal(b, &s) != nil || len(s.Properties) == 0 {
		return nil, false
	}
	out := map[string]any{}
	for k, p := range s.Properties {
		if p.Type != "boolean" {
			return nil, false
		}
		out[k] = true
	}
	return out, true
}

// flagGiven reports whether the flag was set on the command line.
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// stopSignal is the cause of the server's context when a signal stops it.
type stopSignal struct{ os.Signal }

func (s stopSignal) Error() string { return "stopped by " + s.String() }

// signalContext is cancelled by SIGINT or SIGTERM, with the signal as its
// cause. A second signal ends the process at once, as if none were caught.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-sigs:
			signal.Stop(sigs)
			cancel(stopSignal{s})
		case <-ctx.Done():
		}
	}()
	return ctx, func() { signal.Stop(sigs); cancel(nil) }
}

// stopped turns how a server ended into run's answer: stopped by a signal,
// or on stdio by the client closing stdin, is a clean end, said in one line;
// anything else is the server's error.
func stopped(ctx context.Context, err error, stdio bool, log *slog.Logger) error {
	var sig stopSignal
	switch {
	case errors.As(context.Cause(ctx), &sig):
		log.Info("stopped", "signal", sig.String())
		return nil
	case stdio && err == nil:
		log.Info("stopped: the client closed stdin")
	}
	return err
}

// demoted logs Info records at Debug: the start-up details a stdio server
// leaves to --log-level debug.
type demoted struct{ slog.Handler }

func (d demoted) Enabled(ctx context.Context, l slog.Level) bool {
	return d.Handler.Enabled(ctx, demote(l))
}

func (d demoted) Handle(ctx context.Context, r slog.Record) error {
	r.Level = demote(r.Level)
	return d.Handler.Handle(ctx, r)
}

func demote(l slog.Level) slog.Level {
	if l == slog.LevelInfo {
		return slog.LevelDebug
	}
	return l
}

func (d demoted) WithAttrs(as []slog.Attr) slog.Handler { return demoted{d.Handler.WithAttrs(as)} }
func (d demoted) WithGroup(name string) slog.Handler    { return demoted{d.Handler.WithGroup(name)} }
