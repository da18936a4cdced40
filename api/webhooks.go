package api

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/models"
)

const (
	maxDeliveriesListed = 200
	maxRotationOverlap  = 7 * 24 * time.Hour
)

type webhookView struct {
	ID                  string     `json:"id"`
	URL                 string     `json:"url"`
	EventTypes          []string   `json:"event_types"`
	IncludeFormData     bool       `json:"include_form_data"`
	Secret              string     `json:"secret,omitempty"`
	PreviousSecretUntil *time.Time `json:"previous_secret_until,omitempty"`
	Status              string     `json:"status"`
	DisabledReason      string     `json:"disabled_reason,omitempty"`
	CreatedAt           time.Time  `json:"created_at"`
}

func viewWebhook(w *models.WebhookSubscription) webhookView {
	v := webhookView{ID: w.ID, URL: w.URL, EventTypes: w.EventTypes, IncludeFormData: w.IncludeFormData, PreviousSecretUntil: w.PreviousSecretUntil,
		Status: "active", DisabledReason: w.DisabledReason, CreatedAt: w.CreatedAt.UTC()}
	if v.EventTypes == nil {
		v.EventTypes = []string{}
	}
	if w.DisabledAt != nil {
		v.Status = "disabled"
	}
	return v
}

// newWebhookSecret is a Standard Webhooks secret: "whsec_" and 32 random
// bytes in base64.
func newWebhookSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

func (s *Server) createWebhook(c *gin.Context) {
	var body struct {
		URL        string   `json:"url"`
		EventTypes []string `json:"event_types"`
		// IncludeFormData adds every field's value to envelope.completed.
		IncludeFormData bool `json:"include_form_data"`
	}
	if !readJSON(c, &body, `send JSON such as {"url": "https://example.com/hooks", "event_types": ["envelope.completed"]}`) {
		return
	}
	var errs signing.FieldErrors
	if u, err := url.Parse(body.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs.Add("url", "give an absolute http or https URL")
	}
	for i, t := range body.EventTypes {
		if !slices.Contains(models.FeedTypes, t) {
			errs.Add("event_types["+strconv.Itoa(i)+"]", "%q is not an event type; choose from %v, or send none for all", t, models.FeedTypes)
		}
	}
	if len(errs) > 0 {
		invalid(c, errs)
		return
	}
	w := models.WebhookSubscription{ID: "wh_" + models.NewID(), TenantID: tenantID(c), URL: body.URL, EventTypes: body.EventTypes,
		IncludeFormData: body.IncludeFormData, Secret: newWebhookSecret(), CreatedAt: s.now().UTC()}
	if err := s.Store.CreateWebhook(c.Request.Context(), w); err != nil {
		s.unavailable(c, "saving the webhook", err)
		return
	}
	v := viewWebhook(&w)
	v.Secret = w.Secret // shown once
	c.Header("Location", "/v1/webhooks/"+w.ID)
	c.JSON(http.StatusCreated, v)
}

func (s *Server) listWebhooks(c *gin.Context) {
	ws, err := s.Store.ListWebhooks(c.Request.Context(), tenantID(c))
	if err != nil {
		s.unavailable(c, "listing webhooks", err)
		return
	}
	out := []webhookView{}
	for i := range ws {
		out = append(out, viewWebhook(&ws[i]))
	}
	c.JSON(http.StatusOK, gin.H{"webhooks": out})
}

// loadWebhook finds the tenant's subscription in the path, answering 404
// itself otherwise.
func (s *Server) loadWebhook(c *gin.Context) *models.WebhookSubscription {
	return loadOwn(s, c, "webhook", s.Store.GetWebhook)
}

func (s *Server) getWebhook(c *gin.Context) {
	if w := s.loadWebhook(c); w != nil {
		c.JSON(http.StatusOK, viewWebhook(w))
	}
}

// deleteWebhook stops deliveries; the subscription's delivery history stays.
func (s *Server) deleteWebhook(c *gin.Context) {
	w := s.loadWebhook(c)
	if w == nil {
		return
	}
	if err := s.Store.UpdateWebhook(c.Request.Context(), w, map[string]any{"deleted_at": s.now().UTC()}); err != nil {
		s.unavailable(c, "deleting the webhook", err)
		return
	}
	c.Status(http.StatusNoContent)
}

// rotateSecret issues a new secret; the old one keeps signing alongside it
// for the overlap, so receivers can switch without missing an event.
func (s *Server) rotateSecret(c *gin.Context) {
	var body struct {
		Overlap string `json:"overlap"`
	}
	if c.Request.ContentLength != 0 {
		if !readJSON(c, &body, `send JSON such as {"overlap": "24h"}`) {
			return
		}
	}
	overlap := 24 * time.Hour
	if body.Overlap != "" {
		d, err := time.ParseDuration(body.Overlap)
		if err != nil || d < 0 || d > maxRotationOverlap {
			invalid(c, signing.FieldErrors{{Field: "overlap", Message: "give a duration from 0s to 168h, such as 24h"}})
			return
		}
		overlap = d
	}
	w := s.loadWebhook(c)
	if w == nil {
		return
	}
	until := s.now().UTC().Add(overlap)
	secret := newWebhookSecret()
	err := s.Store.UpdateWebhook(c.Request.Context(), w, map[string]any{"secret": secret, "previous_secret": w.Secret, "previous_secret_until": until})
	if err != nil {
		s.unavailable(c, "rotating the secret", err)
		return
	}
	v := viewWebhook(w)
	v.Secret, v.PreviousSecretUntil = secret, &until
	c.JSON(http.StatusOK, v)
}

