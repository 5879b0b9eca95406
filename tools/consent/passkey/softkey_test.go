package passkey

import (
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/consent/passkey/passkeytest"
)

// softKey is the tests' software authenticator (passkeytest.Key).
type softKey = passkeytest.Key

func newSoftKey(t testing.TB, rp RP) *softKey { return passkeytest.NewKey(t, rp.Origin, rp.ID) }
