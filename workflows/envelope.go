// Package workflows holds the envelope signing process: routing, reminders,
// expiry and completion, as one durable Temporal workflow per envelope.
package workflows

import (
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/signflow/signflow/activities"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/workflows/contract"
)

// a is only used to name activity methods; Temporal calls the registered
// instance on the worker.
var a *activities.Activities

// EnvelopeWorkflow runs one envelope from sending to its end: recipients
// act in routing order (the same order in parallel), are reminded while
// they have not acted, and the envelope completes, is declined, voided or
// expires.
func EnvelopeWorkflow(ctx workflow.Context, in contract.EnvelopeInput) (contract.State, error) {
	e := newEnvelope(in)
	if err := e.register(ctx); err != nil {
		return contract.State{}, err
	}
	// The current order advances the moment its last recipient acts, inside
	// that action, so the next recipients are due as soon as it returns.
	for order := e.currentOrder(); order != 0 && !e.closed(); order = e.currentOrder() {
		if err := e.notifyOrder(ctx, order); err != nil {
			return e.state(), err
		}
		if err := e.awaitOrder(ctx, order); err != nil {
			return e.state(), err
		}
	}
	if !e.closed() {
		if err := e.complete(ctx); err != nil {
			return e.state(), err
		}
	}
	// Let every accepted update and signal finish persisting before the run
	// ends, so no numbered event is left unwritten.
	if err := workflow.Await(ctx, func() bool { return e.inflight == 0 && workflow.AllHandlersFinished(ctx) }); err != nil {
		return e.state(), err
	}
	return e.state(), nil
}

type envelope struct {
	in         contract.EnvelopeInput
	status     string
	version    int64
	recipients []models.RecipientState
	warned     bool
	inflight   int
}

func newEnvelope(in contract.EnvelopeInput) *envelope {
	e := &envelope{in: in, status: models.EnvelopeInProgress, version: in.Version}
	for _, r := range in.Recipients {
		e.recipients = append(e.recipients, models.RecipientState{ID: r.ID, Status: models.RecipientWaiting, Generation: 1})
	}
	return e
}

func (e *envelope) register(ctx workflow.Context) error {
	updates := []struct {
		name      string
		handler   any
		validator any
	}{
		{contract.UpdateSign, e.sign, e.validateSign},
		{contract.UpdateApprove, e.approve, e.validateApprove},
		{contract.UpdateDecline, e.decline, e.validateDecline},
		{contract.UpdateVoid, e.void, e.validateVoid},
		{contract.UpdateResend, e.resend, e.validateResend},
		{contract.UpdateCorrect, e.correct, e.validateCorrect},
		{contract.UpdateViewed, e.markViewed, e.validateViewed},
	}
	for _, u := range updates {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, u.name, u.handler, workflow.UpdateHandlerOptions{Validator: u.validator}); err != nil {
			return err
		}
	}
	if err := workflow.SetQueryHandler(ctx, contract.QueryState, func() (contract.State, error) { return e.state(), nil }); err != nil {
		return err
	}
	viewed := workflow.GetSignalChannel(ctx, contract.SignalViewed)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var sig contract.ViewedRequest
			viewed.Receive(ctx, &sig)
			if _, err := e.viewable(sig.RecipientID); err == nil {
				// A failure here can only be the workflow ending; the view is then moot.
				_ = e.viewed(ctx, sig)
			}
		}
	})
	return nil
}

func (e *envelope) closed() bool { return models.IsTerminal(e.status) }

// currentOrder is the lowest routing order with a signer or approver who
// has not acted, or 0 when everyone has. Carbon copies never block.
func (e *envelope) currentOrder() int {
	current := 0
	for i, r := range e.in.Recipients {
		if r.Role != models.RoleCC && !acted(e.recipients[i].Status) && (current == 0 || r.RoutingOrder < current) {
			current = r.RoutingOrder
		}
	}
	return current
}

