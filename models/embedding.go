package models

import "time"

// EmbedSettings are a tenant's terms for embedding: the origins whose pages
// may frame its signing page, and to which an embedded session may return.
type EmbedSettings struct {
	TenantID string `gorm:"primaryKey;size:64"`
	// Origins, space-separated (an origin has no spaces), as
	// scheme://host[:port].
	Origins   string `gorm:"not null;default:''"`
	UpdatedAt time.Time
}

// EmbedTicket opens one embedded signing session: minted by an
// integrator's backend for a recipient, used once by the browser that
// opens it, within minutes. Only its hash is stored.
type EmbedTicket struct {
	TokenHash      string `gorm:"primaryKey;size:64"`
	TenantID       string `gorm:"size:64;not null"`
	EnvelopeID     string `gorm:"size:36;not null"`
	RecipientID    string `gorm:"size:36;not null"`
	LinkGeneration int    `gorm:"not null"`
	// ClientID, AssertedBy and ClientIP are who vouched for the person,
	// how they authenticated them and from which address they asked.
	ClientID   string `gorm:"size:64;not null"`
	AssertedBy string `gorm:"size:100;not null"`
	ClientIP   string `gorm:"size:64;not null"`
	// InPersonHost, when set, names the host before whom the recipient
	// signs on the host's device.
	InPersonHost string `gorm:"size:200;not null;default:''"`
	FrameOrigin  string `gorm:"size:300;not null;default:''"`
	ReturnURL    string `gorm:"size:2000;not null;default:''"`
	CreatedAt    time.Time
	ExpiresAt    time.Time `gorm:"not null"`
	UsedAt       *time.Time
}

// EditorSession lets a browser edit one template's fields for a while, on
// a token an integrator's backend minted for it: never the client's own
// credentials. Only its hash is stored.
type EditorSession struct {
	TokenHash  string `gorm:"primaryKey;size:64"`
	TenantID   string `gorm:"size:64;not null"`
	TemplateID string `gorm:"size:36;not null"`
	ClientID   string `gorm:"size:64;not null"`
	CreatedAt  time.Time
	ExpiresAt  time.Time `gorm:"not null"`
}
