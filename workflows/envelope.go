// Package workflows holds the envelope signing process: routing, reminders,
// expiry and completion, as one durable Temporal workflow per envelope.
package workflows

import (
	"errors"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/signflow/signflow/internal/routing"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/workflows/contract"
)

// EnvelopeWorkflow runs one envelope from sending to its end: recipients
// act in routing order (the same order in parallel), are reminded while
// they have not acted, and the envelope completes, is declined, voided or
// expires.
func EnvelopeWorkflow(ctx workflow.Context, in contract.EnvelopeInput) (contract.State, error) {
	e := newEnvelope(in)
	// Lean envelopes store each change with the mail it owes in one
	// transaction and send mail and render on the background queue; from
	// version 2 the mail a change owes goes in one activity. Versions 1 and
	// 2 stored changes as local activities: a local activity runs before
	// its workflow task is recorded, so when a worker died in between, the
	// retried task could give the stored version to another change, and the
	// audit trail skipped it by key. From version 3 every write is an
	// activity, scheduled only once the task that decided it is recorded.
	// Envelopes started before keep what their histories recorded.
	lean := workflow.GetVersion(ctx, "lean-commits", workflow.DefaultVersion, 3)
	e.mailWithChange, e.batchedMail, e.localWrites = lean >= 1, lean >= 2, lean == 1 || lean == 2
	// From folded-invitations 1 a routing order's invitations are one
	// change, and the action that ends an order invites the next in its
	// own change: two activities and their round trips fewer for each
	// order after the first, one fewer for each further recipient.
	e.foldsInvitations = lean >= 3 && workflow.GetVersion(ctx, "folded-invitations", workflow.DefaultVersion, 1) == 1
	// From outbox-dispatch 1 the workers' outbox dispatchers send the mail
	// a change owes, reading it from the change's own transaction: no
	// activity, and no workflow task, for any email. A message refused for
	// good comes back as an UpdateDeliveryFailed.
	e.outboxSendsMail = e.foldsInvitations && workflow.GetVersion(ctx, "outbox-dispatch", workflow.DefaultVersion, 1) == 1
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
	if err := workflow.Await(ctx, func() bool {
		return e.inflight == 0 && e.mailing == 0 && workflow.AllHandlersFinished(ctx)
	}); err != nil {
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
	inflight   int // state changes being stored
	mailing    int // emails being sent
	// applied is the newest version stored; changes are stored in version
	// order, so the audit trail follows the workflow's order.
	applied int64
	// retryRender is an operator's request to render again after a failure.
	retryRender bool
	// What the envelope's version gates selected, by what they do:
	// mailWithChange (lean-commits 1): a change is stored with the mail it
	// owes, and mail and rendering run on the background queue;
	// batchedMail (lean-commits 2): a change's mail in one activity;
	// localWrites (lean-commits 1 and 2): writes as local activities;
	// foldsInvitations (folded-invitations 1): a routing order's
	// invitations are one change; outboxSendsMail (outbox-dispatch 1): the
	// outbox dispatchers send the mail.
	mailWithChange   bool
	batchedMail      bool
	localWrites      bool
	foldsInvitations bool
	outboxSendsMail  bool
}

func newEnvelope(in contract.EnvelopeInput) *envelope {
	e := &envelope{in: in, status: models.EnvelopeInProgress, version: in.Version, applied: in.Version}
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
		{contract.UpdateReassign, e.reassign, e.validateReassign},
		{contract.UpdateViewed, e.markViewed, e.validateViewed},
		{contract.UpdateRetryRender, e.retryRendering, e.validateRetryRender},
		{contract.UpdateDeliveryFailed, e.reportDeliveryFailed, e.validateDeliveryFailed},
	}
	for _, u := range updates {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, u.name, u.handler, workflow.UpdateHandlerOptions{Validator: u.validator}); err != nil {
			return err
		}
	}
	if err := workflow.SetQueryHandler(ctx, contract.QueryState, func() (contract.State, error) { return e.state(), nil }); err != nil {
		return err
	}
	if e.mailWithChange {
		return nil // views arrive as updates; no coroutine waits for the old signal
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

// emailed are the notifications of recipients who get email: embedded
// recipients get none.
func (e *envelope) emailed(notify []models.Notification) []models.Notification {
	return slices.DeleteFunc(slices.Clone(notify), func(n models.Notification) bool {
		i := slices.IndexFunc(e.in.Recipients, func(r contract.RecipientInput) bool { return r.ID == n.RecipientID })
		return i >= 0 && e.in.Recipients[i].Embedded
	})
}

// parties are the recipients as the routing rule sees them now.
func (e *envelope) parties() []routing.Party {
	out := make([]routing.Party, len(e.in.Recipients))
	for i, r := range e.in.Recipients {
		out[i] = routing.Party{ID: r.ID, Role: r.Role, Order: r.RoutingOrder, Status: e.recipients[i].Status}
	}
	return out
}

// currentOrder is the routing order whose recipients act now, or 0 when
// everyone has.
func (e *envelope) currentOrder() int { return routing.CurrentOrder(e.parties()) }

// pending are the recipients of order who still have to act.
func (e *envelope) pending(order int) []int { return routing.Pending(e.parties(), order) }

func (e *envelope) notifyOrder(ctx workflow.Context, order int) error {
	if e.foldsInvitations {
		if e.closed() {
			return nil
		}
		events, owed := e.invite(ctx, order)
		if len(events) == 0 {
			return nil // invited by the action that ended the order before
		}
		return e.commitAll(ctx, events, nil, owed...)
	}
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
		ev := models.Event{Type: models.EventRecipientNotified, RecipientID: r.ID}
		if err := e.commitNotifying(ctx, ev, models.Notification{RecipientID: r.ID, Kind: models.NotifyInvitation, Sequence: 1}); err != nil {
			return err
		}
	}
	return nil
}

