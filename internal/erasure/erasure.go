// Package erasure erases a person's data at their request (GDPR art.
// 17): their details on closed envelopes, their documents and the keys that
// sealed their personal data in the audit trail.
package erasure

import (
	"context"
	"errors"
	"fmt"

	"github.com/signflow/signflow/internal/documents/blob"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/models/database"
)

// maxErasedEnvelopes bounds one erasure; a person in more envelopes is
// erased by repeating the request.
const maxErasedEnvelopes = 1000

// Eraser erases a person's data at their request (GDPR article 17).
type Eraser struct {
	Store *database.Store
	Blobs blob.Store
}

// Refused is an erasure that cannot go ahead: an envelope of the
// person's is under a legal hold, or still in progress.
type Refused struct {
	EnvelopeID string
	Reason     string
}

func (e *Refused) Error() string { return "envelope " + e.EnvelopeID + ": " + e.Reason }

// Erased is what an erasure did.
type Erased struct {
	Envelopes  []string `json:"envelopes"`
	Recipients []string `json:"recipients"`
}

// Erase erases everything of one email address in a tenant's envelopes:
// the documents of those envelopes (they carry the person's name and
// signature: the deletion is recorded in each trail first), their drawn
// signatures, then their personal data and their key in one transaction
// per recipient. A slot they held only before a reassign or a correction
// gives up their name and address alone: its documents and its key are
// the current holder's. Every step repeats harmlessly, so a request
// retried after a crash finishes the erasure. Nothing is erased while any
// of their envelopes is under a legal hold or, where they are a recipient
// now, in progress.
func (e *Eraser) Erase(ctx context.Context, tenantID, email, reason string, by models.Event) (Erased, error) {
	done := Erased{Envelopes: []string{}, Recipients: []string{}}
	records, err := e.Store.DataSubject(ctx, tenantID, email, maxErasedEnvelopes)
	if err != nil {
		return done, err
	}
	for _, r := range records {
		switch {
		case r.Envelope.LegalHoldReason != "":
			return done, &Refused{r.Envelope.ID, "it is under a legal hold; release it first, or keep the data"}
		case len(r.Recipients) > 0 && !models.IsTerminal(r.Envelope.Status):
			return done, &Refused{r.Envelope.ID, "it is still " + r.Envelope.Status + "; void it first"}
		}
	}
	for _, r := range records {
		env := r.Envelope
		for _, f := range r.FormerIdentities {
			if err := e.Store.EraseFormerIdentity(ctx, f, reason, by); err != nil {
				return done, erasureError(env.ID, err)
			}
			done.Recipients = append(done.Recipients, f.RecipientID)
		}
		if len(r.Recipients) == 0 {
			done.Envelopes = append(done.Envelopes, env.ID)
			continue
		}
		deleted := models.SystemEvent("", map[string]any{"reason": "erasure of a recipient's personal data"})
		if _, err := e.Store.MarkDocumentsDeleted(ctx, env.ID, deleted); err != nil {
			return done, erasureError(env.ID, err)
		}
		if err := e.deleteBlobs(ctx, blob.EnvelopeKeys(env.ID, models.DocumentIDs(env.Documents), models.ImageKeys(r.Fields))); err != nil {
			return done, err
		}
		for _, rec := range r.Recipients {
			images, err := e.Store.EraseRecipient(ctx, tenantID, rec.ID, reason, by)
			if err != nil {
				return done, erasureError(env.ID, err)
			}
			if err := e.deleteBlobs(ctx, images); err != nil {
				return done, err
			}
			done.Recipients = append(done.Recipients, rec.ID)
		}
		done.Envelopes = append(done.Envelopes, env.ID)
	}
	return done, nil
}

func (e *Eraser) deleteBlobs(ctx context.Context, keys []string) error {
	for _, k := range keys {
		if err := e.Blobs.Delete(ctx, k); err != nil {
			return fmt.Errorf("erase: %w", err)
		}
	}
	return nil
}

// erasureError turns a hold or an envelope reopened meanwhile into a
// refusal.
func erasureError(envelopeID string, err error) error {
	switch {
	case errors.Is(err, models.ErrLegalHold):
		return &Refused{envelopeID, "it is under a legal hold; release it first, or keep the data"}
	case errors.Is(err, models.ErrStillOpen):
		return &Refused{envelopeID, "it is still in progress; void it first"}
	}
	return err
}
