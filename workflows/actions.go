package workflows

import (
	"errors"
	"fmt"
	"maps"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/signflow/signflow/internal/routing"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/workflows/contract"
)

func rejected(format string, args ...any) error {
	return temporal.NewApplicationError(fmt.Sprintf(format, args...), contract.RejectedErrorType)
}

// due finds a recipient who may act now in the given role, or says why not.
func (e *envelope) due(recipientID string, roles ...string) (int, error) {
	i, err := routing.Due(e.status, e.parties(), recipientID, roles...)
	var notDue *routing.NotDue
	if errors.As(err, &notDue) {
		return 0, rejected("%s", notDue.Reason)
	}
	return i, err
}

// byRecipient is an event caused by a recipient's request, naming the
// verified session it came in, if any.
func byRecipient(eventType, recipientID string, c contract.Origin) models.Event {
	ev := models.Event{Type: eventType, ActorType: models.ActorRecipient, RecipientID: recipientID, IP: c.IP, UserAgent: c.UserAgent,
		Details: map[string]any{}}
	if c.SessionID != "" {
		ev.Details["session_id"], ev.Details["auth_methods"], ev.Details["verified_at"] = c.SessionID, c.AuthMethods, c.VerifiedAt
	}
	if c.Locale != "" {
		ev.Details[models.DetailLocale] = c.Locale
	}
	return ev
}

func (e *envelope) validateSign(req contract.SignRequest) error {
	_, err := e.due(req.RecipientID, models.RoleSigner)
	return err
}

func (e *envelope) sign(ctx workflow.Context, req contract.SignRequest) (contract.State, error) {
	i, err := e.due(req.RecipientID, models.RoleSigner)
	if err != nil {
		return e.state(), err
	}
	// From attachments-in-sign 1 the files a signer attaches are recorded
	// in the signature's own change; before, the API recorded them ahead
	// of the signature, and kept them when the envelope refused it.
	var attached []models.Event
	if workflow.GetVersion(ctx, "attachments-in-sign", workflow.DefaultVersion, 1) == 1 {
		attached = attachmentsOf(req)
	}
	return e.act(ctx, i, models.RecipientSigned, models.EventRecipientSigned, req.Origin, req.Values, attached...)
}

// attachmentsOf are the events recording each file a signature attaches:
// its name, type, size and SHA-256.
func attachmentsOf(req contract.SignRequest) []models.Event {
	var events []models.Event
	for _, v := range req.Values {
		a, ok := models.ParseAttachment(v.Text)
		if !ok || v.ImageKey == "" {
			continue
		}
		ev := byRecipient(models.EventAttachmentUploaded, req.RecipientID, req.Origin)
		maps.Copy(ev.Details, a.Details(v.FieldID))
		events = append(events, ev)
	}
	return events
}

func (e *envelope) validateApprove(req contract.ApproveRequest) error {
	_, err := e.due(req.RecipientID, models.RoleApprover)
	return err
}

func (e *envelope) approve(ctx workflow.Context, req contract.ApproveRequest) (contract.State, error) {
	i, err := e.due(req.RecipientID, models.RoleApprover)
	if err != nil {
		return e.state(), err
	}
	return e.act(ctx, i, models.RecipientApproved, models.EventRecipientApproved, req.Origin, nil)
}

// act records recipient i's action, with further events of it (also).
func (e *envelope) act(ctx workflow.Context, i int, status, eventType string, c contract.Origin, values []models.FieldValue, also ...models.Event) (contract.State, error) {
	now := workflow.Now(ctx)
	r := &e.recipients[i]
	r.Status, r.ActedAt = status, &now
	events := append([]models.Event{byRecipient(eventType, r.ID, c)}, also...)
	var owed []models.Notification
	// The action that ends its routing order invites the next one in the
	// same change.
	if next := e.currentOrder(); e.foldsInvitations && next != 0 && next != e.in.Recipients[i].RoutingOrder {
		invited, notifications := e.invite(ctx, next)
		events, owed = append(events, invited...), notifications
	}
	err := e.commitAll(ctx, events, values, owed...)
	return e.state(), err
}

func (e *envelope) validateDecline(req contract.DeclineRequest) error {
	_, err := e.due(req.RecipientID, models.RoleSigner, models.RoleApprover)
	return err
}

// decline ends the envelope: one refusal is enough.
func (e *envelope) decline(ctx workflow.Context, req contract.DeclineRequest) (contract.State, error) {
	i, err := e.due(req.RecipientID, models.RoleSigner, models.RoleApprover)
	if err != nil {
		return e.state(), err
	}
	now := workflow.Now(ctx)
	r := &e.recipients[i]
	r.Status, r.ActedAt, r.Reason = models.RecipientDeclined, &now, req.Reason
	e.status = models.EnvelopeDeclined
	declined := byRecipient(models.EventRecipientDeclined, r.ID, req.Origin)
	declined.Details["reason"] = req.Reason
	if err := e.commit(ctx, declined, nil); err != nil {
		return e.state(), err
	}
	ended := byRecipient(models.EventEnvelopeDeclined, r.ID, req.Origin)
	ended.Details["reason"] = req.Reason
	err = e.commit(ctx, ended, nil)
	return e.state(), err
}

