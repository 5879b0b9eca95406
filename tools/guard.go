package tools

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
)

const (
	tokenArg   = "confirmation_token"
	confirmKey = "confirm"
	// TokenTTL is how long a confirmation (token, elicitation state or
	// page) lives unless --confirm-ttl says otherwise.
	TokenTTL = 5 * time.Minute
)

// Fallback is what the guard does for a client without elicitation.
type Fallback string

const (
	FallbackURL   Fallback = "url"   // answer with the preview and a link to the confirmation page (the default)
	FallbackToken Fallback = "token" // answer with the preview and a token the model sends back (no human needed)
	FallbackDeny  Fallback = "deny"  // refuse
)

// guard seals confirmation state with AES-GCM so that stateless replicas
// sharing the key agree, and remembers used nonces so that within a process
// each confirmation is used once.
type guard struct {
	aeads    []cipher.AEAD // the first seals; all open (key rotation)
	fallback Fallback
	off      bool
	now      func() time.Time
	store    state.Store // spent nonces: shared by replicas when it is shared
	ttl      time.Duration
}

// sealed is the confirmation state: bound to the tool, the exact arguments,
// the target's state at preview time, and an expiry.
type sealed struct {
	Kind  string `json:"k"` // "elicit" or "token"
	Tool  string `json:"t"`
	Args  string `json:"a"`
	FP    string `json:"f"`
	Exp   int64  `json:"e"`
	Nonce string `json:"n"`
	Page  string `json:"i,omitempty"` // URL-mode elicitation: the approval the page decides
	Sess  string `json:"s,omitempty"` // the MCP session that asked (pages.callSession), when there is one
}

// KeysFromEnv reads QUALYS_MCP_STATE_KEY: one key, or several separated by
// commas (the first seals, the others are still accepted after a
// rotation). Without it a random key per process is used.
func KeysFromEnv(v string) [][]byte {
	var keys [][]byte
	for _, k := range strings.Split(v, ",") {
		if k = strings.TrimSpace(k); k != "" {
			sum := sha256.Sum256([]byte(k))
			keys = append(keys, sum[:])
		}
	}
	if len(keys) == 0 {
		k := make([]byte, 32)
		rand.Read(k)
		keys = append(keys, k)
	}
	return keys
}

func newGuard(keys [][]byte, fallback Fallback, off bool, store state.Store) (*guard, error) {
	if store == nil {
		store = state.NewMemory()
	}
	g := &guard{fallback: fallback, off: off, now: time.Now, store: store, ttl: TokenTTL}
	if len(keys) == 0 {
		keys = KeysFromEnv("")
	}
	for _, k := range keys {
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, err
		}
		a, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		g.aeads = append(g.aeads, a)
	}
	return g, nil
}

func (g *guard) seal(s sealed) string {
	nonce := make([]byte, 8)
	rand.Read(nonce)
	s.Nonce = hex.EncodeToString(nonce)
	s.Exp = g.now().Add(g.ttl).Unix()
	plain, _ := json.Marshal(s)
	a := g.aeads[0]
	iv := make([]byte, a.NonceSize())
	rand.Read(iv)
	out := a.Seal(iv, iv, plain, []byte("qualys-cs-mcp/"+s.Tool))
	return base64.RawURLEncoding.EncodeToString(out)
}

var errBadToken = errors.New("the confirmation is not valid")

// open checks a sealed state against the call it comes back with, and
// spends it.
func (g *guard) open(ctx context.Context, tok, kind, tool, args, sess string) (sealed, error) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || base64.RawURLEncoding.EncodeToString(raw) != tok {
		return sealed{}, errBadToken
	}
	var s sealed
	ok := false
	for _, a := range g.aeads {
		if len(raw) < a.NonceSize() {
			continue
		}
		plain, err := a.Open(nil, raw[:a.NonceSize()], raw[a.NonceSize():], []byte("qualys-cs-mcp/"+tool))
		if err == nil && json.Unmarshal(plain, &s) == nil {
			ok = true
			break
		}
	}
	switch {
	case !ok:
		return s, fmt.Errorf("%w: it was altered, or issued for another tool or by a server with another key", errBadToken)
	case s.Kind != kind || s.Tool != tool:
		return s, fmt.Errorf("%w: it was issued for another tool", errBadToken)
	case s.Args != args:
		return s, fmt.Errorf("%w: the arguments differ from the ones the user confirmed", errBadToken)
	case s.Sess != sess:
		return s, fmt.Errorf("%w: it was issued to another MCP session", errBadToken)
	case g.now().Unix() > s.Exp:
		return s, fmt.Errorf("%w: it expired (confirmations last %s)", errBadToken, g.ttl)
	}
	first, err := g.store.Claim(ctx, "used:"+s.Nonce, time.Until(time.Unix(s.Exp, 0).Add(time.Minute)))
	if err != nil {
		return s, fmt.Errorf("refused: the confirmation could not be checked as unused, so nothing was changed: %w", err)
	}
	if !first {
		return s, fmt.Errorf("%w: it was already used", errBadToken)
	}
	return s, nil
}

