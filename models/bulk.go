package models

import (
	"time"
)

// Bulk send statuses, as stored; a running bulk send may also be paused,
// which its workflow knows.
const (
	BulkRunning   = "running"
	BulkCompleted = "completed"
	BulkCancelled = "cancelled"
)

// Bulk send row statuses.
const (
	RowPending   = "pending"
	RowCreated   = "created"
	RowRefused   = "refused"
	RowCancelled = "cancelled"
)

// RowStatuses lists every row status, for validating filters.
var RowStatuses = []string{RowPending, RowCreated, RowRefused, RowCancelled}

// BulkSend is one template sent to many: a row per envelope.
type BulkSend struct {
	ID              string `gorm:"primaryKey;size:36"`
	TenantID        string `gorm:"size:64;not null;index"`
	TemplateID      string `gorm:"size:36;not null"`
	TemplateVersion int    `gorm:"not null"`
	// CreatedBy is the API client that asked for it, the actor of each
	// envelope's creation.
	CreatedBy string `gorm:"size:64;not null"`
	Status    string `gorm:"size:16;not null"`
	Rows      int    `gorm:"not null"`
	CreatedAt time.Time
	EndedAt   *time.Time
}

// BulkRow is one row of a bulk send: its input and what became of it. The
// envelope ID is chosen when the row is stored, so that creating the row's
// envelope again after a crash finds the one already made.
type BulkRow struct {
	BulkID     string `gorm:"primaryKey;size:36"`
	Position   int    `gorm:"primaryKey"`
	Input      string `gorm:"not null"`
	Status     string `gorm:"size:16;not null"`
	EnvelopeID string `gorm:"size:36;not null"`
	// Problems is the JSON list of what made the row refused.
	Problems  string `gorm:"not null;default:''"`
	UpdatedAt time.Time
}
