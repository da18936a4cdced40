package workflows

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"

	"github.com/signflow/signflow/activities"
)

// WebhookPolicy is how long and how often a delivery is retried: from
// InitialInterval, doubling, capped at MaxInterval, each delay jittered,
// until Window has passed since the first attempt; then it is dead-lettered.
type WebhookPolicy struct {
	InitialInterval time.Duration `json:"initial_interval"`
	MaxInterval     time.Duration `json:"max_interval"`
	Window          time.Duration `json:"window"`
}

// DefaultWebhookPolicy: 5 s doubling to 1 h, for 3 days.
var DefaultWebhookPolicy = WebhookPolicy{InitialInterval: 5 * time.Second, MaxInterval: time.Hour, Window: 72 * time.Hour}

// SignalWebhookWake tells a deliverer that new deliveries may be waiting.
const SignalWebhookWake = "wake"

// webhookIdle is how long a deliverer with nothing to send waits for more
// before it ends; the next event starts it again.
const webhookIdle = time.Minute

// WebhookDelivererInput names the one queue a deliverer drains: one
// subscription's deliveries of one envelope.
type WebhookDelivererInput struct {
	SubscriptionID string        `json:"subscription_id"`
	EnvelopeID     string        `json:"envelope_id"`
	Policy         WebhookPolicy `json:"policy"`
}

// WebhookDelivererID is the deliverer's workflow ID: one per
// (subscription, envelope), so that an envelope's events reach an endpoint
// in order while other envelopes' events flow on.
func WebhookDelivererID(subscriptionID, envelopeID string) string {
	return "webhooks-" + subscriptionID + "-" + envelopeID
}

// WakeWebhooks starts or wakes the deliverers of an envelope's pending
// deliveries.
func WakeWebhooks(ctx context.Context, c client.Client, taskQueue string, policy WebhookPolicy, envelopeID string, subscriptionIDs []string) error {
	for _, sub := range subscriptionIDs {
		opts := client.StartWorkflowOptions{ID: WebhookDelivererID(sub, envelopeID), TaskQueue: taskQueue}
		in := WebhookDelivererInput{SubscriptionID: sub, EnvelopeID: envelopeID, Policy: policy}
		if _, err := c.SignalWithStartWorkflow(ctx, opts.ID, SignalWebhookWake, nil, opts, WebhookDeliverer, in); err != nil {
			return fmt.Errorf("wake webhook deliverer %s: %w", opts.ID, err)
		}
	}
	return nil
}

// WebhookDeliverer sends one subscription's deliveries of one envelope, one
// at a time in the envelope's order: event n+1 waits until n is delivered
// or dead-lettered. Delays are durable timers, so a slow or dead endpoint
// holds up only its own queue, never signing.
func WebhookDeliverer(ctx workflow.Context, in WebhookDelivererInput) error {
	wake := workflow.GetSignalChannel(ctx, SignalWebhookWake)
	actx := withRetries(ctx, 30*time.Second)
	for {
		var next *activities.WebhookTask
		if err := workflow.ExecuteActivity(actx, a.NextWebhookDelivery, in.SubscriptionID, in.EnvelopeID).Get(ctx, &next); err != nil {
			return err
		}
		if next == nil {
			if !awaitWake(ctx, wake) {
				return nil
			}
			continue
		}
		if err := deliver(ctx, actx, in.Policy, next); err != nil {
			return err
		}
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			return workflow.NewContinueAsNewError(ctx, WebhookDeliverer, in)
		}
	}
}

// awaitWake waits for a wake signal, or says there is none when the
// deliverer has idled long enough. Signals that came meanwhile are drained,
// so none is left unread when the workflow ends.
func awaitWake(ctx workflow.Context, wake workflow.ReceiveChannel) bool {
	timerCtx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	woke := false
	sel := workflow.NewSelector(ctx)
	sel.AddReceive(wake, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil); woke = true })
	sel.AddFuture(workflow.NewTimer(timerCtx, webhookIdle), func(workflow.Future) {})
	sel.Select(ctx)
	for wake.ReceiveAsync(nil) {
		woke = true
	}
	return woke
}

// deliver tries one delivery until it is done or its window has passed.
func deliver(ctx, actx workflow.Context, policy WebhookPolicy, task *activities.WebhookTask) error {
	first := workflow.Now(ctx)
	for n := 1; ; n++ {
		var res activities.WebhookResult
		req := activities.WebhookAttemptRequest{DeliveryID: task.DeliveryID, Attempt: task.Attempts + n}
		if err := workflow.ExecuteActivity(actx, a.AttemptWebhookDelivery, req).Get(ctx, &res); err != nil {
			return err
		}
		if res.Done {
			return nil
		}
		if workflow.Now(ctx).Sub(first) >= policy.Window {
			return workflow.ExecuteActivity(actx, a.DeadLetterWebhook, task.DeliveryID).Get(ctx, nil)
		}
		if err := workflow.Sleep(ctx, backoff(ctx, policy, n)); err != nil {
			return err
		}
	}
}

// backoff is the delay after the n-th failed attempt: InitialInterval
// doubled n-1 times, capped, then "equal jitter" (half fixed, half random)
// so that receivers coming back are not hit by every sender at once.
func backoff(ctx workflow.Context, policy WebhookPolicy, n int) time.Duration {
	d := policy.MaxInterval
	if n < 40 {
		d = min(policy.InitialInterval<<(n-1), policy.MaxInterval)
	}
	var jitter float64
	_ = workflow.SideEffect(ctx, func(workflow.Context) any { return rand.Float64() }).Get(&jitter)
	return d/2 + time.Duration(jitter*float64(d/2))
}
