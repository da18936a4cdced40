package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// RetentionPolicy says how many days a tenant's documents are kept after
// an envelope ends: completed ones, and the others (declined, voided,
// expired). Zero keeps them. The audit trail and the documents' hashes are
// always kept.
type RetentionPolicy struct {
	TenantID      string    `gorm:"primaryKey;size:64" json:"-"`
	CompletedDays int       `gorm:"not null" json:"completed_documents_days"`
	OtherDays     int       `gorm:"not null" json:"other_documents_days"`
	UpdatedAt     time.Time `json:"updated_at,omitzero"`
}

// ErrLegalHold refuses to let go of an envelope under a legal hold.
var ErrLegalHold = errors.New("the envelope is under a legal hold")

// SetRetentionPolicy stores a tenant's policy.
func (s *Store) SetRetentionPolicy(ctx context.Context, p RetentionPolicy) error {
	p.UpdatedAt = time.Now().UTC()
	err := s.DB.WithContext(ctx).Clauses(clause.OnConflict{UpdateAll: true}).Create(&p).Error
	if err != nil {
		return fmt.Errorf("store retention policy: %w", err)
	}
	return nil
}

// RetentionPolicyOf is a tenant's policy; a tenant without one keeps
// everything.
func (s *Store) RetentionPolicyOf(ctx context.Context, tenantID string) (RetentionPolicy, error) {
	var p RetentionPolicy
	err := s.DB.WithContext(ctx).Where("tenant_id = ?", tenantID).First(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return RetentionPolicy{TenantID: tenantID}, nil
	}
	if err != nil {
		return p, fmt.Errorf("load retention policy: %w", err)
	}
	return p, nil
}

// RetentionDue is an envelope whose documents the policy lets go.
type RetentionDue struct {
	EnvelopeID string    `json:"envelope_id"`
	TenantID   string    `json:"tenant_id"`
	Status     string    `json:"status"`
	EndedAt    time.Time `json:"ended_at"`
	DueAt      time.Time `json:"due_at"`
}

// DueForRetention lists envelopes, of one tenant or (tenantID empty) of
// every tenant with a policy, whose documents are past their period at
// now, not yet deleted and not under a legal hold; oldest first, at most
// limit.
func (s *Store) DueForRetention(ctx context.Context, tenantID string, now time.Time, limit int) ([]RetentionDue, error) {
	var policies []RetentionPolicy
	q := s.DB.WithContext(ctx)
	if tenantID != "" {
		q = q.Where("tenant_id = ?", tenantID)
	}
	if err := q.Find(&policies).Error; err != nil {
		return nil, fmt.Errorf("load retention policies: %w", err)
	}
	var due []RetentionDue
	for _, p := range policies {
		for _, rule := range []struct {
			days     int
			statuses []string
		}{
			{p.CompletedDays, []string{EnvelopeCompleted}},
			{p.OtherDays, []string{EnvelopeDeclined, EnvelopeVoided, EnvelopeExpired}},
		} {
			if rule.days <= 0 || len(due) >= limit {
				continue
			}
			period := time.Duration(rule.days) * 24 * time.Hour
			var envs []Envelope
			err := s.DB.WithContext(ctx).Select("id", "tenant_id", "status", "ended_at").
				Where("tenant_id = ? AND status IN ? AND ended_at < ? AND documents_deleted_at IS NULL AND legal_hold_reason = ''",
					p.TenantID, rule.statuses, now.Add(-period).UTC()).
				Order("ended_at").Limit(limit - len(due)).Find(&envs).Error
			if err != nil {
				return nil, fmt.Errorf("list envelopes due for retention: %w", err)
			}
			for _, e := range envs {
				due = append(due, RetentionDue{EnvelopeID: e.ID, TenantID: e.TenantID, Status: e.Status, EndedAt: *e.EndedAt,
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
func (s *Store) MarkDocumentsDeleted(ctx context.Context, id string, ev Event) (bool, error) {
	marked := false
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var env Envelope
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id).First(&env).Error; err != nil {
			return fmt.Errorf("load envelope %s: %w", id, err)
		}
		switch {
		case env.DocumentsDeletedAt != nil:
			return nil
		case env.LegalHoldReason != "":
			return ErrLegalHold
		}
		now := time.Now().UTC()
		if err := tx.Model(&Envelope{}).Where("id = ?", id).UpdateColumn("documents_deleted_at", now).Error; err != nil {
			return fmt.Errorf("mark documents deleted: %w", err)
		}
		ev.EnvelopeID, ev.TenantID, ev.Type, ev.Key, ev.OccurredAt = id, env.TenantID, EventDocumentsDeleted, "documents-deleted", now
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
func (s *Store) SetLegalHold(ctx context.Context, tenantID, id, reason string, ev Event) (*Envelope, error) {
	var out *Envelope
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var env Envelope
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ? AND tenant_id = ?", id, tenantID).First(&env).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return fmt.Errorf("envelope %s: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("load envelope %s: %w", id, err)
		}
		out = &env
		if (env.LegalHoldReason != "") == (reason != "") {
			return nil
		}
		if err := tx.Model(&Envelope{}).Where("id = ?", id).UpdateColumn("legal_hold_reason", reason).Error; err != nil {
			return fmt.Errorf("set legal hold: %w", err)
		}
		ev.Type = EventLegalHoldPlaced
		if reason == "" {
			ev.Type = EventLegalHoldReleased
		}
		ev.EnvelopeID, ev.TenantID, ev.Key, ev.OccurredAt = id, tenantID, "legal-hold:"+NewID(), time.Now().UTC()
		ev.EnvelopeStatus, ev.EnvelopeVersion = env.Status, env.Version
		env.LegalHoldReason = reason
		_, err = s.appendEvent(tx, ev)
		return err
	})
	return out, err
}
