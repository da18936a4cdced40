// Package signers carries out what a recipient does through their link:
// open the envelope, sign or approve, decline, hand their part to someone
// else. It checks each request by the signing and routing rules, asks the
// envelope's workflow to take it, and stores what an action brings with it
// only once the envelope would take the action. Handlers parse the request,
// call one method and map its error.
package signers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/signflow/signflow/internal/documents/blob"
	"github.com/signflow/signflow/internal/routing"
	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/workflows/contract"
)

// Service carries out recipients' actions.
type Service struct {
	Blobs     blob.Store
	Workflows *contract.Client
}

// Act is who acts: a recipient of an envelope, as stored when the request
// came, and where the request came from (with its verified session).
type Act struct {
	Envelope  *models.Envelope
	Recipient *models.Recipient
	Origin    contract.Origin
}

// Spent says why a link no longer opens its envelope, or nil: a link is
// valid until the envelope closes or its recipient has acted. State names
// the case for the signing page, which says in the signer's language what
// comes next; the envelope's end comes first, since it decides what the
// signer can still do (download a completed envelope, read why it was
// voided).
func Spent(r *models.Recipient, env *models.Envelope) *SpentLink {
	switch {
	case env.Status == models.EnvelopeCompleted:
		return &SpentLink{State: ClosedCompleted, Used: routing.HasActed(r.Status),
			Detail: "The envelope is completed; everyone has signed. The completed documents reach you by email."}
	case env.Status == models.EnvelopeDeclined:
		return &SpentLink{State: ClosedDeclined, Used: r.Status == models.RecipientDeclined, Detail: "The envelope was declined; no one signs it now."}
	case env.Status == models.EnvelopeVoided:
		return &SpentLink{State: ClosedVoided, Detail: "The sender voided the envelope; no one signs it now."}
	case env.Status == models.EnvelopeExpired:
		return &SpentLink{State: ClosedExpired, Detail: "The envelope expired before everyone signed. Ask the sender to send it again."}
	case routing.HasActed(r.Status):
		return &SpentLink{State: ClosedActed, Used: true, Detail: "You have already " + r.Status + "; this link no longer opens the envelope. " +
			"The completed documents will reach you by email."}
	case env.Status != models.EnvelopeInProgress:
		return &SpentLink{State: ClosedFinishing, Detail: "Everyone has acted; the envelope is being finished."}
	}
	return nil
}

// Why a link no longer opens its envelope (SpentLink.State).
const (
	ClosedCompleted = "completed"
	ClosedDeclined  = "declined"
	ClosedVoided    = "voided"
	ClosedExpired   = "expired"
	// ClosedActed: the recipient has signed or approved, others have not.
	ClosedActed = "acted"
	// ClosedFinishing: everyone has acted; the final documents are not
	// sealed yet, or could not be.
	ClosedFinishing = "finishing"
	// ClosedReplaced: a newer link of the same recipient replaced this one.
	ClosedReplaced = "replaced"
)

// SpentLink is a link that no longer opens its envelope: Used when its
// recipient has acted, else because the envelope has closed.
type SpentLink struct {
	State  string
	Used   bool
	Detail string
}

// Viewed records that the recipient opened the envelope. A view that
// changes nothing (the recipient has viewed or acted before) stops here,
// and the workflow's validator refuses the rest without touching its
// history: outside traffic cannot grow it.
func (s *Service) Viewed(ctx context.Context, a Act) error {
	if st := a.Recipient.Status; st != models.RecipientWaiting && st != models.RecipientNotified {
		return nil
	}
	err := s.Workflows.Viewed(ctx, a.Envelope.ID, contract.ViewedRequest{RecipientID: a.Recipient.ID, Origin: a.Origin})
	if errors.Is(err, contract.ErrRejected) {
		return nil
	}
	return err
}

// Sign signs with values, or approves when the recipient is an approver
// (who sends no values). Signature images and attached files are stored
// only once the recipient is due; the attachments' audit events are
// written by the workflow in the signature's own change.
func (s *Service) Sign(ctx context.Context, a Act, input []signing.ValueInput) (contract.State, error) {
	r, env := a.Recipient, a.Envelope
	if r.Role == models.RoleApprover {
		if len(input) > 0 {
			return contract.State{}, signing.FieldErrors{{Field: "values", Message: "an approver approves without field values; send no values"}}
		}
		return s.Workflows.Approve(ctx, env.ID, contract.ApproveRequest{RecipientID: r.ID, Origin: a.Origin})
	}
	values, files, errs := signing.CheckValues(ctx, env, r.ID, input)
	if len(errs) > 0 {
		return contract.State{}, errs
	}
	if err := s.due(ctx, a, models.RoleSigner); err != nil {
		return contract.State{}, err
	}
	for key, data := range files {
		if err := s.Blobs.Put(ctx, key, data); err != nil {
			return contract.State{}, fmt.Errorf("store signature image or attachment: %w", err)
		}
	}
	return s.Workflows.Sign(ctx, env.ID, contract.SignRequest{RecipientID: r.ID, Values: values, Origin: a.Origin})
}

