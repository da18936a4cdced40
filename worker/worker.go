// Package worker hosts the envelope workflow and its activities on a
// Temporal task queue. It runs inside `signflow dev` or alone as
// `signflow worker`, scaled independently of the API.
package worker

import (
	"context"
	"fmt"
	"runtime"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/signflow/signflow/activities"
	"github.com/signflow/signflow/workflows"
	"github.com/signflow/signflow/workflows/contract"
)

// Workers serve one task queue and its background queue: the workflows
// and the state changes people wait on on one, emails and rendering on the
// other, with slots of their own; and the queue's outbox.
type Workers struct {
	main, background sdkworker.Worker
	outbox           *Outbox
}

// backgroundSlots bounds the emails and renders one worker runs at once, so
// that they never take every core from the workflows people wait on.
var backgroundSlots = 4 * runtime.GOMAXPROCS(0)

// New registers the envelope workflow, the webhook deliverer, the
// reconciliation and the activities on taskQueue, under the names the
// contract gives them, and the activities on its background queue; and
// the outbox dispatcher of taskQueue's envelopes, which acts wakes when a
// change owes mail.
func New(c client.Client, taskQueue string, acts activities.All) *Workers {
	outbox := newOutbox(taskQueue, acts.Mail, acts.Envelopes.Workflows)
	acts.Envelopes.Queued = outbox.Wake
	// On a graceful stop, activities under way get time to finish instead
	// of waiting out their timeout on the next worker.
	w := sdkworker.New(c, taskQueue, sdkworker.Options{WorkerStopTimeout: 30 * time.Second})
	w.RegisterWorkflowWithOptions(workflows.EnvelopeWorkflow, workflow.RegisterOptions{Name: contract.EnvelopeWorkflowType})
	w.RegisterWorkflowWithOptions(workflows.WebhookDeliverer, workflow.RegisterOptions{Name: contract.WebhookDelivererType})
	w.RegisterWorkflowWithOptions(workflows.Reconcile, workflow.RegisterOptions{Name: contract.ReconcileWorkflowType})
	w.RegisterWorkflowWithOptions(workflows.Retention, workflow.RegisterOptions{Name: contract.RetentionWorkflowType})
	w.RegisterWorkflowWithOptions(workflows.BulkSend, workflow.RegisterOptions{Name: contract.BulkSendWorkflowType})
	register(w, acts)
	bg := sdkworker.New(c, contract.BackgroundQueue(taskQueue), sdkworker.Options{WorkerStopTimeout: 30 * time.Second,
		MaxConcurrentActivityExecutionSize: backgroundSlots})
	register(bg, acts)
	return &Workers{main: w, background: bg, outbox: outbox}
}

// register registers every group of activities, each method under its own
// name, as the contract names them.
func register(w sdkworker.Worker, acts activities.All) {
	for _, group := range []any{acts.Envelopes, acts.Render, acts.Mail, acts.Webhooks, acts.Bulk, acts.Retention, acts.Reconcile} {
		w.RegisterActivity(group)
	}
}

// Start starts both workers.
func (w *Workers) Start() error {
	if err := w.main.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	if err := w.background.Start(); err != nil {
		w.main.Stop()
		return fmt.Errorf("start background worker: %w", err)
	}
	w.outbox.start()
	return nil
}

// Stop stops both and the outbox dispatcher, letting activities and sends
// under way finish.
func (w *Workers) Stop() {
	w.background.Stop()
	w.main.Stop()
	w.outbox.halt()
}

// EnsureSearchAttributes registers the custom search attributes the
// envelope workflow sets, if the namespace lacks them, so that any Temporal
// (dev server or cluster) can run Signflow without a manual step.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	ops := c.OperatorService()
	existing, err := ops.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes: %w", err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, kind := range map[string]enumspb.IndexedValueType{
		contract.EnvelopeStatusAttribute.GetName():    enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		contract.TenantIDAttribute.GetName():          enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		contract.ReconcileFindingsAttribute.GetName(): enumspb.INDEXED_VALUE_TYPE_INT,
	} {
		if _, ok := existing.GetCustomAttributes()[name]; !ok {
			missing[name] = kind
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = ops.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: missing})
	if err != nil {
		return fmt.Errorf("add search attributes: %w", err)
	}
	return nil
}
