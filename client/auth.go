package client

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"time"

	json "github.com/segmentio/encoding/json"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/jsonlimit"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
)

// tokenSource caches the JWT and renews it before it expires, one renewal
// at a time however many calls wait.
type tokenSource struct {
	sem    chan struct{} // a lock that honours the caller's context
	fetch  func(context.Context) (string, error)
	fixed  string             // QUALYS_TOKEN, used until it is refused
	shared *sharedToken       // nil: this process logs in by itself
	issued func(token string) // told of every token obtained (the secrets registry)

	token string
	exp   time.Time
}

// DefaultTokenLife is assumed when a JWT carries no exp claim.
const DefaultTokenLife = 4 * time.Hour

func (a *tokenSource) lock(ctx context.Context) error {
	select {
	case a.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (a *tokenSource) unlock() { <-a.sem }

func (a *tokenSource) fresh() bool { return fresh(a.token, a.exp) }

// fresh reports whether a token is still good for a while: renewed within
// the last tenth of its life (at most 5 minutes) before it expires.
func fresh(token string, exp time.Time) bool {
	if token == "" {
		return false
	}
	margin := min(5*time.Minute, time.Until(exp)/10)
	return time.Now().Add(max(margin, 0)).Before(exp)
}

func (a *tokenSource) get(ctx context.Context) (string, error) {
	if err := a.lock(ctx); err != nil {
		return "", err
	}
	defer a.unlock()
	if a.token == "" && a.fixed != "" {
		a.token, a.exp = a.fixed, expiry(a.fixed)
		if !a.fresh() { // a pre-issued token with no exp, or an old one: use it until refused
			a.exp = time.Now().Add(DefaultTokenLife)
		}
	}
	if a.fresh() {
		return a.token, nil
	}
	return a.refresh(ctx, "")
}

// renew replaces a token Qualys refused, unless another caller already did.
func (a *tokenSource) renew(ctx context.Context, refused string) (string, error) {
	if err := a.lock(ctx); err != nil {
		return "", err
	}
	defer a.unlock()
	if a.token != refused && a.fresh() {
		return a.token, nil
	}
	return a.refresh(ctx, refused)
}

// refresh gets a new token. With a shared store the replicas log in once
// per token life: the one holding a short lock calls /auth and stores the
// token (encrypted); the others wait briefly and read it. When the store
// fails, or the holder is slow, this replica logs in alone.
func (a *tokenSource) refresh(ctx context.Context, refused string) (string, error) {
	s := a.shared
	if s == nil || s.health.resting() {
		return a.login(ctx)
	}
	deadline := time.Now().Add(authLockWait)
	for {
		if a.adopt(ctx, refused) {
			return a.token, nil
		}
		unlock, held, err := s.store.Lock(ctx, s.lockKey, authLockTTL)
		if err != nil {
			s.health.fail("this replica logs in to Qualys by itself", err)
			return a.login(ctx)
		}
		if held {
			defer unlock()
			if a.adopt(ctx, refused) { // the previous holder just stored one
				return a.token, nil
			}
			tok, err := a.login(ctx)
			if err == nil {
				s.save(ctx, tok, a.exp)
			}
			return tok, err
		}
		if time.Now().After(deadline) {
			return a.login(ctx)
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return "", err
		}
	}
}

// adopt takes the shared token, unless it is the refused one or stale.
func (a *tokenSource) adopt(ctx context.Context, refused string) bool {
	tok, exp, ok := a.shared.load(ctx)
	if !ok || tok == refused || !fresh(tok, exp) {
		return false
	}
	if a.issued != nil {
		a.issued(tok) // another replica's login: as secret here as one of ours
	}
	a.token, a.exp = tok, exp
	return true
}

func (a *tokenSource) login(ctx context.Context) (string, error) {
	tok, err := a.fetch(ctx)
	if err != nil {
		a.token = ""
		return "", err
	}
	if a.issued != nil {
		a.issued(tok)
	}
	a.token, a.exp = tok, expiry(tok)
	return tok, nil
}

// expiry reads a JWT's exp claim; without one the token lives 4 hours.
func expiry(jwt string) time.Time {
	parts := strings.Split(jwt, ".")
	if len(parts) == 3 {
		if raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "=")); err == nil {
			var claims struct {
				Exp json.Number `json:"exp"`
			}
			if jsonlimit.Unmarshal(raw, &claims, jsonlimit.Limits{}) == nil {
				if s, err := claims.Exp.Int64(); err == nil && s > 0 {
					return time.Unix(s, 0)
				}
			}
		}
	}
	return time.Now().Add(DefaultTokenLife)
}

const (
	authLockTTL  = 30 * time.Second // longest a login may hold the others
	authLockWait = 10 * time.Second // how long the others wait for it
)

// sharedToken is the JWT kept in the shared store, sealed with AES-GCM
// under the state key: the store never holds it in clear.
type sharedToken struct {
	store   state.Store
	aead    cipher.AEAD
	key     string // "jwt:<account>"
	lockKey string
	health  *storeHealth
}

func newSharedToken(store state.Store, stateKey []byte, account string, health *storeHealth) *sharedToken {
	if store == nil || !store.Shared() || len(stateKey) == 0 {
		return nil
	}
	block, err := aes.NewCipher(stateKey)
	if err != nil {
		return nil
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil
	}
	return &sharedToken{store: store, aead: aead, key: "jwt:" + account, lockKey: "auth:" + account, health: health}
}

type sealedToken struct {
	Token string `json:"t"`
	Exp   int64  `json:"e"`
}

func (s *sharedToken) load(ctx context.Context) (string, time.Time, bool) {
	raw, ok, err := s.store.Get(ctx, s.key)
	if err != nil {
		s.health.fail("this replica logs in to Qualys by itself", err)
		return "", time.Time{}, false
	}
	n := s.aead.NonceSize()
	if !ok || len(raw) < n {
		return "", time.Time{}, false
	}
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], []byte(s.key))
	var st sealedToken
	if err != nil || jsonlimit.Unmarshal(plain, &st, jsonlimit.Limits{}) != nil { // another key (a rotation): log in afresh
		return "", time.Time{}, false
	}
	return st.Token, time.Unix(st.Exp, 0), true
}

func (s *sharedToken) save(ctx context.Context, tok string, exp time.Time) {
	plain, _ := json.Marshal(sealedToken{Token: tok, Exp: exp.Unix()})
	iv := make([]byte, s.aead.NonceSize())
	rand.Read(iv)
	if err := s.store.Put(ctx, s.key, s.aead.Seal(iv, iv, plain, []byte(s.key)), time.Until(exp)); err != nil {
		s.health.fail("the token this replica got is not shared", err)
	}
}
