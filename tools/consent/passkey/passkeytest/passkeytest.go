// Package passkeytest is a person's passkey for tests that need no
// browser: a software authenticator (a P-256 key answering the server's
// options as a platform authenticator would, with the flags and counter
// the test sets), and the steps a browser's page script takes with it
// over HTTP (post a step, create or get a credential with the options
// answered, post it to the next step). The browser tests use Chromium's
// virtual authenticator instead.
package passkeytest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
)

// Key is a software authenticator holding one passkey.
type Key struct {
	Priv    *ecdsa.PrivateKey
	ID      []byte
	Handle  []byte // the user handle, set by Create
	Count   uint32
	NoCount bool   // no signature counter: every assertion says 0 (synced passkeys)
	UV      bool   // the user verified flag it sets
	Origin  string // the origin its client data names
	RPID    string // the RP ID it hashes into its authenticator data
}

// NewKey is a passkey for the relying party rpID on the page origin,
// with user verification.
func NewKey(t testing.TB, origin, rpID string) *Key {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 32)
	rand.Read(id)
	return &Key{Priv: priv, ID: id, UV: true, Origin: origin, RPID: rpID}
}

var b64 = base64.RawURLEncoding

func (k *Key) clientData(typ string, challenge protocol.URLEncodedBase64) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge.String(), "origin": k.Origin, "crossOrigin": false})
	return b
}

// authData is rpIdHash, flags (UP, UV as set, AT with attested data), the
// counter and the attested credential data.
func (k *Key) authData(attested []byte) []byte {
	rpHash := sha256.Sum256([]byte(k.RPID))
	flags := byte(0x01) // UP
	if k.UV {
		flags |= 0x04
	}
	if attested != nil {
		flags |= 0x40
	}
	out := append(rpHash[:], flags)
	out = binary.BigEndian.AppendUint32(out, k.Count)
	return append(out, attested...)
}

// Create answers creation options with a passkey (a "none" attestation).
func (k *Key) Create(t testing.TB, o *protocol.CredentialCreation) []byte {
	t.Helper()
	switch id := o.Response.User.ID.(type) {
	case protocol.URLEncodedBase64:
		k.Handle = id
	case string: // options decoded from JSON
		h, err := b64.DecodeString(id)
		if err != nil {
			t.Fatalf("the user id %q: %v", id, err)
		}
		k.Handle = h
	default:
		t.Fatalf("the user id is a %T", id)
	}
	pub, err := webauthncbor.Marshal(webauthncose.EC2PublicKeyData{
		PublicKeyData: webauthncose.PublicKeyData{KeyType: int64(webauthncose.EllipticKey), Algorithm: int64(webauthncose.AlgES256)},
		Curve:         int64(webauthncose.P256), XCoord: k.Priv.X.FillBytes(make([]byte, 32)), YCoord: k.Priv.Y.FillBytes(make([]byte, 32)),
	})
	if err != nil {
		t.Fatal(err)
	}
	attested := append(make([]byte, 16), byte(len(k.ID)>>8), byte(len(k.ID))) // a zero AAGUID
	attested = append(append(attested, k.ID...), pub...)
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": k.authData(attested)})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"id": b64.EncodeToString(k.ID), "rawId": b64.EncodeToString(k.ID), "type": "public-key",
		"clientExtensionResults": map[string]any{},
		"response":               map[string]any{"clientDataJSON": b64.EncodeToString(k.clientData("webauthn.create", o.Response.Challenge)), "attestationObject": b64.EncodeToString(att), "transports": []string{"internal"}}})
	return b
}

// Get answers request options with an assertion, the counter one up.
func (k *Key) Get(t testing.TB, o *protocol.CredentialAssertion) []byte {
	t.Helper()
	if !k.NoCount {
		k.Count++
	}
	cd := k.clientData("webauthn.get", o.Response.Challenge)
	ad := k.authData(nil)
	sum := sha256.Sum256(cd)
	msg := sha256.Sum256(append(append([]byte(nil), ad...), sum[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.Priv, msg[:])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"id": b64.EncodeToString(k.ID), "rawId": b64.EncodeToString(k.ID), "type": "public-key",
		"clientExtensionResults": map[string]any{},
		"response": map[string]any{"clientDataJSON": b64.EncodeToString(cd), "authenticatorData": b64.EncodeToString(ad),
			"signature": b64.EncodeToString(sig), "userHandle": b64.EncodeToString(k.Handle)}})
	return b
}

// Step is a page's step answer (what the package's page script reads).
type Step struct {
	Assert  *protocol.CredentialAssertion `json:"assert"`
	Create  *protocol.CredentialCreation  `json:"create"`
	Next    string                        `json:"next"`
	OK      bool                          `json:"ok"`
	Message string                        `json:"message"`
	Reload  bool                          `json:"reload"`
	Code    int                           `json:"-"` // the HTTP status
}

// Post posts one step as the page's script does: JSON, with the page's
// Origin (its own, as a browser sends it).
func Post(t testing.TB, step, origin string, body any) Step {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPost, step, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", origin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var st Step
	if err := json.Unmarshal(b, &st); err != nil {
		st.Message = string(b)
	}
	st.Code = resp.StatusCode
	return st
}

// Run takes a page's passkey steps from begin (relative to page) as the
// page's script does, with k as the authenticator, and answers the last
// step. The page's origin is k.Origin: what a browser sends with each
// step and names in the client data.
func (k *Key) Run(t testing.TB, page, begin, csrf string) Step {
	t.Helper()
	u, err := url.Parse(page)
	if err != nil {
		t.Fatal(err)
	}
	origin := k.Origin
	next, _ := u.Parse(begin)
	st := Post(t, next.String(), origin, map[string]any{"csrf": csrf})
	for st.Next != "" && (st.Create != nil || st.Assert != nil) {
		var cred []byte
		if st.Create != nil {
			cred = k.Create(t, st.Create)
		} else {
			cred = k.Get(t, st.Assert)
		}
		next, _ = next.Parse(st.Next)
		st = Post(t, next.String(), origin, map[string]any{"csrf": csrf, "credential": json.RawMessage(cred)})
	}
	return st
}
