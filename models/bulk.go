package models

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Bulk send statuses, as stored; a running bulk send may also be paused,
// which its workflow knows.
const (
	BulkRunning   = "running"
	BulkCompleted = "completed"
	BulkCancelled = "cancelled"
)

// Bulk send row statuses.
const (
	RowPending   = "pending"
	RowCreated   = "created"
	RowRefused   = "refused"
	RowCancelled = "cancelled"
)

// RowStatuses lists every row status, for validating filters.
var RowStatuses = []string{RowPending, RowCreated, RowRefused, RowCancelled}

// BulkSend is one template sent to many: a row per envelope.
type BulkSend struct {
	ID              string `gorm:"primaryKey;size:36"`
	TenantID        string `gorm:"size:64;not null;index"`
	TemplateID      string `gorm:"size:36;not null"`
	TemplateVersion int    `gorm:"not null"`
	// CreatedBy is the API client that asked for it, the actor of each
	// envelope's creation.
	CreatedBy string `gorm:"size:64;not null"`
	Status    string `gorm:"size:16;not null"`
	Rows      int    `gorm:"not null"`
	CreatedAt time.Time
	EndedAt   *time.Time
}

// BulkRow is one row of a bulk send: its input and what became of it. The
// envelope ID is chosen when the row is stored, so that creating the row's
// envelope again after a crash finds the one already made.
type BulkRow struct {
	BulkID     string `gorm:"primaryKey;size:36"`
	Position   int    `gorm:"primaryKey"`
	Input      string `gorm:"not null"`
	Status     string `gorm:"size:16;not null"`
	EnvelopeID string `gorm:"size:36;not null"`
	// Problems is the JSON list of what made the row refused.
	Problems  string `gorm:"not null;default:''"`
	UpdatedAt time.Time
}

// CreateBulkSend stores a bulk send with its rows, all or nothing. A row's
// input (names, addresses, access codes) is sealed under the data keys
// while it waits, and dropped once the row is settled: its envelope holds
// what it needs from then on.
func (s *Store) CreateBulkSend(ctx context.Context, b *BulkSend, rows []BulkRow) error {
	if s.Sealer != nil {
		for i := range rows {
			kid, sealed := s.Sealer.Seal([]byte(rows[i].Input), rowAAD(b.ID, rows[i].Position))
			rows[i].Input = sealedRowPrefix + kid + ":" + base64.StdEncoding.EncodeToString(sealed)
		}
	}
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(b).Error; err != nil {
			return fmt.Errorf("create bulk send %s: %w", b.ID, err)
		}
		if err := tx.CreateInBatches(rows, 500).Error; err != nil {
			return fmt.Errorf("create rows of bulk send %s: %w", b.ID, err)
		}
		return nil
	})
}

// GetBulkSend is a tenant's bulk send; tenantID "" finds it for any tenant
// (the worker's view).
func (s *Store) GetBulkSend(ctx context.Context, tenantID, id string) (*BulkSend, error) {
	q := s.DB.WithContext(ctx).Where("id = ?", id)
	if tenantID != "" {
		q = q.Where("tenant_id = ?", tenantID)
	}
	var b BulkSend
	err := q.First(&b).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load bulk send %s: %w", id, err)
	}
	return &b, nil
}

// RunningBulkSends are up to limit bulk sends still running that were
// made before before, oldest first.
func (s *Store) RunningBulkSends(ctx context.Context, before time.Time, limit int) ([]BulkSend, error) {
	var out []BulkSend
	err := s.DB.WithContext(ctx).Where("status = ? AND created_at < ?", BulkRunning, before).Order("created_at").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list running bulk sends: %w", err)
	}
	return out, nil
}

// BulkCounts is how many rows of a bulk send are in each status.
func (s *Store) BulkCounts(ctx context.Context, id string) (map[string]int, error) {
	var counts []struct {
		Status string
		N      int
	}
	err := s.DB.WithContext(ctx).Model(&BulkRow{}).Select("status, count(*) AS n").Where("bulk_id = ?", id).
		Group("status").Scan(&counts).Error
	if err != nil {
		return nil, fmt.Errorf("count rows of bulk send %s: %w", id, err)
	}
	out := map[string]int{}
	for _, st := range RowStatuses {
		out[st] = 0
	}
	for _, c := range counts {
		out[c.Status] = c.N
	}
	return out, nil
}

// BulkRows are up to limit rows from position after on, of one status
// when status is set, in order.
func (s *Store) BulkRows(ctx context.Context, id, status string, after, limit int) ([]BulkRow, error) {
	q := s.DB.WithContext(ctx).Where("bulk_id = ? AND position > ?", id, after)
	if status != "" {
		q = q.Where("status = ?", status)
	}
	var rows []BulkRow
	if err := q.Order("position").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list rows of bulk send %s: %w", id, err)
	}
	for i := range rows {
		input, err := s.openRow(rows[i])
		if err != nil {
			return nil, err
		}
		rows[i].Input = input
	}
	return rows, nil
}

const sealedRowPrefix = "sealed:"

func rowAAD(bulkID string, position int) []byte {
	return []byte("bulk-row:" + bulkID + ":" + strconv.Itoa(position))
}

// openRow is a row's input in clear.
func (s *Store) openRow(r BulkRow) (string, error) {
	rest, sealed := strings.CutPrefix(r.Input, sealedRowPrefix)
	if !sealed {
		return r.Input, nil
	}
	if s.Sealer == nil {
		return "", fmt.Errorf("row %d of bulk send %s is sealed and no data keys are configured", r.Position, r.BulkID)
	}
	kid, encoded, _ := strings.Cut(rest, ":")
	data, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return "", fmt.Errorf("row %d of bulk send %s is damaged", r.Position, r.BulkID)
	}
	plain, err := s.Sealer.Open(kid, data, rowAAD(r.BulkID, r.Position))
	if err != nil {
		return "", fmt.Errorf("row %d of bulk send %s: %w", r.Position, r.BulkID, err)
	}
	return string(plain), nil
}

// SetBulkRow records what became of a pending row; a row already settled
// keeps its first outcome.
func (s *Store) SetBulkRow(ctx context.Context, id string, position int, status, problems string, now time.Time) error {
	err := s.DB.WithContext(ctx).Model(&BulkRow{}).Where("bulk_id = ? AND position = ? AND status = ?", id, position, RowPending).
		Updates(map[string]any{"status": status, "problems": problems, "input": "", "updated_at": now}).Error
	if err != nil {
		return fmt.Errorf("settle row %d of bulk send %s: %w", position, id, err)
	}
	return nil
}

// FinishBulkSend ends a bulk send: completed, or cancelled with its
// pending rows.
func (s *Store) FinishBulkSend(ctx context.Context, id, status string, now time.Time) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if status == BulkCancelled {
			err := tx.Model(&BulkRow{}).Where("bulk_id = ? AND status = ?", id, RowPending).
				Updates(map[string]any{"status": RowCancelled, "input": "", "updated_at": now}).Error
			if err != nil {
				return fmt.Errorf("cancel rows of bulk send %s: %w", id, err)
			}
		}
		err := tx.Model(&BulkSend{}).Where("id = ? AND status = ?", id, BulkRunning).
			Updates(map[string]any{"status": status, "ended_at": now}).Error
		if err != nil {
			return fmt.Errorf("end bulk send %s: %w", id, err)
		}
		return nil
	})
}
