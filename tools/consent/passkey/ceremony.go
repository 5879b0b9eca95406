package passkey

// The two ceremonies. Assertion: the options for navigator.credentials.get
// carry a challenge derived from the approval and server randomness; the
// answer is verified (signature, origin, RP ID, user verification, sign
// counter) and its challenge spent once. Enrolment: a one-time, expiring
// link for one named passkey; on a loopback page the first passkey of its
// relying party is free and every later one needs an assertion from an
// enrolled one first; an operator's link (made with access to the shared
// store and its key) is its own authorisation.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
)

// ErrRefused wraps every refusal: the answer does not prove what it must.
// Its message says why, for the person on the page.
var ErrRefused = errors.New("refused")

func refuse(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrRefused}, a...)...)
}

// grace keeps a record past its use, so that a late answer hears
// "expired" or "used" rather than "unknown".
const grace = time.Minute

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func randomID() string { return base64.RawURLEncoding.EncodeToString(randomBytes(16)) }

// Keys in the state store (all sealed, each bound to its key name).
func assertKey(challenge string) string { return "passkey-assert:" + challenge }
func createKey(challenge string) string { return "passkey-create:" + challenge }
func spentKey(challenge string) string  { return "passkey-spent:" + challenge }
func enrolKey(id string) string         { return "passkey-enrol:" + id }
func approvedKey(id string) string      { return "passkey-enrol-approved:" + id }
func enrolledKey(id string) string      { return "passkey-enrolled:" + id }

// challengeFor is an assertion's challenge: SHA-256 over the approval's
// fields, each length-prefixed (no two bindings share an encoding), and r.
func challengeFor(b Binding, r []byte) []byte {
	h := sha256.New()
	h.Write([]byte("qualys-cs-mcp/passkey/assertion/v1"))
	for _, f := range []string{b.Approval, b.Tool, b.Args, b.Target} {
		binary.Write(h, binary.BigEndian, uint32(len(f)))
		h.Write([]byte(f))
	}
	h.Write(r)
	return h.Sum(nil)
}

// pending is a ceremony between its options and the authenticator's
// answer, sealed in the store under its challenge.
type pending struct {
	RP      RP                   `json:"rp"`
	Session webauthn.SessionData `json:"session"`
	Binding Binding              `json:"binding,omitzero"` // an assertion: what it confirms
	R       []byte               `json:"r,omitempty"`      // an assertion: the server's randomness
	Enrol   string               `json:"enrol,omitempty"`  // a registration: its enrolment
	User    []byte               `json:"user,omitempty"`   // a registration: the new user handle
}

func (s *Service) putJSON(ctx context.Context, key string, v any, ttl time.Duration) error {
	raw, _ := json.Marshal(v)
	return s.state.Put(ctx, key, raw, ttl)
}

// getJSON reads a sealed record; ok is false when it is absent. A record
// that does not open (altered, moved, another key) is refused.
func (s *Service) getJSON(ctx context.Context, key string, v any) (bool, error) {
	raw, ok, err := s.state.Get(ctx, key)
	switch {
	case errors.Is(err, state.ErrTampered):
		s.log.Warn("passkey: a record in the state store was refused", "error", err.Error())
		return false, refuse("a record of this ceremony in the state store was altered or moved; nothing was done")
	case err != nil || !ok:
		return false, err
	}
	return true, json.Unmarshal(raw, v)
}

// user is a WebAuthn user: one per passkey.
type user struct {
	handle []byte
	name   string
	creds  []webauthn.Credential
}

func (u user) WebAuthnID() []byte                         { return u.handle }
func (u user) WebAuthnName() string                       { return u.name }
func (u user) WebAuthnDisplayName() string                { return u.name }
func (u user) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// BeginAssertion is the options for navigator.credentials.get that
// confirm b on rp's page. Its challenge binds b; it lives CeremonyTTL.
func (s *Service) BeginAssertion(ctx context.Context, rp RP, b Binding) (*protocol.CredentialAssertion, error) {
	names, err := s.Names(ctx, rp)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, refuse("no passkey is enrolled for %s: enrol one with `qualys-cs-mcp passkey add --name NAME`", rp.ID)
	}
	w, err := s.relyingParty(rp)
	if err != nil {
		return nil, err
	}
	r := randomBytes(32)
	opts, sess, err := w.BeginDiscoverableLogin(webauthn.WithChallenge(challengeFor(b, r)),
		webauthn.WithUserVerification(protocol.VerificationRequired), webauthn.WithLoginOrigin(rp.Origin))
	if err != nil {
		return nil, err
	}
	if err := s.putJSON(ctx, assertKey(sess.Challenge), pending{RP: rp, Session: *sess, Binding: b, R: r}, s.ttl+grace); err != nil {
		return nil, err
	}
	return opts, nil
}

