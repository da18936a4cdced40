package models

import (
	"time"
)

// Template is a reusable envelope: its versions hold the documents,
// roles, fields and settings. Envelopes record the version they came from,
// and a version never changes once written, so editing a template never
// touches an envelope already sent.
type Template struct {
	ID       string `gorm:"primaryKey;size:36"`
	TenantID string `gorm:"size:64;not null;index"`
	Name     string `gorm:"not null"`
	// Version is the newest version, the one new envelopes use.
	Version   int `gorm:"not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
	DeletedAt *time.Time
}

// TemplateVersion is one version of a template. Definition is the
// signing package's JSON of it; documents are blobs it names.
type TemplateVersion struct {
	TemplateID string `gorm:"primaryKey;size:36"`
	Version    int    `gorm:"primaryKey"`
	Name       string `gorm:"not null"`
	Definition string `gorm:"not null"`
	CreatedAt  time.Time
}
