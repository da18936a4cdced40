// Package database stores the models, in PostgreSQL or (embedded) SQLite
// through GORM: the schema and its migrations, every query, the audit
// chain's appends, and the sealing of personal data at rest. The workers'
// activities and the API reach the database only through its Store.
package database

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/google/uuid"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"

	"github.com/signflow/signflow/internal/keys/keyring"
	"github.com/signflow/signflow/models"
)

// Store is the database behind Signflow.
type Store struct {
	DB *gorm.DB
	// PersonalDataKeys wraps the per-recipient keys that seal the personal data of
	// audit events (see personal.go); nil keeps it in clear, and then a
	// person's data cannot be erased from the trail.
	PersonalDataKeys *keyring.Ring
}

// Open connects to PostgreSQL when url starts with postgres:// or
// postgresql://, and otherwise treats url as the path of an embedded SQLite
// file (an optional "sqlite://" prefix is stripped).
func Open(url string) (*Store, error) {
	// Every write that must be atomic with another runs in an explicit
	// transaction; gorm's default one around each single statement only
	// costs two round trips more.
	cfg := &gorm.Config{Logger: logger.Default.LogMode(logger.Silent), TranslateError: true, SkipDefaultTransaction: true}
	if strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") {
		db, err := gorm.Open(postgres.Open(url), cfg)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		sqlDB, err := db.DB()
		if err != nil {
			return nil, fmt.Errorf("postgres handle: %w", err)
		}
		// Keep the connections a busy process uses open: database/sql
		// keeps two idle by default, so under load every other statement
		// paid for a new PostgreSQL backend.
		sqlDB.SetMaxOpenConns(postgresConns)
		sqlDB.SetMaxIdleConns(postgresConns)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
		return &Store{DB: db}, nil
	}
	path := strings.TrimPrefix(url, "sqlite://")
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("create sqlite directory: %w", err)
	}
	dsn := path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate"
	db, err := gorm.Open(sqlite.Open(dsn), cfg)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("sqlite handle: %w", err)
	}
	// SQLite has one writer; a single connection turns lock contention
	// between API and worker goroutines into queueing instead of errors.
	sqlDB.SetMaxOpenConns(1)
	return &Store{DB: db}, nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.DB.DB()
	if err != nil {
		return fmt.Errorf("database handle: %w", err)
	}
	return sqlDB.PingContext(ctx)
}

// Close releases the connection pool.
func (s *Store) Close() error {
	sqlDB, err := s.DB.DB()
	if err != nil {
		return fmt.Errorf("database handle: %w", err)
	}
	return sqlDB.Close()
}

// CreateEnvelope stores a new envelope with its documents, recipients and
// fields, and its first audit event, in one transaction.
func (s *Store) CreateEnvelope(ctx context.Context, env *models.Envelope, created models.Event) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(env).Error; err != nil {
			return fmt.Errorf("insert envelope: %w", err)
		}
		created.EnvelopeID, created.TenantID, created.Key = env.ID, env.TenantID, "created"
		created.EnvelopeStatus, created.EnvelopeVersion = env.Status, env.Version
		created.DocumentSHA256 = documentHashes(env.Documents, false)
		_, err := s.appendEvent(tx, created)
		return err
	})
}

// VoidStray ends an envelope that is still in progress but whose workflow
// is not running (it never started, or is gone), recording ev after the
// rest of its trail; ev's key makes a repeat record nothing. It answers
// false when the envelope was no longer in progress.
func (s *Store) VoidStray(ctx context.Context, id string, ev models.Event) (bool, error) {
	voided := false
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var env models.Envelope
		if err := tx.Where("id = ?", id).First(&env).Error; err != nil {
			return fmt.Errorf("load envelope %s: %w", id, err)
		}
		now := time.Now().UTC()
		res := tx.Model(&models.Envelope{}).Where("id = ? AND status = ?", id, models.EnvelopeInProgress).
			Updates(map[string]any{"status": models.EnvelopeVoided, "version": env.Version + 1, "ended_at": now, "updated_at": now})
		if res.Error != nil {
			return fmt.Errorf("void envelope %s: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return nil
		}
		ev.EnvelopeID, ev.TenantID, ev.Type = id, env.TenantID, models.EventEnvelopeVoided
		ev.EnvelopeStatus, ev.EnvelopeVersion, ev.OccurredAt = models.EnvelopeVoided, env.Version+1, now
		voided = true
		_, err := s.appendEvent(tx, ev)
		return err
	})
	return voided, err
}

