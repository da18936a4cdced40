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

	"github.com/signflow/signflow/internal/documents/blob"
	"github.com/signflow/signflow/internal/keys/seal"
	"github.com/signflow/signflow/internal/keys/signinglink"
	"github.com/signflow/signflow/internal/notifications/sms"
	"github.com/signflow/signflow/internal/notifications/smtp"
	"github.com/signflow/signflow/internal/platform/metrics"
	"github.com/signflow/signflow/internal/platform/repeat"
	"github.com/signflow/signflow/internal/sending"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/models/database"
	"github.com/signflow/signflow/workflows/contract"
)

// The activities are grouped by concern, each group carrying only the
// dependencies it uses; All is every group a worker hosts.
type All struct {
	Envelopes *Envelopes
	Render    *Render
	Mail      *Mail
	Webhooks  *Webhooks
	Bulk      *Bulk
	Retention *Retention
	Reconcile *Reconcile
}

// Envelopes stores the envelope workflow's state changes.
type Envelopes struct {
	Store *database.Store
	Links *signinglink.Minter
	// Workflows starts the webhook deliverers of an envelope; nil starts none.
	Workflows *contract.Client
	// Metrics counts envelopes that end; nil counts nothing.
	Metrics *metrics.Metrics
	// Queued, when set, is told that a stored change owes mail the outbox
	// dispatchers send, so that this worker's dispatcher sends it at once
	// rather than at its next poll.
	Queued func()
}

// Render makes completed envelopes' final documents.
type Render struct {
	Store   *database.Store
	Blobs   blob.Store
	Seal    *seal.Sealer
	Metrics *metrics.Metrics
}

// Mail composes and sends notifications.
type Mail struct {
	Store     *database.Store
	Blobs     blob.Store
	Links     *signinglink.Minter
	SMTP      smtp.Client
	PublicURL string
	Log       *slog.Logger
	// MaxAttachedCopyBytes is the largest completed copy sent as attachments;
	// zero means DefaultMaxAttachedCopyBytes.
	MaxAttachedCopyBytes int64
	Metrics              *metrics.Metrics
	// SMS texts the rows of recipients reached by text; Texts caps them.
	SMS   sms.Sender
	Texts database.TextBudget
}

// Webhooks delivers webhook events.
type Webhooks struct {
	Store *database.Store
	// HTTP sends webhooks; nil is a client that follows no redirects and,
	// unless AllowPrivate, dials no private or local address.
	HTTP         *http.Client
	AllowPrivate bool
	Metrics      *metrics.Metrics
}

// Bulk makes the envelopes of bulk sends.
type Bulk struct {
	Store  *database.Store
	Sender *sending.Sender
	// Rate is how many envelopes a second a tenant's bulk sends make; zero
	// means DefaultBulkRate.
	Rate    int
	Metrics *metrics.Metrics
}

// Retention lets documents go as their tenants' policies say.
type Retention struct {
	Store *database.Store
	Blobs blob.Store
	// DryRun makes retention runs list what would go, not delete.
	DryRun bool
	Log    *slog.Logger
}

// Reconcile finds and mends what a crash left between the database and
// Temporal.
type Reconcile struct {
	Store     *database.Store
	Workflows *contract.Client
	Metrics   *metrics.Metrics
	Log       *slog.Logger
}

// ApplyTransition stores one state change: the envelope snapshot and its event.
func (a *Envelopes) ApplyTransition(ctx context.Context, t models.Transition) error {
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
	return wakeDeliverers(ctx, a.Store, a.Workflows, t.EnvelopeID)
}

// countEnded counts an envelope that reached a final status and, when it
// completed, how long that took.
func (a *Envelopes) countEnded(ctx context.Context, tenantID, envelopeID, status string) {
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

// QueueNotification writes the message to the outbox, once per
// (envelope, recipient, kind, sequence) however often it is retried.
func (a *Mail) QueueNotification(ctx context.Context, req contract.EnvelopeNotification) error {
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
	added, err := a.Store.QueueNotification(ctx, models.QueuedNotification{
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

// ReissueLink kills the recipient's old link by storing the new one's hash.
func (a *Envelopes) ReissueLink(ctx context.Context, req contract.ReissueRequest) error {
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
