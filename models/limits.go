package models

import (
	"time"
)

// RateCounter counts hits on one bucket (a link, an address, a recipient's
// wrong codes) since its window began. Limits are decided by the database,
// so they hold across API replicas and against parallel requests.
type RateCounter struct {
	Bucket      string    `gorm:"primaryKey;size:200"`
	WindowStart time.Time `gorm:"not null;index"`
	Hits        int       `gorm:"not null"`
}
