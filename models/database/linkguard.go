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

// LinkGuardOf is the guard of a link generation; a zero guard if it has
// seen no attempt.
func (s *Store) LinkGuardOf(ctx context.Context, recipientID string, generation int) (models.LinkGuard, error) {
	g := models.LinkGuard{RecipientID: recipientID, LinkGeneration: generation}
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
func (s *Store) ReserveAttempt(ctx context.Context, tenantID, recipientID string, generation, budget int, now time.Time, delay func(int) time.Duration) (models.LinkGuard, models.Attempt, error) {
	db := s.DB.WithContext(ctx)
	g := models.LinkGuard{RecipientID: recipientID, LinkGeneration: generation, TenantID: tenantID}
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&g).Error; err != nil {
		return g, 0, fmt.Errorf("create link guard of %s: %w", recipientID, err)
	}
	g, err := s.LinkGuardOf(ctx, recipientID, generation)
	switch {
	case err != nil:
		return g, 0, err
	case g.Failures >= budget:
		return g, models.AttemptLocked, nil
	case g.NextAttemptAt != nil && now.Before(*g.NextAttemptAt):
		return g, models.AttemptTooSoon, nil
	}
	next := now.Add(delay(g.Failures + 1)).UTC()
	res := db.Model(&models.LinkGuard{}).Where("recipient_id = ? AND link_generation = ? AND failures = ?", recipientID, generation, g.Failures).
		Updates(map[string]any{"failures": g.Failures + 1, "next_attempt_at": next})
	if res.Error != nil {
		return g, 0, fmt.Errorf("reserve an attempt on %s: %w", recipientID, res.Error)
	}
	if res.RowsAffected == 0 {
		return g, models.AttemptTooSoon, nil
	}
	g.Failures, g.NextAttemptAt = g.Failures+1, &next
	return g, models.AttemptReserved, nil
}

// RefundAttempt takes back a reserved attempt that was not a failure: it
// was right, or it could not be checked.
func (s *Store) RefundAttempt(ctx context.Context, recipientID string, generation int) error {
	err := s.DB.WithContext(ctx).Model(&models.LinkGuard{}).Where("recipient_id = ? AND link_generation = ? AND failures > 0", recipientID, generation).
		Updates(map[string]any{"failures": gorm.Expr("failures - 1"), "next_attempt_at": nil}).Error
	if err != nil {
		return fmt.Errorf("refund an attempt on %s: %w", recipientID, err)
	}
	return nil
}