// invite marks the recipients of order still waiting as notified, without
// yielding, and returns the events of that and the invitations they are
// owed.
func (e *envelope) invite(ctx workflow.Context, order int) ([]models.Event, []models.Notification) {
	var events []models.Event
	var owed []models.Notification
	for _, i := range e.pending(order) {
		r := &e.recipients[i]
		if r.Status != models.RecipientWaiting {
			continue // acted or viewed before their invitation went out
		}
		now := workflow.Now(ctx)
		r.Status, r.NotifiedAt = models.RecipientNotified, &now
		ev := models.Event{Type: models.EventRecipientNotified, RecipientID: r.ID}
		if e.in.Recipients[i].Embedded {
			// Their turn, told to the integrator by this event alone.
			ev.Details = map[string]any{"channel": "embedded"}
		}
		events = append(events, ev)
		owed = append(owed, models.Notification{RecipientID: r.ID, Kind: models.NotifyInvitation, Sequence: 1})
	}
	return events, owed
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
		if e.in.Recipients[i].Embedded {
			continue // the integrator reminds its own users
		}
		id := e.recipients[i].ID
		ev := models.Event{Type: eventType, RecipientID: id, Details: map[string]any{"sequence": seq}}
		if e.mailWithChange {
			if err := e.commit(ctx, ev, nil, models.Notification{RecipientID: id, Kind: kind, Sequence: seq}); err != nil {
				return err
			}
			continue
		}
		if err := e.queue(ctx, id, kind, seq); err != nil {
			return err
		}
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
	finals, err := e.render(ctx)
	if err != nil || e.closed() { // voided while rendering, or while it could not be rendered
		return err
	}
	now := workflow.Now(ctx)
	e.status = models.EnvelopeCompleted
	for i, r := range e.in.Recipients {
		if r.Role == models.RoleCC {
			e.recipients[i].Status = models.RecipientCopied
		}
	}
	ev := models.Event{Type: models.EventEnvelopeCompleted, Details: map[string]any{"final_documents": finals, "completed_at": now}}
	var copies []models.Notification
	for _, r := range e.recipients {
		copies = append(copies, models.Notification{RecipientID: r.ID, Kind: models.NotifyCompleted, Sequence: 1})
	}
	return e.commitNotifying(ctx, ev, copies...)
}

