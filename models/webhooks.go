package models

import (
	"slices"
	"time"
)

// Webhook delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryDead      = "dead"
	// DeliverySkipped: the subscription was disabled or deleted first.
	DeliverySkipped = "skipped"
)

// WebhookSubscription sends a tenant's events to a URL. The secret signs
// them, so it must be kept whole, not hashed: it is stored sealed under the
// data keys (a copy of the database alone cannot forge deliveries), and
// read here in clear. During a rotation the previous one signs too.
type WebhookSubscription struct {
	ID         string   `gorm:"primaryKey;size:40"`
	TenantID   string   `gorm:"size:64;not null;index"`
	URL        string   `gorm:"not null"`
	EventTypes []string `gorm:"serializer:json"`
	// IncludeFormData adds the fields' values to envelope.completed.
	IncludeFormData     bool   `gorm:"not null;default:false"`
	Secret              string `gorm:"not null"`
	PreviousSecret      string
	PreviousSecretUntil *time.Time
	DisabledAt          *time.Time
	DisabledReason      string
	DeletedAt           *time.Time
	CreatedAt           time.Time
}

// Wants says whether the subscription takes an event type.
func (w *WebhookSubscription) Wants(eventType string) bool {
	return len(w.EventTypes) == 0 || slices.Contains(w.EventTypes, eventType)
}

// Active says whether events are still sent.
func (w *WebhookSubscription) Active() bool { return w.DisabledAt == nil && w.DeletedAt == nil }

// WebhookDelivery is one event owed to one subscription: the outbox row
// written with the event itself, so no event is lost between the two.
type WebhookDelivery struct {
	ID             string `gorm:"primaryKey;size:36"`
	SubscriptionID string `gorm:"size:40;not null;uniqueIndex:idx_delivery_event,priority:1;index:idx_delivery_queue,priority:1"`
	TenantID       string `gorm:"size:64;not null"`
	EnvelopeID     string `gorm:"size:36;not null;index:idx_delivery_queue,priority:2"`
	EventID        string `gorm:"size:36;not null;uniqueIndex:idx_delivery_event,priority:2"`
	FeedID         int64  `gorm:"not null"`
	Seq            int64  `gorm:"not null;index:idx_delivery_queue,priority:3"`
	Type           string `gorm:"size:48;not null"`
	Status         string `gorm:"size:16;not null"`
	Attempts       int    `gorm:"not null"`
	LastStatusCode int
	LastError      string
	CreatedAt      time.Time
	DeliveredAt    *time.Time
	DeadAt         *time.Time
}

// WebhookAttempt records one try at a delivery.
type WebhookAttempt struct {
	ID         int64  `gorm:"primaryKey;autoIncrement"`
	DeliveryID string `gorm:"size:36;not null;index"`
	Attempt    int    `gorm:"not null"`
	At         time.Time
	StatusCode int
	LatencyMS  int64
	Error      string
}

// DeliveryQueue is one subscription's deliveries of one envelope: what one
// deliverer drains.
type DeliveryQueue struct {
	SubscriptionID string
	EnvelopeID     string
}