type attemptView struct {
	Attempt    int       `json:"attempt"`
	At         time.Time `json:"at"`
	StatusCode int       `json:"status_code,omitempty"`
	LatencyMS  int64     `json:"latency_ms"`
	Error      string    `json:"error,omitempty"`
}

type deliveryView struct {
	ID          string        `json:"id"`
	EventID     string        `json:"event_id"`
	Type        string        `json:"type"`
	EnvelopeID  string        `json:"envelope_id"`
	Seq         int64         `json:"seq"`
	Status      string        `json:"status"`
	DeliveredAt *time.Time    `json:"delivered_at,omitempty"`
	DeadAt      *time.Time    `json:"dead_at,omitempty"`
	Attempts    []attemptView `json:"attempts"`
}

// deliveries lists a subscription's deliveries with every attempt;
// ?status=dead lists the dead letters.
func (s *Server) deliveries(c *gin.Context) {
	status := c.Query("status")
	if status != "" && !slices.Contains([]string{models.DeliveryPending, models.DeliveryDelivered, models.DeliveryDead, models.DeliverySkipped}, status) {
		invalid(c, signing.FieldErrors{{Field: "status", Message: "choose pending, delivered, dead or skipped"}})
		return
	}
	w := s.loadWebhook(c)
	if w == nil {
		return
	}
	ds, err := s.Store.Deliveries(c.Request.Context(), w.ID, status, maxDeliveriesListed)
	if err != nil {
		s.unavailable(c, "listing deliveries", err)
		return
	}
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	attempts, err := s.Store.Attempts(c.Request.Context(), ids)
	if err != nil {
		s.unavailable(c, "listing delivery attempts", err)
		return
	}
	out := []deliveryView{}
	for _, d := range ds {
		v := deliveryView{ID: d.ID, EventID: d.EventID, Type: d.Type, EnvelopeID: d.EnvelopeID, Seq: d.Seq, Status: d.Status,
			DeliveredAt: d.DeliveredAt, DeadAt: d.DeadAt, Attempts: []attemptView{}}
		for _, a := range attempts {
			if a.DeliveryID == d.ID {
				v.Attempts = append(v.Attempts, attemptView{Attempt: a.Attempt, At: a.At.UTC(), StatusCode: a.StatusCode, LatencyMS: a.LatencyMS, Error: a.Error})
			}
		}
		out = append(out, v)
	}
	c.JSON(http.StatusOK, gin.H{"deliveries": out})
}

// retryDelivery sends one delivery again (typically a dead letter).
func (s *Server) retryDelivery(c *gin.Context) {
	w := s.loadWebhook(c)
	if w == nil {
		return
	}
	d, err := s.Store.GetDelivery(c.Request.Context(), c.Param("did"))
	if errors.Is(err, models.ErrNotFound) || (err == nil && d.SubscriptionID != w.ID) {
		problem(c, http.StatusNotFound, "not-found", "The webhook has no delivery with ID "+c.Param("did")+".")
		return
	}
	if err != nil {
		s.unavailable(c, "loading the delivery", err)
		return
	}
	s.requeue(c, w, d.ID, nil)
}

// replay sends again every delivery since a point in time, in order per
// envelope; receivers tell repeats by webhook-id.
func (s *Server) replay(c *gin.Context) {
	var body struct {
		Since time.Time `json:"since"`
	}
	if err := c.ShouldBindJSON(&body); err != nil || body.Since.IsZero() {
		invalid(c, signing.FieldErrors{{Field: "since", Message: "give an RFC 3339 time, such as 2026-11-25T00:00:00Z"}})
		return
	}
	if w := s.loadWebhook(c); w != nil {
		s.requeue(c, w, "", &body.Since)
	}
}

func (s *Server) requeue(c *gin.Context, w *models.WebhookSubscription, deliveryID string, since *time.Time) {
	if !w.Active() {
		problem(c, http.StatusConflict, "webhook-disabled", "The webhook is disabled ("+w.DisabledReason+"); create a new one for a working endpoint.")
		return
	}
	envelopes, err := s.Store.Requeue(c.Request.Context(), w.ID, deliveryID, since)
	if err != nil {
		s.unavailable(c, "requeueing deliveries", err)
		return
	}
	for _, env := range envelopes {
		if err := s.Workflows.WakeWebhooks(c.Request.Context(), env, []string{w.ID}); err != nil {
			s.unavailable(c, "starting the deliveries", err)
			return
		}
	}
	c.JSON(http.StatusAccepted, gin.H{"envelopes": len(envelopes)})
}
