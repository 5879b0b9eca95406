package state

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Config is where the state lives, as --state, QUALYS_MCP_STATE_URL,
// QUALYS_MCP_STATE_PASSWORD and QUALYS_MCP_STATE_PASSWORD_FILE say.
type Config struct {
	URL      string // "" or "memory": in this process; redis:// or rediss://HOST:PORT/DB
	FromFlag bool   // the URL came from --state (seen in the process list)
	Password string
}

// ConfigFromEnv reads the URL from flag, else QUALYS_MCP_STATE_URL, and the
// password from QUALYS_MCP_STATE_PASSWORD or the file
// QUALYS_MCP_STATE_PASSWORD_FILE names.
func ConfigFromEnv(flag string, getenv func(string) string) (Config, error) {
	c := Config{URL: strings.TrimSpace(flag), FromFlag: strings.TrimSpace(flag) != ""}
	if !c.FromFlag {
		c.URL = strings.TrimSpace(getenv("QUALYS_MCP_STATE_URL"))
	}
	c.Password = getenv("QUALYS_MCP_STATE_PASSWORD")
	if f := getenv("QUALYS_MCP_STATE_PASSWORD_FILE"); f != "" && c.Password == "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return c, fmt.Errorf("QUALYS_MCP_STATE_PASSWORD_FILE: cannot read %s: %v", f, errors.Unwrap(err))
		}
		c.Password = strings.TrimRight(string(b), "\r\n")
	}
	return c, nil
}

// Open opens the store c names. Its description, for the start-up log,
// never holds the password.
func Open(c Config) (Store, string, error) {
	if c.URL == "" || c.URL == "memory" {
		return NewMemory(), "memory (this process only)", nil
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		return nil, "", fmt.Errorf("state store %q: want memory, redis://HOST:PORT/DB or rediss://HOST:PORT/DB", Redact(c.URL))
	}
	if _, has := u.User.Password(); has {
		if c.FromFlag {
			return nil, "", errors.New("--state must not carry a password (it would show in the process list): set QUALYS_MCP_STATE_PASSWORD or QUALYS_MCP_STATE_PASSWORD_FILE")
		}
		if c.Password == "" {
			c.Password, _ = u.User.Password()
		}
	}
	opts, err := redis.ParseURL(c.URL)
	if err != nil {
		return nil, "", fmt.Errorf("state store %s: %v", Redact(c.URL), scrub(err, c))
	}
	if c.Password != "" {
		opts.Password = c.Password
	}
	if u.Scheme == "rediss" && opts.TLSConfig != nil {
		opts.TLSConfig.MinVersion = tls.VersionTLS12
	}
	desc := "redis " + Redact(c.URL)
	if opts.Password != "" {
		desc += " (with a password)"
	}
	return NewRedis(opts), desc, nil
}

// Redact is a state URL without its password or query.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	u.RawQuery, u.Fragment = "", ""
	return u.String()
}

func scrub(err error, c Config) string {
	s := err.Error()
	if c.Password != "" {
		s = strings.ReplaceAll(s, c.Password, "[redacted]")
	}
	if u, e := url.Parse(c.URL); e == nil {
		if p, ok := u.User.Password(); ok && p != "" {
			s = strings.ReplaceAll(s, p, "[redacted]")
		}
	}
	return s
}
