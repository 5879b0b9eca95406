package passkey

// The ceremonies without a browser: a software authenticator answers the
// server's options, so that each guarantee is checked on its own (the
// browser tests do the same with Chromium's virtual authenticator).

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
)

var testRP = LocalRP(43111)

func testKeys() [][]byte {
	k := make([]byte, 32)
	rand.Read(k)
	return [][]byte{k}
}

// newTestService keeps its passkeys in a file in a temporary folder.
func newTestService(t testing.TB) *Service {
	t.Helper()
	s, err := New(Options{State: state.NewMemory(), Keys: testKeys(), File: filepath.Join(t.TempDir(), "cfg", "passkeys.json")})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// enrol enrols key as name on a loopback page, with approver's assertion
// when one is asked for.
func enrol(t testing.TB, s *Service, name string, key, approver *softKey) (Passkey, error) {
	t.Helper()
	ctx := context.Background()
	e, err := s.NewEnrolment(ctx, EnrolOptions{Name: name, RP: testRP, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.beginEnrolment(ctx, testRP, e.ID)
	if err == nil && st.Assert != nil {
		if approver == nil {
			t.Fatalf("enrolling %s: an assertion is asked for and the test has none", name)
		}
		st, err = s.approveEnrolment(ctx, testRP, e.ID, approver.Get(t, st.Assert))
	}
	if err != nil {
		return Passkey{}, err
	}
	return s.finishEnrolment(ctx, testRP, e.ID, key.Create(t, st.Create))
}

func mustEnrol(t testing.TB, s *Service, name string, key, approver *softKey) Passkey {
	t.Helper()
	p, err := enrol(t, s, name, key, approver)
	if err != nil {
		t.Fatalf("enrolling %s: %v", name, err)
	}
	return p
}

var bindA = Binding{Approval: "approval-A", Tool: "delete_sensor_profile", Args: "args-a", Target: "fp-a"}

// assert asks for b's options, lets key answer, and hands the answer in
// for b2.
func assert(t testing.TB, s *Service, key *softKey, b, b2 Binding) (Result, []byte, error) {
	t.Helper()
	ctx := context.Background()
	opts, err := s.BeginAssertion(ctx, testRP, b)
	if err != nil {
		t.Fatal(err)
	}
	answer := key.Get(t, opts)
	res, err := s.FinishAssertion(ctx, testRP, b2, answer)
	return res, answer, err
}

func refused(t *testing.T, err error, want string) {
	t.Helper()
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), want) {
		t.Fatalf("want a refusal saying %q, got %v", want, err)
	}
}

func TestAssertion(t *testing.T) {
	s := newTestService(t)
	ctx := context.Background()
	if _, err := s.BeginAssertion(ctx, testRP, bindA); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "passkey add") {
		t.Fatalf("with no passkey enrolled: %v", err)
	}
	alice := newSoftKey(t, testRP)
	if p := mustEnrol(t, s, "alice", alice, nil); p.By != "first" || p.RPID != "localhost" {
		t.Fatalf("the first passkey: %+v", p)
	}

	res, answer, err := assert(t, s, alice, bindA, bindA)
	if err != nil || res.Name != "alice" {
		t.Fatalf("alice's assertion: %+v, %v", res, err)
	}
	list, _ := s.List(ctx)
	if len(list) != 1 || list[0].Name != "alice" || list[0].LastUsed.IsZero() || list[0].Credential.Authenticator.SignCount != alice.Count {
		t.Fatalf("after use: %+v", list)
	}

	t.Run("replayed", func(t *testing.T) {
		_, err := s.FinishAssertion(ctx, testRP, bindA, answer)
		refused(t, err, "already used")
	})
	// A passkey without a counter (synced passkeys say 0 every time): the
	// spent challenge alone refuses the replay, and zero stays allowed.
	t.Run("replayed, no counter", func(t *testing.T) {
		synced := newSoftKey(t, testRP)
		synced.NoCount = true
		mustEnrol(t, s, "synced", synced, alice)
		_, answer, err := assert(t, s, synced, bindA, bindA)
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.FinishAssertion(ctx, testRP, bindA, answer)
		refused(t, err, "already used")
		if _, _, err := assert(t, s, synced, bindA, bindA); err != nil {
			t.Fatalf("a second use with counter 0: %v", err)
		}
	})
	t.Run("user not verified", func(t *testing.T) {
		alice.UV = false
		defer func() { alice.UV = true }()
		_, _, err := assert(t, s, alice, bindA, bindA)
		refused(t, err, "did not verify the user")
	})
	// Each of the four fields of the binding: an assertion for an approval
	// that differs in it confirms nothing.
	for field, other := range map[string]Binding{
		"approval": {Approval: "approval-B", Tool: bindA.Tool, Args: bindA.Args, Target: bindA.Target},
		"tool":     {Approval: bindA.Approval, Tool: "delete_registry", Args: bindA.Args, Target: bindA.Target},
		"args":     {Approval: bindA.Approval, Tool: bindA.Tool, Args: "args-b", Target: bindA.Target},
		"target":   {Approval: bindA.Approval, Tool: bindA.Tool, Args: bindA.Args, Target: "fp-b"},
	} {
		t.Run("another approval's "+field, func(t *testing.T) {
			_, _, err := assert(t, s, alice, other, bindA)
			refused(t, err, "made for another approval")
		})
	}
	t.Run("not enrolled", func(t *testing.T) {
		stranger := newSoftKey(t, testRP)
		stranger.Handle = randomBytes(32)
		_, _, err := assert(t, s, stranger, bindA, bindA)
		refused(t, err, "not enrolled")
	})
	t.Run("cloned: the counter goes backwards", func(t *testing.T) {
		clone := *alice
		clone.Count = 0 // a copy of the key taken at enrolment, used once since
		_, _, err := assert(t, s, &clone, bindA, bindA)
		refused(t, err, "went backwards")
	})
	t.Run("another origin", func(t *testing.T) {
		alice.Origin = "http://localhost:9"
		defer func() { alice.Origin = testRP.Origin }()
		_, _, err := assert(t, s, alice, bindA, bindA)
		refused(t, err, "origin")
	})
	t.Run("another RP ID", func(t *testing.T) {
		alice.RPID = "evil.example"
		defer func() { alice.RPID = testRP.ID }()
		_, _, err := assert(t, s, alice, bindA, bindA)
		refused(t, err, "does not verify")
	})
	t.Run("bad signature", func(t *testing.T) {
		forger := *alice
		forger.Priv = newSoftKey(t, testRP).Priv // the right id and handle, another key
		_, _, err := assert(t, s, &forger, bindA, bindA)
		refused(t, err, "does not verify")
	})
	t.Run("another page's ceremony", func(t *testing.T) {
		opts, err := s.BeginAssertion(ctx, testRP, bindA)
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.FinishAssertion(ctx, LocalRP(9), bindA, alice.Get(t, opts))
		refused(t, err, "another page")
	})
	// After all of these, alice still confirms.
	if res, _, err := assert(t, s, alice, bindA, bindA); err != nil || res.Name != "alice" {
		t.Fatalf("alice after the refusals: %v", err)
	}
}

