// Package email composes every email Signflow sends: envelope
// notifications from the worker and signing codes from the API. Sending
// is package smtp's business.
package email

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	texttemplate "text/template"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/signflow/signflow/internal/locale"
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
	Locale    string // the recipient's language, else the envelope's
	ExpiresAt time.Time
	// Attachments are the completed documents, or Linked when they are too
	// large to attach, each link valid for LinkedFor.
	Attachments []Attachment
	Linked      []Linked
	LinkedFor   time.Duration
	// Brand is the sending tenant's name, colour and logo.
	Brand models.Branding
}

// Attachment is a file sent with the message.
type Attachment struct {
	Name string
	Data []byte
}

// Linked is a document offered by link instead of attached.
type Linked struct{ Name, URL string }

type notificationData struct {
	brandData
	Kind   string
	Hello  string
	Intro  string
	Copies string // attached, or where to download them
	Linked []Linked
	// Message is the sender's, under its heading.
	MessageHeading, Message string
	Open, OpenLink, Link    string
	Personal                string
}

// brandData is what every HTML email shows of its sender: the tenant's
// logo (embedded, never fetched from elsewhere), name and colour.
type brandData struct {
	Lang    string
	Dir     string // ltr or rtl, as the language reads
	Logo    bool
	Name    string
	SentBy  string
	Color   string
	SignOff string
}

// logoName is the embedded logo's file name, and its Content-ID.
const logoName = "logo.png"

// brand fills what msg shows of its sender, embedding the logo.
func brand(msg *mail.Msg, b models.Branding, lang *locale.Catalog) (brandData, error) {
	d := brandData{Lang: lang.Tag, Dir: lang.T("dir", nil), Name: b.Name, Color: b.Color, SignOff: "Signflow"}
	if d.Color == "" {
		d.Color = defaultColor
	}
	if b.Name != "" {
		d.SentBy, d.SignOff = lang.T("email.sent_by", map[string]string{"name": b.Name}), b.Name
	}
	if len(b.Logo) > 0 {
		if err := msg.EmbedReader(logoName, bytes.NewReader(b.Logo)); err != nil {
			return d, fmt.Errorf("embed the logo: %w", err)
		}
		d.Logo = true
	}
	return d, nil
}

// defaultColor is the button's colour when the tenant chose none: the
// signing page's.
const defaultColor = "#1d4ed8"

// intros are what each kind of notification says first.
var intros = map[string]string{
	models.NotifyInvitation:    "email.invitation",
	models.NotifyReminder:      "email.reminder",
	models.NotifyExpiryWarning: "email.expiry_warning",
	models.NotifyCompleted:     "email.completed",
}

