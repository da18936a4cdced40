package activities

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/workflows/contract"
)

// maxStraysPerRun bounds one reconciliation run; the next run goes on.
const maxStraysPerRun = 100

// FindStrayEnvelopes finds envelopes in progress whose workflow is not
// running: those still at version 1 since before staleAfter whose workflow
// is missing or closed, and those whose workflow closed abnormally within
// lookback.
func (a *Reconcile) FindStrayEnvelopes(ctx context.Context, staleAfter, lookback time.Duration) ([]contract.Stray, error) {
	now := time.Now()
	unstarted, err := a.Store.Unstarted(ctx, now.Add(-staleAfter), maxStraysPerRun)
	if err != nil {
		return nil, err
	}
	var strays []contract.Stray
	for _, env := range unstarted {
		activity.RecordHeartbeat(ctx, env.ID)
		run, err := a.Workflows.RunStatus(ctx, env.ID)
		if err != nil {
			return nil, err
		}
		if run != contract.RunRunning {
			strays = append(strays, contract.Stray{EnvelopeID: env.ID, TenantID: env.TenantID, Run: run})
		}
	}
	ended, err := a.Workflows.EndedAbnormally(ctx, now.Add(-lookback))
	if err != nil {
		return nil, err
	}
	open, err := a.Store.InProgress(ctx, slices.Collect(maps.Keys(ended)))
	if err != nil {
		return nil, err
	}
	for _, env := range open {
		strays = append(strays, contract.Stray{EnvelopeID: env.ID, TenantID: env.TenantID, Run: ended[env.ID]})
	}
	return strays, nil
}

// maxBulkResumed bounds the bulk sends one reconciliation looks at.
const maxBulkResumed = 500

// ResumeBulkSends starts the workflow of every bulk send that was stored
// but never started (the API died between the two), and counts them.
func (a *Reconcile) ResumeBulkSends(ctx context.Context, staleAfter time.Duration) (int, error) {
	running, err := a.Store.RunningBulkSends(ctx, time.Now().Add(-staleAfter), maxBulkResumed)
	if err != nil {
		return 0, err
	}
	resumed := 0
	for _, b := range running {
		started, err := a.Workflows.EnsureBulkSend(ctx, contract.BulkSendInput{BulkID: b.ID, TenantID: b.TenantID, Rows: b.Rows})
		if err != nil {
			return resumed, err
		}
		if started {
			a.Log.Warn("bulk send resumed: it had no workflow", "bulk_send_id", b.ID)
			a.Metrics.Reconciled("bulk_resumed", 1)
			resumed++
		}
	}
	return resumed, nil
}

// VoidStray ends an envelope whose workflow never started, as the system.
func (a *Reconcile) VoidStray(ctx context.Context, envelopeID string) error {
	ev := models.SystemEvent("reconciled-void", map[string]any{"reason": "its signing workflow never started"})
	voided, err := a.Store.VoidStray(ctx, envelopeID, ev)
	if err != nil {
		return err
	}
	if voided {
		a.Metrics.Reconciled("voided", 1)
		a.Metrics.EnvelopeEnded(models.EnvelopeVoided, time.Time{}, time.Time{}, false)
	}
	return wakeDeliverers(ctx, a.Store, a.Workflows, envelopeID)
}

// FlagStray records, once, that an envelope is in progress while its
// workflow has ended; an operator decides (void it, or restore the
// workflow).
func (a *Reconcile) FlagStray(ctx context.Context, s contract.Stray) error {
	ev := models.SystemEvent("flagged:"+s.Run, map[string]any{"workflow": s.Run,
		"action": "void the envelope, or restore its workflow; see the reconciliation runs in the Temporal Web UI"})
	ev.EnvelopeID, ev.TenantID, ev.Type, ev.OccurredAt = s.EnvelopeID, s.TenantID, models.EventEnvelopeFlagged, time.Now()
	if err := a.Store.AppendEvent(ctx, ev); err != nil {
		return err
	}
	a.Metrics.Reconciled("flagged", 1)
	a.Log.WarnContext(ctx, "envelope flagged: in progress while its workflow has ended", "envelope_id", s.EnvelopeID, "workflow", s.Run)
	return nil
}

// WakeWaitingWebhooks starts a deliverer for each queue with a delivery
// pending since before staleAfter and none draining it (deliveries queued
// outside a transition, or a wake that failed half-way). It answers how
// many it started.
func (a *Reconcile) WakeWaitingWebhooks(ctx context.Context, staleAfter time.Duration) (int, error) {
	queues, err := a.Store.WaitingQueues(ctx, time.Now().Add(-staleAfter), 2*maxStraysPerRun)
	if err != nil {
		return 0, err
	}
	woken := 0
	for _, q := range queues {
		activity.RecordHeartbeat(ctx, q.EnvelopeID)
		running, err := a.Workflows.DelivererRunning(ctx, q.SubscriptionID, q.EnvelopeID)
		if err != nil {
			return woken, err
		}
		if running {
			continue
		}
		if err := a.Workflows.WakeWebhooks(ctx, q.EnvelopeID, []string{q.SubscriptionID}); err != nil {
			return woken, fmt.Errorf("wake deliverer: %w", err)
		}
		woken++
		a.Metrics.Reconciled("webhooks_woken", 1)
	}
	return woken, nil
}
