package database

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/signflow/signflow/models"
	"gorm.io/gorm"
)

// appendEvent adds e to its envelope's chain unless an event with the same
// key is already there, so retried writers append once, and to the feed
// when integrators follow its type. It must run in a transaction; it locks
// the envelope row so concurrent appends queue up and the chain never
// forks. It reports whether it appended.
func (s *Store) appendEvent(tx *gorm.DB, e models.Event) (bool, error) {
	t := trail{store: s}
	added, err := t.append(tx, e)
	if err != nil {
		return false, err
	}
	return added, t.flush(tx)
}

// append adds e to its envelope's chain and keeps it for the feed.
func (t *trail) append(tx *gorm.DB, e models.Event) (bool, error) {
	stored, added, err := chainEvent(tx, t.store, e)
	if added && slices.Contains(models.FeedTypes, stored.Type) {
		t.feed = append(t.feed, stored)
	}
	return added, err
}

// flush writes the kept events to the feed.
func (t *trail) flush(tx *gorm.DB) error { return appendFeed(tx, t.feed) }

// chainEvent adds e to its envelope's chain (see appendEvent) and returns
// it as stored.
func chainEvent(tx *gorm.DB, s *Store, e models.Event) (models.Event, bool, error) {
	if tx.Dialector.Name() == "postgres" {
		if err := tx.Exec("SELECT id FROM envelopes WHERE id = ? FOR UPDATE", e.EnvelopeID).Error; err != nil {
			return models.Event{}, false, fmt.Errorf("lock envelope %s: %w", e.EnvelopeID, err)
		}
	} // SQLite transactions here begin IMMEDIATE: one writer at a time.
	var seen int64
	if err := tx.Model(&models.Event{}).Where("envelope_id = ? AND key = ?", e.EnvelopeID, e.Key).Count(&seen).Error; err != nil {
		return models.Event{}, false, fmt.Errorf("look up event %s: %w", e.Key, err)
	}
	if seen > 0 {
		return models.Event{}, false, nil
	}
	var last []models.Event
	if err := tx.Where("envelope_id = ?", e.EnvelopeID).Order("seq DESC").Limit(1).Find(&last).Error; err != nil {
		return models.Event{}, false, fmt.Errorf("load last event: %w", err)
	}
	e.Seq, e.PrevHash = 1, e.EnvelopeID
	if len(last) == 1 {
		e.Seq, e.PrevHash = last[0].Seq+1, last[0].Hash
	}
	e.ID = stableID("event", e.EnvelopeID, e.Key)
	e.OccurredAt = e.OccurredAt.UTC().Truncate(time.Millisecond)
	if err := s.sealPersonal(tx, &e); err != nil {
		return models.Event{}, false, err
	}
	var err error
	if e.Hash, err = models.ChainHash(e.PrevHash, e); err != nil {
		return models.Event{}, false, err
	}
	if err := tx.Create(&e).Error; err != nil {
		return models.Event{}, false, fmt.Errorf("append event %s: %w", e.Type, err)
	}
	return e, true, nil
}

// AppendEvent records an event that happens outside the workflow (a link
// opened, a document downloaded). key makes the write idempotent.
func (s *Store) AppendEvent(ctx context.Context, e models.Event) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var env models.Envelope
		if err := tx.Select("status", "version").Where("id = ?", e.EnvelopeID).First(&env).Error; err != nil {
			return fmt.Errorf("load envelope %s: %w", e.EnvelopeID, err)
		}
		e.EnvelopeStatus, e.EnvelopeVersion = env.Status, env.Version
		_, err := s.appendEvent(tx, e)
		return err
	})
}

// trail appends a transaction's events to their chain at once and to the
// feed at the end: the feed's lock is then held only for the feed's own
// writes and the commit, not for the rest of the transaction.
type trail struct {
	store *Store // seals personal data
	feed  []models.Event
}