// Notification composes an envelope notification, as text and HTML, in
// the recipient's language.
func (c Composer) Notification(n Notification) (*mail.Msg, error) {
	msg, err := c.message(n.To)
	if err != nil {
		return nil, err
	}
	lang := locale.For(n.Locale)
	args := map[string]string{"subject": n.Subject, "name": n.Name, "expires": lang.Date(n.ExpiresAt),
		"days": fmt.Sprint(int(n.LinkedFor.Hours() / 24))}
	msg.Subject(lang.T("email.subject."+n.Kind, args))
	msg.SetMessageIDWithValue(n.MessageID)
	for _, a := range n.Attachments {
		if err := msg.AttachReader(a.Name, bytes.NewReader(a.Data)); err != nil {
			return nil, fmt.Errorf("attach %s: %w", a.Name, err)
		}
	}
	branded, err := brand(msg, n.Brand, lang)
	if err != nil {
		return nil, err
	}
	data := notificationData{brandData: branded, Kind: n.Kind, Hello: lang.T("email.hello", args), Intro: lang.T(intros[n.Kind], args),
		Copies: lang.T("email.attached", args), Linked: n.Linked, Link: n.Link,
		MessageHeading: lang.T("email.message", args), Message: n.Message,
		Open: lang.T("email.open", args), OpenLink: lang.T("email.open_link", args), Personal: lang.T("email.personal", args)}
	if len(n.Linked) > 0 {
		data.Copies = lang.T("email.linked", args)
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

// Code is what a signing code email says, and to whom.
type Code struct {
	To, Name, Subject, Code string
	Locale                  string
	ValidFor                time.Duration
	Brand                   models.Branding
}

// SigningCode composes the email that carries a one-time signing code, in
// the recipient's language.
func (c Composer) SigningCode(n Code) (*mail.Msg, error) {
	msg, err := c.message(n.To)
	if err != nil {
		return nil, err
	}
	cat := locale.For(n.Locale)
	args := map[string]string{"name": n.Name, "subject": n.Subject, "code": n.Code, "minutes": fmt.Sprint(int(n.ValidFor.Minutes()))}
	// The code is only in the body: subjects show in notifications and
	// on locked screens.
	msg.Subject(cat.T("email.subject.code", args))
	branded, err := brand(msg, n.Brand, cat)
	if err != nil {
		return nil, err
	}
	msg.SetBodyString(mail.TypeTextPlain, cat.T("email.hello", args)+"\n\n"+cat.T("email.code", args)+"\n\n-- "+branded.SignOff+"\n")
	var html bytes.Buffer
	if err := codeBody.Execute(&html, codeData{brandData: branded, Hello: cat.T("email.hello", args),
		Text: cat.T("email.code", args), Code: n.Code}); err != nil {
		return nil, fmt.Errorf("render html code email: %w", err)
	}
	msg.AddAlternativeString(mail.TypeTextHTML, html.String())
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

var textBody = texttemplate.Must(texttemplate.New("text").Parse(`{{.Hello}}

{{.Intro}}{{if eq .Kind "completed_copy"}} {{.Copies}}
{{range .Linked}}  {{.Name}}: {{.URL}}
{{end}}{{else}}
{{if .Message}}
{{.MessageHeading}}
{{.Message}}
{{end}}
{{.Open}}
{{.Link}}

{{.Personal}}
{{end}}
-- {{.SignOff}}
`))

// header is the top of every HTML email: the sender's logo and name.
const header = `{{define "header"}}<html lang="{{.Lang}}" dir="{{.Dir}}"><body style="font-family: sans-serif">
{{if .Logo}}<p><img src="cid:logo.png" alt="{{.Name}}" style="max-height:48px;max-width:200px"></p>{{end}}
{{if .SentBy}}<p style="font-weight:bold;color:#333">{{.SentBy}}</p>{{end}}{{end}}`

var htmlBody = htmltemplate.Must(htmltemplate.Must(htmltemplate.New("html").Parse(header)).Parse(`<!doctype html>
{{template "header" .}}
<p>{{.Hello}}</p>
<p>{{.Intro}}{{if eq .Kind "completed_copy"}} {{.Copies}}{{end}}</p>
{{if eq .Kind "completed_copy"}}{{if .Linked}}<ul>{{range .Linked}}<li><a href="{{.URL}}">{{.Name}}</a></li>{{end}}</ul>{{end}}
{{else}}
{{if .Message}}<p>{{.MessageHeading}}</p><blockquote>{{.Message}}</blockquote>{{end}}
<p><a href="{{.Link}}" style="display:inline-block;padding:12px 22px;background:{{.Color}};color:#ffffff;text-decoration:none;border-radius:6px;font-weight:bold">{{.OpenLink}}</a></p>
<p style="color:#555">{{.Personal}}</p>
{{end}}
<p>&mdash; {{.SignOff}}</p>
</body></html>
`))

// codeData is what the HTML code email shows: the code set apart, large,
// so that it is read and typed without error.
type codeData struct {
	brandData
	Hello, Text, Code string
}

var codeBody = htmltemplate.Must(htmltemplate.Must(htmltemplate.New("code").Parse(header)).Parse(`<!doctype html>
{{template "header" .}}
<p>{{.Hello}}</p>
<p>{{.Text}}</p>
<p style="font-size:28px;font-weight:bold;letter-spacing:6px;font-family:monospace;color:{{.Color}}" dir="ltr">{{.Code}}</p>
<p>&mdash; {{.SignOff}}</p>
</body></html>
`))
