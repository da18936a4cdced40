package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/workflows/contract"
)

// bulkBatch is how many rows one activity sends: small enough that a pause
// or cancel takes effect within seconds at the tenant's pace.
const bulkBatch = 20

// A bulk send carries on as a new run after bulkBatchesPerRun batches, or
// once its history passes bulkHistoryLimit events (pauses and resumes add
// some), so that no number of rows or of controls grows one history
// without bound.
const (
	bulkBatchesPerRun = 100
	bulkHistoryLimit  = 2000
)

// BulkSend makes a template's envelopes, one per row, a batch at a time
// and in row order. It can be paused, resumed and cancelled; each row's
// envelope is made idempotently, so a crash at any point loses and doubles
// nothing; a row the rules refuse is recorded as refused and the rest go on.
func BulkSend(ctx workflow.Context, in contract.BulkSendInput) error {
	paused, cancelled := in.Paused, false
	next := in.Next
	if err := bulkHandlers(ctx, &paused, &cancelled, &next); err != nil {
		return err
	}
	// Batches run on the background queue: a person signing is served
	// ahead of a thousand invitations.
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           contract.BackgroundQueue(workflow.GetInfo(ctx).TaskQueueName),
		StartToCloseTimeout: 30 * time.Minute,
		HeartbeatTimeout:    15 * time.Second, // a row heartbeats; a dead worker's batch moves on soon
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
	for batches := 1; next < in.Rows && !cancelled; batches++ {
		if err := workflow.Await(ctx, func() bool { return !paused || cancelled }); err != nil {
			return err
		}
		if cancelled {
			break
		}
		batch := contract.BulkBatch{BulkID: in.BulkID, From: next, To: min(next+bulkBatch, in.Rows)}
		if err := workflow.ExecuteActivity(actx, contract.SendBulkRowsActivity, batch).Get(ctx, nil); err != nil {
			return err
		}
		next = batch.To
		long := batches >= bulkBatchesPerRun || workflow.GetInfo(ctx).GetCurrentHistoryLength() > bulkHistoryLimit
		if long && next < in.Rows {
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return err
			}
			in.Next, in.Paused = next, paused
			if cancelled {
				break
			}
			return workflow.NewContinueAsNewError(ctx, BulkSend, in)
		}
	}
	status := models.BulkCompleted
	if cancelled {
		status = models.BulkCancelled
	}
	return workflow.ExecuteActivity(withRetries(ctx, time.Minute), contract.FinishBulkSendActivity, in.BulkID, status).Get(ctx, nil)
}

// bulkHandlers answers pause, resume and cancel, refusing what would change
// nothing, and reports progress.
func bulkHandlers(ctx workflow.Context, paused, cancelled *bool, next *int) error {
	control := func(name string, valid func() error, apply func()) error {
		return workflow.SetUpdateHandlerWithOptions(ctx, name, func(workflow.Context) error {
			apply()
			return nil
		}, workflow.UpdateHandlerOptions{Validator: func(workflow.Context) error { return valid() }})
	}
	ended := func() error {
		if *cancelled {
			return rejected("the bulk send is being cancelled")
		}
		return nil
	}
	if err := control(contract.UpdateBulkPause, func() error {
		if *paused {
			return rejected("the bulk send is paused already")
		}
		return ended()
	}, func() { *paused = true }); err != nil {
		return err
	}
	if err := control(contract.UpdateBulkResume, func() error {
		if !*paused {
			return rejected("the bulk send is not paused")
		}
		return ended()
	}, func() { *paused = false }); err != nil {
		return err
	}
	if err := control(contract.UpdateBulkCancel, ended, func() { *cancelled = true }); err != nil {
		return err
	}
	return workflow.SetQueryHandler(ctx, contract.QueryBulkStatus, func() (contract.BulkProgress, error) {
		state := contract.BulkStateRunning
		switch {
		case *cancelled:
			state = contract.BulkStateCancelling
		case *paused:
			state = contract.BulkStatePaused
		}
		return contract.BulkProgress{State: state, Next: *next}, nil
	})
}