// Unstarted lists envelopes in progress whose workflow has never changed
// them (version 1) since before t: the ones whose workflow may never have
// started. Oldest first, at most limit.
func (s *Store) Unstarted(ctx context.Context, before time.Time, limit int) ([]models.Envelope, error) {
	var envs []models.Envelope
	err := s.DB.WithContext(ctx).Where("status = ? AND version = 1 AND created_at < ?", models.EnvelopeInProgress, before.UTC()).
		Order("created_at").Limit(limit).Find(&envs).Error
	if err != nil {
		return nil, fmt.Errorf("list unstarted envelopes: %w", err)
	}
	return envs, nil
}

// InProgress says which of the envelopes are still in progress here (ID
// and tenant only).
func (s *Store) InProgress(ctx context.Context, ids []string) ([]models.Envelope, error) {
	var out []models.Envelope
	if len(ids) == 0 {
		return nil, nil
	}
	err := s.DB.WithContext(ctx).Select("id", "tenant_id").Where("id IN ? AND status = ?", ids, models.EnvelopeInProgress).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("check envelopes in progress: %w", err)
	}
	return out, nil
}

// GetEnvelope loads an envelope of a tenant with everything it holds.
func (s *Store) GetEnvelope(ctx context.Context, tenantID, id string) (*models.Envelope, error) {
	var env models.Envelope
	err := s.DB.WithContext(ctx).
		Preload("Documents", func(db *gorm.DB) *gorm.DB { return db.Order("position") }).
		Preload("Recipients", func(db *gorm.DB) *gorm.DB { return db.Order("position") }).
		Preload("Fields", func(db *gorm.DB) *gorm.DB { return db.Order("position") }).
		Where("tenant_id = ? AND id = ?", tenantID, id).
		First(&env).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, models.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load envelope %s: %w", id, err)
	}
	return &env, nil
}

// ListEnvelopes returns up to limit envelopes of a tenant, newest first by
// the created_at they show (then by ID), after the envelope whose ID is
// after. IDs are minted when a request begins, and a bulk send's long
// before, so they alone do not order envelopes by creation.
func (s *Store) ListEnvelopes(ctx context.Context, tenantID, status, after string, limit int) ([]models.Envelope, error) {
	q := s.DB.WithContext(ctx).Where("tenant_id = ?", tenantID)
	if status != "" {
		q = q.Where("status = ?", status)
	}
	if after != "" {
		q = q.Where("(created_at, id) < (SELECT created_at, id FROM envelopes WHERE tenant_id = ? AND id = ?)", tenantID, after)
	}
	var envs []models.Envelope
	if err := q.Order("created_at DESC, id DESC").Limit(limit).Find(&envs).Error; err != nil {
		return nil, fmt.Errorf("list envelopes: %w", err)
	}
	return envs, nil
}

// RecipientByTokenHash finds the recipient a signing link belongs to.
func (s *Store) RecipientByTokenHash(ctx context.Context, hash string) (*models.Recipient, error) {
	return findOne[models.Recipient](s.DB.WithContext(ctx).Where("token_hash = ?", hash), "recipient by token")
}

// findOne reads the one row of T that q selects; none is ErrNotFound.
func findOne[T any](q *gorm.DB, what string) (*T, error) {
	var v T
	err := q.First(&v).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, models.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find %s: %w", what, err)
	}
	return &v, nil
}

