package verification

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/signflow/signflow/internal/routing"
	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/models"
)

// IdentityCheck is what an integrator's identity-verification provider
// found of a recipient, as the integrator reports it: which provider, how
// it checked (an identity document and a selfie, a bank ID, knowledge
// questions), the provider's own reference of the check, the result, and
// when it was made. Signflow bundles no provider; it keeps the word.
type IdentityCheck struct {
	Provider  string     `json:"provider"`
	Method    string     `json:"method"`
	Reference string     `json:"reference"`
	Result    string     `json:"result"`
	CheckedAt *time.Time `json:"checked_at,omitempty"`
}

// maxIdentityText bounds each word of a check.
const maxIdentityText = 200

// Check trims c and says what is wrong with it; a check from the future
// (beyond a clock's drift) is refused.
func (c *IdentityCheck) Check(now time.Time) signing.FieldErrors {
	var errs signing.FieldErrors
	for _, f := range []struct {
		name  string
		value *string
		say   string
	}{
		{"provider", &c.Provider, "name the provider that checked, such as Onfido"},
		{"method", &c.Method, "say how it checked, such as document+selfie"},
		{"reference", &c.Reference, "give the provider's reference of the check"},
	} {
		*f.value = strings.TrimSpace(*f.value)
		if *f.value == "" || len(*f.value) > maxIdentityText || strings.ContainsFunc(*f.value, unicode.IsControl) {
			errs.Add(f.name, "%s, in 1 to %d characters on one line", f.say, maxIdentityText)
		}
		signing.CheckPrintable(&errs, f.name, *f.value)
	}
	if c.Result != models.IdentityPassed && c.Result != models.IdentityFailed {
		errs.Add("result", "passed or failed")
	}
	if c.CheckedAt != nil && c.CheckedAt.After(now.Add(5*time.Minute)) {
		errs.Add("checked_at", "a check made by now, not in the future")
	}
	return errs
}

// ErrIdentityClosed is why no check can be recorded for a recipient any
// more: they have acted, or their envelope has ended.
var ErrIdentityClosed = errors.New("the recipient has acted or the envelope has ended")

// RecordIdentityCheck appends c to r's audit trail as an identity.verified
// event, sealed with r's other personal data. A check that names when it
// was made is recorded once however often it is reported; others once per
// request (an Idempotency-Key makes a retried request one).
func (v *Verifier) RecordIdentityCheck(ctx context.Context, env *models.Envelope, r *models.Recipient, c IdentityCheck, ev models.Event) (models.Event, error) {
	if env.Status != models.EnvelopeInProgress || routing.HasActed(r.Status) {
		return models.Event{}, ErrIdentityClosed
	}
	checkedAt := ev.OccurredAt
	if c.CheckedAt != nil {
		checkedAt = c.CheckedAt.UTC()
		sum := sha256.Sum256([]byte(strings.Join([]string{r.ID, c.Provider, c.Reference, c.Result, checkedAt.Format(time.RFC3339Nano)}, "\x00")))
		ev.Key = "identity:" + hex.EncodeToString(sum[:16])
	}
	ev.EnvelopeID, ev.TenantID, ev.RecipientID, ev.Type = env.ID, env.TenantID, r.ID, models.EventIdentityVerified
	ev.Details = map[string]any{"provider": c.Provider, "method": c.Method, "reference": c.Reference, "result": c.Result,
		"checked_at": checkedAt}
	if err := v.Store.AppendEvent(ctx, ev); err != nil {
		return models.Event{}, fmt.Errorf("record the identity check: %w", err)
	}
	return ev, nil
}

// IdentityConfirmed says whether r may act as far as identity goes: their
// sender asked for no check, or the latest check recorded for them passed.
func (v *Verifier) IdentityConfirmed(ctx context.Context, r *models.Recipient) (bool, error) {
	if r.IdentityVerification != models.IdentityRequired {
		return true, nil
	}
	latest, err := v.Store.LatestRecipientEvent(ctx, r.EnvelopeID, r.ID, models.EventIdentityVerified)
	if errors.Is(err, models.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return latest.Details["result"] == models.IdentityPassed, nil
}
