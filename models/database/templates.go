package database

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/signflow/signflow/models"
	"gorm.io/gorm"
)

// CreateTemplate stores a template with its first version.
func (s *Store) CreateTemplate(ctx context.Context, t *models.Template, v models.TemplateVersion) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(t).Error; err != nil {
			return fmt.Errorf("create template %s: %w", t.ID, err)
		}
		v.TemplateID, v.Version = t.ID, t.Version
		if err := tx.Create(&v).Error; err != nil {
			return fmt.Errorf("create version %d of template %s: %w", v.Version, t.ID, err)
		}
		return nil
	})
}

// AddTemplateVersion makes v the template's newest version, if the
// template's newest is still previous; ErrConflict when another edit came
// first, ErrNotFound when the template is gone.
func (s *Store) AddTemplateVersion(ctx context.Context, tenantID, id string, previous int, v models.TemplateVersion, now time.Time) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&models.Template{}).Where("tenant_id = ? AND id = ? AND version = ? AND deleted_at IS NULL", tenantID, id, previous).
			Updates(map[string]any{"version": previous + 1, "name": v.Name, "updated_at": now})
		if res.Error != nil {
			return fmt.Errorf("advance template %s: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			if _, err := s.template(tx, tenantID, id); err != nil {
				return err
			}
			return models.ErrConflict
		}
		v.TemplateID, v.Version, v.CreatedAt = id, previous+1, now
		if err := tx.Create(&v).Error; err != nil {
			return fmt.Errorf("create version %d of template %s: %w", v.Version, id, err)
		}
		return nil
	})
}

// GetTemplate is a tenant's template that has not been deleted.
func (s *Store) GetTemplate(ctx context.Context, tenantID, id string) (*models.Template, error) {
	return s.template(s.DB.WithContext(ctx), tenantID, id)
}

func (s *Store) template(db *gorm.DB, tenantID, id string) (*models.Template, error) {
	var t models.Template
	err := db.Where("tenant_id = ? AND id = ? AND deleted_at IS NULL", tenantID, id).First(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, models.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load template %s: %w", id, err)
	}
	return &t, nil
}

// GetTemplateVersion is one version of a tenant's template; a deleted
// template's versions stay readable, as envelopes name them.
func (s *Store) GetTemplateVersion(ctx context.Context, tenantID, id string, version int) (*models.TemplateVersion, error) {
	var v models.TemplateVersion
	err := s.DB.WithContext(ctx).Joins("JOIN templates ON templates.id = template_versions.template_id").
		Where("templates.tenant_id = ? AND template_versions.template_id = ? AND template_versions.version = ?", tenantID, id, version).
		First(&v).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, models.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load version %d of template %s: %w", version, id, err)
	}
	return &v, nil
}

// ListTemplates is a tenant's templates, newest first.
func (s *Store) ListTemplates(ctx context.Context, tenantID string, limit int) ([]models.Template, error) {
	var ts []models.Template
	err := s.DB.WithContext(ctx).Where("tenant_id = ? AND deleted_at IS NULL", tenantID).Order("id DESC").Limit(limit).Find(&ts).Error
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	return ts, nil
}

// DeleteTemplate stops a template from making envelopes; its versions stay
// for the envelopes that name them.
func (s *Store) DeleteTemplate(ctx context.Context, tenantID, id string, now time.Time) error {
	res := s.DB.WithContext(ctx).Model(&models.Template{}).Where("tenant_id = ? AND id = ? AND deleted_at IS NULL", tenantID, id).
		Update("deleted_at", now)
	if res.Error != nil {
		return fmt.Errorf("delete template %s: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return models.ErrNotFound
	}
	return nil
}
