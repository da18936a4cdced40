package models

import "time"

// SigningDraft is what a recipient has entered on the signing page but not
// yet signed, so that a reload, a closed tab or a new session brings it
// back. It belongs to one link generation (a new link, perhaps for someone
// else, starts empty) and is sealed under the recipient's own key, like
// their personal data in the trail: erasing the key erases the draft. It
// becomes a signature only when the recipient signs.
type SigningDraft struct {
	RecipientID    string `gorm:"primaryKey;size:36"`
	LinkGeneration int    `gorm:"not null"`
	TenantID       string `gorm:"size:64;not null"`
	Sealed         string `gorm:"not null"`
	UpdatedAt      time.Time
}