// FinishAssertion verifies the page's answer (the credential as JSON) for
// b: the challenge was issued for exactly b on rp and is unspent; the
// signature is the enrolled passkey's; origin, RP ID and the user
// verification flag are right; the sign counter went forward. It spends
// the challenge and names the passkey.
func (s *Service) FinishAssertion(ctx context.Context, rp RP, b Binding, answer []byte) (Result, error) {
	parsed, err := protocol.ParseCredentialRequestResponseBytes(answer)
	if err != nil {
		return Result{}, refuse("the answer is not a passkey assertion (%s)", details(err))
	}
	challenge := parsed.Response.CollectedClientData.Challenge
	var p pending
	ok, err := s.getJSON(ctx, assertKey(challenge), &p)
	switch {
	case err != nil:
		return Result{}, err
	case !ok:
		return Result{}, refuse("this passkey challenge is unknown or expired; start again")
	case p.Binding != b || subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(challengeFor(b, p.R))), []byte(challenge)) != 1:
		return Result{}, refuse("this passkey assertion was made for another approval")
	case p.RP != rp:
		return Result{}, refuse("this passkey assertion was made on another page")
	case !parsed.Response.AuthenticatorData.Flags.UserVerified():
		return Result{}, refuse("the authenticator did not verify the user (fingerprint, face or PIN); a passkey confirms only with user verification")
	}
	w, err := s.relyingParty(rp)
	if err != nil {
		return Result{}, err
	}
	all, err := s.creds.load(ctx)
	if err != nil {
		return Result{}, err
	}
	var who *Passkey
	find := func(rawID, handle []byte) (webauthn.User, error) {
		for i := range all {
			if p := &all[i]; p.RPID == rp.ID && bytes.Equal(p.Credential.ID, rawID) && bytes.Equal(p.UserHandle, handle) {
				who = p
				return user{handle: p.UserHandle, name: p.Name, creds: []webauthn.Credential{p.Credential}}, nil
			}
		}
		return nil, errors.New("not enrolled")
	}
	if _, _, err := w.ValidatePasskeyLogin(find, p.Session, parsed); err != nil {
		if who == nil {
			return Result{}, refuse("this passkey is not enrolled for %s", rp.ID)
		}
		return Result{}, refuse("the passkey assertion does not verify (%s)", details(err))
	}
	first, err := s.state.Claim(ctx, spentKey(challenge), s.ttl+grace)
	if err != nil {
		return Result{}, err
	}
	if !first {
		return Result{}, refuse("this passkey assertion was already used")
	}
	now := s.now()
	count := parsed.Response.AuthenticatorData.Counter
	err = s.creds.update(ctx, func(all []Passkey) ([]Passkey, error) {
		i := slices.IndexFunc(all, func(p Passkey) bool { return p.Name == who.Name && bytes.Equal(p.Credential.ID, who.Credential.ID) })
		if i < 0 {
			return nil, refuse("the passkey %q was removed", who.Name)
		}
		stored := &all[i].Credential.Authenticator
		if (count != 0 || stored.SignCount != 0) && count <= stored.SignCount {
			s.log.Warn("passkey: the sign counter went backwards; the passkey may be cloned", "passkey", who.Name, "stored", stored.SignCount, "got", count)
			return nil, refuse("the sign counter of passkey %q went backwards (%d after %d): it may be a cloned authenticator", who.Name, count, stored.SignCount)
		}
		stored.SignCount, all[i].LastUsed = count, now
		all[i].Credential.Flags = all[i].Credential.Flags.Update(parsed.Response.AuthenticatorData.Flags)
		return all, nil
	})
	if err != nil {
		return Result{}, err
	}
	return Result{Name: who.Name, At: now}, nil
}

// details is what a library error says, in a line.
func details(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		s := pe.Details
		if pe.DevInfo != "" && len(pe.DevInfo) < 200 {
			s += ": " + pe.DevInfo
		}
		return strings.TrimSpace(s)
	}
	return err.Error()
}

// Enrolment is a one-time, expiring link that enrols one named passkey.
type Enrolment struct {
	ID   string    `json:"id"`
	Name string    `json:"name"`
	RP   RP        `json:"rp"`
	Exp  time.Time `json:"exp"`
	// Link: an operator's link, its own authorisation. Otherwise (a
	// loopback page) the first passkey of RP is free and every later one
	// needs an assertion from an enrolled one.
	Link bool   `json:"link"`
	URL  string `json:"-"`
}

// EnrolOptions describe an enrolment.
type EnrolOptions struct {
	Name string
	RP   RP
	Base string        // where the link points (a --public-url); "" is RP.Origin
	TTL  time.Duration // how long the link lasts
	Link bool          // an operator's link (see Enrolment.Link)
}