func hashArgs(tool string, args map[string]any) string {
	b, _ := json.Marshal(args) // map keys are sorted: canonical
	sum := sha256.Sum256(append([]byte(tool+"\x00"), b...))
	return hex.EncodeToString(sum[:16])
}

func fingerprint(target any) string {
	b, _ := json.Marshal(target)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// elicitMode is how the client can ask the user: "form", "url" (URL mode
// only), or "" (it cannot).
func elicitMode(ctx context.Context) string {
	var caps *mcp.ElicitationCapability
	if info := server.RequestProtocolInfoFromContext(ctx); info != nil && info.Modern {
		if info.ClientCapabilities != nil {
			caps = info.ClientCapabilities.Elicitation
		}
	} else {
		sess := server.ClientSessionFromContext(ctx)
		if _, ok := sess.(server.SessionWithElicitation); !ok {
			return ""
		}
		ci, ok := sess.(server.SessionWithClientInfo)
		if !ok {
			return ""
		}
		caps = ci.GetClientCapabilities().Elicitation
	}
	switch {
	case caps == nil:
		return ""
	case caps.Form != nil || caps.URL == nil: // an empty declaration means form
		return "form"
	}
	return "url"
}

// Who consented, in the audit log: never the same word for different things.
const (
	byForm  = "human/form"  // the user checked the box of the client's form
	byPage  = "human/page"  // the user pressed Confirm on the confirmation page
	byToken = "model/token" // the caller sent the token back (--confirm-fallback token)
)

// redactPreview masks the secrets in what a preview shows (the target
// stays as read: it is only fingerprinted).
func (f *factory) redactPreview(p *Preview, c *Ctx) {
	own := secretValues(c.Args)
	p.Summary = f.secrets.Redact(p.Summary, own...)
	if b, err := json.Marshal(p.Details); err == nil {
		var d any
		if json.Unmarshal([]byte(f.redactJSON(b, own)), &d) == nil {
			p.Details = d
		}
	}
}

// confirmMessage is what the user reads before confirming: the tool, the
// preview (its values quoted), the arguments in a fixed layout.
func confirmMessage(t *Tool, summary string, shown []argLine, undo, ask string) string {
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

// confirmed runs the tool behind the guard.
func (f *factory) confirmed(ctx context.Context, req mcp.CallToolRequest, t *Tool, c *Ctx, in any, token string) (any, *mcp.CallToolResult, error) {
	g := f.guard
	args, sess := hashArgs(t.Name, c.Args), f.pages.callSession(ctx)
	execute := func(fp string) (any, *mcp.CallToolResult, error) {
		again, err := t.preview(ctx, c, in)
		if err != nil {
			return nil, nil, fmt.Errorf("refused: the target could not be read again before acting, so nothing was changed: %w", err)
		}
		if fingerprint(again.Target) != fp {
			return nil, nil, errors.New("refused: the target changed since the user saw the preview, so nothing was changed; call again to see the new preview")
		}
		out, err := t.handle(ctx, c, in)
		return out, nil, err
	}

	if req.Params.RequestState != "" || len(req.Params.InputResponses) > 0 {
		st, err := g.open(ctx, req.Params.RequestState, "elicit", t.Name, args, sess)
		if err != nil {
			f.audit(t, c, "guard", "refused", err.Error())
			return nil, nil, err
		}
		answer := server.ElicitationResponse(req.Params.InputResponses, confirmKey)
		if answer == nil || answer.Action != mcp.ElicitationResponseActionAccept {
			action := "no answer"
			if answer != nil {
				action = string(answer.Action)
			}
			if st.Page != "" {
				if a, _ := f.pages.get(ctx, st.Page); a != nil {
					f.pages.decide(ctx, a, pageCancelled, "The user declined to open this page")
				}
			}
			f.audit(t, c, "guard", "declined", action)
			return cancelled("The user did not confirm (" + action + "); nothing was changed."), nil, nil
		}
		if st.Page != "" { // URL mode: the user went to the page; it decides
			a, err := f.pages.get(ctx, st.Page)
			if a == nil && err == nil {
				err = errUnknownApproval
			}
			if err == nil && a.Status == pagePending && !a.expired(g.now()) {
				a, err = f.pages.wait(ctx, a)
			}
			if srv := server.ServerFromContext(ctx); srv != nil && err == nil {
				_ = srv.SendNotificationToClient(ctx, string(mcp.MethodNotificationElicitationComplete), map[string]any{"elicitationId": a.ID})
			}
			if err != nil {
				f.audit(t, c, "guard", "refused", err.Error())
				return nil, nil, err
			}
			return f.settle(ctx, t, c, a, execute)
		}
		content, _ := answer.Content.(map[string]any)
		if ok, _ := content[confirmKey].(bool); !ok {
			f.audit(t, c, "guard", "declined", "unchecked")
			return cancelled("The user declined; nothing was changed."), nil, nil
		}
		f.audit(t, c, "guard", "consented", byForm)
		return execute(st.FP)
	}

	if token != "" {
		if g.fallback != FallbackToken {
			f.audit(t, c, "guard", "token refused", "the server does not take tokens (--confirm-fallback "+string(g.fallback)+")")
			return nil, nil, fmt.Errorf("refused: this server does not take confirmation_token (it runs with --confirm-fallback=%s): only the user can confirm. Nothing was changed; call again without confirmation_token", g.fallback)
		}
		st, err := g.open(ctx, token, "token", t.Name, args, sess)
		if err != nil {
			f.audit(t, c, "guard", "token refused", err.Error())
			if errors.Is(err, state.ErrUnavailable) {
				return nil, nil, fmt.Errorf("%w; the token is still unused: call again with it once the state store answers", err)
			}
			return nil, nil, fmt.Errorf("%w; call again without confirmation_token to get a new preview", err)
		}
		f.audit(t, c, "guard", "consented", byToken)
		return execute(st.FP)
	}

	mode := elicitMode(ctx)
	if mode != "form" && g.fallback == FallbackURL { // an earlier call's page
		a, err := f.pages.forArgs(ctx, args)
		if err != nil {
			return nil, nil, fmt.Errorf("refused: the confirmation could not be read, so nothing was changed: %w", err)
		}
		if a != nil {
			return f.pageAnswer(ctx, t, c, a, execute)
		}
	}

	p, err := t.preview(ctx, c, in)
	if err != nil {
		return nil, nil, err
	}
	fp := fingerprint(p.Target)
	f.redactPreview(p, c) // what a human reads, on any of the ways below
	switch {
	case mode == "form":
		f.audit(t, c, "guard", "preview shown", "form")
		state := g.seal(sealed{Kind: "elicit", Tool: t.Name, Args: args, FP: fp, Sess: sess})
		return nil, server.NewInputRequestBuilder(state).Elicit(confirmKey, mcp.ElicitationParams{
			Mode:    mcp.ElicitationModeForm,
			Message: f.secrets.Redact(confirmMessage(t, p.Summary, shownArgs(c.Args), undoNote(t), "Proceed?"), secretValues(c.Args)...), // last
			RequestedSchema: map[string]any{
				"type": "object",
				"properties": map[string]any{
					confirmKey: map[string]any{"type": "boolean", "title": "Yes, " + t.Title(), "description": "Check to proceed"},
				},
				"required": []string{confirmKey},
			},
		}).ToolResult(), nil
	case mode == "url":
		a, err := f.pages.create(ctx, t, c, p, fp, false)
		if err != nil {
			return nil, nil, err
		}
		f.audit(t, c, "guard", "preview shown", "url elicitation")
		state := g.seal(sealed{Kind: "elicit", Tool: t.Name, Args: args, FP: fp, Page: a.ID, Sess: sess})
		return nil, server.NewInputRequestBuilder(state).Elicit(confirmKey, mcp.ElicitationParams{
			Mode:          mcp.ElicitationModeURL,
			Message:       f.secrets.Redact(confirmMessage(t, p.Summary, a.Shown, a.Undo, "Open the confirmation page to confirm or cancel."), secretValues(c.Args)...),
			ElicitationID: a.ID,
			URL:           a.URL,
		}).ToolResult(), nil
	case g.fallback == FallbackDeny:
		f.audit(t, c, "guard", "refused", "no elicitation, fallback deny")
		return nil, nil, fmt.Errorf("refused: this client cannot ask the user to confirm, and the server runs with --confirm-fallback=deny. Nothing was changed. What it would do: %s", p.Summary)
	case g.fallback == FallbackToken:
		tok := g.seal(sealed{Kind: "token", Tool: t.Name, Args: args, FP: fp, Sess: sess})
		f.audit(t, c, "guard", "token issued", "")
		return map[string]any{
			"confirmationRequired": true,
			"preview":              p.Summary,
			"details":              p.Details,
			"instructions":         fmt.Sprintf("Nothing was changed. Show this preview to the user and ask them to confirm. Only if they agree, call %s again with exactly the same arguments plus confirmation_token. The token is single-use and expires in %s.", t.Name, g.ttl),
			tokenArg:               tok,
			"expiresAt":            g.now().Add(g.ttl).UTC().Format(time.RFC3339),
		}, nil, nil
	}
	a, err := f.pages.create(ctx, t, c, p, fp, true)
	if err != nil {
		return nil, nil, err
	}
	f.audit(t, c, "guard", "preview shown", "page link")
	return f.pageAnswer(ctx, t, c, a, execute)
}

// pageAnswer answers a call whose approval is on the page: it waits for
// the decision when the call asked for progress, else tells the model to
// show the link; a decision already made settles it.
func (f *factory) pageAnswer(ctx context.Context, t *Tool, c *Ctx, a *approval, execute func(string) (any, *mcp.CallToolResult, error)) (any, *mcp.CallToolResult, error) {
	if a.Status == pagePending && !a.expired(f.guard.now()) && ctx.Value(progressKey{}) != nil {
		var err error
		if a, err = f.pages.wait(ctx, a); err != nil {
			f.audit(t, c, "guard", "refused", err.Error())
			return nil, nil, err
		}
	}
	if a.Status == pagePending && !a.expired(f.guard.now()) {
		return map[string]any{
			"confirmationRequired": true,
			"preview":              a.Summary,
			"details":              a.Details,
			"confirmUrl":           a.URL,
			"instructions": fmt.Sprintf("Nothing was changed. Only the user can confirm this, on the confirmation page: show them the preview and the link confirmUrl and ask them to open it. "+
				"After they press Confirm there, call %s again with exactly the same arguments: it then runs once. If they cancel, or the page expires (%s), nothing happens.", t.Name, f.guard.ttl),
			"expiresAt": time.Unix(a.Exp, 0).UTC().Format(time.RFC3339),
		}, nil, nil
	}
	return f.settle(ctx, t, c, a, execute)
}

// settle acts on a decided (or expired) approval: a confirmation runs the
// call once; anything else runs nothing.
func (f *factory) settle(ctx context.Context, t *Tool, c *Ctx, a *approval, execute func(string) (any, *mcp.CallToolResult, error)) (any, *mcp.CallToolResult, error) {
	switch {
	case a.Session != f.pages.callSession(ctx): // not ours to spend, nor to forget
		f.audit(t, c, "guard", "refused", "the confirmation belongs to another session")
		return nil, nil, errors.New("refused: this confirmation was asked for by another MCP session; nothing was changed. Call again for a new preview")
	case a.expired(f.guard.now()):
		f.pages.forget(ctx, a)
		f.audit(t, c, "guard", "refused", "the page expired")
		return nil, nil, fmt.Errorf("refused: the confirmation page expired before it was used (confirmations last %s); nothing was changed. Call again for a new preview and link", f.guard.ttl)
	case a.Status == pageCancelled:
		f.pages.forget(ctx, a)
		why := "The user cancelled on the confirmation page"
		if a.Why != "" {
			why = a.Why
		}
		f.audit(t, c, "guard", "declined", "cancelled on the page")
		return cancelled(why + "; nothing was changed."), nil, nil
	case a.Status == pageConfirmed:
		if err := f.pages.spend(ctx, a); err != nil {
			f.audit(t, c, "guard", "refused", err.Error())
			return nil, nil, err
		}
		f.audit(t, c, "guard", "consented", byPage)
		return execute(a.FP)
	}
	f.pages.forget(ctx, a)
	f.audit(t, c, "guard", "refused", "the page was used")
	return nil, nil, errors.New("refused: this confirmation was already used; nothing was changed. Call again for a new preview")
}
