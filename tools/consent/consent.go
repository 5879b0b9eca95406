// Package consent is the confirmation guard every destructive call passes:
// a person confirms, in the client's form (elicitation) or on the
// confirmation page with a passkey (package passkey), before the call
// runs, once, on exactly the target the preview showed. It keeps the
// approvals and the audit log.
package consent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	json "github.com/segmentio/encoding/json"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/secret"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/consent/passkey"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/shape"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
)

// Options configure the guard.
type Options struct {
	Off      bool     // --no-confirm: nothing is asked
	Fallback Fallback // for clients without form elicitation; "" means url
	// With: who may confirm. "" or WithForm: the client's form where it
	// has one, else a passkey on the page; WithPasskey: a passkey on the
	// page for every client, elicitation included.
	With      string
	Passkeys  *passkey.Service // the passkeys that confirm on the page; nil: kept in Store
	TTL       time.Duration    // how long a confirmation lives; 0 means TokenTTL
	Keys      [][]byte         // seal confirmation state (state.KeysFromEnv); nil: random per process
	Store     state.Store      // approvals and spent nonces; nil: in memory
	AuditPath string           // JSON lines per write, destructive call and guard decision
	Log       *slog.Logger
	Secrets   *secret.Registry
	// Decided, if set, hears each guard decision the audit log records
	// (its outcome and detail): telemetry counts them.
	Decided func(outcome, detail string)
}

// Guard asks a person before a destructive call runs.
type Guard struct {
	seal     *sealer
	pages    *pages
	audit    auditFunc
	secrets  *secret.Registry
	fallback Fallback
	passkey  bool // --confirm-with passkey: no form confirms
	off      bool
	ttl      time.Duration
}

// Who may confirm (Options.With, --confirm-with).
const (
	WithForm    = "form"
	WithPasskey = "passkey"
)

