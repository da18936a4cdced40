package api

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/signflow/signflow/internal/documents/blob"
	"github.com/signflow/signflow/internal/erasure"
	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/models"
)

// maxSubjectEnvelopes bounds one export; a person in more envelopes than
// this is exported by the operator from the database.
const maxSubjectEnvelopes = 1000

type subjectFieldView struct {
	ID                 string `json:"id"`
	Type               string `json:"type"`
	DocumentID         string `json:"document_id"`
	Page               int    `json:"page"`
	Value              string `json:"value,omitempty"`
	SignaturePNGBase64 string `json:"signature_png_base64,omitempty"`
	AttachmentBase64   string `json:"attachment_base64,omitempty"`
}

type subjectNotificationView struct {
	Kind      string     `json:"kind"`
	Sequence  int        `json:"sequence"`
	Email     string     `json:"email"`
	Channel   string     `json:"channel,omitempty"`
	Phone     string     `json:"phone,omitempty"`
	QueuedAt  time.Time  `json:"queued_at"`
	SentAt    *time.Time `json:"sent_at,omitempty"`
	MessageID string     `json:"message_id"`
}

// formerIdentityView is a slot the person held until a reassign or a
// correction gave it to someone else.
type formerIdentityView struct {
	RecipientID    string    `json:"recipient_id"`
	LinkGeneration int       `json:"link_generation"`
	Name           string    `json:"name"`
	Email          string    `json:"email"`
	ReplacedAt     time.Time `json:"replaced_at"`
}

type subjectEnvelopeView struct {
	Envelope         envelopeSummary           `json:"envelope"`
	Recipients       []recipientView           `json:"recipients"`
	FormerIdentities []formerIdentityView      `json:"former_identities"`
	Fields           []subjectFieldView        `json:"fields"`
	Events           []models.Event            `json:"events"`
	Notifications    []subjectNotificationView `json:"notifications"`
}

// exportDataSubject answers a person's request of access (GDPR article
// 15): everything the tenant holds about one email address, as one bundle.
func (s *Server) exportDataSubject(c *gin.Context) {
	var body struct {
		Email string `json:"email"`
	}
	if !readJSON(c, &body, `send JSON such as {"email": "zainab@example.com"}`) {
		return
	}
	email := strings.TrimSpace(body.Email)
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		var errs signing.FieldErrors
		errs.Add("email", "give the person's email address, such as zainab@example.com")
		invalid(c, errs)
		return
	}
	ctx := c.Request.Context()
	records, err := s.Store.DataSubject(ctx, tenantID(c), email, maxSubjectEnvelopes)
	if err != nil {
		s.unavailable(c, "gathering the person's records", err)
		return
	}
	out := []subjectEnvelopeView{}
	for _, r := range records {
		v := subjectEnvelopeView{Envelope: summaryView(&r.Envelope), Recipients: []recipientView{}, FormerIdentities: []formerIdentityView{},
			Fields: []subjectFieldView{}, Events: r.Events, Notifications: []subjectNotificationView{}}
		for _, f := range r.FormerIdentities {
			v.FormerIdentities = append(v.FormerIdentities, formerIdentityView{RecipientID: f.RecipientID, LinkGeneration: f.LinkGeneration,
				Name: f.Name, Email: f.Email, ReplacedAt: f.ReplacedAt})
		}
		for _, x := range r.Recipients {
			v.Recipients = append(v.Recipients, recipientView{ID: x.ID, Name: x.Name, Email: x.Email, Phone: x.Phone, Role: x.Role,
				RoutingOrder: x.RoutingOrder, Meaning: x.Meaning, Authentication: x.Authentication, Status: x.Status,
				NotifiedAt: x.NotifiedAt, ViewedAt: x.ViewedAt, ActedAt: x.ActedAt, DeclineReason: x.DeclineReason})
		}
		for _, f := range r.Fields {
			fv := subjectFieldView{ID: f.ID, Type: f.Type, DocumentID: f.DocumentID, Page: f.Page, Value: f.Value}
			if f.ImageKey != "" && r.Envelope.DocumentsDeletedAt == nil {
				png, err := s.Blobs.Get(ctx, f.ImageKey)
				if err != nil && !errors.Is(err, blob.ErrNotFound) {
					s.unavailable(c, "reading a drawn signature", err)
					return
				}
				if f.Type == models.FieldAttachment {
					fv.AttachmentBase64 = base64.StdEncoding.EncodeToString(png)
				} else {
					fv.SignaturePNGBase64 = base64.StdEncoding.EncodeToString(png)
				}
			}
			v.Fields = append(v.Fields, fv)
		}
		if v.Events == nil {
			v.Events = []models.Event{}
		}
		for _, n := range r.Notifications {
			v.Notifications = append(v.Notifications, subjectNotificationView{Kind: n.Kind, Sequence: n.Sequence, Email: n.Email,
				Channel: n.Channel, Phone: n.Phone, QueuedAt: n.CreatedAt, SentAt: n.SentAt, MessageID: n.ID + "@signflow"})
		}
		out = append(out, v)
	}
	s.Log.InfoContext(ctx, "data subject export", "tenant", tenantID(c), "envelopes", len(out))
	c.JSON(http.StatusOK, gin.H{"email": email, "generated_at": s.now().UTC(), "envelopes": out})
}

// eraseDataSubject answers a person's request of erasure (GDPR article
// 17): see erasure.Eraser. It is idempotent, so a retry finishes it.
func (s *Server) eraseDataSubject(c *gin.Context) {
	var body struct {
		Email  string `json:"email"`
		Reason string `json:"reason"`
	}
	if !readJSON(c, &body, `send JSON such as {"email": "zainab@example.com", "reason": "request of 2026-12-01"}`) {
		return
	}
	email, reason := strings.TrimSpace(body.Email), strings.TrimSpace(body.Reason)
	errs := signing.CheckReason(reason, "the data is erased (such as the request it answers)")
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		errs = append(signing.FieldErrors{{Field: "email", Message: "give the person's email address, such as zainab@example.com"}}, errs...)
	}
	if len(errs) > 0 {
		invalid(c, errs)
		return
	}
	erased, err := s.Eraser.Erase(c.Request.Context(), tenantID(c), email, reason, senderEvent(c, models.EventDataSubjectErased))
	var refused *erasure.Refused
	if errors.As(err, &refused) {
		problem(c, http.StatusConflict, "erasure-refused", "Nothing was erased: envelope "+refused.EnvelopeID+" cannot be, as "+refused.Reason+".")
		return
	}
	if err != nil {
		s.unavailable(c, "erasing the person's data", err)
		return
	}
	s.Log.InfoContext(c.Request.Context(), "data subject erased", "tenant", tenantID(c), "envelopes", len(erased.Envelopes))
	c.JSON(http.StatusOK, gin.H{"erased": erased, "at": s.now().UTC()})
}