// pending are the recipients of order who still have to act.
func (e *envelope) pending(order int) []int {
	var idx []int
	for i, r := range e.in.Recipients {
		if r.Role != models.RoleCC && r.RoutingOrder == order && !acted(e.recipients[i].Status) {
			idx = append(idx, i)
		}
	}
	return idx
}

func acted(status string) bool {
	return status == models.RecipientSigned || status == models.RecipientApproved || status == models.RecipientDeclined
}

func (e *envelope) notifyOrder(ctx workflow.Context, order int) error {
	for _, i := range e.pending(order) {
		if e.closed() {
			return nil
		}
		r := &e.recipients[i]
		if r.Status != models.RecipientWaiting {
			continue // acted or viewed before their invitation went out
		}
		// Change state before yielding: an action arriving while the
		// invitation is queued must not be overwritten afterwards.
		now := workflow.Now(ctx)
		r.Status, r.NotifiedAt = models.RecipientNotified, &now
		if err := e.commit(ctx, models.Event{Type: models.EventRecipientNotified, RecipientID: r.ID}, nil); err != nil {
			return err
		}
		if err := e.queue(ctx, r.ID, models.NotifyInvitation, 1); err != nil {
			return err
		}
	}
	return nil
}

// awaitOrder waits until order has acted or the envelope closed, sending
// reminders and the expiry warning on the way, and expiring the envelope
// when its time is up.
func (e *envelope) awaitOrder(ctx workflow.Context, order int) error {
	s := e.in.Settings
	reminders := 0
	lastNudge := workflow.Now(ctx)
	done := func() bool { return e.closed() || e.currentOrder() != order }
	for !done() {
		now := workflow.Now(ctx)
		wake := s.ExpiresAt
		warnAt := s.ExpiresAt.Add(-s.ExpiryWarning)
		if s.ExpiryWarning > 0 && !e.warned && warnAt.Before(wake) {
			wake = warnAt
		}
		remindAt := lastNudge.Add(s.ReminderInterval)
		if s.ReminderInterval > 0 && reminders < s.ReminderCount && remindAt.Before(wake) {
			wake = remindAt
		}
		if wait := wake.Sub(now); wait > 0 {
			ok, err := workflow.AwaitWithTimeout(ctx, wait, done)
			if err != nil {
				return err
			}
			if ok {
				return nil
			}
			now = workflow.Now(ctx)
		}
		switch {
		case !now.Before(s.ExpiresAt):
			return e.expire(ctx)
		case s.ExpiryWarning > 0 && !e.warned && !now.Before(warnAt):
			e.warned = true
			if err := e.nudge(ctx, order, models.NotifyExpiryWarning, 1, models.EventExpiryWarningSent); err != nil {
				return err
			}
		case s.ReminderInterval > 0 && reminders < s.ReminderCount && !now.Before(remindAt):
			reminders++
			lastNudge = now
			if err := e.nudge(ctx, order, models.NotifyReminder, reminders, models.EventReminderSent); err != nil {
				return err
			}
		}
	}
	return nil
}

// nudge sends a reminder or warning to everyone pending in order.
func (e *envelope) nudge(ctx workflow.Context, order int, kind string, seq int, eventType string) error {
	for _, i := range e.pending(order) {
		id := e.recipients[i].ID
		if err := e.queue(ctx, id, kind, seq); err != nil {
			return err
		}
		ev := models.Event{Type: eventType, RecipientID: id, Details: map[string]any{"sequence": seq}}
		if err := e.commit(ctx, ev, nil); err != nil {
			return err
		}
	}
	return nil
}

func (e *envelope) expire(ctx workflow.Context) error {
	e.status = models.EnvelopeExpired
	return e.commit(ctx, models.Event{Type: models.EventEnvelopeExpired}, nil)
}

