package models

import (
	"time"
)

// Backlog is what is waiting, as an operator watches it: open envelopes,
// mail not yet sent, webhooks not yet delivered, and those given up on.
type Backlog struct {
	OpenEnvelopes   int64
	RenderFailed    int64
	PendingEmails   int64
	PendingWebhooks int64
	DeadWebhooks    int64
	// OldestPendingEmail and OldestPendingWebhook are zero when none waits.
	OldestPendingEmail   time.Time
	OldestPendingWebhook time.Time
}
