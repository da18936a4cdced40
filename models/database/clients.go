package database

import (
	"context"
	"fmt"
	"time"

	"github.com/signflow/signflow/models"
	"gorm.io/gorm/clause"
)

// CreateClient stores a new API client.
func (s *Store) CreateClient(ctx context.Context, c models.APIClient) error {
	if err := s.DB.WithContext(ctx).Create(&c).Error; err != nil {
		return fmt.Errorf("create client: %w", err)
	}
	return nil
}

// GetClient finds a client by ID, revoked or not.
func (s *Store) GetClient(ctx context.Context, id string) (*models.APIClient, error) {
	return findOne[models.APIClient](s.DB.WithContext(ctx).Where("id = ?", id), "client "+id)
}

// ListClients lists every client, oldest first.
func (s *Store) ListClients(ctx context.Context) ([]models.APIClient, error) {
	var cs []models.APIClient
	if err := s.DB.WithContext(ctx).Order("created_at, id").Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	return cs, nil
}

// RevokeClient ends a client: its tokens are refused from the next request.
func (s *Store) RevokeClient(ctx context.Context, id string, at time.Time) error {
	res := s.DB.WithContext(ctx).Model(&models.APIClient{}).Where("id = ? AND revoked_at IS NULL", id).Update("revoked_at", at)
	if res.Error != nil {
		return fmt.Errorf("revoke client %s: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		if _, err := s.GetClient(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// TokenKeysSince returns the keys created at or after t, newest first.
func (s *Store) TokenKeysSince(ctx context.Context, t time.Time) ([]models.TokenKey, error) {
	var ks []models.TokenKey
	if err := s.DB.WithContext(ctx).Where("created_at >= ?", t.UTC()).Order("created_at DESC, id DESC").Find(&ks).Error; err != nil {
		return nil, fmt.Errorf("load token keys: %w", err)
	}
	return ks, nil
}

// AddTokenKey stores a key unless one with its ID exists: API processes that
// rotate at once agree on the first one written.
func (s *Store) AddTokenKey(ctx context.Context, k models.TokenKey) error {
	k.CreatedAt = k.CreatedAt.UTC()
	if err := s.DB.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&k).Error; err != nil {
		return fmt.Errorf("add token key: %w", err)
	}
	return nil
}
