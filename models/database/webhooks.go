package database

import (
	"context"
	"encoding/base64"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/signflow/signflow/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// queueDeliveries writes the deliveries an event owes, in its transaction.
func queueDeliveries(tx *gorm.DB, e models.Event, feedID int64) error {
	var subs []models.WebhookSubscription
	if err := tx.Where("tenant_id = ? AND disabled_at IS NULL AND deleted_at IS NULL", e.TenantID).Order("id").Find(&subs).Error; err != nil {
		return fmt.Errorf("load webhook subscriptions: %w", err)
	}
	for _, sub := range subs {
		if !sub.Wants(e.Type) {
			continue
		}
		d := models.WebhookDelivery{ID: stableID("delivery", sub.ID, e.ID), SubscriptionID: sub.ID, TenantID: e.TenantID,
			EnvelopeID: e.EnvelopeID, EventID: e.ID, FeedID: feedID, Seq: e.Seq, Type: e.Type, Status: models.DeliveryPending,
			CreatedAt: e.OccurredAt.UTC()}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&d).Error; err != nil {
			return fmt.Errorf("queue webhook delivery: %w", err)
		}
	}
	return nil
}

// CreateWebhook stores a subscription.
func (s *Store) CreateWebhook(ctx context.Context, w models.WebhookSubscription) error {
	w.Secret, w.PreviousSecret = s.sealSecret(w.ID, w.Secret), s.sealSecret(w.ID, w.PreviousSecret)
	if err := s.DB.WithContext(ctx).Create(&w).Error; err != nil {
		return fmt.Errorf("create webhook: %w", err)
	}
	return nil
}

// GetWebhook finds a tenant's subscription that has not been deleted.
func (s *Store) GetWebhook(ctx context.Context, tenantID, id string) (*models.WebhookSubscription, error) {
	w, err := findOne[models.WebhookSubscription](s.DB.WithContext(ctx).Where("tenant_id = ? AND id = ? AND deleted_at IS NULL", tenantID, id), "webhook "+id)
	if err != nil {
		return nil, err
	}
	return w, s.openSecrets(w)
}

// ListWebhooks lists a tenant's subscriptions, oldest first.
func (s *Store) ListWebhooks(ctx context.Context, tenantID string) ([]models.WebhookSubscription, error) {
	var ws []models.WebhookSubscription
	if err := s.DB.WithContext(ctx).Where("tenant_id = ? AND deleted_at IS NULL", tenantID).Order("created_at, id").Find(&ws).Error; err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	for i := range ws {
		if err := s.openSecrets(&ws[i]); err != nil {
			return nil, err
		}
	}
	return ws, nil
}

// UpdateWebhook saves a subscription's changed columns; secrets among
// them are given in clear and stored sealed.
func (s *Store) UpdateWebhook(ctx context.Context, w *models.WebhookSubscription, columns map[string]any) error {
	sealed := maps.Clone(columns)
	for _, c := range []string{"secret", "previous_secret"} {
		if v, ok := sealed[c].(string); ok {
			sealed[c] = s.sealSecret(w.ID, v)
		}
	}
	if err := s.DB.WithContext(ctx).Model(w).Updates(sealed).Error; err != nil {
		return fmt.Errorf("update webhook %s: %w", w.ID, err)
	}
	return s.openSecrets(w)
}

// WebhookByID finds a subscription whatever its state, for the deliverer.
func (s *Store) WebhookByID(ctx context.Context, id string) (*models.WebhookSubscription, error) {
	w, err := findOne[models.WebhookSubscription](s.DB.WithContext(ctx).Where("id = ?", id), "webhook "+id)
	if err != nil {
		return nil, err
	}
	return w, s.openSecrets(w)
}

// sealSecret is how a webhook secret is stored: sealed, bound to its
// subscription, when the store has data keys.
func (s *Store) sealSecret(subscriptionID, secret string) string {
	if s.PersonalDataKeys == nil || secret == "" || strings.HasPrefix(secret, sealedSecret) {
		return secret
	}
	kid, box := s.PersonalDataKeys.Seal([]byte(secret), []byte("webhook-secret:"+subscriptionID))
	return sealedSecret + kid + ":" + base64.RawStdEncoding.EncodeToString(box)
}

