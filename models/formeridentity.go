package models

import (
	"time"
)

// FormerIdentity is a person who held a recipient's slot until a reassign
// or a correction gave it to someone else: the recipient row then names
// the new person, and this keeps the one before, so that a person's export
// and erasure find every slot they ever held.
type FormerIdentity struct {
	RecipientID string `gorm:"primaryKey;size:36"`
	// LinkGeneration is the last link generation they held.
	LinkGeneration int    `gorm:"primaryKey"`
	EnvelopeID     string `gorm:"size:36;not null"`
	TenantID       string `gorm:"size:64;not null;index"`
	Name           string `gorm:"not null"`
	Email          string `gorm:"not null"`
	ReplacedAt     time.Time
	ErasedAt       *time.Time
}