// GetRecipient finds a recipient by ID.
func (s *Store) GetRecipient(ctx context.Context, id string) (*models.Recipient, error) {
	return findOne[models.Recipient](s.DB.WithContext(ctx).Where("id = ?", id), "recipient "+id)
}

// Events returns an envelope's history in order, the personal data of
// each event opened (or marked erased).
func (s *Store) Events(ctx context.Context, envelopeID string) ([]models.Event, error) {
	var evs []models.Event
	if err := s.DB.WithContext(ctx).Where("envelope_id = ?", envelopeID).Order("seq").Find(&evs).Error; err != nil {
		return nil, fmt.Errorf("load events: %w", err)
	}
	if err := s.openPersonal(ctx, evs); err != nil {
		return nil, err
	}
	return evs, nil
}

// LatestEvent is the last event of eventType in an envelope's history,
// its personal data opened.
func (s *Store) LatestEvent(ctx context.Context, envelopeID, eventType string) (*models.Event, error) {
	return s.latestEvent(ctx, envelopeID, eventType, s.DB.Where("envelope_id = ? AND type = ?", envelopeID, eventType))
}

// LatestRecipientEvent is the last event of eventType about one recipient,
// its personal data opened.
func (s *Store) LatestRecipientEvent(ctx context.Context, envelopeID, recipientID, eventType string) (*models.Event, error) {
	return s.latestEvent(ctx, envelopeID, eventType,
		s.DB.Where("envelope_id = ? AND recipient_id = ? AND type = ?", envelopeID, recipientID, eventType))
}

func (s *Store) latestEvent(ctx context.Context, envelopeID, eventType string, where *gorm.DB) (*models.Event, error) {
	var evs []models.Event
	err := s.DB.WithContext(ctx).Where(where).Order("seq DESC").Limit(1).Find(&evs).Error
	if err != nil {
		return nil, fmt.Errorf("load %s event: %w", eventType, err)
	}
	if len(evs) == 0 {
		return nil, fmt.Errorf("%s event of envelope %s: %w", eventType, envelopeID, models.ErrNotFound)
	}
	if err := s.openPersonal(ctx, evs); err != nil {
		return nil, err
	}
	return &evs[0], nil
}

// LinkReplaced says whether a newer link replaced the signing link of
// tokenHash.
func (s *Store) LinkReplaced(ctx context.Context, tokenHash string) (bool, error) {
	var n int64
	if err := s.DB.WithContext(ctx).Model(&models.ReplacedLink{}).Where("token_hash = ?", tokenHash).Count(&n).Error; err != nil {
		return false, fmt.Errorf("check replaced links: %w", err)
	}
	return n > 0, nil
}

// Notifications returns an envelope's outbox rows in the order queued.
func (s *Store) Notifications(ctx context.Context, envelopeID string) ([]models.QueuedNotification, error) {
	var ns []models.QueuedNotification
	if err := s.DB.WithContext(ctx).Where("envelope_id = ?", envelopeID).Order("created_at, kind, sequence").Find(&ns).Error; err != nil {
		return nil, fmt.Errorf("load notifications: %w", err)
	}
	return ns, nil
}

// QueueNotification adds an outbox row, and its audit event, unless the
// same (envelope, recipient, kind, sequence) is already queued. It reports
// whether a row was added.
func (s *Store) QueueNotification(ctx context.Context, n models.QueuedNotification) (bool, error) {
	added := false
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var env models.Envelope
		if err := tx.Select("status", "version").Where("id = ?", n.EnvelopeID).First(&env).Error; err != nil {
			return fmt.Errorf("load envelope %s: %w", n.EnvelopeID, err)
		}
		var t trail
		var err error
		if added, err = queueNotification(tx, &t, n, env.Status, env.Version, time.Now()); err != nil {
			return err
		}
		return t.flush(tx)
	})
	return added, err
}

