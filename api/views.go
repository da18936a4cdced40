package api

import (
	"time"

	"github.com/signflow/signflow/models"
)

// envelopeView is an envelope in full: its summary, as lists show it, and
// everything it holds.
type envelopeView struct {
	envelopeSummary
	Message    string          `json:"message,omitempty"`
	Locale     string          `json:"locale,omitempty"`
	Template   *templateRef    `json:"template,omitempty"`
	Settings   settingsView    `json:"settings"`
	Documents  []documentView  `json:"documents"`
	Recipients []recipientView `json:"recipients"`
	Fields     []fieldView     `json:"fields"`
}

// templateRef names the template version an envelope was made from.
type templateRef struct {
	ID      string `json:"id"`
	Version int    `json:"version"`
}

type settingsView struct {
	ReminderIntervalSeconds int64 `json:"reminder_interval_seconds"`
	ReminderCount           int   `json:"reminder_count"`
	ExpiryWarningSeconds    int64 `json:"expiry_warning_seconds"`
	AllowReassign           bool  `json:"allow_reassign"`
}

type documentView struct {
	ID        string        `json:"id"`
	Name      string        `json:"name"`
	PageCount int           `json:"page_count"`
	Pages     []models.Page `json:"pages"`
	// FormFields are the document's own form fields, for fields[].form_field.
	FormFields     []models.FormField `json:"form_fields,omitempty"`
	SizeBytes      int64              `json:"size_bytes"`
	SHA256         string             `json:"sha256"`
	URL            string             `json:"url"`
	FinalSHA256    string             `json:"final_sha256,omitempty"`
	FinalSizeBytes int64              `json:"final_size_bytes,omitempty"`
	FinalURL       string             `json:"final_url,omitempty"`
}

type recipientView struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Email          string `json:"email"`
	Phone          string `json:"phone,omitempty"`
	Delivery       string `json:"delivery,omitempty"`
	Role           string `json:"role"`
	RoutingOrder   int    `json:"routing_order"`
	Meaning        string `json:"meaning,omitempty"`
	DefaultMeaning bool   `json:"default_meaning,omitempty"`
	Locale         string `json:"locale,omitempty"`
	Authentication string `json:"authentication"`
	ClientUserID   string `json:"client_user_id,omitempty"`
	// IdentityVerification is "required" when the integrator's provider
	// must confirm the person; IdentityConfirmed, on the signing view,
	// whether the latest check recorded passed.
	IdentityVerification string `json:"identity_verification,omitempty"`
	IdentityConfirmed    *bool  `json:"identity_confirmed,omitempty"`
	// Reauthenticate: the recipient proves their factor again just before
	// signing once their session is older than a few minutes.
	Reauthenticate bool       `json:"reauthenticate,omitempty"`
	Status         string     `json:"status"`
	NotifiedAt     *time.Time `json:"notified_at,omitempty"`
	ViewedAt       *time.Time `json:"viewed_at,omitempty"`
	ActedAt        *time.Time `json:"acted_at,omitempty"`
	DeclineReason  string     `json:"decline_reason,omitempty"`
	SigningURL     string     `json:"signing_url,omitempty"`
	SigningAPIURL  string     `json:"signing_api_url,omitempty"`
}

// boxView is where a field is: its document, type, page and box in
// fractions of the page as shown.
type boxView struct {
	DocumentID string  `json:"document_id"`
	Type       string  `json:"type"`
	Page       int     `json:"page"`
	X          float64 `json:"x"`
	Y          float64 `json:"y"`
	Width      float64 `json:"width"`
	Height     float64 `json:"height"`
}

func boxOf(f models.Field) boxView {
	return boxView{DocumentID: f.DocumentID, Type: f.Type, Page: f.Page, X: f.X, Y: f.Y, Width: f.Width, Height: f.Height}
}

type fieldView struct {
	ID          string `json:"id"`
	RecipientID string `json:"recipient_id"`
	boxView
	Required bool     `json:"required"`
	Filled   bool     `json:"filled"`
	Name     string   `json:"name,omitempty"`
	Options  []string `json:"options,omitempty"`
	Pattern  string   `json:"pattern,omitempty"`
	Min      *float64 `json:"min,omitempty"`
	Max      *float64 `json:"max,omitempty"`
	Value    string   `json:"value,omitempty"`
	ReadOnly bool     `json:"read_only,omitempty"`
	// The field's smart rules, for the signing page to apply as the
	// signer types (the server applies them again at Sign).
	models.SmartRules
}

