package models

import (
	"time"
)

// IdempotencyKey remembers the first response to a POST sent with an
// Idempotency-Key, so that a retry gets it again instead of redoing the
// work. The primary key makes the database, not a process, decide which of
// parallel requests runs.
type IdempotencyKey struct {
	TenantID    string `gorm:"primaryKey;size:64"`
	Key         string `gorm:"column:idempotency_key;primaryKey;size:255"`
	Fingerprint string `gorm:"size:64;not null"`
	// ResourceID names what the first request creates (an envelope), so
	// that a retry after a crash finishes that one instead of making another.
	ResourceID string `gorm:"size:36"`
	// LockedUntil is set while a request runs on the key, and renewed
	// while it does; once it passes, the request is known dead and a retry
	// takes the key over.
	LockedUntil *time.Time
	Status      int
	ContentType string
	Location    string
	Body        []byte
	CreatedAt   time.Time
	ExpiresAt   time.Time `gorm:"not null;index"`
}

// Running says the first request with this key has not answered yet.
func (k *IdempotencyKey) Running() bool { return k.LockedUntil != nil }
