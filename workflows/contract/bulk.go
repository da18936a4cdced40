package contract

import (
	"context"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// BulkSendWorkflowType creates a bulk send's envelopes.
const BulkSendWorkflowType = "BulkSend"

// BulkSendWorkflowID is the workflow of bulk send id.
func BulkSendWorkflowID(id string) string { return "bulk-send-" + id }

// BulkSendInput is where a bulk send's workflow starts (again, after a
// continue-as-new): rows from Next on, paused or not.
type BulkSendInput struct {
	BulkID   string `json:"bulk_id"`
	TenantID string `json:"tenant_id"`
	Rows     int    `json:"rows"`
	Next     int    `json:"next"`
	Paused   bool   `json:"paused"`
}

// The bulk send workflow's updates and query. Each update's validator
// refuses what would change nothing (pausing a paused send), so repeating
// one never grows the history.
const (
	UpdateBulkPause  = "pause"
	UpdateBulkResume = "resume"
	UpdateBulkCancel = "cancel"
	QueryBulkStatus  = "status"
)

// Bulk send states the workflow reports while it runs.
const (
	BulkStateRunning    = "running"
	BulkStatePaused     = "paused"
	BulkStateCancelling = "cancelling"
)

// BulkProgress is what a running bulk send's workflow reports.
type BulkProgress struct {
	State string `json:"state"`
	// Next is the first row not yet handed to a batch.
	Next int `json:"next"`
}

// StartBulkSend starts a bulk send's workflow; starting it again succeeds
// without a second.
func (c *Client) StartBulkSend(ctx context.Context, in BulkSendInput) error {
	_, err := c.EnsureBulkSend(ctx, in)
	return err
}

// EnsureBulkSend starts a bulk send's workflow unless it has one, and says
// whether it started it.
func (c *Client) EnsureBulkSend(ctx context.Context, in BulkSendInput) (bool, error) {
	_, err := c.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       BulkSendWorkflowID(in.BulkID),
		TaskQueue:                c.taskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
	}, BulkSendWorkflowType, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case errors.As(err, &started):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("start bulk send %s: %w", in.BulkID, err)
	}
	return true, nil
}

// ControlBulkSend pauses, resumes or cancels a bulk send: a *Rejection
// when it is not in a state to, ErrNotRunning when it has ended.
func (c *Client) ControlBulkSend(ctx context.Context, id, update string) error {
	return c.runUpdate(ctx, BulkSendWorkflowID(id), "bulk send "+id, update, nil, nil)
}

// BulkSendProgress asks a running bulk send how far it is.
func (c *Client) BulkSendProgress(ctx context.Context, id string) (BulkProgress, error) {
	var p BulkProgress
	v, err := c.temporal.QueryWorkflow(ctx, BulkSendWorkflowID(id), "", QueryBulkStatus)
	if err == nil {
		err = v.Get(&p)
	}
	return p, classify("bulk send "+id, err)
}
