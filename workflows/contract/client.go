package contract

import (
	"context"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/signflow/signflow/models"
)

// Client starts Signflow's workflows and sends them messages, turning
// Temporal's answers into this package's errors.
type Client struct {
	temporal  client.Client
	taskQueue string
	webhooks  WebhookPolicy
}

// NewClient is a client for workflows served on taskQueue; webhook
// deliverers it starts retry as policy says.
func NewClient(c client.Client, taskQueue string, policy WebhookPolicy) *Client {
	return &Client{temporal: c, taskQueue: taskQueue, webhooks: policy}
}

// CheckHealth says whether Temporal answers.
func (c *Client) CheckHealth(ctx context.Context) error {
	_, err := c.temporal.CheckHealth(ctx, &client.CheckHealthRequest{})
	return err
}

// Start starts an envelope's workflow; an envelope ID starts at most one,
// so starting it again (a retry) succeeds without a second.
func (c *Client) Start(ctx context.Context, in EnvelopeInput) error {
	_, err := c.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       EnvelopeWorkflowID(in.EnvelopeID),
		TaskQueue:                c.taskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			EnvelopeStatusAttribute.ValueSet(models.EnvelopeInProgress),
			TenantIDAttribute.ValueSet(in.TenantID),
		),
	}, EnvelopeWorkflowType, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return fmt.Errorf("start workflow of envelope %s: %w", in.EnvelopeID, err)
	}
	return nil
}

// Sign records a signer's signature.
func (c *Client) Sign(ctx context.Context, envelopeID string, req SignRequest) (State, error) {
	return c.update(ctx, envelopeID, UpdateSign, req)
}

// Approve records an approver's approval.
func (c *Client) Approve(ctx context.Context, envelopeID string, req ApproveRequest) (State, error) {
	return c.update(ctx, envelopeID, UpdateApprove, req)
}

// Decline records a refusal, which ends the envelope.
func (c *Client) Decline(ctx context.Context, envelopeID string, req DeclineRequest) (State, error) {
	return c.update(ctx, envelopeID, UpdateDecline, req)
}

// Void cancels the envelope.
func (c *Client) Void(ctx context.Context, envelopeID string, req VoidRequest) (State, error) {
	return c.update(ctx, envelopeID, UpdateVoid, req)
}

// Resend gives a recipient a new link and emails it.
func (c *Client) Resend(ctx context.Context, envelopeID string, req ResendRequest) (State, error) {
	return c.update(ctx, envelopeID, UpdateResend, req)
}

// Correct changes a recipient's name or email.
func (c *Client) Correct(ctx context.Context, envelopeID string, req CorrectRequest) (State, error) {
	return c.update(ctx, envelopeID, UpdateCorrect, req)
}

// Viewed tells the envelope a recipient opened it. A view that changes
// nothing (not the recipient's turn, viewed already) is a *Rejection.
func (c *Client) Viewed(ctx context.Context, envelopeID string, v ViewedRequest) error {
	_, err := c.update(ctx, envelopeID, UpdateViewed, v)
	return err
}

// State is the envelope's live state.
func (c *Client) State(ctx context.Context, envelopeID string) (State, error) {
	var st State
	v, err := c.temporal.QueryWorkflow(ctx, EnvelopeWorkflowID(envelopeID), "", QueryState)
	if err == nil {
		err = v.Get(&st)
	}
	return st, classify(envelopeID, err)
}

// WakeWebhooks starts or wakes the deliverers of an envelope's pending
// deliveries to the given subscriptions.
func (c *Client) WakeWebhooks(ctx context.Context, envelopeID string, subscriptionIDs []string) error {
	for _, sub := range subscriptionIDs {
		opts := client.StartWorkflowOptions{ID: WebhookDelivererID(sub, envelopeID), TaskQueue: c.taskQueue}
		in := WebhookDelivererInput{SubscriptionID: sub, EnvelopeID: envelopeID, Policy: c.webhooks}
		if _, err := c.temporal.SignalWithStartWorkflow(ctx, opts.ID, SignalWebhookWake, nil, opts, WebhookDelivererType, in); err != nil {
			return fmt.Errorf("wake webhook deliverer %s: %w", opts.ID, err)
		}
	}
	return nil
}

// update runs a workflow update and waits for its result.
func (c *Client) update(ctx context.Context, envelopeID, name string, arg any) (State, error) {
	var st State
	handle, err := c.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   EnvelopeWorkflowID(envelopeID),
		UpdateName:   name,
		Args:         []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = handle.Get(ctx, &st)
	}
	return st, classify(envelopeID, err)
}

// classify maps Temporal's errors to the contract's: a refusal by the
// workflow's validator, or a workflow that is not running.
func classify(envelopeID string, err error) error {
	if err == nil {
		return nil
	}
	var appErr *temporal.ApplicationError
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &appErr) && appErr.Type() == RejectedErrorType:
		return &Rejection{Reason: appErr.Message()}
	case errors.As(err, &notFound):
		return fmt.Errorf("envelope %s: %w", envelopeID, ErrNotRunning)
	}
	return fmt.Errorf("envelope %s: %w", envelopeID, err)
}
