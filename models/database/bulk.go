package database

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/signflow/signflow/models"
	"gorm.io/gorm"
)

// CreateBulkSend stores a bulk send with its rows, all or nothing. A row's
// input (names, addresses, access codes) is sealed under the data keys
// while it waits, and dropped once the row is settled: its envelope holds
// what it needs from then on.
func (s *Store) CreateBulkSend(ctx context.Context, b *models.BulkSend, rows []models.BulkRow) error {
	if s.PersonalDataKeys != nil {
		for i := range rows {
			kid, sealed := s.PersonalDataKeys.Seal([]byte(rows[i].Input), rowAAD(b.ID, rows[i].Position))
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
func (s *Store) GetBulkSend(ctx context.Context, tenantID, id string) (*models.BulkSend, error) {
	q := s.DB.WithContext(ctx).Where("id = ?", id)
	if tenantID != "" {
		q = q.Where("tenant_id = ?", tenantID)
	}
	var b models.BulkSend
	err := q.First(&b).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, models.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load bulk send %s: %w", id, err)
	}
	return &b, nil
}

// RunningBulkSends are up to limit bulk sends still running that were
// made before before, oldest first.
func (s *Store) RunningBulkSends(ctx context.Context, before time.Time, limit int) ([]models.BulkSend, error) {
	var out []models.BulkSend
	err := s.DB.WithContext(ctx).Where("status = ? AND created_at < ?", models.BulkRunning, before).Order("created_at").Limit(limit).Find(&out).Error
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
	err := s.DB.WithContext(ctx).Model(&models.BulkRow{}).Select("status, count(*) AS n").Where("bulk_id = ?", id).
		Group("status").Scan(&counts).Error
	if err != nil {
		return nil, fmt.Errorf("count rows of bulk send %s: %w", id, err)
	}
	out := map[string]int{}
	for _, st := range models.RowStatuses {
		out[st] = 0
	}
	for _, c := range counts {
		out[c.Status] = c.N
	}
	return out, nil
}

// BulkRows are up to limit rows from position after on, of one status
// when status is set, in order.
func (s *Store) BulkRows(ctx context.Context, id, status string, after, limit int) ([]models.BulkRow, error) {
	q := s.DB.WithContext(ctx).Where("bulk_id = ? AND position > ?", id, after)
	if status != "" {
		q = q.Where("status = ?", status)
	}
	var rows []models.BulkRow
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

// openRow is a row's input in clear.
func (s *Store) openRow(r models.BulkRow) (string, error) {
	rest, sealed := strings.CutPrefix(r.Input, sealedRowPrefix)
	if !sealed {
		return r.Input, nil
	}
	if s.PersonalDataKeys == nil {
		return "", fmt.Errorf("row %d of bulk send %s is sealed and no data keys are configured", r.Position, r.BulkID)
	}
	kid, encoded, _ := strings.Cut(rest, ":")
	data, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return "", fmt.Errorf("row %d of bulk send %s is damaged", r.Position, r.BulkID)
	}
	plain, err := s.PersonalDataKeys.Open(kid, data, rowAAD(r.BulkID, r.Position))
	if err != nil {
		return "", fmt.Errorf("row %d of bulk send %s: %w", r.Position, r.BulkID, err)
	}
	return string(plain), nil
}

// SetBulkRow records what became of a pending row; a row already settled
// keeps its first outcome.
func (s *Store) SetBulkRow(ctx context.Context, id string, position int, status, problems string, now time.Time) error {
	err := s.DB.WithContext(ctx).Model(&models.BulkRow{}).Where("bulk_id = ? AND position = ? AND status = ?", id, position, models.RowPending).
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
		if status == models.BulkCancelled {
			err := tx.Model(&models.BulkRow{}).Where("bulk_id = ? AND status = ?", id, models.RowPending).
				Updates(map[string]any{"status": models.RowCancelled, "input": "", "updated_at": now}).Error
			if err != nil {
				return fmt.Errorf("cancel rows of bulk send %s: %w", id, err)
			}
		}
		err := tx.Model(&models.BulkSend{}).Where("id = ? AND status = ?", id, models.BulkRunning).
			Updates(map[string]any{"status": status, "ended_at": now}).Error
		if err != nil {
			return fmt.Errorf("end bulk send %s: %w", id, err)
		}
		return nil
	})
}

func rowAAD(bulkID string, position int) []byte {
	return []byte("bulk-row:" + bulkID + ":" + strconv.Itoa(position))
}

const sealedRowPrefix = "sealed:"
