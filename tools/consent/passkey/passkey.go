// Package passkey is the proof of a person behind the confirmation guard:
// WebAuthn passkeys with user verification (Touch ID, Windows Hello, a
// security key with its PIN, a phone). A model, a script or a
// browser-driving agent can send any HTTP request, but it cannot make an
// authenticator sign with the user verified.
//
// It holds the passkeys (a 0600 file, or the shared state store, sealed),
// runs the two ceremonies with user verification required, enrolment
// (registration) and assertion, and serves their pages and JSON steps. An
// assertion's challenge binds one approval: the approval's id, tool,
// argument hash and target fingerprint, and server randomness; it is
// spent once across replicas. It knows nothing of MCP, tools or Qualys.
package passkey

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
)

// CeremonyTTL is how long one ceremony (the page's options, until the
// authenticator's answer comes back) lives.
const CeremonyTTL = 5 * time.Minute

// RP is a relying party: the origin the pages are served on, and its RP
// ID (the domain a passkey is bound to).
type RP struct {
	ID     string // "localhost", or the --public-url host
	Origin string // "http://localhost:PORT", or the --public-url origin
}

// LocalRP is the relying party of a page on a loopback listener: WebAuthn
// needs a domain, and http://localhost is a secure context.
func LocalRP(port int) RP {
	return RP{ID: "localhost", Origin: "http://localhost:" + strconv.Itoa(port)}
}

// PublicRP is the relying party of a shared HTTP service: --public-url's
// host is the RP ID and its origin the page's. Browsers offer passkeys
// only in a secure context: https, or http on localhost.
func PublicRP(publicURL string) (RP, error) {
	u, err := url.Parse(publicURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return RP{}, fmt.Errorf("--public-url %q: want an absolute https:// URL", publicURL)
	}
	host := strings.ToLower(u.Hostname())
	if u.Scheme == "http" && host != "localhost" {
		return RP{}, fmt.Errorf("--public-url %q: browsers offer passkeys only on https:// (or http://localhost)", publicURL)
	}
	if net.ParseIP(host) != nil {
		return RP{}, fmt.Errorf("--public-url %q: a passkey needs a domain name, not an IP address", publicURL)
	}
	return RP{ID: host, Origin: u.Scheme + "://" + strings.ToLower(u.Host)}, nil
}

// Binding is what an assertion confirms: one approval of one call.
type Binding struct {
	Approval string // the approval's id
	Tool     string // the tool's name
	Args     string // the hash of the call's arguments
	Target   string // the fingerprint of the target at preview time
}

// Result is a verified assertion: who confirmed, and when.
type Result struct {
	Name string // the passkey's name
	At   time.Time
}

// Passkey is one enrolled passkey. Its credential holds a public key and a
// counter, never a secret; List shows none of it.
type Passkey struct {
	Name       string              `json:"name"`
	RPID       string              `json:"rpId"`
	Created    time.Time           `json:"created"`
	LastUsed   time.Time           `json:"lastUsed,omitzero"`
	By         string              `json:"by"`         // what allowed the enrolment: "first", "passkey:NAME" or "link"
	UserHandle []byte              `json:"userHandle"` // the WebAuthn user id, random
	Credential webauthn.Credential `json:"credential"`
}

// Options configure a Service.
type Options struct {
	// State holds the ceremonies (pending challenges, enrolment links,
	// spent marks) and, without File, the passkeys. Share it (--state) and
	// every replica knows them. Everything is sealed with Keys.
	State state.Store
	// Keys are the state keys (QUALYS_MCP_STATE_KEY, 32 bytes each): the
	// first seals, all open.
	Keys [][]byte
	// File is the passkeys file; "" keeps the passkeys in State.
	File string
	Log  *slog.Logger
}

// Service holds the passkeys and runs their ceremonies.
type Service struct {
	creds creds
	state state.Store
	log   *slog.Logger
	now   func() time.Time
	ttl   time.Duration // of a ceremony

	mu  sync.Mutex
	rps map[RP]*webauthn.WebAuthn
}

// New returns a Service.
func New(o Options) (*Service, error) {
	if o.State == nil {
		o.State = state.NewMemory()
	}
	sealed, err := state.NewSealed(o.State, o.Keys)
	if err != nil {
		return nil, err
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	s := &Service{state: sealed, log: o.Log, now: time.Now, ttl: CeremonyTTL, rps: map[RP]*webauthn.WebAuthn{}}
	if o.File != "" {
		s.creds = &fileCreds{path: o.File}
	} else {
		s.creds = &sharedCreds{store: sealed}
	}
	return s, nil
}

// Open is the passkey service of a process whose state store is store: a
// shared store (--state) keeps the passkeys, sealed, for every replica;
// otherwise they live in the file QUALYS_MCP_PASSKEYS names (DefaultFile).
func Open(store state.Store, keys [][]byte, getenv func(string) string, log *slog.Logger) (*Service, error) {
	o := Options{State: store, Keys: keys, Log: log}
	if !store.Shared() {
		var err error
		if o.File, err = DefaultFile(getenv); err != nil {
			return nil, err
		}
	}
	return New(o)
}

// Where says where the passkeys are kept: the file's path, or the shared
// store.
func (s *Service) Where() string { return s.creds.where() }

// List is every enrolled passkey, by name.
func (s *Service) List(ctx context.Context) ([]Passkey, error) { return s.creds.load(ctx) }

// Names are the passkeys enrolled for rp: none means nobody can confirm
// there yet (enrol one with `qualys-cs-mcp passkey add`).
func (s *Service) Names(ctx context.Context, rp RP) ([]string, error) {
	all, err := s.creds.load(ctx)
	var names []string
	for _, p := range all {
		if p.RPID == rp.ID {
			names = append(names, p.Name)
		}
	}
	return names, err
}

// ErrNoPasskey is a name that no passkey has.
var ErrNoPasskey = errors.New("no passkey has this name")

// Remove forgets the passkey name.
func (s *Service) Remove(ctx context.Context, name string) error {
	return s.creds.update(ctx, func(all []Passkey) ([]Passkey, error) {
		for i, p := range all {
			if p.Name == name {
				return append(all[:i], all[i+1:]...), nil
			}
		}
		return nil, fmt.Errorf("%w: %q", ErrNoPasskey, name)
	})
}

// CheckName checks a passkey's name: 1 to 64 of the characters
// A-Z a-z 0-9 . _ - @ +, so that it reads the same everywhere it is shown
// (the audit log's human/passkey:NAME, the pages, the command line).
func CheckName(name string) error {
	if name == "" || len(name) > 64 || strings.Trim(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-@+") != "" {
		return fmt.Errorf("the passkey name %q must be 1 to 64 of the characters A-Z a-z 0-9 . _ - @ +", name)
	}
	return nil
}

// relyingParty is the WebAuthn configuration of rp: user verification
// and a discoverable credential (a passkey) required, no attestation.
func (s *Service) relyingParty(rp RP) (*webauthn.WebAuthn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w := s.rps[rp]; w != nil {
		return w, nil
	}
	w, err := webauthn.New(&webauthn.Config{
		RPID: rp.ID, RPDisplayName: "qualys-cs-mcp", RPOrigins: []string{rp.Origin},
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification: protocol.VerificationRequired,
		},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: s.ttl, TimeoutUVD: s.ttl},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: s.ttl, TimeoutUVD: s.ttl},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("relying party %s: %w", rp.ID, err)
	}
	s.rps[rp] = w
	return w, nil
}
