package tools

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
)

// OpenState opens the store --state (or QUALYS_MCP_STATE_URL) names and
// logs which one is used (never its password). A shared store needs
// QUALYS_MCP_STATE_KEY, the same on every replica: it seals the
// confirmations they hand each other and the JWT they share. A Redis that
// does not answer yet is a warning, not a failure: calls that need it are
// refused until it answers, and the others go on.
func OpenState(ctx context.Context, flag string, getenv func(string) string, log *slog.Logger) (state.Store, error) {
	cfg, err := state.ConfigFromEnv(flag, getenv)
	if err != nil {
		return nil, err
	}
	s, desc, err := state.Open(cfg)
	if err != nil {
		return nil, err
	}
	if s.Shared() && strings.TrimSpace(getenv("QUALYS_MCP_STATE_KEY")) == "" {
		s.Close()
		return nil, errors.New("a shared state store needs QUALYS_MCP_STATE_KEY, the same on every replica (it seals the confirmations and the Qualys token they share)")
	}
	log.Info("state store", "store", desc)
	if r, ok := s.(*state.Redis); ok {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if err := r.Ping(pctx); err != nil {
			log.Warn("the state store does not answer yet: destructive calls are refused and rate limits are counted on this replica alone until it does", "error", err.Error())
		}
	}
	return s, nil
}
