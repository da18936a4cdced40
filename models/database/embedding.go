package database

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/signflow/signflow/models"
)

// ErrTicketSpent is an embedded-session ticket already used or expired.
var ErrTicketSpent = errors.New("the embedded session has been opened already or has expired")

// SetEmbedSettings stores a tenant's embedding origins.
func (s *Store) SetEmbedSettings(ctx context.Context, e models.EmbedSettings) error {
	e.UpdatedAt = time.Now().UTC()
	return s.saveTenantRow(ctx, &e, "embedding origins")
}

// EmbedSettingsOf is a tenant's embedding origins; a tenant without any
// allows no framing.
func (s *Store) EmbedSettingsOf(ctx context.Context, tenantID string) (models.EmbedSettings, error) {
	e, err := tenantRow[models.EmbedSettings](ctx, s.DB, tenantID, "embedding origins")
	e.TenantID = tenantID
	return e, err
}

// CreateEmbedTicket stores a new ticket.
func (s *Store) CreateEmbedTicket(ctx context.Context, t *models.EmbedTicket) error {
	if err := s.DB.WithContext(ctx).Create(t).Error; err != nil {
		return fmt.Errorf("store embedded-session ticket: %w", err)
	}
	return nil
}

// UseEmbedTicket spends the ticket of hash at now: it opens once, before
// it expires, however many requests race for it. ErrNotFound for a hash no
// ticket has, ErrTicketSpent for one used or expired.
func (s *Store) UseEmbedTicket(ctx context.Context, hash string, now time.Time) (*models.EmbedTicket, error) {
	res := s.DB.WithContext(ctx).Model(&models.EmbedTicket{}).
		Where("token_hash = ? AND used_at IS NULL AND expires_at > ?", hash, now).Update("used_at", now)
	if res.Error != nil {
		return nil, fmt.Errorf("use embedded-session ticket: %w", res.Error)
	}
	var t models.EmbedTicket
	err := s.DB.WithContext(ctx).Where("token_hash = ?", hash).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, models.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load embedded-session ticket: %w", err)
	}
	if res.RowsAffected == 0 {
		return nil, ErrTicketSpent
	}
	return &t, nil
}

// CreateEditorSession stores a new field editor's token.
func (s *Store) CreateEditorSession(ctx context.Context, e *models.EditorSession) error {
	if err := s.DB.WithContext(ctx).Create(e).Error; err != nil {
		return fmt.Errorf("store editor session: %w", err)
	}
	return nil
}

// EditorSessionByHash is the editor session of a token's hash, if it has
// not expired at now; ErrNotFound otherwise.
func (s *Store) EditorSessionByHash(ctx context.Context, hash string, now time.Time) (*models.EditorSession, error) {
	var e models.EditorSession
	err := s.DB.WithContext(ctx).Where("token_hash = ? AND expires_at > ?", hash, now).Take(&e).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, models.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load editor session: %w", err)
	}
	return &e, nil
}
