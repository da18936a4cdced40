package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/signflow/signflow/internal/documents/blob"
	"github.com/signflow/signflow/internal/documents/certificate"
	"github.com/signflow/signflow/internal/documents/pdf"
	"github.com/signflow/signflow/internal/keys/seal"
	"github.com/signflow/signflow/internal/locale"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/workflows/contract"
)

// RenderFinalDocuments produces each document's final PDF (stamped,
// certified, sealed) and stores it with its SHA-256. A retry never produces
// a second version of a document.
func (a *Render) RenderFinalDocuments(ctx context.Context, req contract.RenderRequest) ([]contract.FinalDocument, error) {
	env, err := a.Store.GetEnvelope(ctx, req.TenantID, req.EnvelopeID)
	if err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	events, err := a.Store.Events(ctx, env.ID)
	if err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	finals := make([]contract.FinalDocument, 0, len(env.Documents))
	for _, doc := range env.Documents {
		var final contract.FinalDocument
		started := time.Now()
		err := whileHeartbeating(ctx, func() (err error) {
			final, err = a.renderDocument(ctx, env, events, doc)
			return err
		})
		a.Metrics.Render(time.Since(started))
		if err != nil {
			return nil, fmt.Errorf("render document %s: %w", doc.ID, err)
		}
		finals = append(finals, final)
	}
	return finals, nil
}

// cannotRender marks a failure of the PDF work itself, as opposed to a
// store that is briefly unreachable, which is worth retrying.
func cannotRender(step string, err error) error {
	return temporal.NewNonRetryableApplicationError(step+": "+err.Error(), contract.RenderFailedErrorType, err)
}

// renderDocument stamps the values, appends the certificate of completion
// and seals the result. The seal comes last: any later rewrite would break it.
func (a *Render) renderDocument(ctx context.Context, env *models.Envelope, events []models.Event, doc models.Document) (contract.FinalDocument, error) {
	final, err := a.finalDocument(ctx, env, events, doc)
	if err != nil {
		return final, err
	}
	// Recorded on every attempt; its key makes it one event however often.
	err = a.Store.AppendEvent(ctx, models.Event{
		EnvelopeID: env.ID, TenantID: env.TenantID, Key: "finalized:" + doc.ID, Type: models.EventDocumentFinalized,
		ActorType: models.ActorSystem, Actor: "signflow", DocumentSHA256: []string{doc.SHA256, final.SHA256},
		Details: map[string]any{"document_id": doc.ID, "final_sha256": final.SHA256, "final_size_bytes": final.SizeBytes}, OccurredAt: time.Now(),
	})
	return final, err
}

// finalDocument stamps the values, appends the certificate of completion
// and seals the result. The seal comes last: any later rewrite would break
// it. A document already rendered by an earlier attempt is kept.
func (a *Render) finalDocument(ctx context.Context, env *models.Envelope, events []models.Event, doc models.Document) (contract.FinalDocument, error) {
	key := blob.FinalKey(env.ID, doc.ID)
	if doc.FinalSHA256 != "" {
		existing, err := a.Blobs.Get(ctx, key)
		if err == nil && pdf.SHA256(existing) == doc.FinalSHA256 {
			return contract.FinalDocument{DocumentID: doc.ID, SHA256: doc.FinalSHA256, SizeBytes: int64(len(existing))}, nil
		}
		if err != nil && !errors.Is(err, blob.ErrNotFound) {
			return contract.FinalDocument{}, err
		}
	}
	original, err := blob.GetChecked(ctx, a.Blobs, blob.OriginalKey(env.ID, doc.ID), doc.SHA256)
	if errors.Is(err, blob.ErrDigestMismatch) || errors.Is(err, blob.ErrUnsealed) {
		return contract.FinalDocument{}, cannotRender("read the original", err)
	}
	if err != nil {
		return contract.FinalDocument{}, err
	}
	stamps, err := a.stamps(ctx, env, events, doc.ID)
	if err != nil {
		return contract.FinalDocument{}, err
	}
	data, err := certificate.Build(env, events, func(k string) ([]byte, error) { return a.Blobs.Get(ctx, k) })
	if err != nil {
		return contract.FinalDocument{}, err
	}
	// Rendering is the last step of completion: everyone has acted, and the
	// envelope is marked completed as soon as this document is stored.
	data.Status = models.EnvelopeCompleted
	now := time.Now()
	certs, crls, err := a.Seal.ValidationData(now)
	if err != nil {
		return contract.FinalDocument{}, cannotRender("gather the seal's validation data", err)
	}
	rendered, err := pdf.Render(original, doc.Pages, stamps, certificate.Sheets(data))
	if err != nil {
		return contract.FinalDocument{}, cannotRender("stamp the values and append the certificate", err)
	}
	if rendered, err = pdf.AddDSS(rendered, &pdf.Validation{Certs: certs, CRLs: crls}); err != nil {
		return contract.FinalDocument{}, cannotRender("add the seal's validation data", err)
	}
	out, err := a.Seal.Seal(rendered, seal.Info{Reason: "Completed with Signflow, envelope " + env.ID, Date: now})
	if err != nil {
		return contract.FinalDocument{}, cannotRender("seal", err)
	}
	if err := a.Blobs.Put(ctx, key, out); err != nil {
		return contract.FinalDocument{}, err
	}
	sum := pdf.SHA256(out)
	if err := a.Store.SetFinalDocument(ctx, doc.ID, sum, int64(len(out))); err != nil {
		return contract.FinalDocument{}, err
	}
	return contract.FinalDocument{DocumentID: doc.ID, SHA256: sum, SizeBytes: int64(len(out))}, nil
}