func (e *envelope) validateVoid(req contract.VoidRequest) error {
	if e.closed() {
		return rejected("the envelope is %s and can no longer be voided", e.status)
	}
	return nil
}

func (e *envelope) void(ctx workflow.Context, req contract.VoidRequest) (contract.State, error) {
	if err := e.validateVoid(req); err != nil {
		return e.state(), err
	}
	e.status = models.EnvelopeVoided
	ev := models.Event{Type: models.EventEnvelopeVoided, ActorType: models.ActorAPI, Actor: req.Origin.ClientID,
		IP: req.Origin.IP, UserAgent: req.Origin.UserAgent, Details: map[string]any{"reason": req.Reason}}
	err := e.commit(ctx, ev, nil)
	return e.state(), err
}

// viewable finds a due recipient whose view would be their first. Views
// before a recipient's turn, or after viewing or acting, change nothing.
func (e *envelope) viewable(recipientID string) (int, error) {
	i, err := e.due(recipientID, models.RoleSigner, models.RoleApprover)
	if err != nil {
		return 0, err
	}
	if s := e.recipients[i].Status; s != models.RecipientWaiting && s != models.RecipientNotified {
		return 0, rejected("recipient %s has viewed the envelope already", recipientID)
	}
	return i, nil
}

func (e *envelope) validateViewed(req contract.ViewedRequest) error {
	_, err := e.viewable(req.RecipientID)
	return err
}

func (e *envelope) markViewed(ctx workflow.Context, req contract.ViewedRequest) (contract.State, error) {
	if _, err := e.viewable(req.RecipientID); err != nil {
		return e.state(), err
	}
	err := e.viewed(ctx, req)
	return e.state(), err
}

// viewed records the first time a due recipient opens the envelope.
func (e *envelope) viewed(ctx workflow.Context, req contract.ViewedRequest) error {
	i, _ := e.viewable(req.RecipientID)
	r := &e.recipients[i]
	now := workflow.Now(ctx)
	r.Status, r.ViewedAt = models.RecipientViewed, &now
	return e.commit(ctx, byRecipient(models.EventRecipientViewed, r.ID, req.Origin), nil)
}

// undeliverable finds the recipient a message refused for good cuts off:
// one still to act on an envelope still open, not marked already.
func (e *envelope) undeliverable(recipientID string) (int, error) {
	if e.closed() {
		return 0, rejected("the envelope is %s; a refused message changes nothing", e.status)
	}
	for i, r := range e.recipients {
		if r.ID != recipientID {
			continue
		}
		if routing.HasActed(r.Status) || r.Status == models.RecipientCopied || r.Status == models.RecipientDeliveryFailed {
			return 0, rejected("recipient %s is %s; a refused message changes nothing", recipientID, r.Status)
		}
		return i, nil
	}
	return 0, rejected("recipient %s is not on the envelope", recipientID)
}

func (e *envelope) validateDeliveryFailed(req contract.DeliveryFailedRequest) error {
	_, err := e.undeliverable(req.RecipientID)
	return err
}

// reportDeliveryFailed records the outbox dispatcher's report of a message
// refused for good.
func (e *envelope) reportDeliveryFailed(ctx workflow.Context, req contract.DeliveryFailedRequest) (contract.State, error) {
	if _, err := e.undeliverable(req.RecipientID); err != nil {
		return e.state(), err
	}
	err := e.deliveryFailed(ctx, req.RecipientID, req.Reason)
	return e.state(), err
}

func (e *envelope) validateResend(req contract.ResendRequest) error {
	_, err := e.due(req.RecipientID, models.RoleSigner, models.RoleApprover)
	return err
}

// resend gives a due recipient a new link and emails it; the old link dies.
func (e *envelope) resend(ctx workflow.Context, req contract.ResendRequest) (contract.State, error) {
	i, err := e.due(req.RecipientID, models.RoleSigner, models.RoleApprover)
	if err != nil {
		return e.state(), err
	}
	r := &e.recipients[i]
	r.Generation++
	if r.Status == models.RecipientWaiting || r.Status == models.RecipientDeliveryFailed {
		now := workflow.Now(ctx)
		r.Status, r.NotifiedAt = models.RecipientNotified, &now
	}
	ev := byAPI(models.EventRecipientLinkReissued, r.ID, req.Origin, nil)
	err = e.reissue(ctx, ev, contract.ReissueRequest{RecipientID: r.ID, Generation: r.Generation}, true)
	return e.state(), err
}

// validateCorrect allows corrections to anyone who has not acted, cc included.
func (e *envelope) validateCorrect(req contract.CorrectRequest) error {
	_, err := e.correctable(req.RecipientID)
	return err
}

