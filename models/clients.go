package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// Scopes an API client may hold.
const (
	ScopeEnvelopesRead  = "envelopes:read"
	ScopeEnvelopesWrite = "envelopes:write"
	ScopeWebhooksManage = "webhooks:manage"
	ScopeAuditRead      = "audit:read"
	// ScopePayloadsDecode lets an operator's Temporal Web UI read the
	// encrypted payloads through the codec endpoint; grant it to operators,
	// not integrators.
	ScopePayloadsDecode = "payloads:decode"
	// ScopeComplianceManage sets the retention policy and legal holds.
	ScopeComplianceManage = "compliance:manage"
)

// Scopes lists every scope, in the order they are documented.
var Scopes = []string{ScopeEnvelopesRead, ScopeEnvelopesWrite, ScopeWebhooksManage, ScopeAuditRead, ScopePayloadsDecode, ScopeComplianceManage}

// DefaultScopes are what a new tenant's client holds unless more are
// asked for: an integrator's work, not the operator's (payloads:decode) nor
// the compliance officer's (compliance:manage).
var DefaultScopes = []string{ScopeEnvelopesRead, ScopeEnvelopesWrite, ScopeWebhooksManage, ScopeAuditRead}

// OperatorScopes are what a client without a tenant, an operator's, may
// hold: it reads Temporal's payloads and no tenant's data.
var OperatorScopes = []string{ScopePayloadsDecode}

// APIClient is an integrator's OAuth 2.0 client. Its secret is 256 random
// bits, so a SHA-256 of it is as good as a slow hash and cheap to check.
type APIClient struct {
	ID         string   `gorm:"primaryKey;size:64"`
	TenantID   string   `gorm:"size:64;not null;index"`
	Name       string   `gorm:"not null"`
	SecretHash string   `gorm:"size:64;not null"`
	Scopes     []string `gorm:"serializer:json"`
	CreatedAt  time.Time
	RevokedAt  *time.Time
}

// TokenKey is a key that signs access tokens. Keys rotate: the newest signs,
// older ones stay published until every token they signed has expired.
type TokenKey struct {
	ID            string `gorm:"primaryKey;size:64"`
	PrivateKeyPEM string `gorm:"not null"`
	CreatedAt     time.Time
}

// CreateClient stores a new API client.
func (s *Store) CreateClient(ctx context.Context, c APIClient) error {
	if err := s.DB.WithContext(ctx).Create(&c).Error; err != nil {
		return fmt.Errorf("create client: %w", err)
	}
	return nil
}

// GetClient finds a client by ID, revoked or not.
func (s *Store) GetClient(ctx context.Context, id string) (*APIClient, error) {
	return findOne[APIClient](s.DB.WithContext(ctx).Where("id = ?", id), "client "+id)
}

// ListClients lists every client, oldest first.
func (s *Store) ListClients(ctx context.Context) ([]APIClient, error) {
	var cs []APIClient
	if err := s.DB.WithContext(ctx).Order("created_at, id").Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	return cs, nil
}

// RevokeClient ends a client: its tokens are refused from the next request.
func (s *Store) RevokeClient(ctx context.Context, id string, at time.Time) error {
	res := s.DB.WithContext(ctx).Model(&APIClient{}).Where("id = ? AND revoked_at IS NULL", id).Update("revoked_at", at)
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
func (s *Store) TokenKeysSince(ctx context.Context, t time.Time) ([]TokenKey, error) {
	var ks []TokenKey
	if err := s.DB.WithContext(ctx).Where("created_at >= ?", t.UTC()).Order("created_at DESC, id DESC").Find(&ks).Error; err != nil {
		return nil, fmt.Errorf("load token keys: %w", err)
	}
	return ks, nil
}

// AddTokenKey stores a key unless one with its ID exists: API processes that
// rotate at once agree on the first one written.
func (s *Store) AddTokenKey(ctx context.Context, k TokenKey) error {
	k.CreatedAt = k.CreatedAt.UTC()
	if err := s.DB.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&k).Error; err != nil {
		return fmt.Errorf("add token key: %w", err)
	}
	return nil
}
