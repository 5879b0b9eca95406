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
	// TokenTTL is how long a confirmation token or elicitation state lives.
	TokenTTL = 5 * time.Minute
)

// Fallback is what the guard does for a client without elicitation.
type Fallback string

const (
	FallbackToken Fallback = "token" // answer with the preview and a confirmation token
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
	g := &guard{fallback: fallback, off: off, now: time.Now, store: store}
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
	s.Exp = g.now().Add(TokenTTL).Unix()
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
func (g *guard) open(ctx context.Context, tok, kind, tool, args string) (sealed, error) {
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
	case g.now().Unix() > s.Exp:
		return s, fmt.Errorf("%w: it expired (confirmations last %s)", errBadToken, TokenTTL)
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

// supportsElicitation reports whether the client can be asked to confirm.
func supportsElicitation(ctx context.Context) bool {
	if info := server.RequestProtocolInfoFromContext(ctx); info != nil && info.Modern {
		return info.ClientCapabilities != nil && info.ClientCapabilities.Elicitation != nil
	}
	sess := server.ClientSessionFromContext(ctx)
	if _, ok := sess.(server.SessionWithElicitation); !ok {
		return false
	}
	ci, ok := sess.(server.SessionWithClientInfo)
	return ok && ci.GetClientCapabilities().Elicitation != nil
}

// confirmed runs the tool behind the guard.
func (f *factory) confirmed(ctx context.Context, req mcp.CallToolRequest, t *Tool, c *Ctx, in any, token string) (any, *mcp.CallToolResult, error) {
	g := f.guard
	args := hashArgs(t.Name, c.Args)
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
		st, err := g.open(ctx, req.Params.RequestState, "elicit", t.Name, args)
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
			f.audit(t, c, "guard", "declined", action)
			return map[string]any{"cancelled": true, "message": "The user did not confirm (" + action + "); nothing was changed."}, nil, nil
		}
		content, _ := answer.Content.(map[string]any)
		if ok, _ := content[confirmKey].(bool); !ok {
			f.audit(t, c, "guard", "declined", "unchecked")
			return map[string]any{"cancelled": true, "message": "The user declined; nothing was changed."}, nil, nil
		}
		f.audit(t, c, "guard", "confirmed", "elicitation")
		return execute(st.FP)
	}

	if token != "" {
		st, err := g.open(ctx, token, "token", t.Name, args)
		if err != nil {
			f.audit(t, c, "guard", "token refused", err.Error())
			return nil, nil, fmt.Errorf("%w; call again without confirmation_token to get a new preview", err)
		}
		f.audit(t, c, "guard", "confirmed", "token")
		return execute(st.FP)
	}

	p, err := t.preview(ctx, c, in)
	if err != nil {
		return nil, nil, err
	}
	fp := fingerprint(p.Target)
	if supportsElicitation(ctx) {
		f.audit(t, c, "guard", "preview shown", "elicitation")
		state := g.seal(sealed{Kind: "elicit", Tool: t.Name, Args: args, FP: fp})
		return nil, server.NewInputRequestBuilder(state).Elicit(confirmKey, mcp.ElicitationParams{
			Mode:    mcp.ElicitationModeForm,
			Message: f.secrets.Redact(p.Summary, secretValues(c.Args)...) + "\n\nThis cannot be undone. Proceed?",
			RequestedSchema: map[string]any{
				"type": "object",
				"properties": map[string]any{
					confirmKey: map[string]any{"type": "boolean", "title": "Yes, " + t.Title(), "description": "Check to proceed"},
				},
				"required": []string{confirmKey},
			},
		}).ToolResult(), nil
	}
	if g.fallback == FallbackDeny {
		f.audit(t, c, "guard", "refused", "no elicitation, fallback deny")
		return nil, nil, fmt.Errorf("refused: this client cannot ask the user to confirm, and the server runs with --confirm-fallback=deny. Nothing was changed. What it would do: %s", p.Summary)
	}
	tok := g.seal(sealed{Kind: "token", Tool: t.Name, Args: args, FP: fp})
	f.audit(t, c, "guard", "token issued", "")
	return map[string]any{
		"confirmationRequired": true,
		"preview":              p.Summary,
		"details":              p.Details,
		"instructions":         "Nothing was changed. Show this preview to the user and ask them to confirm. Only if they agree, call " + t.Name + " again with exactly the same arguments plus confirmation_token. The token is single-use and expires in 5 minutes.",
		tokenArg:               tok,
		"expiresAt":            g.now().Add(TokenTTL).UTC().Format(time.RFC3339),
	}, nil, nil
}
