package client

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// WebhookEvent is the body of a webhook delivery.
type WebhookEvent struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      struct {
		EnvelopeID      string `json:"envelope_id"`
		Seq             int64  `json:"seq"`
		RecipientID     string `json:"recipient_id"`
		EnvelopeStatus  string `json:"envelope_status"`
		EnvelopeVersion int64  `json:"envelope_version"`
		// FormData is in envelope.completed when the subscription asked
		// for it (include_form_data).
		FormData []FormValue `json:"form_data"`
	} `json:"data"`
}

// VerifyWebhook checks a delivery's Standard Webhooks signature (and that
// its timestamp is within five minutes) with the subscription's secret,
// then decodes it. Deliveries are at least once: deduplicate by ID.
func VerifyWebhook(secret string, header http.Header, body []byte) (*WebhookEvent, error) {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return nil, fmt.Errorf("signflow: webhook secret: %w", err)
	}
	if err := wh.Verify(body, header); err != nil {
		return nil, fmt.Errorf("signflow: webhook signature: %w", err)
	}
	var e WebhookEvent
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, fmt.Errorf("signflow: webhook body: %w", err)
	}
	if e.ID != header.Get(standardwebhooks.HeaderWebhookID) {
		return nil, fmt.Errorf("signflow: webhook body %s does not match its webhook-id header", e.ID)
	}
	return &e, nil
}
