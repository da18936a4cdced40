package models

import (
	"errors"
	"time"

	"github.com/google/uuid"
)

// ErrNotFound is returned when a record does not exist for the tenant.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when another change to the record came first.
var ErrConflict = errors.New("changed concurrently")

// NewID is a new record ID: a UUIDv7, so IDs sort by creation time.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// RecipientState is a recipient's part of an envelope snapshot.
type RecipientState struct {
	ID         string     `json:"id"`
	Status     string     `json:"status"`
	Generation int        `json:"link_generation"`
	NotifiedAt *time.Time `json:"notified_at,omitempty"`
	ViewedAt   *time.Time `json:"viewed_at,omitempty"`
	ActedAt    *time.Time `json:"acted_at,omitempty"`
	Reason     string     `json:"reason,omitempty"`
}

// Transition is one state change of an envelope: the snapshot it produced
// and the event that explains it.
type Transition struct {
	EnvelopeID  string           `json:"envelope_id"`
	TenantID    string           `json:"tenant_id"`
	Version     int64            `json:"version"`
	Status      string           `json:"status"`
	CompletedAt *time.Time       `json:"completed_at,omitempty"`
	Recipients  []RecipientState `json:"recipients"`
	Values      []FieldValue     `json:"values,omitempty"`
	Event       Event            `json:"event"`
	// Also are further events of the same change (the invitations of the
	// routing order the change makes due), stored after Event in its
	// transaction and keyed v<version>.<n>.
	Also []Event `json:"also,omitempty"`
	// Notify are the notifications the change owes, queued in its own
	// transaction so that no state change is stored without its mail.
	Notify []Notification `json:"notify,omitempty"`
	// DispatchQueue, when set, is the task queue whose outbox dispatchers
	// send Notify; otherwise the workflow sends them as activities.
	DispatchQueue string `json:"dispatch_queue,omitempty"`
	// Reissue, when set, gives a recipient a new link in the change's own
	// transaction, before its Notify are queued: the invitation goes to
	// the new address, and exists only once the new link does.
	Reissue *Reissue `json:"reissue,omitempty"`
}

// Reissue moves a recipient to a new link generation, with a corrected
// name, email or authentication when given. TokenHash is the new link's,
// filled in by the worker that holds the link keys, never by the workflow.
type Reissue struct {
	RecipientID    string `json:"recipient_id"`
	Generation     int    `json:"generation"`
	TokenHash      string `json:"-"`
	Name           string `json:"name,omitempty"`
	Email          string `json:"email,omitempty"`
	Authentication string `json:"authentication,omitempty"`
}

// Notification is a message a change owes a recipient, of a kind
// (invitation, reminder, completed copy, ...); Sequence tells
// repeated messages of one kind apart (the n-th reminder).
type Notification struct {
	RecipientID string `json:"recipient_id"`
	Kind        string `json:"kind"`
	Sequence    int    `json:"sequence"`
}