func (e *envelope) correctable(recipientID string) (int, error) {
	if e.closed() {
		return 0, rejected("the envelope is %s and accepts no more changes", e.status)
	}
	for i, r := range e.recipients {
		if r.ID == recipientID {
			if routing.HasActed(r.Status) || r.Status == models.RecipientCopied {
				return 0, rejected("recipient %s has already %s and can no longer be changed", r.ID, r.Status)
			}
			return i, nil
		}
	}
	return 0, rejected("recipient %s is not on this envelope", recipientID)
}

// correct changes a recipient's name or email: the old link dies, and a
// recipient whose turn it is gets an invitation at the new address.
func (e *envelope) correct(ctx workflow.Context, req contract.CorrectRequest) (contract.State, error) {
	i, err := e.correctable(req.RecipientID)
	if err != nil {
		return e.state(), err
	}
	r := &e.recipients[i]
	r.Generation++
	invite := r.Status == models.RecipientNotified || r.Status == models.RecipientViewed || r.Status == models.RecipientDeliveryFailed
	if r.Status == models.RecipientDeliveryFailed {
		r.Status = models.RecipientNotified // invited again, at the corrected address
	}
	details := map[string]any{"name": req.Name, "email": req.Email}
	reissue := contract.ReissueRequest{RecipientID: r.ID, Generation: r.Generation, Name: req.Name, Email: req.Email}
	err = e.reissue(ctx, byAPI(models.EventRecipientCorrected, r.ID, req.Origin, details), reissue, invite)
	return e.state(), err
}

// validateReassign lets a due signer or approver hand their part on, when
// the sender allowed it.
func (e *envelope) validateReassign(req contract.ReassignRequest) error {
	if !e.in.Settings.AllowReassign {
		return rejected("the sender does not allow this envelope to be reassigned")
	}
	_, err := e.due(req.RecipientID, models.RoleSigner, models.RoleApprover)
	return err
}

// reassign gives a due recipient's part to the person they name: the old
// link dies, and the new person is invited with a link of their own and
// proves who they are by a code emailed to them, as the one before could
// not pass on a second factor that was theirs.
func (e *envelope) reassign(ctx workflow.Context, req contract.ReassignRequest) (contract.State, error) {
	if err := e.validateReassign(req); err != nil {
		return e.state(), err
	}
	i, _ := e.due(req.RecipientID, models.RoleSigner, models.RoleApprover)
	r := &e.recipients[i]
	r.Generation++
	now := workflow.Now(ctx)
	r.Status, r.NotifiedAt, r.ViewedAt = models.RecipientNotified, &now, nil
	ev := byRecipient(models.EventRecipientReassigned, r.ID, req.Origin)
	ev.Details["name"], ev.Details["email"], ev.Details["reason"] = req.Name, req.Email, req.Reason
	reissue := contract.ReissueRequest{RecipientID: r.ID, Generation: r.Generation, Name: req.Name, Email: req.Email,
		Authentication: models.AuthEmailOTP}
	err := e.reissue(ctx, ev, reissue, true)
	return e.state(), err
}

// byAPI is an event the sender's API client caused about a recipient.
func byAPI(eventType, recipientID string, c contract.Origin, details map[string]any) models.Event {
	return models.Event{Type: eventType, ActorType: models.ActorAPI, Actor: c.ClientID, RecipientID: recipientID,
		IP: c.IP, UserAgent: c.UserAgent, Details: details}
}

// reissue gives a recipient a new link and, when invite, invites them
// with it. From reissue-in-transition 1 (envelopes whose mail the outbox
// dispatchers send) that is one change, stored with its invitation: the
// mail leaves from the outbox like every other message. Envelopes before
// record the change, then the link, then queue and send the invitation
// with activities of their own, as their histories hold.
func (e *envelope) reissue(ctx workflow.Context, ev models.Event, req contract.ReissueRequest, invite bool) error {
	if e.outboxSendsMail && workflow.GetVersion(ctx, "reissue-in-transition", workflow.DefaultVersion, 1) == 1 {
		var notify []models.Notification
		if invite {
			notify = append(notify, models.Notification{RecipientID: req.RecipientID, Kind: models.NotifyInvitation, Sequence: req.Generation})
		}
		t := e.transition(ctx, []models.Event{ev}, nil, notify...)
		t.Reissue = &models.Reissue{RecipientID: req.RecipientID, Generation: req.Generation, Name: req.Name, Email: req.Email,
			Authentication: req.Authentication}
		return e.apply(ctx, t)
	}
	if err := e.commit(ctx, ev, nil); err != nil {
		return err
	}
	if err := e.short(ctx, contract.ReissueLinkActivity, req); err != nil {
		return err
	}
	if invite {
		e.notifyLater(ctx, req.RecipientID, models.NotifyInvitation, req.Generation)
	}
	return nil
}

// notifyLater queues and emails a notification without holding up the
// caller: an SMTP outage delays the mail, not the API's answer.
func (e *envelope) notifyLater(ctx workflow.Context, recipientID, kind string, seq int) {
	e.inflight++
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { e.inflight-- }()
		_ = e.queue(ctx, recipientID, kind, seq) // activities retry until they succeed
	})
}
