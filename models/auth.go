package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// CreateOTP stores a new code's hash.
func (s *Store) CreateOTP(ctx context.Context, code OTPCode) error {
	if err := s.DB.WithContext(ctx).Create(&code).Error; err != nil {
		return fmt.Errorf("store one-time code: %w", err)
	}
	return nil
}

// OTPsSince counts the codes issued to a recipient since t.
func (s *Store) OTPsSince(ctx context.Context, recipientID string, t time.Time) (int64, error) {
	var n int64
	err := s.DB.WithContext(ctx).Model(&OTPCode{}).Where("recipient_id = ? AND created_at >= ?", recipientID, t).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count one-time codes: %w", err)
	}
	return n, nil
}

// LatestOTP is the recipient's newest code, or ErrNotFound.
func (s *Store) LatestOTP(ctx context.Context, recipientID string) (*OTPCode, error) {
	var code OTPCode
	err := s.DB.WithContext(ctx).Where("recipient_id = ?", recipientID).Order("created_at DESC").First(&code).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load one-time code: %w", err)
	}
	return &code, nil
}

// FailOTP counts a wrong try against a code.
func (s *Store) FailOTP(ctx context.Context, id string) error {
	err := s.DB.WithContext(ctx).Model(&OTPCode{}).Where("id = ?", id).Update("attempts", gorm.Expr("attempts + 1")).Error
	if err != nil {
		return fmt.Errorf("count wrong code: %w", err)
	}
	return nil
}

// UseOTP spends a code; it reports false if another request spent it first.
func (s *Store) UseOTP(ctx context.Context, id string, at time.Time) (bool, error) {
	res := s.DB.WithContext(ctx).Model(&OTPCode{}).Where("id = ? AND used_at IS NULL", id).Update("used_at", at)
	if res.Error != nil {
		return false, fmt.Errorf("spend one-time code: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// CreateSession stores a verified signing session.
func (s *Store) CreateSession(ctx context.Context, session SigningSession) error {
	if err := s.DB.WithContext(ctx).Create(&session).Error; err != nil {
		return fmt.Errorf("store signing session: %w", err)
	}
	return nil
}

// SessionByTokenHash finds a session by its token's hash, or ErrNotFound.
func (s *Store) SessionByTokenHash(ctx context.Context, hash string) (*SigningSession, error) {
	return findOne[SigningSession](s.DB.WithContext(ctx).Where("token_hash = ?", hash), "signing session")
}

// FailuresSince counts failed verification attempts since t for a
// recipient and from an IP address, from the audit trail, so the limits
// hold across API replicas.
func (s *Store) FailuresSince(ctx context.Context, recipientID, ip string, t time.Time) (forRecipient, fromIP int64, err error) {
	q := s.DB.WithContext(ctx).Model(&Event{}).Where("type = ? AND occurred_at >= ?", EventAuthFailed, t)
	if err = q.Session(&gorm.Session{}).Where("recipient_id = ?", recipientID).Count(&forRecipient).Error; err != nil {
		return 0, 0, fmt.Errorf("count failed attempts: %w", err)
	}
	if err = q.Session(&gorm.Session{}).Where("ip = ?", ip).Count(&fromIP).Error; err != nil {
		return 0, 0, fmt.Errorf("count failed attempts: %w", err)
	}
	return forRecipient, fromIP, nil
}
