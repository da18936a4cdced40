package models

import (
	"fmt"
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// Migrate brings the schema to the newest version. Each migration is
// frozen: it declares the tables as they were when it was written, so that
// later changes to the structs above never rewrite history. A schema change
// is a new entry at the end of the list.
func Migrate(db *gorm.DB) error {
	m := gormigrate.New(db, &gormigrate.Options{TableName: "schema_migrations", UseTransaction: true}, migrations)
	if err := m.Migrate(); err != nil {
		return fmt.Errorf("migrate schema: %w", err)
	}
	return nil
}

var migrations = []*gormigrate.Migration{
	{ID: "202611250001_initial", Migrate: migrateInitial},
	{ID: "202611250002_append_only_events", Migrate: migrateAppendOnlyEvents},
}

// migrateAppendOnlyEvents makes the database itself refuse to change or
// remove an audit event, whatever code or person holds a connection.
func migrateAppendOnlyEvents(tx *gorm.DB) error {
	var statements []string
	switch tx.Dialector.Name() {
	case "postgres":
		statements = []string{
			`CREATE FUNCTION events_append_only() RETURNS trigger AS $$
			BEGIN
				RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP;
			END;
			$$ LANGUAGE plpgsql`,
			`CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
			FOR EACH ROW EXECUTE FUNCTION events_append_only()`,
			`CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
			FOR EACH STATEMENT EXECUTE FUNCTION events_append_only()`,
		}
	case "sqlite":
		statements = []string{
			`CREATE TRIGGER events_no_update BEFORE UPDATE ON events
			BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused'); END`,
			`CREATE TRIGGER events_no_delete BEFORE DELETE ON events
			BEGIN SELECT RAISE(ABORT, 'audit events are append-only: DELETE refused'); END`,
		}
	default:
		return fmt.Errorf("no append-only trigger for database %s", tx.Dialector.Name())
	}
	for _, stmt := range statements {
		if err := tx.Exec(stmt).Error; err != nil {
			return fmt.Errorf("create append-only trigger: %w", err)
		}
	}
	return nil
}

func migrateInitial(tx *gorm.DB) error {
	type envelope struct {
		ID                      string `gorm:"primaryKey;size:36"`
		TenantID                string `gorm:"size:64;not null;index"`
		Subject                 string `gorm:"not null"`
		Message                 string
		Status                  string `gorm:"size:32;not null;index"`
		Version                 int64  `gorm:"not null"`
		ReminderIntervalSeconds int64
		ReminderCount           int
		ExpiryWarningSeconds    int64
		ExpiresAt               time.Time
		CompletedAt             *time.Time
		CreatedAt               time.Time
		UpdatedAt               time.Time
	}
	type document struct {
		ID             string `gorm:"primaryKey;size:36"`
		EnvelopeID     string `gorm:"size:36;not null;index"`
		TenantID       string `gorm:"size:64;not null"`
		Position       int    `gorm:"not null"`
		Name           string `gorm:"not null"`
		SizeBytes      int64  `gorm:"not null"`
		SHA256         string `gorm:"size:64;not null"`
		PageCount      int    `gorm:"not null"`
		Pages          string
		FinalSHA256    string `gorm:"size:64"`
		FinalSizeBytes int64
		CreatedAt      time.Time
	}
	type recipient struct {
		ID             string `gorm:"primaryKey;size:36"`
		EnvelopeID     string `gorm:"size:36;not null;index"`
		TenantID       string `gorm:"size:64;not null"`
		Position       int    `gorm:"not null"`
		Name           string `gorm:"not null"`
		Email          string `gorm:"not null"`
		Role           string `gorm:"size:16;not null"`
		RoutingOrder   int    `gorm:"not null"`
		Meaning        string
		Authentication string `gorm:"size:16;not null;default:email_otp"`
		AccessCodeHash string
		Status         string `gorm:"size:16;not null"`
		TokenHash      string `gorm:"size:64;not null;uniqueIndex"`
		LinkGeneration int    `gorm:"not null;default:1"`
		DeclineReason  string
		NotifiedAt     *time.Time
		ViewedAt       *time.Time
		ActedAt        *time.Time
	}
	type field struct {
		ID          string  `gorm:"primaryKey;size:36"`
		EnvelopeID  string  `gorm:"size:36;not null;index"`
		TenantID    string  `gorm:"size:64;not null"`
		DocumentID  string  `gorm:"size:36;not null"`
		RecipientID string  `gorm:"size:36;not null"`
		Position    int     `gorm:"not null"`
		Type        string  `gorm:"size:16;not null"`
		Page        int     `gorm:"not null"`
		X           float64 `gorm:"not null"`
		Y           float64 `gorm:"not null"`
		Width       float64 `gorm:"not null"`
		Height      float64 `gorm:"not null"`
		Required    bool    `gorm:"not null"`
		Value       string
		ImageKey    string
	}
	type event struct {
		ID              string `gorm:"primaryKey;size:36"`
		EnvelopeID      string `gorm:"size:36;not null;uniqueIndex:idx_events_envelope_seq,priority:1;uniqueIndex:idx_events_envelope_key,priority:1"`
		TenantID        string `gorm:"size:64;not null"`
		Seq             int64  `gorm:"not null;uniqueIndex:idx_events_envelope_seq,priority:2"`
		Key             string `gorm:"size:128;not null;uniqueIndex:idx_events_envelope_key,priority:2"`
		Type            string `gorm:"size:48;not null"`
		ActorType       string `gorm:"size:16;not null"`
		Actor           string
		RecipientID     string `gorm:"size:36"`
		IP              string `gorm:"size:64"`
		UserAgent       string
		EnvelopeStatus  string `gorm:"size:32;not null"`
		EnvelopeVersion int64  `gorm:"not null"`
		DocumentSHA256  string
		Details         string
		OccurredAt      time.Time `gorm:"not null"`
		PrevHash        string    `gorm:"size:64;not null"`
		Hash            string    `gorm:"size:64;not null"`
	}
	type notification struct {
		ID          string `gorm:"primaryKey;size:36"`
		EnvelopeID  string `gorm:"size:36;not null;uniqueIndex:idx_notifications_key,priority:1"`
		TenantID    string `gorm:"size:64;not null"`
		RecipientID string `gorm:"size:36;not null;uniqueIndex:idx_notifications_key,priority:2"`
		Kind        string `gorm:"size:32;not null;uniqueIndex:idx_notifications_key,priority:3"`
		Sequence    int    `gorm:"not null;uniqueIndex:idx_notifications_key,priority:4"`
		Email       string `gorm:"not null"`
		Subject     string `gorm:"not null"`
		CreatedAt   time.Time
		SentAt      *time.Time
	}
	type otpCode struct {
		ID          string `gorm:"primaryKey;size:36"`
		TenantID    string `gorm:"size:64;not null"`
		RecipientID string `gorm:"size:36;not null;index"`
		CodeHash    string `gorm:"size:64;not null"`
		Attempts    int    `gorm:"not null"`
		ExpiresAt   time.Time
		UsedAt      *time.Time
		CreatedAt   time.Time
	}
	type signingSession struct {
		ID          string `gorm:"primaryKey;size:36"`
		TenantID    string `gorm:"size:64;not null"`
		RecipientID string `gorm:"size:36;not null;index"`
		TokenHash   string `gorm:"size:64;not null;uniqueIndex"`
		Methods     string
		VerifiedAt  time.Time `gorm:"not null"`
		ExpiresAt   time.Time `gorm:"not null"`
		CreatedAt   time.Time
	}
	tables := []struct {
		name  string
		model any
	}{
		{"envelopes", &envelope{}},
		{"documents", &document{}},
		{"recipients", &recipient{}},
		{"fields", &field{}},
		{"events", &event{}},
		{"notifications", &notification{}},
		{"otp_codes", &otpCode{}},
		{"signing_sessions", &signingSession{}},
	}
	for _, t := range tables {
		if err := tx.Table(t.name).Migrator().CreateTable(t.model); err != nil {
			return fmt.Errorf("create table %s: %w", t.name, err)
		}
	}
	return nil
}
