package database

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/signflow/signflow/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ClaimIdempotencyKey records that a request with this key starts, locked
// for lease. claimed is true when the caller is to do the work: on a new
// key, or on one whose holder died or failed (its lock has passed), in
// which case the stored ResourceID is kept. Otherwise the stored record is
// returned, running or finished. Expired keys are forgotten first.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, k models.IdempotencyKey, lease time.Duration) (stored *models.IdempotencyKey, claimed bool, err error) {
	// Stored and compared in UTC: SQLite compares times as text.
	k.CreatedAt, k.ExpiresAt = k.CreatedAt.UTC(), k.ExpiresAt.UTC()
	now := k.CreatedAt
	until := now.Add(lease)
	k.LockedUntil = &until
	db := s.DB.WithContext(ctx)
	// Expired keys of every tenant go here too, by the expiry index, so the
	// table holds about a day of keys without a separate sweeper.
	if err := db.Where("expires_at < ?", now).Delete(&models.IdempotencyKey{}).Error; err != nil {
		return nil, false, fmt.Errorf("forget expired idempotency keys: %w", err)
	}
	res := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&k)
	if res.Error != nil {
		return nil, false, fmt.Errorf("claim idempotency key: %w", res.Error)
	}
	if res.RowsAffected == 1 {
		return &k, true, nil
	}
	res = db.Model(&models.IdempotencyKey{}).
		Where("tenant_id = ? AND idempotency_key = ? AND fingerprint = ? AND locked_until < ?", k.TenantID, k.Key, k.Fingerprint, now).
		Update("locked_until", until)
	if res.Error != nil {
		return nil, false, fmt.Errorf("take over idempotency key: %w", res.Error)
	}
	var existing models.IdempotencyKey
	err = db.Where("tenant_id = ? AND idempotency_key = ?", k.TenantID, k.Key).First(&existing).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		// Expired between our insert and read: the caller may retry.
		return nil, false, fmt.Errorf("idempotency key %q changed hands; retry: %w", k.Key, models.ErrNotFound)
	}
	if err != nil {
		return nil, false, fmt.Errorf("load idempotency key: %w", err)
	}
	return &existing, res.RowsAffected == 1, nil
}

// RenewIdempotencyKey extends the lock of a key whose request still runs.
func (s *Store) RenewIdempotencyKey(ctx context.Context, tenantID, key string, until time.Time) error {
	err := s.DB.WithContext(ctx).Model(&models.IdempotencyKey{}).
		Where("tenant_id = ? AND idempotency_key = ? AND locked_until IS NOT NULL", tenantID, key).
		Update("locked_until", until.UTC()).Error
	if err != nil {
		return fmt.Errorf("renew idempotency key: %w", err)
	}
	return nil
}

// FinishIdempotencyKey stores the response a claimed key answered with.
func (s *Store) FinishIdempotencyKey(ctx context.Context, k models.IdempotencyKey) error {
	err := s.DB.WithContext(ctx).Model(&models.IdempotencyKey{}).Where("tenant_id = ? AND idempotency_key = ?", k.TenantID, k.Key).
		Updates(map[string]any{"locked_until": nil, "status": k.Status, "content_type": k.ContentType,
			"location": k.Location, "body": k.Body}).Error
	if err != nil {
		return fmt.Errorf("store idempotent response: %w", err)
	}
	return nil
}

// ReleaseIdempotencyKey unlocks a key whose request got no answer worth
// keeping (it failed on our side, was cancelled or panicked), so that a
// retry with the same request takes it over at once and does the work,
// on the same resource.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, tenantID, key string, now time.Time) error {
	err := s.DB.WithContext(ctx).Model(&models.IdempotencyKey{}).
		Where("tenant_id = ? AND idempotency_key = ? AND locked_until IS NOT NULL", tenantID, key).
		Update("locked_until", now.UTC().Add(-time.Millisecond)).Error
	if err != nil {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
}
