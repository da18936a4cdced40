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

// SetRetentionPolicy stores a tenant's policy.
func (s *Store) SetRetentionPolicy(ctx context.Context, p models.RetentionPolicy) error {
	p.UpdatedAt = time.Now().UTC()
	err := s.DB.WithContext(ctx).Clauses(clause.OnConflict{UpdateAll: true}).Create(&p).Error
	if err != nil {
		return fmt.Errorf("store retention policy: %w", err)
	}
	return nil
}

// RetentionPolicyOf is a tenant's policy; a tenant without one keeps
// everything.
func (s *Store) RetentionPolicyOf(ctx context.Context, tenantID string) (models.RetentionPolicy, error) {
	var p models.RetentionPolicy
	err := s.DB.WithContext(ctx).Where("tenant_id = ?", tenantID).First(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return models.RetentionPolicy{TenantID: tenantID}, nil
	}
	if err != nil {
		return p, fmt.Errorf("load retention policy: %w", err)
	}
	return p, nil
}

// DueForRetention lists envelopes, of one tenant or (tenantID empty) of
// every tenant with a policy, whose documents are past their period at
// now, not yet deleted and not under a legal hold; oldest first, at most
// limit.
func (s *Store) DueForRetention(ctx context.Context, tenantID string, now time.Time, limit int) ([]models.RetentionDue, error) {
	var policies []models.RetentionPolicy
	q := s.DB.WithContext(ctx)
	if tenantID != "" {
		q = q.Where("tenant_id = ?", tenantID)
	}
	if err := q.Find(&policies).Error; err != nil {
		return nil, fmt.Errorf("load retention policies: %w", err)
	}
	var due []models.RetentionDue
	for _, p := range policies {
		for _, rule := range []struct {
			days     int
			statuses []string
		}{
			{p.CompletedDays, []string{models.EnvelopeCompleted}},
			{p.OtherDays, []string{models.EnvelopeDeclined, models.EnvelopeVoided, models.EnvelopeExpired}},
		} {
			if rule.days <= 0 || len(due) >= limit {
				continue
			}
			period := time.Duration(rule.days) * 24 * time.Hour
			var envs []models.Envelope
			err := s.DB.WithContext(ctx).Select("id", "tenant_id", "status", "ended_at").
				Where("tenant_id = ? AND status IN ? AND ended_at < ? AND documents_deleted_at IS NULL AND legal_hold_reason = ''",
					p.TenantID, rule.statuses, now.Add(-period).UTC()).
				Order("ended_at").Limit(limit - len(due)).Find(&envs).Error
			if err != nil {
				return nil, fmt.Errorf("list envelopes due for retention: %w", err)
			}
			for _, e := range envs {
				due = append(due, models.RetentionDue{EnvelopeID: e.ID, TenantID: e.TenantID, Status: e.Status, EndedAt: *e.EndedAt,
					DueAt: e.EndedAt.Add(period)})
			}
		}
	}
	return due, nil
}

// MarkDocumentsDeleted records that an envelope's documents were deleted,
// once: it answers false when they already were. An envelope put under a
// legal hold since it was listed is refused with ErrLegalHold, and its
// documents must not be deleted.
func (s *Store) MarkDocumentsDeleted(ctx context.Context, id string, ev models.Event) (bool, error) {
	marked := false
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var env models.Envelope
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id).First(&env).Error; err != nil {
			return fmt.Errorf("load envelope %s: %w", id, err)
		}
		switch {
		case env.DocumentsDeletedAt != nil:
			return nil
		case env.LegalHoldReason != "":
			return models.ErrLegalHold
		}
		now := time.Now().UTC()
		if err := tx.Model(&models.Envelope{}).Where("id = ?", id).UpdateColumn("documents_deleted_at", now).Error; err != nil {
			return fmt.Errorf("mark documents deleted: %w", err)
		}
		ev.EnvelopeID, ev.TenantID, ev.Type, ev.Key, ev.OccurredAt = id, env.TenantID, models.EventDocumentsDeleted, "documents-deleted", now
		ev.EnvelopeStatus, ev.EnvelopeVersion = env.Status, env.Version
		marked = true
		_, err := s.appendEvent(tx, ev)
		return err
	})
	return marked, err
}

// SetLegalHold places (reason non-empty) or releases (empty) a legal hold
// on a tenant's envelope, recording who did it; doing what is already so
// records nothing.
func (s *Store) SetLegalHold(ctx context.Context, tenantID, id, reason string, ev models.Event) (*models.Envelope, error) {
	var out *models.Envelope
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var env models.Envelope
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ? AND tenant_id = ?", id, tenantID).First(&env).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return fmt.Errorf("envelope %s: %w", id, models.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("load envelope %s: %w", id, err)
		}
		out = &env
		if (env.LegalHoldReason != "") == (reason != "") {
			return nil
		}
		if err := tx.Model(&models.Envelope{}).Where("id = ?", id).UpdateColumn("legal_hold_reason", reason).Error; err != nil {
			return fmt.Errorf("set legal hold: %w", err)
		}
		ev.Type = models.EventLegalHoldPlaced
		if reason == "" {
			ev.Type = models.EventLegalHoldReleased
		}
		ev.EnvelopeID, ev.TenantID, ev.Key, ev.OccurredAt = id, tenantID, "legal-hold:"+models.NewID(), time.Now().UTC()
		ev.EnvelopeStatus, ev.EnvelopeVersion = env.Status, env.Version
		env.LegalHoldReason = reason
		_, err = s.appendEvent(tx, ev)
		return err
	})
	return out, err
}
