package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// LinkGuard counts the failed verifications of one link generation of a
// recipient, across every address and window: once they reach the budget
// the link is locked until the sender sends a new one (a new generation
// starts a new guard). NextAttemptAt spaces attempts out as failures grow.
// A reserved attempt that was not a failure is refunded, so the count
// reaches the budget only by failures: it alone says the link is locked.
type LinkGuard struct {
	RecipientID    string `gorm:"primaryKey;size:36"`
	LinkGeneration int    `gorm:"primaryKey"`
	TenantID       string `gorm:"size:64;not null"`
	Failures       int    `gorm:"not null;default:0"`
	NextAttemptAt  *time.Time
}

// Attempt is the outcome of reserving a verification attempt.
type Attempt int

const (
	// AttemptReserved: the attempt counts as a failure until settled.
	AttemptReserved Attempt = iota
	// AttemptTooSoon: the last failure's delay has not passed.
	AttemptTooSoon
	// AttemptLocked: the budget is spent; only a new link opens it.
	AttemptLocked
)

// LinkGuardOf is the guard of a link generation; a zero guard if it has
// seen no attempt.
func (s *Store) LinkGuardOf(ctx context.Context, recipientID string, generation int) (LinkGuard, error) {
	g := LinkGuard{RecipientID: recipientID, LinkGeneration: generation}
	err := s.DB.WithContext(ctx).Where("recipient_id = ? AND link_generation = ?", recipientID, generation).Take(&g).Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return g, fmt.Errorf("load link guard of %s: %w", recipientID, err)
	}
	return g, nil
}

// ReserveAttempt counts an attempt as a failure before it is checked, so
// that of any number of parallel attempts on any number of replicas no
// more than budget are ever checked. The update is conditional on the
// failures it read: a race lost answers AttemptTooSoon, to be retried.
// delay is the wait after the n-th failure.
func (s *Store) ReserveAttempt(ctx context.Context, tenantID, recipientID string, generation, budget int, now time.Time, delay func(int) time.Duration) (LinkGuard, Attempt, error) {
	db := s.DB.WithContext(ctx)
	g := LinkGuard{RecipientID: recipientID, LinkGeneration: generation, TenantID: tenantID}
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&g).Error; err != nil {
		return g, 0, fmt.Errorf("create link guard of %s: %w", recipientID, err)
	}
	g, err := s.LinkGuardOf(ctx, recipientID, generation)
	switch {
	case err != nil:
		return g, 0, err
	case g.Failures >= budget:
		return g, AttemptLocked, nil
	case g.NextAttemptAt != nil && now.Before(*g.NextAttemptAt):
		return g, AttemptTooSoon, nil
	}
	next := now.Add(delay(g.Failures + 1)).UTC()
	res := db.Model(&LinkGuard{}).Where("recipient_id = ? AND link_generation = ? AND failures = ?", recipientID, generation, g.Failures).
		Updates(map[string]any{"failures": g.Failures + 1, "next_attempt_at": next})
	if res.Error != nil {
		return g, 0, fmt.Errorf("reserve an attempt on %s: %w", recipientID, res.Error)
	}
	if res.RowsAffected == 0 {
		return g, AttemptTooSoon, nil
	}
	g.Failures, g.NextAttemptAt = g.Failures+1, &next
	return g, AttemptReserved, nil
}

// RefundAttempt takes back a reserved attempt that was not a failure: it
// was right, or it could not be checked.
func (s *Store) RefundAttempt(ctx context.Context, recipientID string, generation int) error {
	err := s.DB.WithContext(ctx).Model(&LinkGuard{}).Where("recipient_id = ? AND link_generation = ? AND failures > 0", recipientID, generation).
		Updates(map[string]any{"failures": gorm.Expr("failures - 1"), "next_attempt_at": nil}).Error
	if err != nil {
		return fmt.Errorf("refund an attempt on %s: %w", recipientID, err)
	}
	return nil
}
