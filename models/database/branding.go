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

// SetBranding stores a tenant's branding, replacing what it had.
func (s *Store) SetBranding(ctx context.Context, b models.Branding) error {
	b.UpdatedAt = time.Now().UTC()
	if err := s.DB.WithContext(ctx).Clauses(clause.OnConflict{UpdateAll: true}).Create(&b).Error; err != nil {
		return fmt.Errorf("store branding: %w", err)
	}
	return nil
}

// BrandingOf is a tenant's branding; a tenant without any has an empty one.
func (s *Store) BrandingOf(ctx context.Context, tenantID string) (models.Branding, error) {
	var b models.Branding
	err := s.DB.WithContext(ctx).Where("tenant_id = ?", tenantID).Take(&b).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return models.Branding{TenantID: tenantID}, nil
	}
	if err != nil {
		return b, fmt.Errorf("load branding: %w", err)
	}
	return b, nil
}