// Decline ends the envelope for everyone, with the recipient's reason.
func (s *Service) Decline(ctx context.Context, a Act, reason string) (contract.State, error) {
	if strings.TrimSpace(reason) == "" || len(reason) > signing.MaxTextLength {
		return contract.State{}, signing.FieldErrors{{Field: "reason", Message: fmt.Sprintf("say why you decline, in 1 to %d characters", signing.MaxTextLength)}}
	}
	return s.Workflows.Decline(ctx, a.Envelope.ID, contract.DeclineRequest{RecipientID: a.Recipient.ID, Reason: reason, Origin: a.Origin})
}

// Handover names who takes over a recipient's part, and why.
type Handover struct {
	Name   string `json:"name"`
	Email  string `json:"email"`
	Reason string `json:"reason"`
}

// Check trims h and says what is wrong with it.
func (h *Handover) Check() signing.FieldErrors {
	h.Name, h.Reason = strings.TrimSpace(h.Name), strings.TrimSpace(h.Reason)
	var errs signing.FieldErrors
	if h.Name == "" || len(h.Name) > 200 {
		errs.Add("name", "give the new person's name, in 1 to 200 characters")
	}
	signing.CheckPrintable(&errs, "name", h.Name)
	if !signing.ValidEmail(h.Email) {
		errs.Add("email", "give a plain email address such as bo@example.com")
	}
	signing.CheckPrintable(&errs, "reason", h.Reason)
	if h.Reason == "" || len(h.Reason) > signing.MaxTextLength {
		errs.Add("reason", "say why, in 1 to %d characters", signing.MaxTextLength)
	}
	return errs
}

// Reassign hands the recipient's part to the person h names, when the
// sender allowed it; that person is invited with a link of their own.
func (s *Service) Reassign(ctx context.Context, a Act, h Handover) (contract.State, error) {
	if errs := h.Check(); len(errs) > 0 {
		return contract.State{}, errs
	}
	if strings.EqualFold(h.Email, a.Recipient.Email) {
		return contract.State{}, signing.FieldErrors{{Field: "email", Message: "this is your own address; name the person who takes over"}}
	}
	return s.Workflows.Reassign(ctx, a.Envelope.ID, contract.ReassignRequest{RecipientID: a.Recipient.ID, Name: h.Name, Email: h.Email,
		Reason: h.Reason, Origin: a.Origin})
}

// Completing says the action answered with st was the last one the
// envelope waited for: every signer and approver has signed or approved.
func Completing(env *models.Envelope, st contract.State) bool {
	if st.Status == models.EnvelopeCompleted {
		return true
	}
	parties := routing.Parties(env.Recipients)
	for i := range parties {
		if now := st.Recipient(parties[i].ID); now != nil {
			parties[i].Status = now.Status
		}
	}
	return routing.EveryoneActed(parties)
}

// due refuses, as the workflow would, an action of a recipient who may not
// act now, before anything the action brings is stored. What the stored
// envelope says of an ended envelope, a recipient who has acted or a role
// is final; that an earlier routing order has not finished may be a change
// the workflow has made but not yet stored (a worker died in between), so
// the workflow is asked. The workflow decides again when it takes the
// action: at worst a lost race leaves an unused image beside the envelope.
func (s *Service) due(ctx context.Context, a Act, roles ...string) error {
	parties := routing.Parties(a.Envelope.Recipients)
	_, err := routing.Due(a.Envelope.Status, parties, a.Recipient.ID, roles...)
	var notDue *routing.NotDue
	if errors.As(err, &notDue) && notDue.Later {
		st, stateErr := s.Workflows.State(ctx, a.Envelope.ID)
		if stateErr != nil {
			return nil // the workflow's own answer will tell
		}
		for i := range parties {
			if now := st.Recipient(parties[i].ID); now != nil {
				parties[i].Status = now.Status
			}
		}
		_, err = routing.Due(st.Status, parties, a.Recipient.ID, roles...)
	}
	if errors.As(err, &notDue) {
		return &contract.Rejection{Reason: notDue.Reason}
	}
	return err
}
