package models

import (
	"errors"
	"time"
)

// RetentionPolicy says how many days a tenant's documents are kept after
// an envelope ends: completed ones, and the others (declined, voided,
// expired). Zero keeps them. The audit trail and the documents' hashes are
// always kept.
type RetentionPolicy struct {
	TenantID      string    `gorm:"primaryKey;size:64" json:"-"`
	CompletedDays int       `gorm:"not null" json:"completed_documents_days"`
	OtherDays     int       `gorm:"not null" json:"other_documents_days"`
	UpdatedAt     time.Time `json:"updated_at,omitzero"`
}

// ErrLegalHold refuses to let go of an envelope under a legal hold.
var ErrLegalHold = errors.New("the envelope is under a legal hold")

// RetentionDue is an envelope whose documents the policy lets go.
type RetentionDue struct {
	EnvelopeID string    `json:"envelope_id"`
	TenantID   string    `json:"tenant_id"`
	Status     string    `json:"status"`
	EndedAt    time.Time `json:"ended_at"`
	DueAt      time.Time `json:"due_at"`
}