// NewEnrolment records an enrolment; its page is at URL, served by Handler.
func (s *Service) NewEnrolment(ctx context.Context, o EnrolOptions) (*Enrolment, error) {
	if err := CheckName(o.Name); err != nil {
		return nil, err
	}
	all, err := s.creds.load(ctx)
	if err != nil {
		return nil, err
	}
	if slices.ContainsFunc(all, func(p Passkey) bool { return p.Name == o.Name }) {
		return nil, fmt.Errorf("a passkey named %q is already enrolled (in %s); choose another name, or remove it first", o.Name, s.Where())
	}
	e := &Enrolment{ID: randomID(), Name: o.Name, RP: o.RP, Exp: s.now().Add(o.TTL), Link: o.Link}
	if err := s.putJSON(ctx, enrolKey(e.ID), e, o.TTL+grace); err != nil {
		return nil, err
	}
	base := o.Base
	if base == "" {
		base = o.RP.Origin
	}
	e.URL = strings.TrimRight(base, "/") + Path + "enrol/" + e.ID
	return e, nil
}

// enrolment reads an open enrolment of rp.
func (s *Service) enrolment(ctx context.Context, rp RP, id string) (*Enrolment, error) {
	var e Enrolment
	ok, err := s.getJSON(ctx, enrolKey(id), &e)
	switch {
	case err != nil:
		return nil, err
	case !ok || e.RP != rp:
		return nil, refuse("this enrolment link is unknown or expired")
	case s.now().After(e.Exp):
		return nil, refuse("this enrolment link expired")
	}
	var done string
	if ok, err := s.getJSON(ctx, enrolledKey(id), &done); err != nil || ok {
		if err == nil {
			err = refuse("this enrolment link was used: the passkey %q is enrolled", done)
		}
		return nil, err
	}
	return &e, nil
}

// enrolBinding is what an assertion approving an enrolment confirms.
func enrolBinding(e *Enrolment) Binding {
	return Binding{Approval: "enrol:" + e.ID, Tool: "passkey add", Args: e.Name, Target: e.RP.ID}
}

// approver is who approved a loopback enrolment ("" when nobody did yet),
// and whether it needs one: a passkey of its relying party is enrolled.
func (s *Service) approver(ctx context.Context, e *Enrolment) (string, bool, error) {
	if e.Link {
		return "", false, nil
	}
	var who string
	if ok, err := s.getJSON(ctx, approvedKey(e.ID), &who); err != nil || ok {
		return who, false, err
	}
	names, err := s.Names(ctx, e.RP)
	return "", len(names) > 0, err
}

// step is what the page does next: get or create a credential with these
// options and post it to next, or show message (done when OK).
type step struct {
	Assert  *protocol.CredentialAssertion `json:"assert,omitempty"`
	Create  *protocol.CredentialCreation  `json:"create,omitempty"`
	Next    string                        `json:"next,omitempty"` // relative to the URL that answered
	OK      bool                          `json:"ok,omitempty"`
	Message string                        `json:"message"`
	Reload  bool                          `json:"reload,omitempty"`
}

// beginEnrolment is an enrolment's first step: an assertion when one is
// needed, else the options to create the passkey.
func (s *Service) beginEnrolment(ctx context.Context, rp RP, id string) (step, error) {
	e, err := s.enrolment(ctx, rp, id)
	if err != nil {
		return step{}, err
	}
	if _, needed, err := s.approver(ctx, e); err != nil || needed {
		if err != nil {
			return step{}, err
		}
		opts, err := s.BeginAssertion(ctx, rp, enrolBinding(e))
		return step{Assert: opts, Next: "assert", Message: "First confirm with a passkey already enrolled here."}, err
	}
	return s.beginCreate(ctx, e)
}

// approveEnrolment takes the assertion of an enrolled passkey for it, and
// answers with the options to create the new one.
func (s *Service) approveEnrolment(ctx context.Context, rp RP, id string, answer []byte) (step, error) {
	e, err := s.enrolment(ctx, rp, id)
	if err != nil {
		return step{}, err
	}
	res, err := s.FinishAssertion(ctx, rp, enrolBinding(e), answer)
	if err != nil {
		return step{}, err
	}
	if err := s.putJSON(ctx, approvedKey(e.ID), res.Name, time.Until(e.Exp)+grace); err != nil {
		return step{}, err
	}
	s.log.Info("passkey: an enrolment was approved", "name", e.Name, "by", res.Name)
	return s.beginCreate(ctx, e)
}

