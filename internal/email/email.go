// Package email composes every email Signflow sends: envelope
// notifications from the worker and signing codes from the API. Sending
// is internal/mailer's business.
package email

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	texttemplate "text/template"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/signflow/signflow/models"
)

// Composer writes messages from one sender address.
type Composer struct {
	From string
}

// Notification is what an envelope notification tells one recipient: only
// what this recipient needs, no other recipient's details.
type Notification struct {
	Kind      string // models.Notify*
	MessageID string // stable per outbox row, so duplicates can be told apart
	To        string
	Name      string
	Subject   string
	Message   string
	Link      string // the recipient's signing page
	ExpiresAt time.Time
	// Attachments are the completed documents, or Linked when they are too
	// large to attach, each link valid for LinkedFor.
	Attachments []Attachment
	Linked      []Linked
	LinkedFor   time.Duration
}

// Attachment is a file sent with the message.
type Attachment struct {
	Name string
	Data []byte
}

// Linked is a document offered by link instead of attached.
type Linked struct{ Name, URL string }

var subjects = map[string]string{
	models.NotifyInvitation:    "Please sign: %s",
	models.NotifyReminder:      "Reminder, please sign: %s",
	models.NotifyExpiryWarning: "Expires soon, please sign: %s",
	models.NotifyCompleted:     "Completed: %s",
}

type notificationData struct {
	Kind      string
	Name      string
	Subject   string
	Message   string
	Link      string
	ExpiresAt string
	Linked    []Linked
	LinkedFor string
}

// Notification composes an envelope notification, as text and HTML.
func (c Composer) Notification(n Notification) (*mail.Msg, error) {
	msg, err := c.message(n.To)
	if err != nil {
		return nil, err
	}
	msg.Subject(fmt.Sprintf(subjects[n.Kind], n.Subject))
	msg.SetMessageIDWithValue(n.MessageID)
	for _, a := range n.Attachments {
		if err := msg.AttachReader(a.Name, bytes.NewReader(a.Data)); err != nil {
			return nil, fmt.Errorf("attach %s: %w", a.Name, err)
		}
	}
	data := notificationData{Kind: n.Kind, Name: n.Name, Subject: n.Subject, Message: n.Message, Link: n.Link,
		ExpiresAt: n.ExpiresAt.UTC().Format("2 January 2006, 15:04 UTC"), Linked: n.Linked,
		LinkedFor: fmt.Sprintf("%d days", int(n.LinkedFor.Hours()/24))}
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

// SigningCode composes the email that carries a one-time signing code.
func (c Composer) SigningCode(to, name, subject, code string, validFor time.Duration) (*mail.Msg, error) {
	msg, err := c.message(to)
	if err != nil {
		return nil, err
	}
	// The code is only in the body: subjects show in notifications and
	// on locked screens.
	msg.Subject("Your signing code for " + subject)
	msg.SetBodyString(mail.TypeTextPlain, fmt.Sprintf("Hello %s,\n\nYour code to sign \"%s\" is %s.\nIt works once, for %d minutes. If you did not ask for it, ignore this email.\n\n-- Signflow\n",
		name, subject, code, int(validFor.Minutes())))
	return msg, nil
}

func (c Composer) message(to string) (*mail.Msg, error) {
	msg := mail.NewMsg()
	if err := msg.From(c.From); err != nil {
		return nil, fmt.Errorf("sender address %q: %w", c.From, err)
	}
	if err := msg.To(to); err != nil {
		return nil, fmt.Errorf("recipient address: %w", err)
	}
	msg.SetDate()
	return msg, nil
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
