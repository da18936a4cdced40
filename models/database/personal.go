package database

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/signflow/signflow/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// sealPersonal moves e's personal fields into e.Sealed under the
// recipient's key, creating the key on their first event. Events not
// about a recipient, and stores without a sealer, keep them in clear.
func (s *Store) sealPersonal(tx *gorm.DB, e *models.Event) error {
	if s == nil || s.PersonalDataKeys == nil || e.RecipientID == "" {
		return nil
	}
	aead, erased, err := s.recipientCipher(tx, e.TenantID, e.RecipientID)
	if err != nil {
		return err
	}
	if erased {
		e.Actor, e.IP, e.UserAgent, e.Details, e.Sealed = "", "", "", nil, sealedErased
		return nil
	}
	plain, err := json.Marshal(personalFields{Actor: e.Actor, IP: e.IP, UserAgent: e.UserAgent, Details: e.Details})
	if err != nil {
		return fmt.Errorf("encode personal data of event %s: %w", e.Type, err)
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	_, _ = rand.Read(nonce)
	e.Sealed = sealedV1 + base64.StdEncoding.EncodeToString(aead.Seal(nonce, nonce, plain, []byte(e.ID)))
	e.Actor, e.IP, e.UserAgent, e.Details = "", "", "", nil
	return nil
}

// recipientCipher is the recipient's own key, made on first use; erased
// says it is gone.
func (s *Store) recipientCipher(tx *gorm.DB, tenantID, recipientID string) (cipher.AEAD, bool, error) {
	var k models.RecipientKey
	err := tx.Where("recipient_id = ?", recipientID).Take(&k).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		raw := make([]byte, 32)
		_, _ = rand.Read(raw)
		kid, wrapped := s.PersonalDataKeys.Seal(raw, []byte("recipient-key:"+recipientID))
		k = models.RecipientKey{RecipientID: recipientID, TenantID: tenantID, SealedKey: kid + ":" + base64.StdEncoding.EncodeToString(wrapped),
			CreatedAt: time.Now().UTC()}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&k).Error; err != nil {
			return nil, false, fmt.Errorf("create recipient key: %w", err)
		}
		err = tx.Where("recipient_id = ?", recipientID).Take(&k).Error // a concurrent first event's key wins
	}
	if err != nil {
		return nil, false, fmt.Errorf("load recipient key: %w", err)
	}
	if k.SealedKey == "" {
		return nil, true, nil
	}
	aead, err := s.openRecipientKey(k)
	return aead, false, err
}

func (s *Store) openRecipientKey(k models.RecipientKey) (cipher.AEAD, error) {
	kid, encoded, _ := strings.Cut(k.SealedKey, ":")
	wrapped, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return nil, fmt.Errorf("recipient key %s is damaged", k.RecipientID)
	}
	raw, err := s.PersonalDataKeys.Open(kid, wrapped, []byte("recipient-key:"+k.RecipientID))
	if err != nil {
		return nil, fmt.Errorf("recipient key %s: %w", k.RecipientID, err)
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, fmt.Errorf("recipient key %s: %w", k.RecipientID, err)
	}
	return cipher.NewGCM(block)
}

// openPersonal puts back the personal fields of sealed events, or marks
// them erased. A sealed event whose personal columns are not empty was
// changed beneath the trail: its seal is marked so the chain reports it.
func (s *Store) openPersonal(ctx context.Context, evs []models.Event) error {
	var ids []string
	for _, e := range evs {
		if strings.HasPrefix(e.Sealed, sealedV1) {
			ids = append(ids, e.RecipientID)
		}
	}
	keys := map[string]models.RecipientKey{}
	if len(ids) > 0 {
		if s.PersonalDataKeys == nil {
			return errors.New("the audit trail's personal data is sealed, and this process has no SIGNFLOW_DATA_KEYS to open it")
		}
		var rows []models.RecipientKey
		if err := s.DB.WithContext(ctx).Where("recipient_id IN ?", ids).Find(&rows).Error; err != nil {
			return fmt.Errorf("load recipient keys: %w", err)
		}
		for _, k := range rows {
			keys[k.RecipientID] = k
		}
	}
	ciphers := map[string]cipher.AEAD{}
	for i := range evs {
		e := &evs[i]
		if e.Sealed == "" {
			continue
		}
		if e.Actor != "" || e.IP != "" || e.UserAgent != "" || len(e.Details) > 0 {
			e.Sealed = sealedAltered + e.Sealed
			continue
		}
		k, ok := keys[e.RecipientID]
		if e.Sealed == sealedErased || !ok || k.SealedKey == "" {
			e.Details = models.ErasedDetails
			continue
		}
		aead, ok := ciphers[k.RecipientID]
		if !ok {
			var err error
			if aead, err = s.openRecipientKey(k); err != nil {
				return err
			}
			ciphers[k.RecipientID] = aead
		}
		sealed, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(e.Sealed, sealedV1))
		if err != nil || len(sealed) < aead.NonceSize() {
			e.Sealed = sealedAltered + e.Sealed
			continue
		}
		plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(e.ID))
		if err != nil {
			e.Sealed = sealedAltered + e.Sealed
			continue
		}
		var p personalFields
		if err := json.Unmarshal(plain, &p); err != nil {
			return fmt.Errorf("decode personal data of event %d: %w", e.Seq, err)
		}
		e.Actor, e.IP, e.UserAgent, e.Details = p.Actor, p.IP, p.UserAgent, p.Details
	}
	return nil
}

const (
	sealedV1 = "v1:"
	// sealedErased marks an event about a recipient whose data was
	// already erased when it was written: it holds no personal data.
	sealedErased = "erased"
	// sealedAltered marks, on reading, a sealed event whose personal
	// columns are not empty: a change made beneath the trail, which the
	// chain must report.
	sealedAltered = "altered:"
)

// personalFields are the fields of an event that are sealed.
type personalFields struct {
	Actor     string         `json:"actor,omitempty"`
	IP        string         `json:"ip,omitempty"`
	UserAgent string         `json:"user_agent,omitempty"`
	Details   map[string]any `json:"details,omitempty"`
}
