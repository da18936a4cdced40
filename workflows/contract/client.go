package contract

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
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

// Reassign hands a recipient's part to someone else.
func (c *Client) Reassign(ctx context.Context, envelopeID string, req ReassignRequest) (State, error) {
	return c.update(ctx, envelopeID, UpdateReassign, req)
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

// RetryRender renders a render_failed envelope's documents again.
func (c *Client) RetryRender(ctx context.Context, envelopeID string, req RetryRenderRequest) (State, error) {
	return c.update(ctx, envelopeID, UpdateRetryRender, req)
}

// Viewed tells the envelope a recipient opened it. A view that changes
// nothing (not the recipient's turn, viewed already) is a *Rejection.
func (c *Client) Viewed(ctx context.Context, envelopeID string, v ViewedRequest) error {
	_, err := c.update(ctx, envelopeID, UpdateViewed, v)
	return err
}

// DeliveryFailed tells the envelope a message to a recipient was refused
// for good. A refusal that changes nothing is a *Rejection.
func (c *Client) DeliveryFailed(ctx context.Context, envelopeID string, req DeliveryFailedRequest) error {
	_, err := c.update(ctx, envelopeID, UpdateDeliveryFailed, req)
	return err
}

// State is the envelope's live state.
func (c *Client) State(ctx context.Context, envelopeID string) (State, error) {
	var st State
	v, err := c.temporal.QueryWorkflow(ctx, EnvelopeWorkflowID(envelopeID), "", QueryState)
	if err == nil {
		err = v.Get(&st)
	}
	return st, classify("envelope "+envelopeID, err)
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

// Workflow run states, as RunStatus names them.
const (
	RunRunning = "running"
	RunMissing = "missing" // never started, or deleted
)

// RunStatus is the state of an envelope's workflow: RunRunning,
// RunMissing, or how it closed ("completed", "terminated", "failed",
// "timedout", "canceled").
func (c *Client) RunStatus(ctx context.Context, envelopeID string) (string, error) {
	desc, err := c.temporal.DescribeWorkflowExecution(ctx, EnvelopeWorkflowID(envelopeID), "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return RunMissing, nil
	}
	if err != nil {
		return "", fmt.Errorf("describe workflow of envelope %s: %w", envelopeID, err)
	}
	status := desc.GetWorkflowExecutionInfo().GetStatus()
	if status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return RunRunning, nil
	}
	return strings.ToLower(status.String()), nil
}

// EndedAbnormally finds the envelopes whose workflow closed since t other
// than by completing, by Temporal's visibility store: envelope ID -> how
// it closed, as RunStatus names it ("terminated", "failed", ...).
func (c *Client) EndedAbnormally(ctx context.Context, since time.Time) (map[string]string, error) {
	query := fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus != 'Running' AND ExecutionStatus != 'Completed' "+
		"AND ExecutionStatus != 'ContinuedAsNew' AND CloseTime > '%s'", EnvelopeWorkflowType, since.UTC().Format(time.RFC3339))
	ended := map[string]string{}
	var token []byte
	for {
		resp, err := c.temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, NextPageToken: token})
		if err != nil {
			return nil, fmt.Errorf("list envelope workflows that ended abnormally: %w", err)
		}
		for _, e := range resp.GetExecutions() {
			if id, ok := strings.CutPrefix(e.GetExecution().GetWorkflowId(), envelopeIDPrefix); ok {
				ended[id] = strings.ToLower(e.GetStatus().String())
			}
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return ended, nil
		}
	}
}

// DelivererRunning says whether a webhook deliverer drains the queue.
func (c *Client) DelivererRunning(ctx context.Context, subscriptionID, envelopeID string) (bool, error) {
	desc, err := c.temporal.DescribeWorkflowExecution(ctx, WebhookDelivererID(subscriptionID, envelopeID), "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("describe webhook deliverer: %w", err)
	}
	return desc.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, nil
}

// EnsureReconcileSchedule creates the reconciliation schedule unless it
// exists: every interval, a run checks what has not moved for staleAfter.
func (c *Client) EnsureReconcileSchedule(ctx context.Context, interval, staleAfter time.Duration) error {
	return c.ensureSchedule(ctx, ReconcileScheduleID, ReconcileWorkflowType, interval, ReconcileInput{StaleAfter: staleAfter})
}

// EnsureRetentionSchedule creates the retention schedule unless it exists:
// every interval, a run deletes the documents past their tenants'
// retention periods (or lists them, when the workers are set to dry-run).
func (c *Client) EnsureRetentionSchedule(ctx context.Context, interval time.Duration) error {
	return c.ensureSchedule(ctx, RetentionScheduleID, RetentionWorkflowType, interval, RetentionInput{Limit: retentionBatch})
}

// ensureSchedule creates a schedule that starts workflowType with input
// every interval on this client's queue, unless it exists: the first
// worker to start makes it, the others find it.
func (c *Client) ensureSchedule(ctx context.Context, id, workflowType string, interval time.Duration, input any) error {
	_, err := c.temporal.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:     id,
		Spec:   client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: interval}}},
		Action: &client.ScheduleWorkflowAction{ID: id, Workflow: workflowType, TaskQueue: c.taskQueue, Args: []any{input}},
	})
	if err != nil && !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return fmt.Errorf("create schedule %s: %w", id, err)
	}
	return nil
}

// retentionBatch bounds one run; the next run takes the rest.
const retentionBatch = 500

// update runs an envelope workflow's update and waits for its state.
func (c *Client) update(ctx context.Context, envelopeID, name string, arg any) (State, error) {
	var st State
	err := c.runUpdate(ctx, EnvelopeWorkflowID(envelopeID), "envelope "+envelopeID, name, []any{arg}, &st)
	return st, err
}

// runUpdate runs an update on workflow id (what names it in errors) and
// decodes its result into result, unless nil.
func (c *Client) runUpdate(ctx context.Context, id, what, name string, args []any, result any) error {
	handle, err := c.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: id, UpdateName: name, Args: args, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = handle.Get(ctx, result)
	}
	return classify(what, err)
}

// classify maps Temporal's errors about a workflow (what names it) to the
// contract's: a refusal by the workflow's validator, or a workflow that is
// not running.
func classify(what string, err error) error {
	if err == nil {
		return nil
	}
	var appErr *temporal.ApplicationError
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &appErr) && appErr.Type() == RejectedErrorType:
		return &Rejection{Reason: appErr.Message()}
	case errors.As(err, &notFound):
		return fmt.Errorf("%s: %w", what, ErrNotRunning)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Backlog is how long the oldest task waiting on the workflows' task queue
// has waited, workflow and activity tasks alike: how far the workers are
// behind what was asked of them.
func (c *Client) Backlog(ctx context.Context) (time.Duration, error) {
	desc, err := c.temporal.DescribeTaskQueueEnhanced(ctx, client.DescribeTaskQueueEnhancedOptions{
		TaskQueue:      c.taskQueue,
		TaskQueueTypes: []client.TaskQueueType{client.TaskQueueTypeWorkflow, client.TaskQueueTypeActivity},
		ReportStats:    true,
	})
	if err != nil {
		return 0, fmt.Errorf("describe task queue %s: %w", c.taskQueue, err)
	}
	var oldest time.Duration
	for _, version := range desc.VersionsInfo {
		for _, info := range version.TypesInfo {
			if info.Stats != nil {
				oldest = max(oldest, info.Stats.ApproximateBacklogAge)
			}
		}
	}
	return oldest, nil
}
