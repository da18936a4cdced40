package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.temporal.io/sdk/activity"
	"golang.org/x/sync/errgroup"

	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/workflows/contract"
)

// bulkConcurrency is how many rows of a batch are sent at once.
const bulkConcurrency = 4

// DefaultBulkRate is how many envelopes a second a tenant's bulk sends
// make together, and so how fast their invitations go out.
const DefaultBulkRate = 10

// SendBulkRows makes the envelope of each pending row of a batch. A row
// that breaks the template's rules is refused with its problems and never
// stops the others; a failure to reach the database, the blobs or Temporal
// fails the batch for a retry, which finds the rows already made.
func (a *Bulk) SendBulkRows(ctx context.Context, batch contract.BulkBatch) error {
	bulk, err := a.Store.GetBulkSend(ctx, "", batch.BulkID)
	if err != nil {
		return err
	}
	rows, err := a.Store.BulkRows(ctx, bulk.ID, models.RowPending, batch.From-1, batch.To-batch.From)
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(bulkConcurrency)
	for _, row := range rows {
		if row.Position >= batch.To {
			break
		}
		g.Go(func() error {
			if err := a.paceBulk(gctx, bulk.TenantID); err != nil {
				return err
			}
			err := a.sendBulkRow(gctx, bulk, row)
			activity.RecordHeartbeat(ctx, row.Position)
			return err
		})
	}
	return g.Wait()
}

func (a *Bulk) sendBulkRow(ctx context.Context, bulk *models.BulkSend, row models.BulkRow) error {
	var spec signing.EnvelopeRequest
	if err := json.Unmarshal([]byte(row.Input), &spec); err != nil {
		return a.refuseRow(ctx, bulk, row, signing.FieldErrors{{Field: "row", Message: "the row cannot be read: " + err.Error()}})
	}
	spec.TemplateID, spec.TemplateVersion = bulk.TemplateID, bulk.TemplateVersion
	created := models.Event{Key: "bulk:" + bulk.ID + ":" + strconv.Itoa(row.Position), ActorType: models.ActorAPI,
		Actor: bulk.CreatedBy, Details: map[string]any{"bulk_send": bulk.ID, "row": row.Position}}
	// The activity's retry finishes a row that failed half way.
	_, errs, err := a.Sender.Send(ctx, bulk.TenantID, row.EnvelopeID, spec, nil, created, true)
	if err != nil {
		return fmt.Errorf("row %d of bulk send %s: %w", row.Position, bulk.ID, err)
	}
	if len(errs) > 0 {
		return a.refuseRow(ctx, bulk, row, errs)
	}
	a.Metrics.EnvelopeCreated()
	return a.Store.SetBulkRow(ctx, bulk.ID, row.Position, models.RowCreated, "", time.Now())
}

func (a *Bulk) refuseRow(ctx context.Context, bulk *models.BulkSend, row models.BulkRow, errs signing.FieldErrors) error {
	problems, err := json.Marshal(errs)
	if err != nil {
		return fmt.Errorf("encode the problems of row %d: %w", row.Position, err)
	}
	return a.Store.SetBulkRow(ctx, bulk.ID, row.Position, models.RowRefused, string(problems), time.Now())
}

// paceBulk waits until the tenant's bulk sends may make one more envelope
// this second, counted in the database so every worker shares the pace.
func (a *Bulk) paceBulk(ctx context.Context, tenantID string) error {
	rate := a.Rate
	if rate <= 0 {
		rate = DefaultBulkRate
	}
	for {
		now := time.Now()
		hits, err := a.Store.Hit(ctx, "bulk:"+tenantID, time.Second, now)
		if err != nil {
			return err
		}
		if hits <= rate {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// FinishBulkSend records the end of a bulk send: completed, or cancelled
// with the rows it never reached.
func (a *Bulk) FinishBulkSend(ctx context.Context, bulkID, status string) error {
	if status != models.BulkCompleted && status != models.BulkCancelled {
		return errors.New("a bulk send ends completed or cancelled, not " + status)
	}
	return a.Store.FinishBulkSend(ctx, bulkID, status, time.Now())
}