type envelopeSummary struct {
	ID          string     `json:"id"`
	Status      string     `json:"status"`
	Version     int64      `json:"version"`
	Subject     string     `json:"subject"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	ExpiresAt   time.Time  `json:"expires_at"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	// DocumentsDeletedAt: the retention policy deleted the documents.
	DocumentsDeletedAt *time.Time `json:"documents_deleted_at,omitempty"`
	LegalHold          bool       `json:"legal_hold"`
}

type listView struct {
	Data       []envelopeSummary `json:"data"`
	NextCursor string            `json:"next_cursor,omitempty"`
}

func summaryView(env *models.Envelope) envelopeSummary {
	return envelopeSummary{ID: env.ID, Status: env.Status, Version: env.Version, Subject: env.Subject,
		CreatedAt: env.CreatedAt, UpdatedAt: env.UpdatedAt, ExpiresAt: env.ExpiresAt, CompletedAt: env.CompletedAt,
		DocumentsDeletedAt: env.DocumentsDeletedAt, LegalHold: env.LegalHoldReason != ""}
}

func (s *Server) envelopeView(env *models.Envelope) envelopeView {
	v := envelopeView{
		envelopeSummary: summaryView(env), Message: env.Message, Locale: env.Locale,
		Settings: settingsView{ReminderIntervalSeconds: env.ReminderIntervalSeconds, ReminderCount: env.ReminderCount,
			ExpiryWarningSeconds: env.ExpiryWarningSeconds, AllowReassign: env.AllowReassign},
		Documents: []documentView{}, Recipients: []recipientView{}, Fields: []fieldView{},
	}
	if env.TemplateID != "" {
		v.Template = &templateRef{ID: env.TemplateID, Version: env.TemplateVersion}
	}
	base := s.PublicURL + "/v1/envelopes/" + env.ID + "/documents/"
	for _, d := range env.Documents {
		dv := documentView{ID: d.ID, Name: d.Name, PageCount: d.PageCount, Pages: d.Pages, FormFields: d.FormFields, SizeBytes: d.SizeBytes,
			SHA256: d.SHA256, URL: base + d.ID}
		if env.Status == models.EnvelopeCompleted && d.FinalSHA256 != "" {
			dv.FinalSHA256, dv.FinalSizeBytes, dv.FinalURL = d.FinalSHA256, d.FinalSizeBytes, base+d.ID+"/final"
		}
		v.Documents = append(v.Documents, dv)
	}
	for _, r := range env.Recipients {
		v.Recipients = append(v.Recipients, recipientView{ID: r.ID, Name: r.Name, Email: r.Email, Phone: r.Phone, Delivery: r.Delivery, Role: r.Role,
			RoutingOrder: r.RoutingOrder, Meaning: r.Meaning, Locale: r.Locale, Authentication: r.Authentication, Status: r.Status, NotifiedAt: r.NotifiedAt, ViewedAt: r.ViewedAt,
			ActedAt: r.ActedAt, DeclineReason: r.DeclineReason, ClientUserID: r.ClientUserID, IdentityVerification: r.IdentityVerification,
			Reauthenticate: r.Reauthenticate})
	}
	v.Fields = fieldViews(env.Fields, "")
	return v
}

// prefilled is a field's value as entered, the sender's or its
// recipient's; signatures are not repeated here.
func prefilled(f models.Field) string {
	if f.Type == models.FieldSignature || f.Type == models.FieldInitials {
		return ""
	}
	return f.Value
}

// fieldViews lists the fields, or only one recipient's when recipientID is set.
func fieldViews(fields []models.Field, recipientID string) []fieldView {
	views := []fieldView{}
	for _, f := range fields {
		if recipientID != "" && f.RecipientID != recipientID {
			continue
		}
		views = append(views, fieldView{ID: f.ID, RecipientID: f.RecipientID, boxView: boxOf(f), Required: f.Required,
			Filled: f.Value != "" || f.ImageKey != "", Name: f.Name, Options: f.Options, Pattern: f.Pattern,
			Min: f.MinValue, Max: f.MaxValue, ReadOnly: f.ReadOnly, Value: prefilled(f), SmartRules: f.SmartRules})
	}
	return views
}