// queueNotification adds the outbox row and its audit event within tx,
// once per (envelope, recipient, kind, sequence).
func queueNotification(tx *gorm.DB, t *trail, n models.QueuedNotification, status string, version int64, at time.Time) (bool, error) {
	key := strings.Join([]string{"notify", n.Kind, n.RecipientID, strconv.Itoa(n.Sequence)}, ":")
	details := map[string]any{"kind": n.Kind, "sequence": n.Sequence}
	if n.Channel == models.ChannelSMS {
		// Email rows keep the key (and ID) they had before texts.
		key += ":" + models.ChannelSMS
		details["channel"] = models.ChannelSMS
	}
	n.ID = stableID(key, n.EnvelopeID)
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&n)
	if res.Error != nil {
		return false, fmt.Errorf("queue notification: %w", res.Error)
	}
	_, err := t.append(tx, models.Event{EnvelopeID: n.EnvelopeID, TenantID: n.TenantID, Key: key, Type: models.EventNotificationQueued,
		ActorType: models.ActorSystem, Actor: "signflow", RecipientID: n.RecipientID, EnvelopeStatus: status,
		EnvelopeVersion: version, Details: details, OccurredAt: at})
	return res.RowsAffected == 1, err
}

// SetFinalDocument records the SHA-256 and size of a document's final PDF.
func (s *Store) SetFinalDocument(ctx context.Context, documentID, sha string, size int64) error {
	err := s.DB.WithContext(ctx).Model(&models.Document{}).Where("id = ?", documentID).
		Updates(map[string]any{"final_sha256": sha, "final_size_bytes": size}).Error
	if err != nil {
		return fmt.Errorf("record final document %s: %w", documentID, err)
	}
	return nil
}

// ApplyTransition is the one place where an envelope's state changes in the
// database. It is idempotent and order-insensitive: the event is keyed by
// the version that produced it, and the snapshot only replaces an older
// version, so retried or concurrent writes converge on the newest state.
func (s *Store) ApplyTransition(ctx context.Context, t models.Transition) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var env models.Envelope
		err := tx.Preload("Documents").Preload("Recipients").Where("id = ?", t.EnvelopeID).First(&env).Error
		if err != nil {
			return fmt.Errorf("load envelope %s: %w", t.EnvelopeID, err)
		}
		ev := t.Event
		ev.EnvelopeID, ev.TenantID, ev.Key = t.EnvelopeID, t.TenantID, "v"+strconv.FormatInt(t.Version, 10)
		ev.EnvelopeStatus, ev.EnvelopeVersion = t.Status, t.Version
		ev.DocumentSHA256 = documentHashes(env.Documents, t.Status == models.EnvelopeCompleted)
		if r, ok := recipientOf(env, ev.RecipientID); ok && ev.ActorType == models.ActorRecipient {
			ev.Actor = r.Email
		}
		trail := trail{store: s}
		if _, err := trail.append(tx, ev); err != nil {
			return err
		}
		for n, also := range t.Also {
			also.EnvelopeID, also.TenantID, also.Key = t.EnvelopeID, t.TenantID, "v"+strconv.FormatInt(t.Version, 10)+"."+strconv.Itoa(n+1)
			also.EnvelopeStatus, also.EnvelopeVersion, also.DocumentSHA256 = t.Status, t.Version, ev.DocumentSHA256
			if _, err := trail.append(tx, also); err != nil {
				return err
			}
		}
		for _, v := range t.Values {
			err := tx.Model(&models.Field{}).Where("id = ? AND envelope_id = ?", v.FieldID, t.EnvelopeID).
				Updates(map[string]any{"value": v.Text, "image_key": v.ImageKey}).Error
			if err != nil {
				return fmt.Errorf("store value of field %s: %w", v.FieldID, err)
			}
		}
		if t.Reissue != nil {
			if err := reissueLink(tx, *t.Reissue); err != nil {
				return err
			}
			if err := tx.Where("envelope_id = ?", t.EnvelopeID).Find(&env.Recipients).Error; err != nil {
				return fmt.Errorf("reload recipients of %s: %w", t.EnvelopeID, err)
			}
		}
		for _, n := range t.Notify {
			to, ok := recipientOf(env, n.RecipientID)
			if !ok {
				return fmt.Errorf("queue %s: recipient %s is not on envelope %s", n.Kind, n.RecipientID, env.ID)
			}
			// One row per channel the recipient is reached by, each sent,
			// retried and refused on its own.
			for _, channel := range to.Channels() {
				row := models.QueuedNotification{EnvelopeID: env.ID, TenantID: env.TenantID, RecipientID: to.ID, Kind: n.Kind, Sequence: n.Sequence,
					Channel: channel, Email: to.Email, Subject: env.Subject, DispatchQueue: t.DispatchQueue}
				if channel == models.ChannelSMS {
					row.Email, row.Phone = "", to.Phone
				}
				if _, err := queueNotification(tx, &trail, row, t.Status, t.Version, ev.OccurredAt); err != nil {
					return err
				}
			}
		}
		if err := storeSnapshot(tx, t, ev.OccurredAt); err != nil {
			return err
		}
		return trail.flush(tx) // last: the feed's lock is held until the commit
	})
}

