package models

import "time"

// PublicLink is a template's self-serve link: anyone who has it may give a
// name and an email and sign the template's envelope, as its own envelope.
// Its token derives from the template and Generation under the link key,
// so it can be shown again; a rotation moves to the next generation.
type PublicLink struct {
	TemplateID string `gorm:"primaryKey;size:36"`
	TenantID   string `gorm:"size:64;not null"`
	Generation int    `gorm:"not null"`
	TokenHash  string `gorm:"size:64;not null;uniqueIndex"`
	Enabled    bool   `gorm:"not null"`
	// MaxUses bounds the envelopes it makes; 0 is no bound.
	MaxUses   int `gorm:"not null;default:0"`
	Uses      int `gorm:"not null;default:0"`
	ExpiresAt *time.Time
	UpdatedAt time.Time
}

// Usable says the link makes an envelope now.
func (l *PublicLink) Usable(now time.Time) bool {
	return l.Enabled && (l.MaxUses == 0 || l.Uses < l.MaxUses) && (l.ExpiresAt == nil || now.Before(*l.ExpiresAt))
}
