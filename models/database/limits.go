package database

import (
	"context"
	"fmt"
	"time"

	"github.com/signflow/signflow/models"
	"gorm.io/gorm"
)

// Hit counts one hit on bucket and answers the hits in its window, this
// one included. A window opens at the first hit after the last window
// closed and lasts window. One statement counts and answers, so no two
// requests see the same count.
func (s *Store) Hit(ctx context.Context, bucket string, window time.Duration, now time.Time) (int, error) {
	now = now.UTC()
	closed := now.Add(-window)
	var hits int
	err := s.DB.WithContext(ctx).Raw(`INSERT INTO rate_counters (bucket, window_start, hits) VALUES (?, ?, 1)
		ON CONFLICT (bucket) DO UPDATE SET
			hits = CASE WHEN rate_counters.window_start <= ? THEN 1 ELSE rate_counters.hits + 1 END,
			window_start = CASE WHEN rate_counters.window_start <= ? THEN excluded.window_start ELSE rate_counters.window_start END
		RETURNING hits`, bucket, now, closed, closed).Scan(&hits).Error
	if err != nil {
		return 0, fmt.Errorf("count a hit on %s: %w", bucket, err)
	}
	if hits == 1 {
		// A new window: drop long-closed ones, by the window index.
		if err := s.DB.WithContext(ctx).Where("window_start < ?", now.Add(-counterRetention)).Delete(&models.RateCounter{}).Error; err != nil {
			return 0, fmt.Errorf("drop old rate counters: %w", err)
		}
	}
	return hits, nil
}

// Unhit takes back a hit that did not count after all, such as an attempt
// that turned out right.
func (s *Store) Unhit(ctx context.Context, bucket string) error {
	err := s.DB.WithContext(ctx).Model(&models.RateCounter{}).Where("bucket = ? AND hits > 0", bucket).
		UpdateColumn("hits", gorm.Expr("hits - 1")).Error
	if err != nil {
		return fmt.Errorf("take back a hit on %s: %w", bucket, err)
	}
	return nil
}

// MarkLinkOpened records that the recipient's link generation was opened;
// it answers false when it was opened before. One statement decides, so
// parallel requests mark once.
func (s *Store) MarkLinkOpened(ctx context.Context, recipientID string, generation int) (bool, error) {
	res := s.DB.WithContext(ctx).Model(&models.Recipient{}).Where("id = ? AND opened_generation < ?", recipientID, generation).
		UpdateColumn("opened_generation", generation)
	if res.Error != nil {
		return false, fmt.Errorf("mark link of recipient %s: %w", recipientID, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// UnmarkLinkOpened takes the mark back when the opening could not be
// recorded, so that the next opening is.
func (s *Store) UnmarkLinkOpened(ctx context.Context, recipientID string, generation int) error {
	err := s.DB.WithContext(ctx).Model(&models.Recipient{}).Where("id = ? AND opened_generation = ?", recipientID, generation).
		UpdateColumn("opened_generation", generation-1).Error
	if err != nil {
		return fmt.Errorf("unmark link of recipient %s: %w", recipientID, err)
	}
	return nil
}

// counterRetention is how long a finished window is kept; every window is
// shorter.
const counterRetention = 24 * time.Hour
