package models

import "time"

// Branding is how a tenant presents itself to its signers: the name they
// see as the sender, the colour of the signing page's buttons, and a logo
// (a PNG). A tenant without any is shown as Signflow's.
type Branding struct {
	TenantID  string `gorm:"primaryKey;size:64"`
	Name      string `gorm:"not null;default:''"`
	Color     string `gorm:"size:7;not null;default:''"`
	Logo      []byte
	UpdatedAt time.Time
}