// openSecrets turns w's stored secrets back into clear ones; a secret
// stored before secrets were sealed reads as it is.
func (s *Store) openSecrets(w *models.WebhookSubscription) error {
	for _, secret := range []*string{&w.Secret, &w.PreviousSecret} {
		rest, ok := strings.CutPrefix(*secret, sealedSecret)
		if !ok {
			continue
		}
		kid, encoded, _ := strings.Cut(rest, ":")
		box, err := base64.RawStdEncoding.DecodeString(encoded)
		if err != nil || s.PersonalDataKeys == nil {
			return fmt.Errorf("open the secret of webhook %s: it is damaged or no data keys are configured", w.ID)
		}
		plain, err := s.PersonalDataKeys.Open(kid, box, []byte("webhook-secret:"+w.ID))
		if err != nil {
			return fmt.Errorf("open the secret of webhook %s: %w", w.ID, err)
		}
		*secret = string(plain)
	}
	return nil
}

// SealWebhookSecrets seals the secrets stored in clear before secrets were
// sealed; safe to run from every process at once.
func (s *Store) SealWebhookSecrets(ctx context.Context) error {
	if s.PersonalDataKeys == nil {
		return nil
	}
	var ws []models.WebhookSubscription
	err := s.DB.WithContext(ctx).Where("secret NOT LIKE ? OR (previous_secret <> '' AND previous_secret NOT LIKE ?)", sealedSecret+"%", sealedSecret+"%").
		Find(&ws).Error
	if err != nil {
		return fmt.Errorf("find webhook secrets to seal: %w", err)
	}
	for _, w := range ws {
		err := s.DB.WithContext(ctx).Model(&models.WebhookSubscription{}).Where("id = ? AND secret = ? AND previous_secret = ?", w.ID, w.Secret, w.PreviousSecret).
			Updates(map[string]any{"secret": s.sealSecret(w.ID, w.Secret), "previous_secret": s.sealSecret(w.ID, w.PreviousSecret)}).Error
		if err != nil {
			return fmt.Errorf("seal the secret of webhook %s: %w", w.ID, err)
		}
	}
	return nil
}

// PendingSubscriptions are the subscriptions with deliveries waiting for
// an envelope, in ID order.
func (s *Store) PendingSubscriptions(ctx context.Context, envelopeID string) ([]string, error) {
	var ids []string
	err := s.DB.WithContext(ctx).Model(&models.WebhookDelivery{}).Where("envelope_id = ? AND status = ?", envelopeID, models.DeliveryPending).
		Distinct("subscription_id").Order("subscription_id").Pluck("subscription_id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("find pending webhook deliveries: %w", err)
	}
	return ids, nil
}

// WaitingQueues lists the queues with a delivery pending since before t,
// at most limit: each should have a deliverer.
func (s *Store) WaitingQueues(ctx context.Context, before time.Time, limit int) ([]models.DeliveryQueue, error) {
	var qs []models.DeliveryQueue
	err := s.DB.WithContext(ctx).Model(&models.WebhookDelivery{}).Select("DISTINCT subscription_id, envelope_id").
		Where("status = ? AND created_at < ?", models.DeliveryPending, before.UTC()).Order("subscription_id, envelope_id").Limit(limit).Scan(&qs).Error
	if err != nil {
		return nil, fmt.Errorf("list waiting webhook queues: %w", err)
	}
	return qs, nil
}

// NextDelivery is the oldest pending delivery of an envelope to a
// subscription: events go out one at a time, in the envelope's order.
func (s *Store) NextDelivery(ctx context.Context, subscriptionID, envelopeID string) (*models.WebhookDelivery, error) {
	var ds []models.WebhookDelivery
	err := s.DB.WithContext(ctx).Where("subscription_id = ? AND envelope_id = ? AND status = ?", subscriptionID, envelopeID, models.DeliveryPending).
		Order("seq").Limit(1).Find(&ds).Error
	if err != nil {
		return nil, fmt.Errorf("find next webhook delivery: %w", err)
	}
	if len(ds) == 0 {
		return nil, nil
	}
	return &ds[0], nil
}

