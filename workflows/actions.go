package workflows

import (
	"fmt"
	"slices"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/signflow/signflow/models"
)

func rejected(format string, args ...any) error {
	return temporal.NewApplicationError(fmt.Sprintf(format, args...), RejectedErrorType)
}

// due finds a recipient who may act now in the given role, or says why not.
func (e *envelope) due(recipientID string, roles ...string) (int, error) {
	if e.closed() {
		return 0, rejected("the envelope is %s and accepts no more actions", e.status)
	}
	for i, r := range e.in.Recipients {
		if r.ID != recipientID {
			continue
		}
		if !slices.Contains(roles, r.Role) {
			return 0, rejected("recipient %s is a %s and cannot do this", r.ID, r.Role)
		}
		if acted(e.recipients[i].Status) {
			return 0, rejected("recipient %s has already %s", r.ID, e.recipients[i].Status)
		}
		if current := e.currentOrder(); r.RoutingOrder != current {
			return 0, rejected("recipient %s is not due yet: routing order %d acts after order %d", r.ID, r.RoutingOrder, current)
		}
		return i, nil
	}
	return 0, rejected("recipient %s is not on this envelope", recipientID)
}

func clientDetails(c Client) map[string]any {
	return map[string]any{"ip": c.IP, "user_agent": c.UserAgent}
}

func (e *envelope) validateSign(req SignRequest) error {
	_, err := e.due(req.RecipientID, models.RoleSigner)
	return err
}

func (e *envelope) sign(ctx workflow.Context, req SignRequest) (State, error) {
	i, err := e.due(req.RecipientID, models.RoleSigner)
	if err != nil {
		return e.state(), err
	}
	return e.act(ctx, i, models.RecipientSigned, EventSigned, req.Client, req.Values)
}

func (e *envelope) validateApprove(req ApproveRequest) error {
	_, err := e.due(req.RecipientID, models.RoleApprover)
	return err
}

func (e *envelope) approve(ctx workflow.Context, req ApproveRequest) (State, error) {
	i, err := e.due(req.RecipientID, models.RoleApprover)
	if err != nil {
		return e.state(), err
	}
	return e.act(ctx, i, models.RecipientApproved, EventApproved, req.Client, nil)
}

func (e *envelope) act(ctx workflow.Context, i int, status, eventType string, c Client, values []models.FieldValue) (State, error) {
	now := workflow.Now(ctx)
	r := &e.recipients[i]
	r.Status, r.ActedAt = status, &now
	err := e.commit(ctx, models.Event{Type: eventType, RecipientID: r.ID, Details: clientDetails(c)}, values)
	return e.state(), err
}

func (e *envelope) validateDecline(req DeclineRequest) error {
	_, err := e.due(req.RecipientID, models.RoleSigner, models.RoleApprover)
	return err
}

// decline ends the envelope: one refusal is enough.
func (e *envelope) decline(ctx workflow.Context, req DeclineRequest) (State, error) {
	i, err := e.due(req.RecipientID, models.RoleSigner, models.RoleApprover)
	if err != nil {
		return e.state(), err
	}
	now := workflow.Now(ctx)
	r := &e.recipients[i]
	r.Status, r.ActedAt, r.Reason = models.RecipientDeclined, &now, req.Reason
	e.status = models.EnvelopeDeclined
	details := clientDetails(req.Client)
	details["reason"] = req.Reason
	if err := e.commit(ctx, models.Event{Type: EventDeclined, RecipientID: r.ID, Details: details}, nil); err != nil {
		return e.state(), err
	}
	err = e.commit(ctx, models.Event{Type: EventEnvDeclined, RecipientID: r.ID, Details: map[string]any{"reason": req.Reason}}, nil)
	return e.state(), err
}

func (e *envelope) validateVoid(req VoidRequest) error {
	if e.closed() {
		return rejected("the envelope is %s and can no longer be voided", e.status)
	}
	return nil
}

func (e *envelope) void(ctx workflow.Context, req VoidRequest) (State, error) {
	if err := e.validateVoid(req); err != nil {
		return e.state(), err
	}
	e.status = models.EnvelopeVoided
	details := clientDetails(req.Client)
	details["reason"] = req.Reason
	err := e.commit(ctx, models.Event{Type: EventVoided, Details: details}, nil)
	return e.state(), err
}

// viewed records the first time a due recipient opens the envelope. Views
// before a recipient's turn, or after acting, change nothing.
func (e *envelope) viewed(ctx workflow.Context, sig ViewedSignal) {
	i, err := e.due(sig.RecipientID, models.RoleSigner, models.RoleApprover)
	if err != nil {
		return
	}
	r := &e.recipients[i]
	if r.Status != models.RecipientWaiting && r.Status != models.RecipientNotified {
		return
	}
	now := workflow.Now(ctx)
	r.Status, r.ViewedAt = models.RecipientViewed, &now
	// A failure here can only be the workflow ending; the view is then moot.
	_ = e.commit(ctx, models.Event{Type: EventViewed, RecipientID: r.ID, Details: clientDetails(sig.Client)}, nil)
}
