package consent

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	json "github.com/segmentio/encoding/json"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/tool"
)

const (
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

// sealer seals confirmation state with AES-GCM so that stateless replicas
// sharing the key agree, and remembers used nonces in the store so that
// each confirmation is used once.
type sealer struct {
	keys  *state.Keys
	now   func() time.Time
	store state.Store // spent nonces: shared by replicas when it is shared
	ttl   time.Duration
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

func newSealer(keys *state.Keys, store state.Store, ttl time.Duration) *sealer {
	return &sealer{keys: keys, now: time.Now, store: store, ttl: ttl}
}

func (g *sealer) seal(s sealed) string {
	nonce := make([]byte, 8)
	rand.Read(nonce)
	s.Nonce = hex.EncodeToString(nonce)
	s.Exp = g.now().Add(g.ttl).Unix()
	plain, _ := json.Marshal(s)
	return base64.RawURLEncoding.EncodeToString(g.keys.Seal("qualys-cs-mcp/"+s.Tool, plain))
}

var errBadToken = errors.New("the confirmation is not valid")

// open checks a sealed state against the call it comes back with, and
// spends it.
func (g *sealer) open(ctx context.Context, tok, kind, tool, args, sess string) (sealed, error) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || base64.RawURLEncoding.EncodeToString(raw) != tok {
		return sealed{}, errBadToken
	}
	var s sealed
	plain, err := g.keys.Open("qualys-cs-mcp/"+tool, raw)
	ok := err == nil && json.Unmarshal(plain, &s) == nil // authenticated: our own bytes
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

// elicitMode is how the client can ask the user: "form", "url" (URL
// mode), or "" (it cannot). With passkeyOnly no form may confirm: a
// client with URL mode is asked in it, any other has none. A call that
// runs as an MCP task cannot ask: its client was answered already (the
// confirmation page asks instead).
func elicitMode(ctx context.Context, passkeyOnly bool) string {
	if tool.InTask(ctx) {
		return ""
	}
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
	case passkeyOnly && caps.URL != nil:
		return "url"
	case passkeyOnly:
		return ""
	case caps.Form != nil || caps.URL == nil: // an empty declaration means form
		return "form"
	}
	return "url"
}
