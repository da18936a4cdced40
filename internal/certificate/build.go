package certificate

import (
	"fmt"
	"time"

	"github.com/signflow/signflow/models"
)

// Authentication says how a recipient proved who they are. Until second
// factors exist, possession of the emailed signing link is the only one.
const linkOnly = "possession of the signing link sent to their email address (no second factor)"

// Build gathers what the certificate states from the envelope and its audit
// trail so far. image loads a drawn signature by blob key.
func Build(env *models.Envelope, events []models.Event, image func(key string) ([]byte, error)) (Data, error) {
	d := Data{EnvelopeID: env.ID, Subject: env.Subject, Status: env.Status, GeneratedAt: time.Now().UTC()}
	for _, doc := range env.Documents {
		d.Documents = append(d.Documents, Document{Name: doc.Name, OriginalSHA256: doc.SHA256, FinalSHA256: finalIfDone(env, doc)})
	}
	acted := map[string]models.Event{}
	for _, e := range events {
		switch e.Type {
		case "recipient.signed", "recipient.approved", "recipient.declined":
			acted[e.RecipientID] = e
		}
		d.Events = append(d.Events, Event{Seq: e.Seq, At: e.OccurredAt, Type: e.Type, Actor: e.Actor, IP: e.IP, Hash: e.Hash})
	}
	for _, r := range env.Recipients {
		cr := Recipient{Name: r.Name, Email: r.Email, Role: r.Role, Meaning: r.Meaning, Status: r.Status,
			Authentication: linkOnly, SentAt: r.NotifiedAt, ViewedAt: r.ViewedAt, ActedAt: r.ActedAt}
		if r.Role == models.RoleCC {
			cr.Authentication = "none: receives a copy, does not sign"
		}
		if e, ok := acted[r.ID]; ok {
			cr.IP, cr.UserAgent = e.IP, e.UserAgent
		}
		for _, f := range env.Fields {
			if f.RecipientID != r.ID || f.Type != models.FieldSignature {
				continue
			}
			if f.ImageKey != "" {
				png, err := image(f.ImageKey)
				if err != nil {
					return d, fmt.Errorf("signature image of %s: %w", r.Email, err)
				}
				cr.SignatureImage = png
			} else if f.Value != "" {
				cr.TypedSignature = f.Value
			}
			break
		}
		d.Recipients = append(d.Recipients, cr)
	}
	return d, nil
}

func finalIfDone(env *models.Envelope, doc models.Document) string {
	if env.Status == models.EnvelopeCompleted {
		return doc.FinalSHA256
	}
	return ""
}
