package database

import (
	"context"
	"fmt"
	"time"

	"github.com/signflow/signflow/models"
)

// Backlog reads the backlog. Emails refused for good (their recipient is
// marked delivery_failed) do not count as waiting: nothing will send them.
func (s *Store) Backlog(ctx context.Context) (models.Backlog, error) {
	db := s.DB.WithContext(ctx)
	var b models.Backlog
	var byStatus []struct {
		Status string
		N      int64
	}
	if err := db.Model(&models.Envelope{}).Select("status, COUNT(*) AS n").Where("status IN ?", []string{models.EnvelopeInProgress, models.EnvelopeRenderFailed}).
		Group("status").Scan(&byStatus).Error; err != nil {
		return b, fmt.Errorf("count open envelopes: %w", err)
	}
	for _, row := range byStatus {
		if row.Status == models.EnvelopeInProgress {
			b.OpenEnvelopes = row.N
		} else {
			b.RenderFailed = row.N
		}
	}
	var mail, hooks countSince
	if err := db.Table("notifications AS n").Select("COUNT(*) AS n, CAST(MIN(n.created_at) AS TEXT) AS oldest").
		Joins("JOIN recipients AS r ON r.id = n.recipient_id").
		Where("n.sent_at IS NULL AND n.refused_at IS NULL AND r.status <> ?", models.RecipientDeliveryFailed).Scan(&mail).Error; err != nil {
		return b, fmt.Errorf("count pending emails: %w", err)
	}
	if err := db.Model(&models.WebhookDelivery{}).Select("COUNT(*) AS n, CAST(MIN(created_at) AS TEXT) AS oldest").
		Where("status = ?", models.DeliveryPending).Scan(&hooks).Error; err != nil {
		return b, fmt.Errorf("count pending webhooks: %w", err)
	}
	if err := db.Model(&models.WebhookDelivery{}).Where("status = ?", models.DeliveryDead).Count(&b.DeadWebhooks).Error; err != nil {
		return b, fmt.Errorf("count dead webhooks: %w", err)
	}
	b.PendingEmails, b.OldestPendingEmail = mail.N, mail.oldest()
	b.PendingWebhooks, b.OldestPendingWebhook = hooks.N, hooks.oldest()
	return b, nil
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