// storeSnapshot stores the envelope and recipients as of t, unless a newer
// snapshot is already stored.
func storeSnapshot(tx *gorm.DB, t models.Transition, at time.Time) error {
	var ended *time.Time
	if models.IsTerminal(t.Status) {
		ended = &at
	}
	res := tx.Model(&models.Envelope{}).Where("id = ? AND version < ?", t.EnvelopeID, t.Version).
		Updates(map[string]any{"status": t.Status, "version": t.Version, "completed_at": t.CompletedAt, "ended_at": ended, "updated_at": at})
	if res.Error != nil {
		return fmt.Errorf("update envelope: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return nil // a newer snapshot is already stored
	}
	for _, r := range t.Recipients {
		err := tx.Model(&models.Recipient{}).Where("id = ?", r.ID).Updates(map[string]any{
			"status": r.Status, "notified_at": r.NotifiedAt, "viewed_at": r.ViewedAt,
			"acted_at": r.ActedAt, "decline_reason": r.Reason,
		}).Error
		if err != nil {
			return fmt.Errorf("update recipient %s: %w", r.ID, err)
		}
	}
	return nil
}

// DocumentBySHA256 finds a tenant's document whose original or final PDF
// has the given SHA-256, and says which of the two matched.
func (s *Store) DocumentBySHA256(ctx context.Context, tenantID, sum string) (*models.Document, bool, error) {
	var doc models.Document
	err := s.DB.WithContext(ctx).Where("tenant_id = ? AND (final_sha256 = ? OR sha256 = ?)", tenantID, sum, sum).First(&doc).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, false, models.ErrNotFound
	}
	if err != nil {
		return nil, false, fmt.Errorf("find document by hash: %w", err)
	}
	return &doc, doc.FinalSHA256 == sum, nil
}

// Notification finds an outbox row by its key.
func (s *Store) Notification(ctx context.Context, envelopeID, recipientID, kind string, sequence int) (*models.QueuedNotification, error) {
	var n models.QueuedNotification
	err := s.DB.WithContext(ctx).Where("envelope_id = ? AND recipient_id = ? AND kind = ? AND sequence = ? AND channel = ?",
		envelopeID, recipientID, kind, sequence, models.ChannelEmail).First(&n).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, models.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load notification: %w", err)
	}
	return &n, nil
}

// MarkSent records that the SMTP server accepted an outbox row, with its
// audit event, once.
func (s *Store) MarkSent(ctx context.Context, n *models.QueuedNotification, at time.Time) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Model(&models.QueuedNotification{}).Where("id = ? AND sent_at IS NULL", n.ID).Update("sent_at", at.UTC()).Error
		if err != nil {
			return fmt.Errorf("mark notification sent: %w", err)
		}
		var env models.Envelope
		if err := tx.Select("status", "version").Where("id = ?", n.EnvelopeID).First(&env).Error; err != nil {
			return fmt.Errorf("load envelope %s: %w", n.EnvelopeID, err)
		}
		_, err = s.appendEvent(tx, models.Event{EnvelopeID: n.EnvelopeID, TenantID: n.TenantID, Key: "sent:" + n.ID, Type: models.EventNotificationSent,
			ActorType: models.ActorSystem, Actor: "signflow", RecipientID: n.RecipientID, EnvelopeStatus: env.Status, EnvelopeVersion: env.Version,
			Details: sentDetails(n), OccurredAt: at})
		return err
	})
}

