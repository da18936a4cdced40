// Package activities holds the envelope workflow's side effects. Each
// activity does one thing and is idempotent, because Temporal retries it
// until it succeeds.
package activities

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/signflow/signflow/internal/blob"
	"github.com/signflow/signflow/internal/mailer"
	"github.com/signflow/signflow/internal/metrics"
	"github.com/signflow/signflow/internal/repeat"
	"github.com/signflow/signflow/internal/seal"
	"github.com/signflow/signflow/internal/sending"
	"github.com/signflow/signflow/internal/signinglink"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/workflows/contract"
)

// Activities carries the dependencies the activities share.
type Activities struct {
	Store     *models.Store
	Blobs     blob.Store
	Seal      *seal.Sealer
	Links     *signinglink.Minter
	Mail      mailer.SMTP
	PublicURL string
	Log       *slog.Logger
	// MaxAttachmentBytes is the largest completed copy sent as attachments;
	// zero means DefaultMaxAttachmentBytes.
	MaxAttachmentBytes int64
	// Workflows starts the webhook deliverers of an envelope; nil starts none.
	Workflows *contract.Client
	// WebhookHTTP sends webhooks; nil is a client that follows no redirects
	// and, unless AllowPrivateWebhooks, dials no private or local address.
	WebhookHTTP          *http.Client
	AllowPrivateWebhooks bool
	// Metrics counts what the activities do; nil counts nothing.
	Metrics *metrics.Metrics
	// RetentionDryRun makes retention runs list what would go, not delete.
	RetentionDryRun bool
	// Sender makes the envelopes of bulk sends.
	Sender *sending.Sender
	// BulkRate is how many envelopes a second a tenant's bulk sends make;
	// zero means DefaultBulkRate.
	BulkRate int
	// Queued, when set, is told that a stored change owes mail the outbox
	// dispatchers send, so that this worker's dispatcher sends it at once
	// rather than at its next poll.
	Queued func()
}

// ApplyTransition stores one state change: the envelope snapshot and its event.
func (a *Activities) ApplyTransition(ctx context.Context, t models.Transition) error {
	if t.Reissue != nil {
		t.Reissue.TokenHash = signinglink.Hash(a.Links.Token(t.Reissue.RecipientID, t.Reissue.Generation))
	}
	if err := a.Store.ApplyTransition(ctx, t); err != nil {
		return err
	}
	if t.DispatchQueue != "" && len(t.Notify) > 0 && a.Queued != nil {
		a.Queued()
	}
	if models.IsTerminal(t.Status) {
		a.countEnded(ctx, t.TenantID, t.EnvelopeID, t.Status)
	}
	return a.wakeDeliverers(ctx, t.EnvelopeID)
}

// countEnded counts an envelope that reached a final status and, when it
// completed, how long that took.
func (a *Activities) countEnded(ctx context.Context, tenantID, envelopeID, status string) {
	if a.Metrics == nil {
		return
	}
	env, err := a.Store.GetEnvelope(ctx, tenantID, envelopeID)
	if err != nil {
		return // a metric is not worth failing the change it counts
	}
	ended := time.Now()
	if env.CompletedAt != nil {
		ended = *env.CompletedAt
	}
	a.Metrics.EnvelopeEnded(status, env.CreatedAt, ended, status == models.EnvelopeCompleted)
}

// NotificationRequest names a message owed to a recipient. Sequence tells
// repeated messages of one kind apart (the n-th reminder).
type NotificationRequest struct {
	EnvelopeID  string `json:"envelope_id"`
	TenantID    string `json:"tenant_id"`
	RecipientID string `json:"recipient_id"`
	Kind        string `json:"kind"`
	Sequence    int    `json:"sequence"`
}

// QueueNotification writes the message to the outbox, once per
// (envelope, recipient, kind, sequence) however often it is retried.
func (a *Activities) QueueNotification(ctx context.Context, req NotificationRequest) error {
	env, err := a.Store.GetEnvelope(ctx, req.TenantID, req.EnvelopeID)
	if err != nil {
		return fmt.Errorf("queue %s: %w", req.Kind, err)
	}
	var to *models.Recipient
	for i := range env.Recipients {
		if env.Recipients[i].ID == req.RecipientID {
			to = &env.Recipients[i]
		}
	}
	if to == nil {
		return fmt.Errorf("queue %s: recipient %s is not on envelope %s", req.Kind, req.RecipientID, req.EnvelopeID)
	}
	added, err := a.Store.QueueNotification(ctx, models.Notification{
		EnvelopeID: env.ID, TenantID: env.TenantID, RecipientID: to.ID,
		Kind: req.Kind, Sequence: req.Sequence, Email: to.Email, Subject: env.Subject,
	})
	if err != nil {
		return err
	}
	if added {
		a.Log.InfoContext(ctx, "notification queued", "envelope_id", env.ID, "recipient_id", to.ID,
			"kind", req.Kind, "sequence", req.Sequence)
	}
	return nil
}

// ReissueRequest gives a recipient a new link generation, with corrected
// details when Name or Email are set.
type ReissueRequest struct {
	RecipientID string `json:"recipient_id"`
	Generation  int    `json:"generation"`
	Name        string `json:"name,omitempty"`
	Email       string `json:"email,omitempty"`
	// Authentication replaces the recipient's second factor, when set.
	Authentication string `json:"authentication,omitempty"`
}

// ReissueLink kills the recipient's old link by storing the new one's hash.
func (a *Activities) ReissueLink(ctx context.Context, req ReissueRequest) error {
	token := a.Links.Token(req.RecipientID, req.Generation)
	return a.Store.ReissueLink(ctx, req.RecipientID, req.Generation, signinglink.Hash(token), req.Name, req.Email, req.Authentication)
}

// heartbeatEvery is how often a long activity reports that it is alive;
// the workflow's heartbeat timeout is a few times this.
const heartbeatEvery = 2 * time.Second

// whileHeartbeating runs work, reporting a heartbeat until it returns, so
// that if the worker dies Temporal retries the activity elsewhere within
// the heartbeat timeout instead of its whole start-to-close timeout.
func whileHeartbeating(ctx context.Context, work func() error) error {
	activity.RecordHeartbeat(ctx)
	return repeat.While(heartbeatEvery, func() { activity.RecordHeartbeat(ctx) }, work)
}