// render makes the final documents. A document that cannot be rendered
// puts the envelope in render_failed, visible to operators, until one asks
// for a retry (after a fix) or voids it.
func (e *envelope) render(ctx workflow.Context) ([]contract.FinalDocument, error) {
	req := contract.RenderRequest{EnvelopeID: e.in.EnvelopeID, TenantID: e.in.TenantID}
	for {
		var finals []contract.FinalDocument
		err := workflow.ExecuteActivity(e.inBackground(withHeartbeats(withRetries(ctx, 5*time.Minute), activityHeartbeat)), contract.RenderFinalDocumentsActivity, req).Get(ctx, &finals)
		var appErr *temporal.ApplicationError
		if err == nil || !errors.As(err, &appErr) || appErr.Type() != contract.RenderFailedErrorType {
			return finals, err
		}
		e.status, e.retryRender = models.EnvelopeRenderFailed, false
		failed := models.Event{Type: models.EventEnvelopeRenderFailed, Details: map[string]any{"error": appErr.Message()}}
		if err := e.commit(ctx, failed, nil); err != nil {
			return nil, err
		}
		if err := workflow.Await(ctx, func() bool { return e.retryRender || e.closed() }); err != nil || e.closed() {
			return nil, err
		}
	}
}

func (e *envelope) validateRetryRender(contract.RetryRenderRequest) error {
	if e.status != models.EnvelopeRenderFailed {
		return rejected("the envelope is %s; only an envelope whose documents could not be rendered is rendered again", e.status)
	}
	return nil
}

// retryRendering puts a render_failed envelope back in progress and has
// the completion render again.
func (e *envelope) retryRendering(ctx workflow.Context, req contract.RetryRenderRequest) (contract.State, error) {
	if err := e.validateRetryRender(req); err != nil {
		return e.state(), err
	}
	e.status, e.retryRender = models.EnvelopeInProgress, true
	err := e.commit(ctx, byAPI(models.EventEnvelopeRenderRetried, "", req.Origin, nil), nil)
	return e.state(), err
}

// activityHeartbeat is the heartbeat timeout of long activities: a dead
// worker's attempt is retried elsewhere within it.
const activityHeartbeat = 10 * time.Second

// commit numbers the state change, then stores the snapshot, its event and
// the notifications it owes (when mailWithChange), and emails those (unless
// the outbox dispatchers do).
// Callers change state before calling, without yielding in between, so that
// validators always see the newest state.
func (e *envelope) commit(ctx workflow.Context, ev models.Event, values []models.FieldValue, notify ...models.Notification) error {
	return e.commitAll(ctx, []models.Event{ev}, values, notify...)
}

// commitAll commits one change that several events tell, in their order.
func (e *envelope) commitAll(ctx workflow.Context, events []models.Event, values []models.FieldValue, notify ...models.Notification) error {
	return e.apply(ctx, e.transition(ctx, events, values, notify...))
}

// transition is the next change: the envelope as it stands now, the
// events that tell the change, the values and the mail it owes.
func (e *envelope) transition(ctx workflow.Context, events []models.Event, values []models.FieldValue, notify ...models.Notification) models.Transition {
	e.version++
	for i := range events {
		events[i].OccurredAt = workflow.Now(ctx)
		if events[i].ActorType == "" {
			events[i].ActorType, events[i].Actor = models.ActorSystem, "signflow"
		}
	}
	ev := events[0]
	notify = e.emailed(notify)
	t := models.Transition{
		EnvelopeID: e.in.EnvelopeID,
		TenantID:   e.in.TenantID,
		Version:    e.version,
		Status:     e.status,
		Recipients: slices.Clone(e.recipients),
		Values:     values,
		Event:      ev,
		Also:       events[1:],
		Notify:     notify,
	}
	if e.outboxSendsMail {
		t.DispatchQueue = workflow.GetInfo(ctx).TaskQueueName
	}
	if e.status == models.EnvelopeCompleted {
		t.CompletedAt = &ev.OccurredAt
	}
	return t
}

