package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// IdempotencyKey remembers the first response to a POST sent with an
// Idempotency-Key, so that a retry gets it again instead of redoing the
// work. The primary key makes the database, not a process, decide which of
// parallel requests runs.
type IdempotencyKey struct {
	TenantID    string `gorm:"primaryKey;size:64"`
	Key         string `gorm:"column:idempotency_key;primaryKey;size:255"`
	Fingerprint string `gorm:"size:64;not null"`
	// LockedUntil is set while the first request runs; a request that
	// crashed its process frees the key when it passes.
	LockedUntil *time.Time
	Status      int
	ContentType string
	Location    string
	Body        []byte
	CreatedAt   time.Time
	ExpiresAt   time.Time `gorm:"not null;index"`
}

// Running says the first request with this key has not answered yet.
func (k *IdempotencyKey) Running() bool { return k.LockedUntil != nil }

// ClaimIdempotencyKey records that a request with this key starts. claimed
// is true when the caller is to do the work; otherwise the stored record is
// returned, running or finished. Expired keys, and keys locked by a request
// whose lock has passed, are claimed afresh.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, k IdempotencyKey, lock time.Duration) (stored *IdempotencyKey, claimed bool, err error) {
	now := k.CreatedAt
	until := now.Add(lock)
	k.LockedUntil = &until
	db := s.DB.WithContext(ctx)
	// Expired keys of every tenant go here too, by the expiry index, so the
	// table holds about a day of keys without a separate sweeper.
	res := db.Where("expires_at < ? OR (tenant_id = ? AND idempotency_key = ? AND locked_until < ?)", now, k.TenantID, k.Key, now).Delete(&IdempotencyKey{})
	if res.Error != nil {
		return nil, false, fmt.Errorf("free stale idempotency keys: %w", res.Error)
	}
	res = db.Clauses(clause.OnConflict{DoNothing: true}).Create(&k)
	if res.Error != nil {
		return nil, false, fmt.Errorf("claim idempotency key: %w", res.Error)
	}
	if res.RowsAffected == 1 {
		return &k, true, nil
	}
	var existing IdempotencyKey
	err = db.Where("tenant_id = ? AND idempotency_key = ?", k.TenantID, k.Key).First(&existing).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		// Freed between our insert and read: the caller may retry.
		return nil, false, fmt.Errorf("idempotency key %q changed hands; retry: %w", k.Key, ErrNotFound)
	}
	if err != nil {
		return nil, false, fmt.Errorf("load idempotency key: %w", err)
	}
	return &existing, false, nil
}

// FinishIdempotencyKey stores the response a claimed key answered with.
func (s *Store) FinishIdempotencyKey(ctx context.Context, k IdempotencyKey) error {
	err := s.DB.WithContext(ctx).Model(&IdempotencyKey{}).Where("tenant_id = ? AND idempotency_key = ?", k.TenantID, k.Key).
		Updates(map[string]any{"locked_until": nil, "status": k.Status, "content_type": k.ContentType,
			"location": k.Location, "body": k.Body}).Error
	if err != nil {
		return fmt.Errorf("store idempotent response: %w", err)
	}
	return nil
}

// ReleaseIdempotencyKey forgets a claimed key whose request failed on our
// side, so that a retry does the work.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, tenantID, key string) error {
	if err := s.DB.WithContext(ctx).Where("tenant_id = ? AND idempotency_key = ?", tenantID, key).Delete(&IdempotencyKey{}).Error; err != nil {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
}
