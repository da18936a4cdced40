package certificate

import (
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/signflow/signflow/internal/locale"
	"github.com/signflow/signflow/models"
)

// authentication says how a recipient proved who they are: the signing link
// sent to their address, plus the second factors their setting required, as
// verified in the session they acted in.
func authentication(r models.Recipient, acted models.Event) string {
	if r.ErasedAt != nil {
		return fmt.Sprintf("personal data erased on %s at the person's request (%s)", r.ErasedAt.UTC().Format("2006-01-02 15:04 MST"), r.ErasedReason)
	}
	if r.Role == models.RoleCC {
		return "none: receives a copy, does not sign"
	}
	text := "signing link sent to their email address"
	names := map[string]string{models.AuthEmailOTP: "a one-time code emailed to that address", models.AuthAccessCode: "an access code given by the sender",
		models.AuthSMSOTP: "a one-time code texted to their phone"}
	methods := models.Methods(r.Authentication)
	switch {
	case r.Embedded() && len(methods) == 0:
		return "signed inside the sender's application, on its word of who they are (below); no email sent"
	case r.Embedded():
		text = "signed inside the sender's application, on its word of who they are (below)"
	case len(methods) == 0:
		return text + "; no second factor (allowed by the account's settings)"
	}
	for _, m := range methods {
		text += ", and " + names[m]
	}
	if id, ok := acted.Details["session_id"]; ok {
		text += fmt.Sprintf("; verified at %v in session %v", acted.Details["verified_at"], id)
	}
	return text
}

// assertion states an integrator's word on who a recipient is.
func assertion(e models.Event) string {
	text := fmt.Sprintf("by client %v (%v), asked at %v from %v, opened at %s from %s", e.Details["client_id"], e.Details["asserted_by"],
		e.Details["asserted_at"], e.Details["client_ip"], e.OccurredAt.UTC().Format("2006-01-02 15:04 MST"), orDash(e.IP))
	if host, ok := e.Details["in_person_host"]; ok {
		text += fmt.Sprintf("; signed in person before %v, on the host's device", host)
	}
	return text
}

// Build gathers what the certificate states from the envelope and its audit
// trail so far. image loads a drawn signature by blob key.
func Build(env *models.Envelope, events []models.Event, image func(key string) ([]byte, error)) (Data, error) {
	d := Data{EnvelopeID: env.ID, Subject: env.Subject, Status: env.Status, GeneratedAt: time.Now().UTC()}
	for _, doc := range env.Documents {
		d.Documents = append(d.Documents, Document{Name: doc.Name, OriginalSHA256: doc.SHA256, FinalSHA256: finalIfDone(env, doc)})
	}
	acted := map[string]models.Event{}
	reassigned, asserted, checked := map[string][]string{}, map[string][]string{}, map[string][]string{}
	for _, e := range events {
		if e.Type == models.EventIdentityAsserted {
			asserted[e.RecipientID] = append(asserted[e.RecipientID], assertion(e))
		}
		if e.Type == models.EventIdentityVerified {
			checked[e.RecipientID] = append(checked[e.RecipientID], fmt.Sprintf("%v by %v (%v), reference %v, %v; reported by %s on %s",
				e.Details["result"], e.Details["provider"], e.Details["method"], e.Details["reference"], checkedAt(e), e.Actor,
				e.OccurredAt.UTC().Format("2006-01-02 15:04 MST")))
		}
		if slices.Contains(models.ActedEvents, e.Type) {
			acted[e.RecipientID] = e
		}
		if e.Type == models.EventRecipientReassigned {
			reassigned[e.RecipientID] = append(reassigned[e.RecipientID], fmt.Sprintf("by %s to %v <%v> on %s: %v",
				e.Actor, e.Details["name"], e.Details["email"], e.OccurredAt.UTC().Format("2006-01-02 15:04 MST"), e.Details["reason"]))
		}
		d.Events = append(d.Events, Event{Seq: e.Seq, At: e.OccurredAt, Type: e.Type, Actor: e.Actor, IP: e.IP, Hash: e.Hash})
	}
	if n := len(d.Events); n > MaxListedEvents {
		d.Omitted = n - MaxListedEvents
		d.Events = append(d.Events[:MaxListedEvents/2], d.Events[n-MaxListedEvents/2:]...)
	}
	for _, r := range env.Recipients {
		e := acted[r.ID]
		// The meaning as the page the recipient acted on stated it.
		meaning := locale.For(models.LocaleOf(e), r.Locale, env.Locale).Meaning(r.Meaning, r.Role)
		cr := Recipient{Name: r.Name, Email: r.Email, Role: r.Role, Meaning: meaning, Status: r.Status,
			Authentication: authentication(r, e), SentAt: r.NotifiedAt, ViewedAt: r.ViewedAt, ActedAt: r.ActedAt,
			IP: e.IP, UserAgent: truncate(e.UserAgent, maxUserAgent), Reassignments: reassigned[r.ID],
			Assertions: asserted[r.ID], IdentityChecks: checked[r.ID]}
		for _, f := range env.Fields {
			if f.RecipientID == r.ID && f.Type == models.FieldAttachment {
				if a, ok := models.ParseAttachment(f.Value); ok {
					cr.Attachments = append(cr.Attachments, fmt.Sprintf("%s (%s, %d bytes) SHA-256 %s", a.Name, a.ContentType, a.SizeBytes, a.SHA256))
				}
			}
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

// maxUserAgent is as much of a user agent as the certificate shows.
const maxUserAgent = 512

// truncate cuts s to at most n bytes on a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// checkedAt is when an identity check was made, as its event records it.
func checkedAt(e models.Event) string {
	at := e.OccurredAt
	switch v := e.Details["checked_at"].(type) {
	case time.Time:
		at = v
	case string: // as read back from the database
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			at = t
		}
	}
	return "checked " + at.UTC().Format("2006-01-02 15:04 MST")
}