// GetDelivery finds a delivery by ID.
func (s *Store) GetDelivery(ctx context.Context, id string) (*models.WebhookDelivery, error) {
	return findOne[models.WebhookDelivery](s.DB.WithContext(ctx).Where("id = ?", id), "webhook delivery "+id)
}

// RecordAttempt stores an attempt and the delivery's resulting status.
func (s *Store) RecordAttempt(ctx context.Context, d *models.WebhookDelivery, a models.WebhookAttempt, status string) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// A retried activity must not log one attempt twice.
		var seen int64
		if err := tx.Model(&models.WebhookAttempt{}).Where("delivery_id = ? AND attempt = ?", d.ID, a.Attempt).Count(&seen).Error; err != nil {
			return fmt.Errorf("look up webhook attempt: %w", err)
		}
		if seen == 0 {
			if err := tx.Create(&a).Error; err != nil {
				return fmt.Errorf("record webhook attempt: %w", err)
			}
		}
		cols := map[string]any{"status": status, "attempts": a.Attempt, "last_status_code": a.StatusCode, "last_error": a.Error}
		if status == models.DeliveryDelivered {
			cols["delivered_at"] = a.At
		}
		if err := tx.Model(d).Updates(cols).Error; err != nil {
			return fmt.Errorf("update webhook delivery: %w", err)
		}
		return nil
	})
}

// SetDeliveryStatus moves a delivery to a status (dead-lettered, skipped).
func (s *Store) SetDeliveryStatus(ctx context.Context, id, status string, at time.Time) error {
	cols := map[string]any{"status": status}
	if status == models.DeliveryDead {
		cols["dead_at"] = at
	}
	if err := s.DB.WithContext(ctx).Model(&models.WebhookDelivery{}).Where("id = ?", id).Updates(cols).Error; err != nil {
		return fmt.Errorf("set webhook delivery %s %s: %w", id, status, err)
	}
	return nil
}

// Deliveries lists a subscription's deliveries, newest first, optionally
// of one status.
func (s *Store) Deliveries(ctx context.Context, subscriptionID, status string, limit int) ([]models.WebhookDelivery, error) {
	q := s.DB.WithContext(ctx).Where("subscription_id = ?", subscriptionID)
	if status != "" {
		q = q.Where("status = ?", status)
	}
	var ds []models.WebhookDelivery
	if err := q.Order("feed_id DESC").Limit(limit).Find(&ds).Error; err != nil {
		return nil, fmt.Errorf("list webhook deliveries: %w", err)
	}
	return ds, nil
}

// Attempts lists the attempts at deliveries, in order.
func (s *Store) Attempts(ctx context.Context, deliveryIDs []string) ([]models.WebhookAttempt, error) {
	var as []models.WebhookAttempt
	if err := s.DB.WithContext(ctx).Where("delivery_id IN ?", deliveryIDs).Order("delivery_id, attempt").Find(&as).Error; err != nil {
		return nil, fmt.Errorf("list webhook attempts: %w", err)
	}
	return as, nil
}

// Requeue makes deliveries pending again: one dead letter, or every
// delivery of a subscription since a time (a bulk replay). It returns the
// envelopes affected, whose deliverers need waking.
func (s *Store) Requeue(ctx context.Context, subscriptionID, deliveryID string, since *time.Time) ([]string, error) {
	q := s.DB.WithContext(ctx).Model(&models.WebhookDelivery{}).Where("subscription_id = ?", subscriptionID)
	if deliveryID != "" {
		q = q.Where("id = ?", deliveryID)
	}
	if since != nil {
		q = q.Where("created_at >= ? AND status <> ?", since.UTC(), models.DeliveryPending)
	}
	var envelopes []string
	if err := q.Session(&gorm.Session{}).Distinct("envelope_id").Order("envelope_id").Pluck("envelope_id", &envelopes).Error; err != nil {
		return nil, fmt.Errorf("find deliveries to requeue: %w", err)
	}
	if err := q.Session(&gorm.Session{}).Updates(map[string]any{"status": models.DeliveryPending, "dead_at": nil}).Error; err != nil {
		return nil, fmt.Errorf("requeue webhook deliveries: %w", err)
	}
	return envelopes, nil
}

// sealedSecret marks a stored webhook secret sealed under the data keys.
const sealedSecret = "sealed:"
