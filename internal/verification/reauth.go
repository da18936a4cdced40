package verification

import (
	"context"
	"errors"
	"time"

	"github.com/signflow/signflow/models"
)

var (
	// ErrIdentityUnconfirmed: the recipient's sender requires an outside
	// identity check, and the latest one recorded did not pass.
	ErrIdentityUnconfirmed = errors.New("the recipient's identity is not confirmed")
	// ErrReauthenticate: the recipient must prove their factor again
	// before signing.
	ErrReauthenticate = errors.New("the recipient must prove their factor again before signing")
)

// ReadyToSign says why r, in a session verified at verifiedAt, may not
// sign now: their identity is not confirmed (ErrIdentityUnconfirmed), or
// their proof is too old (ErrReauthenticate); nil when they may.
func (v *Verifier) ReadyToSign(ctx context.Context, r *models.Recipient, verifiedAt *time.Time) error {
	confirmed, err := v.IdentityConfirmed(ctx, r)
	switch {
	case err != nil:
		return err
	case !confirmed:
		return ErrIdentityUnconfirmed
	case NeedsReauthentication(r, verifiedAt, v.now()):
		return ErrReauthenticate
	}
	return nil
}

// ReauthWindow is how recently a recipient who must reauthenticate proved
// their factor for Sign to take their signature: a later signing than
// that proves it again.
const ReauthWindow = 5 * time.Minute

// NeedsReauthentication says whether r must prove their factor again
// before signing now, their session having been verified at verifiedAt.
func NeedsReauthentication(r *models.Recipient, verifiedAt *time.Time, now time.Time) bool {
	return r.Reauthenticate && (verifiedAt == nil || now.Sub(*verifiedAt) > ReauthWindow)
}
