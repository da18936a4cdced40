package database

import (
	"context"
	"fmt"

	"github.com/signflow/signflow/models"
	"gorm.io/gorm"
)

// appendFeed adds events, all of one tenant, to the feed, and queues their
// webhook deliveries.
func appendFeed(tx *gorm.DB, events []models.Event) error {
	if len(events) == 0 {
		return nil
	}
	if tx.Dialector.Name() == "postgres" {
		if err := tx.Exec("SELECT pg_advisory_xact_lock(?::int, hashtext(?))", feedLock, events[0].TenantID).Error; err != nil {
			return fmt.Errorf("lock the events feed: %w", err)
		}
	}
	for _, e := range events {
		entry := models.FeedEntry{TenantID: e.TenantID, EnvelopeID: e.EnvelopeID, EventID: e.ID, Seq: e.Seq, Type: e.Type,
			RecipientID: e.RecipientID, EnvelopeStatus: e.EnvelopeStatus, EnvelopeVersion: e.EnvelopeVersion, OccurredAt: e.OccurredAt}
		if err := tx.Create(&entry).Error; err != nil {
			return fmt.Errorf("append to the events feed: %w", err)
		}
		if err := queueDeliveries(tx, e, entry.ID); err != nil {
			return err
		}
	}
	return nil
}

// FeedEntry finds one entry.
func (s *Store) FeedEntry(ctx context.Context, id int64) (*models.FeedEntry, error) {
	return findOne[models.FeedEntry](s.DB.WithContext(ctx).Where("id = ?", id), fmt.Sprintf("feed entry %d", id))
}

// Feed returns a tenant's feed entries after a cursor, oldest first,
// optionally for one envelope.
func (s *Store) Feed(ctx context.Context, tenantID string, after int64, envelopeID string, limit int) ([]models.FeedEntry, error) {
	q := s.DB.WithContext(ctx).Where("tenant_id = ? AND id > ?", tenantID, after)
	if envelopeID != "" {
		q = q.Where("envelope_id = ?", envelopeID)
	}
	var entries []models.FeedEntry
	if err := q.Order("id").Limit(limit).Find(&entries).Error; err != nil {
		return nil, fmt.Errorf("read the events feed: %w", err)
	}
	return entries, nil
}

// feedLock, with the tenant, serializes a tenant's feed appends on
// PostgreSQL for the rest of the transaction, so that its IDs are handed
// out in commit order: a reader of the tenant's feed that resumes after the
// last ID it saw never skips one. Tenants do not wait for each other.
const feedLock = 0x5f1f10