// The challenge is spent once even when two answers race.
func TestAssertionSpentOnceConcurrently(t *testing.T) {
	s := newTestService(t)
	alice := newSoftKey(t, testRP)
	mustEnrol(t, s, "alice", alice, nil)
	opts, err := s.BeginAssertion(context.Background(), testRP, bindA)
	if err != nil {
		t.Fatal(err)
	}
	answer := alice.Get(t, opts)
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			_, err := s.FinishAssertion(context.Background(), testRP, bindA, answer)
			errs <- err
		}()
	}
	ok := 0
	for range 8 {
		if err := <-errs; err == nil {
			ok++
		} else if !errors.Is(err, ErrRefused) {
			t.Fatal(err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of 8 copies of one assertion confirmed", ok)
	}
}

func TestEnrolmentRules(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	alice, bob, carol := newSoftKey(t, testRP), newSoftKey(t, testRP), newSoftKey(t, testRP)

	// Two pages opened while none is enrolled: the first free passkey
	// closes the second.
	early, err := s.NewEnrolment(ctx, EnrolOptions{Name: "mallory", RP: testRP, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.beginEnrolment(ctx, testRP, early.ID)
	if err != nil || st.Create == nil {
		t.Fatalf("the first enrolment asks for nothing: %+v %v", st, err)
	}
	mustEnrol(t, s, "alice", alice, nil)
	_, err = s.finishEnrolment(ctx, testRP, early.ID, newSoftKey(t, testRP).Create(t, st.Create))
	refused(t, err, "needs an assertion")

	// A later one is asked for an assertion first: without it, nothing.
	e, _ := s.NewEnrolment(ctx, EnrolOptions{Name: "bob", RP: testRP, TTL: time.Minute})
	if st, err := s.beginEnrolment(ctx, testRP, e.ID); err != nil || st.Assert == nil || st.Create != nil {
		t.Fatalf("a second enrolment must ask for an assertion first: %+v %v", st, err)
	}
	// An assertion made for another enrolment does not approve this one.
	other, _ := s.NewEnrolment(ctx, EnrolOptions{Name: "carol", RP: testRP, TTL: time.Minute})
	stOther, _ := s.beginEnrolment(ctx, testRP, other.ID)
	_, err = s.approveEnrolment(ctx, testRP, e.ID, alice.Get(t, stOther.Assert))
	refused(t, err, "another approval")
	// An unenrolled authenticator does not approve it.
	stBob, _ := s.beginEnrolment(ctx, testRP, e.ID)
	stranger := newSoftKey(t, testRP)
	stranger.Handle = randomBytes(32)
	_, err = s.approveEnrolment(ctx, testRP, e.ID, stranger.Get(t, stBob.Assert))
	refused(t, err, "not enrolled")

	// With alice's assertion, bob is enrolled, approved by her.
	if p := mustEnrol(t, s, "bob", bob, alice); p.By != "passkey:alice" {
		t.Fatalf("bob: %+v", p)
	}
	// A taken name, an expired link.
	if _, err := s.NewEnrolment(ctx, EnrolOptions{Name: "bob", RP: testRP, TTL: time.Minute}); err == nil || !strings.Contains(err.Error(), "already enrolled") {
		t.Fatalf("a taken name: %v", err)
	}
	gone, _ := s.NewEnrolment(ctx, EnrolOptions{Name: "late", RP: testRP, TTL: -time.Second})
	_, err = s.beginEnrolment(ctx, testRP, gone.ID)
	refused(t, err, "expired")

	// An operator's link is its own authorisation: no assertion.
	link, _ := s.NewEnrolment(ctx, EnrolOptions{Name: "carol-link", RP: testRP, TTL: time.Minute, Link: true})
	st, err = s.beginEnrolment(ctx, testRP, link.ID)
	if err != nil || st.Create == nil {
		t.Fatalf("an operator's link: %+v %v", st, err)
	}
	p, err := s.finishEnrolment(ctx, testRP, link.ID, carol.Create(t, st.Create))
	if err != nil || p.By != "link" {
		t.Fatalf("carol by link: %+v %v", p, err)
	}
	_, err = s.beginEnrolment(ctx, testRP, link.ID)
	refused(t, err, "was used")

	names, _ := s.Names(ctx, testRP)
	if strings.Join(names, ",") != "alice,bob,carol-link" {
		t.Fatalf("enrolled: %v", names)
	}
	if res, _, err := assert(t, s, bob, bindA, bindA); err != nil || res.Name != "bob" {
		t.Fatalf("bob confirms: %+v %v", res, err)
	}
}

// A registration without user verification is refused.
func TestEnrolmentNeedsUserVerification(t *testing.T) {
	s := newTestService(t)
	key := newSoftKey(t, testRP)
	key.UV = false
	_, err := enrol(t, s, "alice", key, nil)
	refused(t, err, "does not verify")
	if names, _ := s.Names(context.Background(), testRP); len(names) != 0 {
		t.Fatalf("enrolled: %v", names)
	}
}

func TestFileCreds(t *testing.T) {
	s := newTestService(t)
	mustEnrol(t, s, "alice", newSoftKey(t, testRP), nil)
	path := s.Where()
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the passkeys file: %v %v", fi.Mode(), err)
	}
	if di, _ := os.Stat(filepath.Dir(path)); di.Mode().Perm() != 0o700 {
		t.Fatalf("its folder: %v", di.Mode())
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".passkeys-*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	raw, _ := os.ReadFile(path)
	if !strings.Contains(string(raw), `"name": "alice"`) {
		t.Fatalf("the file: %s", raw)
	}
	if err := s.Remove(context.Background(), "nobody"); !errors.Is(err, ErrNoPasskey) {
		t.Fatalf("removing an unknown name: %v", err)
	}
	// A file others may write is not trusted.
	os.Chmod(path, 0o622)
	if _, err := s.List(context.Background()); err == nil || !strings.Contains(err.Error(), "writable by others") {
		t.Fatalf("a file writable by others: %v", err)
	}
	os.Chmod(path, 0o600)
	if err := s.Remove(context.Background(), "alice"); err != nil {
		t.Fatal(err)
	}
	if list, err := s.List(context.Background()); err != nil || len(list) != 0 {
		t.Fatalf("after remove: %v %v", list, err)
	}
}

func TestCheckName(t *testing.T) {
	for _, ok := range []string{"alice", "alice.smith@example.com", "ops-2+laptop"} {
		if err := CheckName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a b", "<script>", "al\u0456ce", "x\x1b[2J", strings.Repeat("a", 65), "\u201calice\u201d"} {
		if err := CheckName(bad); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}

func TestPublicRP(t *testing.T) {
	rp, err := PublicRP("https://MCP.example.com:8443/base/")
	if err != nil || rp.ID != "mcp.example.com" || rp.Origin != "https://mcp.example.com:8443" {
		t.Fatalf("%+v %v", rp, err)
	}
	for _, bad := range []string{"http://mcp.example.com", "https://10.0.0.1", "mcp.example.com", "ftp://x.example"} {
		if _, err := PublicRP(bad); err == nil {
			t.Errorf("%s was accepted", bad)
		}
	}
}

// BenchmarkFinishAssertion is the server's cost of one confirmation:
// parse, the checks, the signature, the spent mark and the counter's
// write, with the passkeys in a file (written and synced each time) or in
// the state store (here in memory: Redis adds its round trips). It
// reports the median (p50) beside the mean.
func BenchmarkFinishAssertion(b *testing.B) {
	for _, where := range []string{"file", "store"} {
		b.Run(where, func(b *testing.B) {
			o := Options{State: state.NewMemory(), Keys: testKeys()}
			if where == "file" {
				o.File = filepath.Join(b.TempDir(), "passkeys.json")
			}
			s, err := New(o)
			if err != nil {
				b.Fatal(err)
			}
			alice := newSoftKey(b, testRP)
			mustEnrol(b, s, "alice", alice, nil)
			ctx := context.Background()
			answers, binds := make([][]byte, b.N), make([]Binding, b.N)
			for i := range answers {
				binds[i] = bindA
				binds[i].Approval = randomID()
				opts, err := s.BeginAssertion(ctx, testRP, binds[i])
				if err != nil {
					b.Fatal(err)
				}
				answers[i] = alice.Get(b, opts)
			}
			took := make([]time.Duration, b.N)
			b.ResetTimer()
			for i := range answers {
				start := time.Now()
				if _, err := s.FinishAssertion(ctx, testRP, binds[i], answers[i]); err != nil {
					b.Fatal(err)
				}
				took[i] = time.Since(start)
			}
			b.StopTimer()
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
		})
	}
}
