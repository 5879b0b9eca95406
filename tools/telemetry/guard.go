package telemetry

import "strings"

// The guard's decisions, a bounded set.
const (
	Previewed = "previewed" // a preview was shown and a person (or, with --confirm-fallback token, the model) asked
	Confirmed = "confirmed" // consent given: the call ran
	Declined  = "declined"  // the person declined or cancelled
	Expired   = "expired"   // the confirmation expired before it was used
	Rejected  = "refused"   // a confirmation that does not hold (altered, reused, another session, no elicitation with deny)
)

// Who was asked, or answered: never a person's name.
const (
	ByForm    = "human/form"    // the client's form (elicitation)
	ByPage    = "human/page"    // the confirmation page
	ByPasskey = "human/passkey" // the confirmation page, with a passkey
	ByToken   = "model/token"   // --confirm-fallback token: the model
	ByNone    = "none"
)

// Guard counts one decision of the confirmation guard.
func (t *Telemetry) Guard(decision, by string) {
	if t == nil || t.m == nil {
		return
	}
	switch decision {
	case Previewed, Confirmed, Declined, Expired, Rejected:
	default:
		decision = other
	}
	t.m.guard.WithLabelValues(decision, consenter(by)).Inc()
}

// consenter keeps by to its bounded set: "human/passkey:alice" counts as
// human/passkey, whoever Alice is.
func consenter(by string) string {
	for _, b := range [...]string{ByForm, ByPage, ByPasskey, ByToken, ByNone} {
		if by == b || strings.HasPrefix(by, b+":") || strings.HasPrefix(by, b+" ") {
			return b
		}
	}
	return other
}

// GuardAudit counts the guard decision an audit line records (event
// "guard": its outcome and detail, as package consent writes them), so
// that the guard is counted from the one place it already reports to
// (consent.Options.Decided).
func (t *Telemetry) GuardAudit(outcome, detail string) {
	if t == nil || t.m == nil {
		return
	}
	switch outcome {
	case "preview shown":
		by := ByPage // "url elicitation", "page link"
		if detail == "form" {
			by = ByForm
		}
		t.Guard(Previewed, by)
	case "token issued":
		t.Guard(Previewed, ByToken)
	case "consented":
		t.Guard(Confirmed, detail)
	case "declined":
		by := ByForm
		if strings.Contains(detail, "page") {
			by = ByPage
		}
		t.Guard(Declined, by)
	case "refused", "token refused":
		decision, by := Rejected, ByNone
		if strings.Contains(detail, "expired") {
			decision = Expired
		}
		if outcome == "token refused" {
			by = ByToken
		}
		t.Guard(decision, by)
	default:
		t.Guard(other, ByNone)
	}
}
