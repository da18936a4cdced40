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

// EraseRecipient erases a recipient's personal data (GDPR article 17) in
// one transaction: their key, so every event about them can no longer be
// opened; their name, email, access code and decline reason; the values
// they entered; the address their emails went to; the stored answers of
// requests that held them. An audit event without personal data records
// it. It answers the blob keys of their drawn signatures, which the caller
// deletes. An envelope under a legal hold, or still in progress, is
// refused; a recipient already erased is erased again harmlessly.
func (s *Store) EraseRecipient(ctx context.Context, tenantID, recipientID, reason string, ev models.Event) ([]string, error) {
	var images []string
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var r models.Recipient
		err := tx.Where("id = ? AND tenant_id = ?", recipientID, tenantID).Take(&r).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return fmt.Errorf("recipient %s: %w", recipientID, models.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("load recipient: %w", err)
		}
		var env models.Envelope
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", r.EnvelopeID).Take(&env).Error; err != nil {
			return fmt.Errorf("load envelope %s: %w", r.EnvelopeID, err)
		}
		switch {
		case env.LegalHoldReason != "":
			return models.ErrLegalHold
		case !models.IsTerminal(env.Status):
			return models.ErrStillOpen
		}
		now := time.Now().UTC()
		key := models.RecipientKey{RecipientID: r.ID, TenantID: tenantID, SealedKey: "", CreatedAt: now, ErasedAt: &now}
		if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "recipient_id"}},
			DoUpdates: clause.Assignments(map[string]any{"sealed_key": "", "erased_at": now})}).Create(&key).Error; err != nil {
			return fmt.Errorf("erase recipient key: %w", err)
		}
		if err := tx.Model(&models.Recipient{}).Where("id = ?", r.ID).Updates(map[string]any{"name": models.ErasedName, "email": models.ErasedEmail(r.ID),
			"access_code_hash": "", "decline_reason": "", "phone": "", "erased_at": now, "erased_reason": reason}).Error; err != nil {
			return fmt.Errorf("erase recipient: %w", err)
		}
		var fields []models.Field
		if err := tx.Where("recipient_id = ?", r.ID).Find(&fields).Error; err != nil {
			return fmt.Errorf("load fields: %w", err)
		}
		for _, f := range fields {
			if f.ImageKey != "" {
				images = append(images, f.ImageKey)
			}
		}
		if err := tx.Model(&models.Field{}).Where("recipient_id = ?", r.ID).Updates(map[string]any{"value": "", "image_key": ""}).Error; err != nil {
			return fmt.Errorf("erase values: %w", err)
		}
		if err := tx.Model(&models.QueuedNotification{}).Where("recipient_id = ?", r.ID).Updates(map[string]any{"email": models.ErasedEmail(r.ID), "phone": ""}).Error; err != nil {
			return fmt.Errorf("erase outbox addresses: %w", err)
		}
		if err := tx.Where("recipient_id = ?", r.ID).Delete(&models.SigningDraft{}).Error; err != nil {
			return fmt.Errorf("erase draft: %w", err)
		}
		if err := tx.Where("resource_id = ?", env.ID).Delete(&models.IdempotencyKey{}).Error; err != nil {
			return fmt.Errorf("drop stored answers: %w", err)
		}
		ev.EnvelopeID, ev.TenantID, ev.Type, ev.Key, ev.OccurredAt = env.ID, tenantID, models.EventDataSubjectErased, "erased:"+r.ID, now
		ev.EnvelopeStatus, ev.EnvelopeVersion = env.Status, env.Version
		ev.Details = map[string]any{"recipient_id": r.ID, "reason": reason}
		_, err = s.appendEvent(tx, ev)
		return err
	})
	return images, err
}
