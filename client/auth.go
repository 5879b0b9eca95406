package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync/atomic"
	"time"
)

// tokenSource caches the JWT and renews it before it expires, one renewal
// at a time however many calls wait.
type tokenSource struct {
	sem    chan struct{} // a lock that honours the caller's context
	fetch  func(context.Context) (string, error)
	fixed  string             // QUALYS_TOKEN, used until it is refused
	issued func(token string) // told of every token obtained (the secrets registry)

	token string
	exp   time.Time
	calls atomic.Int64
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

func (a *tokenSource) fresh() bool {
	if a.token == "" {
		return false
	}
	margin := min(5*time.Minute, time.Until(a.exp)/10)
	return time.Now().Add(max(margin, 0)).Before(a.exp)
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
	return a.refresh(ctx)
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
	return a.refresh(ctx)
}

func (a *tokenSource) refresh(ctx context.Context) (string, error) {
	a.calls.Add(1)
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
			if json.Unmarshal(raw, &claims) == nil {
				if s, err := claims.Exp.Int64(); err == nil && s > 0 {
					return time.Unix(s, 0)
				}
			}
		}
	}
	return time.Now().Add(DefaultTokenLife)
}
