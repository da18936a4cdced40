package database

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/signflow/signflow/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// keepFormerIdentity records who holds recipient r before a reissue to
// generation gives the slot a new name or email; a replay of the same
// reissue records nothing more.
func keepFormerIdentity(tx *gorm.DB, r models.Recipient, generation int, name, email string, at time.Time) error {
	changed := (name != "" && name != r.Name) || (email != "" && !strings.EqualFold(email, r.Email))
	if r.LinkGeneration >= generation || !changed || r.ErasedAt != nil {
		return nil
	}
	f := models.FormerIdentity{RecipientID: r.ID, LinkGeneration: r.LinkGeneration, EnvelopeID: r.EnvelopeID, TenantID: r.TenantID,
		Name: r.Name, Email: r.Email, ReplacedAt: at.UTC()}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&f).Error; err != nil {
		return fmt.Errorf("keep the former holder of recipient %s: %w", r.ID, err)
	}
	return nil
}

// EraseFormerIdentity erases a former holder of a recipient's slot: their
// name and email, and the address of the emails sent to them, with an
// audit event that names the slot only. The trail's entries they caused
// stay sealed under the slot's key, which the slot's erasure or the
// envelope's end of retention shreds.
func (s *Store) EraseFormerIdentity(ctx context.Context, f models.FormerIdentity, reason string, ev models.Event) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := time.Now().UTC()
		res := tx.Model(&models.FormerIdentity{}).Where("recipient_id = ? AND link_generation = ? AND erased_at IS NULL", f.RecipientID, f.LinkGeneration).
			Updates(map[string]any{"name": models.ErasedName, "email": models.ErasedEmail(f.RecipientID), "erased_at": now})
		if res.Error != nil {
			return fmt.Errorf("erase former holder of %s: %w", f.RecipientID, res.Error)
		}
		if res.RowsAffected == 0 {
			return nil // erased before
		}
		if err := tx.Model(&models.QueuedNotification{}).Where("recipient_id = ? AND LOWER(email) = LOWER(?)", f.RecipientID, f.Email).
			Update("email", models.ErasedEmail(f.RecipientID)).Error; err != nil {
			return fmt.Errorf("erase outbox addresses: %w", err)
		}
		var env models.Envelope
		if err := tx.Select("status", "version").Where("id = ?", f.EnvelopeID).Take(&env).Error; err != nil {
			return fmt.Errorf("load envelope %s: %w", f.EnvelopeID, err)
		}
		ev.EnvelopeID, ev.TenantID, ev.Type, ev.OccurredAt = f.EnvelopeID, f.TenantID, models.EventDataSubjectErased, now
		ev.Key = fmt.Sprintf("erased:%s:%d", f.RecipientID, f.LinkGeneration)
		ev.EnvelopeStatus, ev.EnvelopeVersion = env.Status, env.Version
		ev.Details = map[string]any{"recipient_id": f.RecipientID, "link_generation": f.LinkGeneration, "reason": reason}
		_, err := s.appendEvent(tx, ev)
		return err
	})
}
