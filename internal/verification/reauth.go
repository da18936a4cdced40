package verification

import (
	"time"

	"github.com/signflow/signflow/models"
)

// ReauthWindow is how recently a recipient who must reauthenticate proved
// their factor for Sign to take their signature: a later signing than
// that proves it again.
const ReauthWindow = 5 * time.Minute

// NeedsReauthentication says whether r must prove their factor again
// before signing now, their session having been verified at verifiedAt.
func NeedsReauthentication(r *models.Recipient, verifiedAt *time.Time, now time.Time) bool {
	return r.Reauthenticate && (verifiedAt == nil || now.Sub(*verifiedAt) > ReauthWindow)
}
