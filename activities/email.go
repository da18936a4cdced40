package activities

import (
	"bytes"
	"context"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/signflow/signflow/internal/blob"
	"github.com/signflow/signflow/internal/signinglink"
	"github.com/signflow/signflow/models"
)

// DefaultMaxAttachmentBytes caps what the completed copy attaches; larger
// documents are linked instead, for signinglink.CopyValidity.
const DefaultMaxAttachmentBytes = 10 << 20

// SendNotification emails an outbox row. A row already sent is skipped and
// an accepted send is recorded before the activity returns; the Message-ID
// is the row's, so in the rare crash between the two, the receiving side
// can still tell the copies apart. SMTP outages are retried with backoff.
func (a *Activities) SendNotification(ctx context.Context, req NotificationRequest) error {
	n, err := a.Store.Notification(ctx, req.EnvelopeID, req.RecipientID, req.Kind, req.Sequence)
	if err != nil {
		return err
	}
	if n.SentAt != nil {
		return nil
	}
	env, err := a.Store.GetEnvelope(ctx, req.TenantID, req.EnvelopeID)
	if err != nil {
		return err
	}
	var r models.Recipient
	for _, x := range env.Recipients {
		if x.ID == req.RecipientID {
			r = x
		}
	}
	msg, err := a.compose(ctx, env, r, n)
	if err != nil {
		return err
	}
	if err := a.Mail.Send(ctx, msg); err != nil {
		return fmt.Errorf("send %s to recipient %s: %w", n.Kind, r.ID, err)
	}
	return a.Store.MarkSent(ctx, n, time.Now())
}

type emailData struct {
	Kind      string
	Name      string
	Subject   string
	Message   string
	Link      string
	ExpiresAt string
	Linked    []linkedDocument
	LinkedFor string
}

type linkedDocument struct{ Name, URL string }

var subjects = map[string]string{
	models.NotifyInvitation:    "Please sign: %s",
	models.NotifyReminder:      "Reminder, please sign: %s",
	models.NotifyExpiryWarning: "Expires soon, please sign: %s",
	models.NotifyCompleted:     "Completed: %s",
}

// compose writes the message: only what this recipient needs, no other
// recipient's details.
func (a *Activities) compose(ctx context.Context, env *models.Envelope, r models.Recipient, n *models.Notification) (*mail.Msg, error) {
	link := a.PublicURL + signinglink.Path(a.Links.Token(r.ID, r.LinkGeneration))
	data := emailData{Kind: n.Kind, Name: r.Name, Subject: env.Subject, Message: env.Message, Link: link,
		ExpiresAt: env.ExpiresAt.UTC().Format("2 January 2006, 15:04 UTC"),
		LinkedFor: fmt.Sprintf("%d days", int(signinglink.CopyValidity.Hours()/24))}
	msg := mail.NewMsg()
	if err := msg.From(a.Mail.From); err != nil {
		return nil, fmt.Errorf("sender address %q: %w", a.Mail.From, err)
	}
	if err := msg.To(r.Email); err != nil {
		return nil, fmt.Errorf("recipient address of %s: %w", r.ID, err)
	}
	msg.Subject(fmt.Sprintf(subjects[n.Kind], env.Subject))
	msg.SetMessageIDWithValue(n.ID + "@signflow")
	msg.SetDate()
	if n.Kind == models.NotifyCompleted {
		if err := a.attachFinals(ctx, env, r, msg, &data); err != nil {
			return nil, err
		}
	}
	var text, html bytes.Buffer
	if err := textBody.Execute(&text, data); err != nil {
		return nil, fmt.Errorf("render text email: %w", err)
	}
	if err := htmlBody.Execute(&html, data); err != nil {
		return nil, fmt.Errorf("render html email: %w", err)
	}
	msg.SetBodyString(mail.TypeTextPlain, text.String())
	msg.AddAlternativeString(mail.TypeTextHTML, html.String())
	return msg, nil
}

// attachFinals attaches the completed documents, or links them when they
// are too large to attach.
func (a *Activities) attachFinals(ctx context.Context, env *models.Envelope, r models.Recipient, msg *mail.Msg, data *emailData) error {
	var total int64
	for _, d := range env.Documents {
		total += d.FinalSizeBytes
	}
	for _, d := range env.Documents {
		name := strings.TrimSuffix(d.Name, ".pdf") + "-signed.pdf"
		if total > a.maxAttachmentBytes() {
			data.Linked = append(data.Linked, linkedDocument{Name: name, URL: a.PublicURL + signinglink.CopyPath(a.Links.CopyToken(r.ID), d.ID)})
			continue
		}
		pdf, err := a.Blobs.Get(ctx, blob.FinalKey(env.ID, d.ID))
		if err != nil {
			return fmt.Errorf("attach final document %s: %w", d.ID, err)
		}
		if err := msg.AttachReader(name, bytes.NewReader(pdf)); err != nil {
			return fmt.Errorf("attach final document %s: %w", d.ID, err)
		}
	}
	return nil
}

func (a *Activities) maxAttachmentBytes() int64 {
	if a.MaxAttachmentBytes > 0 {
		return a.MaxAttachmentBytes
	}
	return DefaultMaxAttachmentBytes
}

var textBody = texttemplate.Must(texttemplate.New("text").Parse(`Hello {{.Name}},
{{if eq .Kind "completed_copy"}}
"{{.Subject}}" has been signed by everyone. {{if .Linked}}The completed documents are too large to attach; download them here within {{.LinkedFor}}:
{{range .Linked}}  {{.Name}}: {{.URL}}
{{end}}{{else}}The completed documents are attached.{{end}}
{{else}}{{if eq .Kind "reminder"}}
This is a reminder: "{{.Subject}}" is still waiting for you.
{{else if eq .Kind "expiry_warning"}}
"{{.Subject}}" expires on {{.ExpiresAt}} and is still waiting for you.
{{else}}
You have been asked to sign "{{.Subject}}".
{{end}}{{if .Message}}
Message from the sender:
{{.Message}}
{{end}}
Open the documents and sign here:
{{.Link}}

The link is personal: do not forward it. It expires on {{.ExpiresAt}}.
{{end}}
-- Signflow
`))

var htmlBody = htmltemplate.Must(htmltemplate.New("html").Parse(`<!doctype html>
<html><body style="font-family: sans-serif">
<p>Hello {{.Name}},</p>
{{if eq .Kind "completed_copy"}}
<p>&ldquo;{{.Subject}}&rdquo; has been signed by everyone.
{{if .Linked}}The completed documents are too large to attach; download them within {{.LinkedFor}}:</p>
<ul>{{range .Linked}}<li><a href="{{.URL}}">{{.Name}}</a></li>{{end}}</ul>
{{else}}The completed documents are attached.</p>{{end}}
{{else}}
<p>{{if eq .Kind "reminder"}}This is a reminder: &ldquo;{{.Subject}}&rdquo; is still waiting for you.
{{else if eq .Kind "expiry_warning"}}&ldquo;{{.Subject}}&rdquo; expires on {{.ExpiresAt}} and is still waiting for you.
{{else}}You have been asked to sign &ldquo;{{.Subject}}&rdquo;.{{end}}</p>
{{if .Message}}<p>Message from the sender:</p><blockquote>{{.Message}}</blockquote>{{end}}
<p><a href="{{.Link}}">Open the documents and sign</a></p>
<p style="color:#555">The link is personal: do not forward it. It expires on {{.ExpiresAt}}.</p>
{{end}}
<p>&mdash; Signflow</p>
</body></html>
`))
