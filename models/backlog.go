package models

import (
	"context"
	"fmt"
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

// countSince is a count and the oldest creation time of a set of rows.
type countSince struct {
	N      int64
	Oldest *string // SQLite answers MIN(created_at) as text
}

func (c countSince) oldest() time.Time {
	if c.Oldest == nil {
		return time.Time{}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, *c.Oldest); err == nil {
			return t
		}
	}
	return time.Time{}
}

// Backlog reads the backlog. Emails refused for good (their recipient is
// marked delivery_failed) do not count as waiting: nothing will send them.
func (s *Store) Backlog(ctx context.Context) (Backlog, error) {
	db := s.DB.WithContext(ctx)
	var b Backlog
	var byStatus []struct {
		Status string
		N      int64
	}
	if err := db.Model(&Envelope{}).Select("status, COUNT(*) AS n").Where("status IN ?", []string{EnvelopeInProgress, EnvelopeRenderFailed}).
		Group("status").Scan(&byStatus).Error; err != nil {
		return b, fmt.Errorf("count open envelopes: %w", err)
	}
	for _, row := range byStatus {
		if row.Status == EnvelopeInProgress {
			b.OpenEnvelopes = row.N
		} else {
			b.RenderFailed = row.N
		}
	}
	var mail, hooks countSince
	if err := db.Table("notifications AS n").Select("COUNT(*) AS n, CAST(MIN(n.created_at) AS TEXT) AS oldest").
		Joins("JOIN recipients AS r ON r.id = n.recipient_id").
		Where("n.sent_at IS NULL AND n.refused_at IS NULL AND r.status <> ?", RecipientDeliveryFailed).Scan(&mail).Error; err != nil {
		return b, fmt.Errorf("count pending emails: %w", err)
	}
	if err := db.Model(&WebhookDelivery{}).Select("COUNT(*) AS n, CAST(MIN(created_at) AS TEXT) AS oldest").
		Where("status = ?", DeliveryPending).Scan(&hooks).Error; err != nil {
		return b, fmt.Errorf("count pending webhooks: %w", err)
	}
	if err := db.Model(&WebhookDelivery{}).Where("status = ?", DeliveryDead).Count(&b.DeadWebhooks).Error; err != nil {
		return b, fmt.Errorf("count dead webhooks: %w", err)
	}
	b.PendingEmails, b.OldestPendingEmail = mail.N, mail.oldest()
	b.PendingWebhooks, b.OldestPendingWebhook = hooks.N, hooks.oldest()
	return b, nil
}
