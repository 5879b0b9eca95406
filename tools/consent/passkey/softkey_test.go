package passkey

// softKey is a software authenticator for the tests that need no browser
// (and the benchmark): a P-256 key that answers the server's options as a
// platform authenticator would, with the flags and counter the test sets.
// The browser tests use Chromium's virtual authenticator instead.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
)

type softKey struct {
	priv    *ecdsa.PrivateKey
	id      []byte
	handle  []byte // set by create
	count   uint32
	noCount bool   // no signature counter: every assertion says 0 (synced passkeys)
	uv      bool   // the user verified flag it sets
	origin  string // the origin its client data names
	rpID    string // the RP ID it hashes into its authenticator data
}

func newSoftKey(t testing.TB, rp RP) *softKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &softKey{priv: priv, id: randomBytes(32), uv: true, origin: rp.Origin, rpID: rp.ID}
}

var b64 = base64.RawURLEncoding

func (k *softKey) clientData(typ string, challenge protocol.URLEncodedBase64) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge.String(), "origin": k.origin, "crossOrigin": false})
	return b
}

// authData is rpIdHash, flags (UP, UV as set, AT with attested data), the
// counter and the attested credential data.
func (k *softKey) authData(attested []byte) []byte {
	rpHash := sha256.Sum256([]byte(k.rpID))
	flags := byte(0x01) // UP
	if k.uv {
		flags |= 0x04
	}
	if attested != nil {
		flags |= 0x40
	}
	out := append(rpHash[:], flags)
	out = binary.BigEndian.AppendUint32(out, k.count)
	return append(out, attested...)
}

// create answers creation options with a passkey (a "none" attestation).
func (k *softKey) create(t testing.TB, o *protocol.CredentialCreation) []byte {
	t.Helper()
	k.handle = o.Response.User.ID.(protocol.URLEncodedBase64)
	pub, err := webauthncbor.Marshal(webauthncose.EC2PublicKeyData{
		PublicKeyData: webauthncose.PublicKeyData{KeyType: int64(webauthncose.EllipticKey), Algorithm: int64(webauthncose.AlgES256)},
		Curve:         int64(webauthncose.P256), XCoord: k.priv.X.FillBytes(make([]byte, 32)), YCoord: k.priv.Y.FillBytes(make([]byte, 32)),
	})
	if err != nil {
		t.Fatal(err)
	}
	attested := append(make([]byte, 16), byte(len(k.id)>>8), byte(len(k.id))) // a zero AAGUID
	attested = append(append(attested, k.id...), pub...)
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": k.authData(attested)})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"id": b64.EncodeToString(k.id), "rawId": b64.EncodeToString(k.id), "type": "public-key",
		"clientExtensionResults": map[string]any{},
		"response":               map[string]any{"clientDataJSON": b64.EncodeToString(k.clientData("webauthn.create", o.Response.Challenge)), "attestationObject": b64.EncodeToString(att), "transports": []string{"internal"}}})
	return b
}

// get answers request options with an assertion, the counter one up.
func (k *softKey) get(t testing.TB, o *protocol.CredentialAssertion) []byte {
	t.Helper()
	if !k.noCount {
		k.count++
	}
	cd := k.clientData("webauthn.get", o.Response.Challenge)
	ad := k.authData(nil)
	sum := sha256.Sum256(cd)
	msg := sha256.Sum256(append(append([]byte(nil), ad...), sum[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.priv, msg[:])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"id": b64.EncodeToString(k.id), "rawId": b64.EncodeToString(k.id), "type": "public-key",
		"clientExtensionResults": map[string]any{},
		"response": map[string]any{"clientDataJSON": b64.EncodeToString(cd), "authenticatorData": b64.EncodeToString(ad),
			"signature": b64.EncodeToString(sig), "userHandle": b64.EncodeToString(k.handle)}})
	return b
}