// sentDetails say which notification went, and by which channel.
func sentDetails(n *models.QueuedNotification) map[string]any {
	if n.Channel == models.ChannelSMS {
		return map[string]any{"kind": n.Kind, "sequence": n.Sequence, "channel": models.ChannelSMS, "message_id": n.ID}
	}
	return map[string]any{"kind": n.Kind, "sequence": n.Sequence, "message_id": n.ID + "@signflow"}
}

// ReissueLink moves a recipient to a new link generation, storing the new
// token's hash (the old link stops working) and, when given, a corrected
// name or email; the person it replaces is kept as a FormerIdentity. It is
// idempotent: an older generation never overwrites.
func (s *Store) ReissueLink(ctx context.Context, recipientID string, generation int, tokenHash, name, email, authentication string) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return reissueLink(tx, models.Reissue{RecipientID: recipientID, Generation: generation, TokenHash: tokenHash, Name: name,
			Email: email, Authentication: authentication})
	})
}

// reissueLink is ReissueLink within tx.
func reissueLink(tx *gorm.DB, re models.Reissue) error {
	changes := map[string]any{"link_generation": re.Generation, "token_hash": re.TokenHash}
	if re.Authentication != "" {
		// Someone else now: they prove who they are their own way, and
		// the access code and phone of the one before are gone.
		changes["authentication"], changes["access_code_hash"], changes["phone"] = re.Authentication, "", ""
	}
	if re.Name != "" {
		changes["name"] = re.Name
	}
	if re.Email != "" {
		changes["email"] = re.Email
	}
	var r models.Recipient
	if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", re.RecipientID).Take(&r).Error; err != nil {
		return fmt.Errorf("load recipient %s: %w", re.RecipientID, err)
	}
	if err := keepFormerIdentity(tx, r, re.Generation, re.Name, re.Email, time.Now()); err != nil {
		return err
	}
	if r.LinkGeneration < re.Generation && r.TokenHash != "" {
		old := models.ReplacedLink{TokenHash: r.TokenHash, RecipientID: r.ID, ReplacedAt: time.Now().UTC()}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&old).Error; err != nil {
			return fmt.Errorf("keep the replaced link of recipient %s: %w", r.ID, err)
		}
	}
	err := tx.Model(&models.Recipient{}).Where("id = ? AND link_generation < ?", re.RecipientID, re.Generation).Updates(changes).Error
	if err != nil {
		return fmt.Errorf("reissue link of recipient %s: %w", re.RecipientID, err)
	}
	return nil
}

func documentHashes(docs []models.Document, final bool) []string {
	var hashes []string
	for _, d := range docs {
		hashes = append(hashes, d.SHA256)
		if final && d.FinalSHA256 != "" {
			hashes = append(hashes, d.FinalSHA256)
		}
	}
	return hashes
}

// postgresConns bounds one process's connections to PostgreSQL: enough for
// its API handlers and worker slots at once, and a handful of processes
// within PostgreSQL's default of 100.
const postgresConns = 24

// recipientOf finds a recipient of env by ID.
func recipientOf(env models.Envelope, id string) (models.Recipient, bool) {
	for _, r := range env.Recipients {
		if r.ID == id {
			return r, true
		}
	}
	return models.Recipient{}, false
}

func stableID(parts ...string) string {
	return uuid.NewSHA1(idNamespace, []byte(strings.Join(parts, "/"))).String()
}

var idNamespace = uuid.MustParse("9d5b7c1e-2f4a-4c8e-9a61-51676e666c6f")
