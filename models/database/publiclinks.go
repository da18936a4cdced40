package database

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/signflow/signflow/models"
)

// ErrLinkUsedUp is a self-serve link that is off, expired or at its
// number of uses.
var ErrLinkUsedUp = errors.New("the link makes no more envelopes")

// SetPublicLink stores a template's self-serve link as given.
func (s *Store) SetPublicLink(ctx context.Context, l *models.PublicLink) error {
	l.UpdatedAt = time.Now().UTC()
	if err := s.DB.WithContext(ctx).Clauses(clause.OnConflict{UpdateAll: true}).Create(l).Error; err != nil {
		return fmt.Errorf("store public link: %w", err)
	}
	return nil
}

// PublicLinkOf is a tenant's template's link; ErrNotFound when it has none.
func (s *Store) PublicLinkOf(ctx context.Context, tenantID, templateID string) (*models.PublicLink, error) {
	return s.publicLink(ctx, "tenant_id = ? AND template_id = ?", tenantID, templateID)
}

// PublicLinkByHash is the link whose token has hash; ErrNotFound when none.
func (s *Store) PublicLinkByHash(ctx context.Context, hash string) (*models.PublicLink, error) {
	return s.publicLink(ctx, "token_hash = ?", hash)
}

func (s *Store) publicLink(ctx context.Context, where string, args ...any) (*models.PublicLink, error) {
	var l models.PublicLink
	err := s.DB.WithContext(ctx).Where(where, args...).Take(&l).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, models.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load public link: %w", err)
	}
	return &l, nil
}

// UsePublicLink counts one use of the link of hash, at now, unless it is
// off, expired or used up: parallel visitors never exceed its bound.
func (s *Store) UsePublicLink(ctx context.Context, hash string, now time.Time) error {
	res := s.DB.WithContext(ctx).Model(&models.PublicLink{}).
		Where("token_hash = ? AND enabled AND (max_uses = 0 OR uses < max_uses) AND (expires_at IS NULL OR expires_at > ?)", hash, now).
		UpdateColumn("uses", gorm.Expr("uses + 1"))
	if res.Error != nil {
		return fmt.Errorf("use public link: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrLinkUsedUp
	}
	return nil
}

// UnusePublicLink gives back a use that made no envelope.
func (s *Store) UnusePublicLink(ctx context.Context, hash string) error {
	err := s.DB.WithContext(ctx).Model(&models.PublicLink{}).Where("token_hash = ? AND uses > 0", hash).
		UpdateColumn("uses", gorm.Expr("uses - 1")).Error
	if err != nil {
		return fmt.Errorf("give back a public link's use: %w", err)
	}
	return nil
}
