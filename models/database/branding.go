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
	return s.saveTenantRow(ctx, &b, "branding")
}

// BrandingOf is a tenant's branding; a tenant without any has an empty one.
func (s *Store) BrandingOf(ctx context.Context, tenantID string) (models.Branding, error) {
	b, err := tenantRow[models.Branding](ctx, s.DB, tenantID, "branding")
	b.TenantID = tenantID
	return b, err
}

// saveTenantRow stores a row of a table of one row per tenant (settings),
// replacing the tenant's row.
func (s *Store) saveTenantRow(ctx context.Context, row any, what string) error {
	if err := s.DB.WithContext(ctx).Clauses(clause.OnConflict{UpdateAll: true}).Create(row).Error; err != nil {
		return fmt.Errorf("store %s: %w", what, err)
	}
	return nil
}

// tenantRow is a tenant's row of a table of one row per tenant, or the
// zero row when it has none.
func tenantRow[T any](ctx context.Context, db *gorm.DB, tenantID, what string) (T, error) {
	var row T
	err := db.WithContext(ctx).Where("tenant_id = ?", tenantID).Take(&row).Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return row, fmt.Errorf("load %s: %w", what, err)
	}
	return row, nil
}