// apply stores a change, in the order the workflow made it, and sends the
// mail it owes unless the outbox dispatchers do.
func (e *envelope) apply(ctx workflow.Context, t models.Transition) error {
	ev := t.Event
	if e.closed() || ev.Type == models.EventEnvelopeRenderFailed || ev.Type == models.EventEnvelopeRenderRetried {
		if err := workflow.UpsertTypedSearchAttributes(ctx, contract.EnvelopeStatusAttribute.ValueSet(e.status)); err != nil {
			return err
		}
	}
	e.inflight++
	defer func() { e.inflight-- }()
	if workflow.GetVersion(ctx, "ordered-commits", workflow.DefaultVersion, 1) == 1 {
		// Store changes in the order the workflow made them.
		if err := workflow.Await(ctx, func() bool { return e.applied == t.Version-1 }); err != nil {
			return err
		}
	}
	if err := e.short(ctx, contract.ApplyTransitionActivity, t); err != nil {
		return err
	}
	e.applied = max(e.applied, t.Version)
	if e.outboxSendsMail {
		return nil // the outbox dispatchers have it
	}
	var owed []contract.EnvelopeNotification
	for _, n := range t.Notify {
		owed = append(owed, e.notification(n.RecipientID, n.Kind, n.Sequence))
	}
	e.send(ctx, owed...)
	return nil
}

// commitNotifying commits a change that owes notifications: a lean
// envelope stores them with the change, an older one queues them after it.
func (e *envelope) commitNotifying(ctx workflow.Context, ev models.Event, notify ...models.Notification) error {
	if e.mailWithChange {
		return e.commit(ctx, ev, nil, notify...)
	}
	if err := e.commit(ctx, ev, nil); err != nil {
		return err
	}
	for _, n := range notify {
		if err := e.queue(ctx, n.RecipientID, n.Kind, n.Sequence); err != nil {
			return err
		}
	}
	return nil
}

// short runs a short database write as an activity, or as the local
// activity lean versions 1 and 2 recorded.
func (e *envelope) short(ctx workflow.Context, activity, arg any) error {
	if e.localWrites {
		return workflow.ExecuteLocalActivity(withLocalRetries(ctx), activity, arg).Get(ctx, nil)
	}
	return workflow.ExecuteActivity(withRetries(ctx, 30*time.Second), activity, arg).Get(ctx, nil)
}

func (e *envelope) notification(recipientID, kind string, seq int) contract.EnvelopeNotification {
	return contract.EnvelopeNotification{EnvelopeID: e.in.EnvelopeID, TenantID: e.in.TenantID, RecipientID: recipientID, Kind: kind, Sequence: seq}
}

// inBackground puts an activity nobody waits on, when mailWithChange, on
// the background task queue.
func (e *envelope) inBackground(ctx workflow.Context) workflow.Context {
	if !e.mailWithChange {
		return ctx
	}
	opts := workflow.GetActivityOptions(ctx)
	opts.TaskQueue = contract.BackgroundQueue(workflow.GetInfo(ctx).TaskQueueName)
	return workflow.WithActivityOptions(ctx, opts)
}