func (e *envelope) complete(ctx workflow.Context) error {
	// Rendering reads the field values from the database: wait until the
	// last signature's values are stored.
	if err := workflow.Await(ctx, func() bool { return e.inflight == 0 }); err != nil {
		return err
	}
	var finals []activities.FinalDocument
	render := activities.RenderRequest{EnvelopeID: e.in.EnvelopeID, TenantID: e.in.TenantID}
	if err := workflow.ExecuteActivity(withRetries(ctx, 5*time.Minute), a.RenderFinalDocuments, render).Get(ctx, &finals); err != nil {
		return err
	}
	if e.closed() { // voided while rendering
		return nil
	}
	now := workflow.Now(ctx)
	e.status = models.EnvelopeCompleted
	for i, r := range e.in.Recipients {
		if r.Role == models.RoleCC {
			e.recipients[i].Status = models.RecipientCopied
		}
	}
	ev := models.Event{Type: models.EventEnvelopeCompleted, Details: map[string]any{"final_documents": finals, "completed_at": now}}
	if err := e.commit(ctx, ev, nil); err != nil {
		return err
	}
	for _, r := range e.recipients {
		if err := e.queue(ctx, r.ID, models.NotifyCompleted, 1); err != nil {
			return err
		}
	}
	return nil
}

// commit numbers the state change, then stores the snapshot and its event.
// Callers change state before calling, without yielding in between, so that
// validators always see the newest state.
func (e *envelope) commit(ctx workflow.Context, ev models.Event, values []models.FieldValue) error {
	e.version++
	ev.OccurredAt = workflow.Now(ctx)
	if ev.ActorType == "" {
		ev.ActorType, ev.Actor = models.ActorSystem, "signflow"
	}
	t := models.Transition{
		EnvelopeID: e.in.EnvelopeID,
		TenantID:   e.in.TenantID,
		Version:    e.version,
		Status:     e.status,
		Recipients: slices.Clone(e.recipients),
		Values:     values,
		Event:      ev,
	}
	if e.status == models.EnvelopeCompleted {
		t.CompletedAt = &ev.OccurredAt
	}
	if e.closed() {
		if err := workflow.UpsertTypedSearchAttributes(ctx, contract.EnvelopeStatusAttribute.ValueSet(e.status)); err != nil {
			return err
		}
	}
	e.inflight++
	defer func() { e.inflight-- }()
	return workflow.ExecuteActivity(withRetries(ctx, 30*time.Second), a.ApplyTransition, t).Get(ctx, nil)
}

// queue writes a notification to the outbox, then emails it. Envelopes
// started before email delivery existed keep their recorded history.
func (e *envelope) queue(ctx workflow.Context, recipientID, kind string, seq int) error {
	req := activities.NotificationRequest{EnvelopeID: e.in.EnvelopeID, TenantID: e.in.TenantID, RecipientID: recipientID, Kind: kind, Sequence: seq}
	if err := workflow.ExecuteActivity(withRetries(ctx, 30*time.Second), a.QueueNotification, req).Get(ctx, nil); err != nil {
		return err
	}
	if workflow.GetVersion(ctx, "email-delivery", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return nil
	}
	return workflow.ExecuteActivity(withMailRetries(ctx), a.SendNotification, req).Get(ctx, nil)
}

// withRetries gives an activity a timeout per attempt and retries it with
// exponential backoff for as long as it takes: a database or disk outage
// delays an envelope but never fails it.
func withRetries(ctx workflow.Context, timeout time.Duration) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: timeout,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	})
}

// withHeartbeats makes a long activity report progress at least every
// timeout, so that a dead worker's attempt is retried within it rather
// than after the whole start-to-close timeout.
func withHeartbeats(ctx workflow.Context, timeout time.Duration) workflow.Context {
	opts := workflow.GetActivityOptions(ctx)
	opts.HeartbeatTimeout = timeout
	return workflow.WithActivityOptions(ctx, opts)
}

// withMailRetries keeps trying an SMTP server that is down, from 5 seconds
// apart up to 5 minutes apart: mail is delayed, never dropped.
func withMailRetries(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    5 * time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    5 * time.Minute,
		},
	})
}

func (e *envelope) state() contract.State {
	return contract.State{Status: e.status, Version: e.version, RoutingOrder: e.currentOrder(), Recipients: slices.Clone(e.recipients)}
}
