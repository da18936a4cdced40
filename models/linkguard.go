package models

import (
	"time"
)

// LinkGuard counts the failed verifications of one link generation of a
// recipient, across every address and window: once they reach the budget
// the link is locked until the sender sends a new one (a new generation
// starts a new guard). NextAttemptAt spaces attempts out as failures grow.
// A reserved attempt that was not a failure is refunded, so the count
// reaches the budget only by failures: it alone says the link is locked.
type LinkGuard struct {
	RecipientID    string `gorm:"primaryKey;size:36"`
	LinkGeneration int    `gorm:"primaryKey"`
	TenantID       string `gorm:"size:64;not null"`
	Failures       int    `gorm:"not null;default:0"`
	NextAttemptAt  *time.Time
}

// Attempt is the outcome of reserving a verification attempt.
type Attempt int

const (
	// AttemptReserved: the attempt counts as a failure until settled.
	AttemptReserved Attempt = iota
	// AttemptTooSoon: the last failure's delay has not passed.
	AttemptTooSoon
	// AttemptLocked: the budget is spent; only a new link opens it.
	AttemptLocked
)

// ReplacedLink is the hash of a signing link a newer generation of its
// recipient's link replaced, so that its holder is told to look for the
// newer one rather than that the link was never valid.
type ReplacedLink struct {
	TokenHash   string `gorm:"primaryKey;size:64"`
	RecipientID string `gorm:"size:36;not null"`
	ReplacedAt  time.Time
}