// queue writes a notification to the outbox, then emails it. Envelopes
// started before email delivery existed keep their recorded history.
func (e *envelope) queue(ctx workflow.Context, recipientID, kind string, seq int) error {
	req := e.notification(recipientID, kind, seq)
	if e.mailWithChange {
		if err := e.short(ctx, contract.QueueNotificationActivity, req); err != nil {
			return err
		}
		e.send(ctx, req)
		return nil
	}
	if err := workflow.ExecuteActivity(withRetries(ctx, 30*time.Second), contract.QueueNotificationActivity, req).Get(ctx, nil); err != nil {
		return err
	}
	switch workflow.GetVersion(ctx, "email-delivery", workflow.DefaultVersion, 2) {
	case workflow.DefaultVersion:
		return nil
	case 1:
		return workflow.ExecuteActivity(withMailRetries(ctx), contract.SendNotificationActivity, req).Get(ctx, nil)
	}
	e.send(ctx, req)
	return nil
}

// send emails queued notifications without holding up the envelope:
// notifications go out in parallel with everything else, an SMTP outage
// delays only the mail, and an address refused for good marks its
// recipient, not the envelope. A batched envelope sends what one change
// owes in one activity; the others, one activity each.
func (e *envelope) send(ctx workflow.Context, reqs ...contract.EnvelopeNotification) {
	if len(reqs) == 0 {
		return
	}
	opts := e.inBackground(withHeartbeats(withMailRetries(ctx), activityHeartbeat))
	if e.batchedMail {
		e.mailing++
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer func() { e.mailing-- }()
			var refused []contract.MailRefusal
			// An error here can only be the workflow ending: sends retry until they succeed.
			_ = workflow.ExecuteActivity(opts, contract.SendNotificationsActivity, reqs).Get(ctx, &refused)
			for _, r := range refused {
				_ = e.deliveryFailed(ctx, r.RecipientID, r.Reason)
			}
		})
		return
	}
	for _, req := range reqs {
		e.mailing++
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer func() { e.mailing-- }()
			err := workflow.ExecuteActivity(opts, contract.SendNotificationActivity, req).Get(ctx, nil)
			var appErr *temporal.ApplicationError
			if errors.As(err, &appErr) && appErr.Type() == contract.MailRefusedErrorType {
				// A failure here can only be the workflow ending.
				_ = e.deliveryFailed(ctx, req.RecipientID, appErr.Message())
			}
		})
	}
}

// deliveryFailed records that a recipient cannot be reached at their
// address. Until the sender corrects it the recipient stays pending, and
// everyone else goes on.
func (e *envelope) deliveryFailed(ctx workflow.Context, recipientID, reason string) error {
	for i := range e.recipients {
		r := &e.recipients[i]
		if r.ID != recipientID || routing.HasActed(r.Status) || r.Status == models.RecipientCopied || e.closed() {
			continue
		}
		r.Status = models.RecipientDeliveryFailed
		ev := models.Event{Type: models.EventRecipientDeliveryFailed, RecipientID: r.ID, Details: map[string]any{"reason": reason}}
		return e.commit(ctx, ev, nil)
	}
	return nil
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

// withLocalRetries gives a short local activity a timeout per attempt and
// retries it with the same backoff as withRetries, for as long as it takes.
func withLocalRetries(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: untilItSucceeds,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	})
}

// untilItSucceeds bounds a local activity's retries: without a bound the
// SDK stops retrying after one attempt's timeout, and a database outage
// would fail the envelope.
const untilItSucceeds = 10 * 365 * 24 * time.Hour

// withHeartbeats makes a long activity report progress at least every
// timeout, so that a dead worker's attempt is retried within it rather
// than after the whole start-to-close timeout.
func withHeartbeats(ctx workflow.Context, timeout time.Duration) workflow.Context {
	opts := workflow.GetActivityOptions(ctx)
	opts.HeartbeatTimeout = timeout
	return workflow.WithActivityOptions(ctx, opts)
}

// withMailRetries keeps trying an SMTP server that is down, from 5 seconds
// apart up to a minute apart: mail is delayed, never dropped, and goes out
// within a minute of the server's return.
func withMailRetries(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    5 * time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	})
}

func (e *envelope) state() contract.State {
	return contract.State{Status: e.status, Version: e.version, RoutingOrder: e.currentOrder(), Recipients: slices.Clone(e.recipients)}
}
