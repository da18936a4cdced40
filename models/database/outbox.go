package database

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/signflow/signflow/models"
	"gorm.io/gorm"
)

// DueNotifications are up to limit outbox rows of queue's dispatchers that
// wait to be sent and may be tried now, oldest first.
func (s *Store) DueNotifications(ctx context.Context, queue string, now time.Time, limit int) ([]models.QueuedNotification, error) {
	var ns []models.QueuedNotification
	err := s.DB.WithContext(ctx).
		Where("dispatch_queue = ? AND sent_at IS NULL AND refused_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= ?)", queue, now.UTC()).
		Order("created_at").Limit(limit).Find(&ns).Error
	if err != nil {
		return nil, fmt.Errorf("load due notifications: %w", err)
	}
	return ns, nil
}

// ClaimNotification takes a due row for one attempt, keeping every other
// dispatcher off it until until (PutOffNotification renews it while the attempt
// runs; a dispatcher that died mid-send leaves it to the others then). It
// reports false when another dispatcher claimed it first, or it is done.
func (s *Store) ClaimNotification(ctx context.Context, n *models.QueuedNotification, now, until time.Time) (bool, error) {
	res := s.DB.WithContext(ctx).Model(&models.QueuedNotification{}).
		Where("id = ? AND sent_at IS NULL AND refused_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= ?)", n.ID, now.UTC()).
		Updates(map[string]any{"next_attempt_at": until.UTC(), "attempts": gorm.Expr("attempts + 1")})
	if res.Error != nil {
		return false, fmt.Errorf("claim notification %s: %w", n.ID, res.Error)
	}
	if res.RowsAffected == 1 {
		n.Attempts++
	}
	return res.RowsAffected == 1, nil
}

// PutOffNotification keeps every dispatcher off a row still to send until
// until: a claim renewed while its attempt runs, or the backoff after a
// failed one.
func (s *Store) PutOffNotification(ctx context.Context, id string, until time.Time) error {
	err := s.DB.WithContext(ctx).Model(&models.QueuedNotification{}).Where("id = ? AND sent_at IS NULL AND refused_at IS NULL", id).
		Update("next_attempt_at", until.UTC()).Error
	if err != nil {
		return fmt.Errorf("put off notification %s: %w", id, err)
	}
	return nil
}

// MarkRefused records that the mail server refused a row for good, so that
// no dispatcher tries it again; the recipient's delivery_failed event,
// which the envelope records, is its audit trail.
func (s *Store) MarkRefused(ctx context.Context, id string, at time.Time) error {
	err := s.DB.WithContext(ctx).Model(&models.QueuedNotification{}).Where("id = ? AND sent_at IS NULL", id).
		Update("refused_at", at.UTC()).Error
	if err != nil {
		return fmt.Errorf("mark notification %s refused: %w", id, err)
	}
	return nil
}

// OutboxText is the outbox's text of ID id, unless it was marked refused
// or undelivered already: ErrNotFound then.
func (s *Store) OutboxText(ctx context.Context, id string) (*models.QueuedNotification, error) {
	var n models.QueuedNotification
	err := s.DB.WithContext(ctx).Where("id = ? AND channel = ? AND refused_at IS NULL", id, models.ChannelSMS).First(&n).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, models.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load text %s: %w", id, err)
	}
	return &n, nil
}

// MarkUndelivered marks a text as undelivered for good, as its provider
// reported it (which may be before the send returned); the recipient's delivery_failed event, which the
// envelope records, is its audit trail.
func (s *Store) MarkUndelivered(ctx context.Context, id string, at time.Time) error {
	err := s.DB.WithContext(ctx).Model(&models.QueuedNotification{}).Where("id = ? AND refused_at IS NULL", id).
		Update("refused_at", at.UTC()).Error
	if err != nil {
		return fmt.Errorf("mark text %s undelivered: %w", id, err)
	}
	return nil
}
