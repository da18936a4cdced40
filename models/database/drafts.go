package database

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/signflow/signflow/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// draftAAD binds a sealed draft to its recipient and link generation, so
// that no row can be moved to another.
func draftAAD(recipientID string, generation int) []byte {
	return []byte("draft:" + recipientID + "/" + strconv.Itoa(generation))
}

// SaveDraft keeps what recipient r has entered so far in their current
// link generation, replacing the draft before it.
func (s *Store) SaveDraft(ctx context.Context, r *models.Recipient, plain []byte, now time.Time) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		sealed := "clear:" + string(plain)
		if s.PersonalDataKeys != nil {
			aead, erased, err := s.recipientCipher(tx, r.TenantID, r.ID)
			if err != nil {
				return err
			}
			if erased {
				return fmt.Errorf("recipient %s is erased: %w", r.ID, models.ErrNotFound)
			}
			nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
			_, _ = rand.Read(nonce)
			sealed = sealedV1 + base64.StdEncoding.EncodeToString(aead.Seal(nonce, nonce, plain, draftAAD(r.ID, r.LinkGeneration)))
		}
		d := models.SigningDraft{RecipientID: r.ID, LinkGeneration: r.LinkGeneration, TenantID: r.TenantID, Sealed: sealed, UpdatedAt: now.UTC()}
		err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "recipient_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"link_generation", "sealed", "updated_at"})}).Create(&d).Error
		if err != nil {
			return fmt.Errorf("save draft of recipient %s: %w", r.ID, err)
		}
		return nil
	})
}

// Draft is recipient r's draft of their current link generation, nil when
// there is none (or it belongs to an earlier link, or the key is erased).
func (s *Store) Draft(ctx context.Context, r *models.Recipient) ([]byte, error) {
	var d models.SigningDraft
	err := s.DB.WithContext(ctx).Where("recipient_id = ? AND link_generation = ?", r.ID, r.LinkGeneration).Take(&d).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load draft of recipient %s: %w", r.ID, err)
	}
	if plain, ok := strings.CutPrefix(d.Sealed, "clear:"); ok {
		return []byte(plain), nil
	}
	if s.PersonalDataKeys == nil {
		return nil, errors.New("the draft is sealed, and this process has no SIGNFLOW_DATA_KEYS to open it")
	}
	var k models.RecipientKey
	if err := s.DB.WithContext(ctx).Where("recipient_id = ?", r.ID).Take(&k).Error; err != nil || k.SealedKey == "" {
		return nil, nil // erased: the draft went with the key
	}
	aead, err := s.openRecipientKey(k)
	if err != nil {
		return nil, err
	}
	sealed, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(d.Sealed, sealedV1))
	if err != nil || len(sealed) < aead.NonceSize() {
		return nil, fmt.Errorf("draft of recipient %s is damaged", r.ID)
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], draftAAD(r.ID, d.LinkGeneration))
	if err != nil {
		return nil, fmt.Errorf("draft of recipient %s does not open: %w", r.ID, err)
	}
	return plain, nil
}

// DeleteDraft drops recipient r's draft: they signed, declined or handed
// their part on.
func (s *Store) DeleteDraft(ctx context.Context, recipientID string) error {
	if err := s.DB.WithContext(ctx).Where("recipient_id = ?", recipientID).Delete(&models.SigningDraft{}).Error; err != nil {
		return fmt.Errorf("delete draft of recipient %s: %w", recipientID, err)
	}
	return nil
}