// New builds the guard.
func New(o Options) (*Guard, error) {
	if o.Fallback == "" {
		o.Fallback = FallbackURL
	}
	if o.Fallback != FallbackURL && o.Fallback != FallbackToken && o.Fallback != FallbackDeny {
		return nil, fmt.Errorf("--confirm-fallback must be url, token or deny, not %q", o.Fallback)
	}
	switch {
	case o.With != "" && o.With != WithForm && o.With != WithPasskey:
		return nil, fmt.Errorf("--confirm-with must be form or passkey, not %q", o.With)
	case o.With == WithPasskey && o.Fallback == FallbackToken && !o.Off:
		return nil, errors.New("--confirm-with passkey and --confirm-fallback token contradict each other: a token lets the model confirm by itself")
	}
	if o.TTL == 0 {
		o.TTL = TokenTTL
	}
	if o.TTL < time.Second || o.TTL > time.Hour {
		return nil, fmt.Errorf("--confirm-ttl must be between 1s and 1h, not %s", o.TTL)
	}
	if o.Store == nil {
		o.Store = state.NewMemory()
	}
	if len(o.Keys) == 0 {
		o.Keys = state.KeysFromEnv("")
	}
	keys, err := state.NewKeys(o.Keys)
	if err != nil {
		return nil, err
	}
	audit, err := newAudit(o.AuditPath, o.Secrets)
	if err != nil {
		return nil, err
	}
	if o.Decided != nil {
		write := audit
		audit = func(t *tool.Tool, c *tool.Ctx, event, outcome, detail string) {
			if event == "guard" {
				o.Decided(outcome, detail)
			}
			write(t, c, event, outcome, detail)
		}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Passkeys == nil {
		if o.Passkeys, err = passkey.New(passkey.Options{State: o.Store, Keys: o.Keys, Log: o.Log}); err != nil {
			return nil, err
		}
	}
	// Approvals are sealed and bound to their key names in the store: one
	// written or moved by anything without the key is refused.
	return &Guard{seal: newSealer(keys, o.Store, o.TTL), pages: newPages(state.Sealed(o.Store, keys), o.Passkeys, o.TTL, o.Log), audit: audit,
		secrets: o.Secrets, fallback: o.Fallback, passkey: o.With == WithPasskey, off: o.Off, ttl: o.TTL}, nil
}

// Off reports whether the guard is off (--no-confirm).
func (g *Guard) Off() bool { return g.off }

// Audit writes one line of the audit log.
func (g *Guard) Audit(t *tool.Tool, c *tool.Ctx, event, outcome, detail string) {
	g.audit(t, c, event, outcome, detail)
}

// Who consented, in the audit log: never the same word for different things.
const (
	byForm    = "human/form"     // the user checked the box of the client's form
	byPasskey = "human/passkey:" // + its name: a person confirmed on the page with this passkey, verified
	byToken   = "model/token"    // the caller sent the token back (--confirm-fallback token)
)

// Confirm runs a guarded call once a person has confirmed it. Until then
// it answers the preview (out), or asks the client (pending: an
// elicitation), and runs nothing.
func (g *Guard) Confirm(ctx context.Context, req mcp.CallToolRequest, t *tool.Tool, c *tool.Ctx, in any, token string) (out any, pending *mcp.CallToolResult, err error) {
	k := &call{g: g, ctx: ctx, req: req, t: t, c: c, in: in, args: hashArgs(t.Name, c.Args), sess: g.pages.callSession(ctx)}
	switch {
	case req.Params.RequestState != "" || len(req.Params.InputResponses) > 0:
		return k.answered()
	case token != "":
		return k.withToken(token)
	}
	return k.ask()
}

// call is one guarded call on its way through the guard.
type call struct {
	g    *Guard
	ctx  context.Context
	req  mcp.CallToolRequest
	t    *tool.Tool
	c    *tool.Ctx
	in   any
	args string // hashArgs of the call
	sess string // the MCP session that asked (pages.callSession)
}

func (k *call) audit(event, outcome, detail string) { k.g.audit(k.t, k.c, event, outcome, detail) }

// refuse audits a refusal and answers it.
func (k *call) refuse(err error) (any, *mcp.CallToolResult, error) {
	k.audit("guard", "refused", err.Error())
	return nil, nil, err
}

// execute runs the call if its target is still the one previewed (fp).
func (k *call) execute(fp string) (any, *mcp.CallToolResult, error) {
	again, err := k.t.Preview(k.ctx, k.c, k.in)
	if err != nil {
		return nil, nil, fmt.Errorf("refused: the target could not be read again before acting, so nothing was changed: %w", err)
	}
	if fingerprint(again.Target) != fp {
		return nil, nil, errors.New("refused: the target changed since the user saw the preview, so nothing was changed; call again to see the new preview")
	}
	out, err := k.t.Run(k.ctx, k.c, k.in)
	return out, nil, err
}

// answered takes the client's answer to an elicitation: the form's box,
// or (URL mode) the page's decision.
func (k *call) answered() (any, *mcp.CallToolResult, error) {
	st, err := k.g.seal.open(k.ctx, k.req.Params.RequestState, "elicit", k.t.Name, k.args, k.sess)
	if err != nil {
		return k.refuse(err)
	}
	answer := server.ElicitationResponse(k.req.Params.InputResponses, confirmKey)
	if answer == nil || answer.Action != mcp.ElicitationResponseActionAccept {
		action := "no answer"
		if answer != nil {
			action = string(answer.Action)
		}
		if st.Page != "" {
			if a, _ := k.g.pages.get(k.ctx, st.Page); a != nil {
				k.g.pages.decide(k.ctx, a, pageCancelled, "The user declined to open this page", "")
			}
		}
		k.audit("guard", "declined", action)
		return cancelled("The user did not confirm (" + action + "); nothing was changed."), nil, nil
	}
	if st.Page != "" {
		return k.pageAnswered(st.Page)
	}
	if k.g.passkey { // a form asked for before --confirm-with passkey
		return k.refuse(errors.New("refused: this server takes a passkey on the confirmation page for every confirmation (--confirm-with passkey), not a form; nothing was changed. Call again for the page"))
	}
	content, _ := answer.Content.(map[string]any)
	if ok, _ := content[confirmKey].(bool); !ok {
		k.audit("guard", "declined", "unchecked")
		return cancelled("The user declined; nothing was changed."), nil, nil
	}
	k.audit("guard", "consented", byForm)
	return k.execute(st.FP)
}

// pageAnswered follows a URL-mode elicitation: the user went to the page,
// which decides.
func (k *call) pageAnswered(id string) (any, *mcp.CallToolResult, error) {
	a, err := k.g.pages.get(k.ctx, id)
	if a == nil && err == nil {
		err = errUnknownApproval
	}
	if err == nil && a.Status == pagePending && !a.expired(k.g.seal.now()) {
		a, err = k.g.pages.wait(k.ctx, a)
	}
	if srv := server.ServerFromContext(k.ctx); srv != nil && err == nil {
		_ = srv.SendNotificationToClient(k.ctx, string(mcp.MethodNotificationElicitationComplete), map[string]any{"elicitationId": a.ID})
	}
	if err != nil {
		return k.refuse(err)
	}
	return k.settle(a)
}

// withToken takes a confirmation token back (--confirm-fallback token only).
func (k *call) withToken(token string) (any, *mcp.CallToolResult, error) {
	if k.g.fallback != FallbackToken {
		k.audit("guard", "token refused", "the server does not take tokens (--confirm-fallback "+string(k.g.fallback)+")")
		return nil, nil, fmt.Errorf("refused: this server does not take confirmation_token (it runs with --confirm-fallback=%s): only the user can confirm. Nothing was changed; call again without confirmation_token", k.g.fallback)
	}
	st, err := k.g.seal.open(k.ctx, token, "token", k.t.Name, k.args, k.sess)
	if err != nil {
		k.audit("guard", "token refused", err.Error())
		if errors.Is(err, state.ErrUnavailable) {
			return nil, nil, fmt.Errorf("%w; the token is still unused: call again with it once the state store answers", err)
		}
		return nil, nil, fmt.Errorf("%w; call again without confirmation_token to get a new preview", err)
	}
	k.audit("guard", "consented", byToken)
	return k.execute(st.FP)
}

// ask previews the call and asks the way the client and the flags allow:
// a form, a URL-mode elicitation, a page link, a token, or a refusal. An
// earlier call's page, for the same arguments, is answered first.
func (k *call) ask() (any, *mcp.CallToolResult, error) {
	mode := elicitMode(k.ctx, k.g.passkey)
	if mode != "form" && k.g.fallback == FallbackURL {
		a, err := k.g.pages.forArgs(k.ctx, k.args)
		if err != nil {
			return k.refuse(fmt.Errorf("refused: the confirmation could not be read, so nothing was changed: %w", err))
		}
		if a != nil {
			return k.pageAnswer(a)
		}
	}
	p, err := k.t.Preview(k.ctx, k.c, k.in)
	if err != nil {
		return nil, nil, err
	}
	fp := fingerprint(p.Target)
	k.redactPreview(p) // what a human reads, on any of the ways below
	switch {
	case mode == "form":
		return k.askForm(p, fp)
	case mode == "url":
		return k.askURL(p, fp)
	case k.g.fallback == FallbackDeny:
		k.audit("guard", "refused", "no elicitation, fallback deny")
		return nil, nil, fmt.Errorf("refused: this client cannot ask the user to confirm, and the server runs with --confirm-fallback=deny. Nothing was changed. What it would do: %s", p.Summary)
	case k.g.fallback == FallbackToken:
		return k.issueToken(p, fp), nil, nil
	}
	if out, err := k.passkeyMissing(p); out != nil || err != nil {
		return out, nil, err
	}
	a, err := k.g.pages.create(k.ctx, k.t, k.c, p, fp, true)
	if err != nil {
		return nil, nil, err
	}
	k.audit("guard", "preview shown", "page link")
	return k.pageAnswer(a)
}

// askForm asks the client to show the user a yes/no form.
func (k *call) askForm(p *tool.Preview, fp string) (any, *mcp.CallToolResult, error) {
	k.audit("guard", "preview shown", "form")
	st := k.g.seal.seal(sealed{Kind: "elicit", Tool: k.t.Name, Args: k.args, FP: fp, Sess: k.sess})
	return nil, server.NewInputRequestBuilder(st).Elicit(confirmKey, mcp.ElicitationParams{
		Mode:    mcp.ElicitationModeForm,
		Message: k.redact(confirmMessage(k.t, p.Summary, shape.ShownArgs(k.c.Args), undoNote(k.t), "Proceed?")), // last
		RequestedSchema: map[string]any{
			"type": "object",
			"properties": map[string]any{
				confirmKey: map[string]any{"type": "boolean", "title": "Yes, " + k.t.Title(), "description": "Check to proceed"},
			},
			"required": []string{confirmKey},
		},
	}).ToolResult(), nil
}

// passkeyMissing answers the preview and the one thing the user must do
// first when no passkey can confirm on the page (none is enrolled, or
// this server offers no relying party); nil when one can.
func (k *call) passkeyMissing(p *tool.Preview) (map[string]any, error) {
	why, err := k.g.pages.noPasskey(k.ctx, k.t.Name)
	if err != nil || why == "" {
		if err != nil {
			k.audit("guard", "refused", err.Error())
		}
		return nil, err
	}
	k.audit("guard", "preview shown", "no passkey can confirm")
	return map[string]any{
		"confirmationRequired": true,
		"preview":              p.Summary,
		"details":              p.Details,
		"instructions":         "Nothing was changed, and nothing you can call completes this. " + why,
	}, nil
}

// askURL asks the client to send the user to the confirmation page.
func (k *call) askURL(p *tool.Preview, fp string) (any, *mcp.CallToolResult, error) {
	if out, err := k.passkeyMissing(p); out != nil || err != nil {
		return out, nil, err
	}
	a, err := k.g.pages.create(k.ctx, k.t, k.c, p, fp, false)
	if err != nil {
		return nil, nil, err
	}
	k.audit("guard", "preview shown", "url elicitation")
	st := k.g.seal.seal(sealed{Kind: "elicit", Tool: k.t.Name, Args: k.args, FP: fp, Page: a.ID, Sess: k.sess})
	return nil, server.NewInputRequestBuilder(st).Elicit(confirmKey, mcp.ElicitationParams{
		Mode:          mcp.ElicitationModeURL,
		Message:       k.redact(confirmMessage(k.t, p.Summary, a.Shown, a.Undo, "Open the confirmation page to confirm or cancel.")),
		ElicitationID: a.ID,
		URL:           a.URL,
	}).ToolResult(), nil
}

// issueToken answers the preview and a token the model sends back
// (--confirm-fallback token: no person needed).
func (k *call) issueToken(p *tool.Preview, fp string) map[string]any {
	tok := k.g.seal.seal(sealed{Kind: "token", Tool: k.t.Name, Args: k.args, FP: fp, Sess: k.sess})
	k.audit("guard", "token issued", "")
	return map[string]any{
		"confirmationRequired": true,
		"preview":              p.Summary,
		"details":              p.Details,
		"instructions":         fmt.Sprintf("Nothing was changed. Show this preview to the user and ask them to confirm. Only if they agree, call %s again with exactly the same arguments plus confirmation_token. The token is single-use and expires in %s.", k.t.Name, k.g.ttl),
		tool.TokenArg:          tok,
		"expiresAt":            k.g.seal.now().Add(k.g.ttl).UTC().Format(time.RFC3339),
	}
}

// pageAnswer answers a call whose approval is on the page: it waits for
// the decision when the call asked for progress, else tells the model to
// show the link; a decision already made settles it.
func (k *call) pageAnswer(a *approval) (any, *mcp.CallToolResult, error) {
	now := k.g.seal.now
	if a.Status == pagePending && !a.expired(now()) && tool.HasProgress(k.ctx) {
		var err error
		if a, err = k.g.pages.wait(k.ctx, a); err != nil {
			return k.refuse(err)
		}
	}
	if a.Status == pagePending && !a.expired(now()) {
		return map[string]any{
			"confirmationRequired": true,
			"preview":              a.Summary,
			"details":              a.Details,
			"confirmUrl":           a.URL,
			"instructions": fmt.Sprintf("Nothing was changed. Only the user can confirm this, with their passkey on the confirmation page: show them the preview and the link confirmUrl and ask them to open it. "+
				"After they confirm there, call %s again with exactly the same arguments: it then runs once. If they cancel, or the page expires (%s), nothing happens.", k.t.Name, k.g.ttl),
			"expiresAt": time.Unix(a.Exp, 0).UTC().Format(time.RFC3339),
		}, nil, nil
	}
	return k.settle(a)
}

// settle acts on a decided (or expired) approval: a confirmation runs the
// call once; anything else runs nothing.
func (k *call) settle(a *approval) (any, *mcp.CallToolResult, error) {
	pages := k.g.pages
	switch {
	case a.Session != k.sess: // not ours to spend, nor to forget
		return k.refuse(errors.New("refused: this confirmation was asked for by another MCP session; nothing was changed. Call again for a new preview"))
	case a.Args != k.args || a.Tool != k.t.Name:
		return k.refuse(errors.New("refused: this confirmation was given for another call; nothing was changed. Call again for a new preview"))
	case a.expired(k.g.seal.now()):
		pages.forget(k.ctx, a)
		return k.refuse(fmt.Errorf("refused: the confirmation page expired before it was used (confirmations last %s); nothing was changed. Call again for a new preview and link", k.g.ttl))
	case a.Status == pageCancelled:
		pages.forget(k.ctx, a)
		why := "The user cancelled on the confirmation page"
		if a.Why != "" {
			why = a.Why
		}
		k.audit("guard", "declined", "cancelled on the page")
		return cancelled(why + "; nothing was changed."), nil, nil
	case a.Status == pageConfirmed:
		name, ok := strings.CutPrefix(a.By, "passkey:")
		if !ok || name == "" { // every confirmation on the page is a passkey's
			pages.forget(k.ctx, a)
			return k.refuse(errors.New("refused: this confirmation names no passkey that gave it; nothing was changed. Call again for a new preview"))
		}
		if err := pages.spend(k.ctx, a); err != nil {
			return k.refuse(err)
		}
		k.audit("guard", "consented", byPasskey+name)
		return k.execute(a.FP)
	}
	pages.forget(k.ctx, a)
	return k.refuse(errors.New("refused: this confirmation was already used; nothing was changed. Call again for a new preview"))
}

// redact masks the secrets the process and this call hold in a text a
// person reads.
func (k *call) redact(text string) string {
	return k.g.secrets.Redact(text, shape.SecretValues(k.c.Args)...)
}

// redactPreview masks the secrets in what a preview shows (the target
// stays as read: it is only fingerprinted).
func (k *call) redactPreview(p *tool.Preview) {
	own := shape.SecretValues(k.c.Args)
	p.Summary = k.g.secrets.Redact(p.Summary, own...)
	if b, err := json.Marshal(p.Details); err == nil {
		var d any
		if json.Unmarshal([]byte(shape.RedactJSON(k.g.secrets, b, own)), &d) == nil {
			p.Details = d
		}
	}
}

// confirmMessage is what the user reads before confirming: the tool, the
// preview (its values quoted), the arguments in a fixed layout.
func confirmMessage(t *tool.Tool, summary string, shown []shape.ArgLine, undo, ask string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s)\n%s\nArguments:\n", t.Title(), t.Name, summary)
	for _, a := range shown {
		fmt.Fprintf(&b, "  %s = %s\n", a.Name, a.Value)
	}
	b.WriteString(undo + "\n" + ask)
	return b.String()
}

func cancelled(message string) map[string]any {
	return map[string]any{"cancelled": true, "message": message}
}
