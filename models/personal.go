package models

import (
	"time"
)

// Personal data in the audit trail. An event about a recipient carries
// their email (as actor), IP address, user agent and details such as a
// decline reason; the hash chain covers what is stored, so none of it can
// be removed later without breaking the chain. So it is not stored in
// clear: each recipient has a key of their own, wrapped by the data keys,
// and their events store those fields sealed under it (Event.Sealed),
// with the hash over the sealed text. Erasing the recipient's key erases
// their data from every event at once; every chain still verifies.
// RecipientKey is a recipient's own key, wrapped; empty once erased.
type RecipientKey struct {
	RecipientID string `gorm:"primaryKey;size:36"`
	TenantID    string `gorm:"size:64;not null"`
	SealedKey   string `gorm:"not null"`
	CreatedAt   time.Time
	ErasedAt    *time.Time
}

// ErasedDetails are the details an event shows once its recipient's
// personal data is erased.
var ErasedDetails = map[string]any{"personal_data": "erased"}
