package workflows

import (
	"math/rand/v2"
	"time"

	"github.com/signflow/signflow/workflows/contract"
	"go.temporal.io/sdk/workflow"
)

// webhookIdle is how long a deliverer with nothing to send waits for more
// before it ends; the next event starts it again.
const webhookIdle = time.Minute

// WebhookDeliverer sends one subscription's deliveries of one envelope, one
// at a time in the envelope's order: event n+1 waits until n is delivered
// or dead-lettered. Delays are durable timers, so a slow or dead endpoint
// holds up only its own queue, never signing.
func WebhookDeliverer(ctx workflow.Context, in contract.WebhookDelivererInput) error {
	wake := workflow.GetSignalChannel(ctx, contract.SignalWebhookWake)
	actx := withRetries(ctx, 30*time.Second)
	for {
		var next *contract.WebhookTask
		if err := workflow.ExecuteActivity(actx, contract.NextWebhookDeliveryActivity, in.SubscriptionID, in.EnvelopeID).Get(ctx, &next); err != nil {
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
			return workflow.NewContinueAsNewError(ctx, contract.WebhookDelivererType, in)
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
func deliver(ctx, actx workflow.Context, policy contract.WebhookPolicy, task *contract.WebhookTask) error {
	first := workflow.Now(ctx)
	for n := 1; ; n++ {
		var res contract.WebhookResult
		req := contract.WebhookAttemptRequest{DeliveryID: task.DeliveryID, Attempt: task.Attempts + n}
		if err := workflow.ExecuteActivity(actx, contract.AttemptWebhookDeliveryActivity, req).Get(ctx, &res); err != nil {
			return err
		}
		if res.Done {
			return nil
		}
		if workflow.Now(ctx).Sub(first) >= policy.Window {
			return workflow.ExecuteActivity(actx, contract.DeadLetterWebhookActivity, task.DeliveryID).Get(ctx, nil)
		}
		if err := workflow.Sleep(ctx, backoff(ctx, policy, n)); err != nil {
			return err
		}
	}
}

// nominalDelay is InitialInterval doubled n-1 times, capped: doubling
// stops at the cap, so no attempt count can overflow it.
func nominalDelay(policy contract.WebhookPolicy, n int) time.Duration {
	d := policy.InitialInterval
	for i := 1; i < n && d < policy.MaxInterval; i++ {
		if d > policy.MaxInterval/2 {
			return policy.MaxInterval
		}
		d *= 2
	}
	return min(d, policy.MaxInterval)
}

// backoff is the delay after the n-th failed attempt: InitialInterval
// doubled n-1 times, capped, then "equal jitter" (half fixed, half random)
// so that receivers coming back are not hit by every sender at once.
func backoff(ctx workflow.Context, policy contract.WebhookPolicy, n int) time.Duration {
	d := nominalDelay(policy, n)
	var jitter float64
	_ = workflow.SideEffect(ctx, func(workflow.Context) any { return rand.Float64() }).Get(&jitter)
	return d/2 + time.Duration(jitter*float64(d/2))
}