func (s *Service) beginCreate(ctx context.Context, e *Enrolment) (step, error) {
	w, err := s.relyingParty(e.RP)
	if err != nil {
		return step{}, err
	}
	all, err := s.creds.load(ctx)
	if err != nil {
		return step{}, err
	}
	var exclude []protocol.CredentialDescriptor // an authenticator holding one of these is not enrolled twice
	for _, p := range all {
		if p.RPID == e.RP.ID {
			exclude = append(exclude, p.Credential.Descriptor())
		}
	}
	u := user{handle: randomBytes(32), name: e.Name}
	opts, sess, err := w.BeginRegistration(u, webauthn.WithExclusions(exclude), webauthn.WithRegistrationOrigin(e.RP.Origin),
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired))
	if err != nil {
		return step{}, err
	}
	if err := s.putJSON(ctx, createKey(sess.Challenge), pending{RP: e.RP, Session: *sess, Enrol: e.ID, User: u.handle}, s.ttl+grace); err != nil {
		return step{}, err
	}
	return step{Create: opts, Next: "finish", Message: "Create the passkey for " + e.Name + "."}, nil
}

// finishEnrolment verifies the new passkey (its challenge, origin, RP ID,
// user verification) and stores it, once per enrolment, if the enrolment
// is still allowed: the first of its relying party, approved by an
// enrolled passkey, or an operator's link.
func (s *Service) finishEnrolment(ctx context.Context, rp RP, id string, answer []byte) (Passkey, error) {
	e, err := s.enrolment(ctx, rp, id)
	if err != nil {
		return Passkey{}, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(answer)
	if err != nil {
		return Passkey{}, refuse("the answer is not a new passkey (%s)", details(err))
	}
	challenge := parsed.Response.CollectedClientData.Challenge
	var p pending
	ok, err := s.getJSON(ctx, createKey(challenge), &p)
	switch {
	case err != nil:
		return Passkey{}, err
	case !ok || p.Enrol != e.ID || p.RP != rp:
		return Passkey{}, refuse("this passkey was not created for this enrolment, or too late; start again")
	}
	w, err := s.relyingParty(rp)
	if err != nil {
		return Passkey{}, err
	}
	cred, err := w.CreateCredential(user{handle: p.User, name: e.Name}, p.Session, parsed)
	if err != nil {
		return Passkey{}, refuse("the new passkey does not verify (%s)", details(err))
	}
	if first, err := s.state.Claim(ctx, spentKey(challenge), s.ttl+grace); err != nil || !first {
		if err == nil {
			err = refuse("this passkey was already sent")
		}
		return Passkey{}, err
	}
	approvedBy, _, err := s.approver(ctx, e)
	if err != nil {
		return Passkey{}, err
	}
	pk := Passkey{Name: e.Name, RPID: rp.ID, Created: s.now(), UserHandle: p.User, Credential: *cred}
	err = s.creds.update(ctx, func(all []Passkey) ([]Passkey, error) {
		switch {
		case e.Link:
			pk.By = "link"
		case approvedBy != "":
			pk.By = "passkey:" + approvedBy
		case slices.ContainsFunc(all, func(p Passkey) bool { return p.RPID == rp.ID }):
			return nil, refuse("a passkey is already enrolled for %s: a new one needs an assertion from it first (reload the page)", rp.ID)
		default:
			pk.By = "first"
		}
		if slices.ContainsFunc(all, func(p Passkey) bool { return p.Name == e.Name }) {
			return nil, refuse("a passkey named %q is already enrolled", e.Name)
		}
		if slices.ContainsFunc(all, func(p Passkey) bool { return bytes.Equal(p.Credential.ID, cred.ID) }) {
			return nil, refuse("this passkey is already enrolled")
		}
		if first, err := s.state.Claim(ctx, "passkey-enrol-used:"+e.ID, time.Until(e.Exp)+grace); err != nil || !first {
			if err == nil {
				err = refuse("this enrolment link was used")
			}
			return nil, err
		}
		return append(all, pk), nil
	})
	if err != nil {
		return Passkey{}, err
	}
	s.putJSON(ctx, enrolledKey(e.ID), e.Name, time.Until(e.Exp)+grace)
	s.log.Info("passkey enrolled", "name", pk.Name, "rp", pk.RPID, "by", pk.By)
	return pk, nil
}

// Wait waits until the enrolment's passkey is stored, the enrolment
// expires, or ctx ends.
func (s *Service) Wait(ctx context.Context, e *Enrolment) error {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		var name string
		if ok, err := s.getJSON(ctx, enrolledKey(e.ID), &name); ok || err != nil {
			return err
		}
		if s.now().After(e.Exp) {
			return fmt.Errorf("no passkey was enrolled before the link expired (%s)", e.Exp.Format(time.TimeOnly))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
