package models

import (
	"time"
)

// FeedEntry puts an integrator-facing event in one order across envelopes.
// Entries are numbered in commit order (see appendFeed), so a reader that
// resumes after the last ID it saw never skips one.
type FeedEntry struct {
	ID              int64  `gorm:"primaryKey;autoIncrement"`
	TenantID        string `gorm:"size:64;not null;index:idx_feed_tenant,priority:1"`
	EnvelopeID      string `gorm:"size:36;not null;index"`
	EventID         string `gorm:"size:36;not null;uniqueIndex"`
	Seq             int64  `gorm:"not null"`
	Type            string `gorm:"size:48;not null"`
	RecipientID     string `gorm:"size:36"`
	EnvelopeStatus  string `gorm:"size:32;not null"`
	EnvelopeVersion int64  `gorm:"not null"`
	OccurredAt      time.Time
}
