package models

import (
	"time"
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