// stamps turns the document's filled fields into what to draw, and puts
// under each signature the signer's printed name, the time and the meaning
// of the signature (21 CFR 11.50), each in the language of the page the
// signer acted on, as it showed them.
func (a *Render) stamps(ctx context.Context, env *models.Envelope, events []models.Event, documentID string) ([]pdf.Stamp, error) {
	actedIn := map[string]string{}
	for _, e := range events {
		if slices.Contains(models.ActedEvents, e.Type) {
			actedIn[e.RecipientID] = models.LocaleOf(e)
		}
	}
	recipients, languages := map[string]models.Recipient{}, map[string]*locale.Catalog{}
	for _, r := range env.Recipients {
		recipients[r.ID], languages[r.ID] = r, locale.For(actedIn[r.ID], r.Locale, env.Locale)
	}
	var stamps []pdf.Stamp
	for _, d := range env.Documents {
		if d.ID != documentID {
			continue
		}
		// Tags first: the values placed at them are drawn over the cover.
		for _, b := range d.TagBoxes {
			stamps = append(stamps, pdf.Stamp{Page: b.Page, X: b.X, Y: b.Y, W: b.Width, H: b.Height, Cover: true})
		}
	}
	for _, f := range env.Fields {
		if f.DocumentID != documentID {
			continue
		}
		s := pdf.Stamp{Page: f.Page, X: f.X, Y: f.Y, W: f.Width, H: f.Height, Font: pdf.FontPlain}
		switch {
		case f.Type == models.FieldAttachment:
			if att, ok := models.ParseAttachment(f.Value); ok {
				s.Text = languages[f.RecipientID].T("stamp.attached", map[string]string{"name": att.Name})
			}
		case f.ImageKey != "":
			png, err := a.Blobs.Get(ctx, f.ImageKey)
			if err != nil {
				return nil, fmt.Errorf("signature image of field %s: %w", f.ID, err)
			}
			s.PNG = png
		case f.Type == models.FieldDateSigned:
			if r := recipients[f.RecipientID]; r.ActedAt != nil {
				s.Text = languages[r.ID].LongDate(*r.ActedAt)
			}
		case f.Type == models.FieldCheckbox:
			s.Check = f.Value == "true"
		case f.Type == models.FieldDate && f.Value != "":
			// The day the signer picked, written as their page wrote dates.
			if day, err := time.Parse(models.DateSignedFormat, f.Value); err == nil {
				s.Text = languages[f.RecipientID].LongDate(day)
			}
		case f.Type == models.FieldSignature || f.Type == models.FieldInitials:
			s.Text, s.Font = f.Value, pdf.FontSignature
		default:
			s.Text = f.Value
		}
		if s.Text != "" || s.PNG != nil || s.Check {
			stamps = append(stamps, s)
		}
		if f.Type == models.FieldSignature && (s.Text != "" || s.PNG != nil) {
			stamps = append(stamps, caption(f, recipients[f.RecipientID], languages[f.RecipientID]))
		}
	}
	return stamps, nil
}

// captionHeight is a caption line's height as a fraction of the page.
const captionHeight = 0.014

// caption is the line under (or, at the foot of a page, over) a signature.
func caption(f models.Field, r models.Recipient, lang *locale.Catalog) pdf.Stamp {
	text := r.Name
	if r.ActedAt != nil {
		text += " - " + lang.Date(*r.ActedAt)
	}
	if meaning := lang.Meaning(r.Meaning, r.Role); meaning != "" {
		text += " - " + meaning
	}
	y := f.Y + f.Height
	if y+captionHeight > 1 {
		y = f.Y - captionHeight
	}
	return pdf.Stamp{Page: f.Page, X: f.X, Y: y, W: min(1-f.X, max(f.Width, 0.4)), H: captionHeight, Text: text, Font: pdf.FontPlain}
}
