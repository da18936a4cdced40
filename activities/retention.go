package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/signflow/signflow/internal/documents/blob"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/workflows/contract"
)

// FindRetentionDue lists, across tenants, the envelopes whose documents
// their retention policy lets go now.
func (a *Retention) FindRetentionDue(ctx context.Context, limit int) (contract.RetentionPlan, error) {
	due, err := a.Store.DueForRetention(ctx, "", time.Now(), limit)
	return contract.RetentionPlan{Due: due, DryRun: a.DryRun}, err
}

// DeleteDocuments lets go of an ended envelope's documents: the originals,
// the final PDFs and the drawn signatures. The deletion is recorded in the
// audit trail first, in a transaction that refuses an envelope put under a
// legal hold since it was listed (answered true: kept); the blobs go after,
// so a retry after a crash finishes the deletion the trail already states.
// The trail and the documents' hashes stay.
func (a *Retention) DeleteDocuments(ctx context.Context, due models.RetentionDue) (held bool, err error) {
	ev := models.SystemEvent("", map[string]any{"reason": "retention policy", "status": due.Status,
		"ended_at": due.EndedAt, "due_at": due.DueAt})
	if _, err := a.Store.MarkDocumentsDeleted(ctx, due.EnvelopeID, ev); errors.Is(err, models.ErrLegalHold) {
		return true, nil
	} else if err != nil {
		return false, err
	}
	env, err := a.Store.GetEnvelope(ctx, due.TenantID, due.EnvelopeID)
	if err != nil {
		return false, err
	}
	keys := blob.EnvelopeKeys(env.ID, models.DocumentIDs(env.Documents), models.ImageKeys(env.Fields))
	for _, k := range keys {
		if err := a.Blobs.Delete(ctx, k); err != nil {
			return false, fmt.Errorf("retention: %w", err)
		}
	}
	a.Log.InfoContext(ctx, "documents deleted by the retention policy", "envelope_id", env.ID, "blobs", len(keys))
	return false, nil
}
