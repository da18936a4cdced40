package database

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/signflow/signflow/models"
	"gorm.io/gorm"
)

// CreateOTP stores a new code's hash.
func (s *Store) CreateOTP(ctx context.Context, code models.OTPCode) error {
	if err := s.DB.WithContext(ctx).Create(&code).Error; err != nil {
		return fmt.Errorf("store one-time code: %w", err)
	}
	return nil
}

// LatestOTP is the recipient's newest code, or ErrNotFound.
func (s *Store) LatestOTP(ctx context.Context, recipientID string) (*models.OTPCode, error) {
	var code models.OTPCode
	err := s.DB.WithContext(ctx).Where("recipient_id = ?", recipientID).Order("created_at DESC").First(&code).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, models.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load one-time code: %w", err)
	}
	return &code, nil
}

// TryOTP spends one of a code's tries; it reports false once maxTries are
// spent or the code is used. One statement decides, so parallel tries
// cannot overrun the limit.
func (s *Store) TryOTP(ctx context.Context, id string, maxTries int) (bool, error) {
	res := s.DB.WithContext(ctx).Model(&models.OTPCode{}).Where("id = ? AND attempts < ? AND used_at IS NULL", id, maxTries).
		Update("attempts", gorm.Expr("attempts + 1"))
	if res.Error != nil {
		return false, fmt.Errorf("try one-time code: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// UseOTP spends a code; it reports false if another request spent it first.
func (s *Store) UseOTP(ctx context.Context, id string, at time.Time) (bool, error) {
	res := s.DB.WithContext(ctx).Model(&models.OTPCode{}).Where("id = ? AND used_at IS NULL", id).Update("used_at", at)
	if res.Error != nil {
		return false, fmt.Errorf("spend one-time code: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// CreateSession stores a verified signing session.
func (s *Store) CreateSession(ctx context.Context, session models.SigningSession) error {
	if err := s.DB.WithContext(ctx).Create(&session).Error; err != nil {
		return fmt.Errorf("store signing session: %w", err)
	}
	return nil
}

// SessionByTokenHash finds a session by its token's hash, or ErrNotFound.
func (s *Store) SessionByTokenHash(ctx context.Context, hash string) (*models.SigningSession, error) {
	return findOne[models.SigningSession](s.DB.WithContext(ctx).Where("token_hash = ?", hash), "signing session")
}
