// Package wiring puts Signflow together: from its dependencies and
// settings it builds the HTTP API and the Temporal worker, with one
// contract client shared by both. The signflow command and the
// integration tests build the system here, and nowhere else.
package wiring

import (
	"context"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/signflow/signflow/activities"
	"github.com/signflow/signflow/api"
	"github.com/signflow/signflow/internal/documents/blob"
	"github.com/signflow/signflow/internal/documents/pdf"
	"github.com/signflow/signflow/internal/editing"
	"github.com/signflow/signflow/internal/embedding"
	"github.com/signflow/signflow/internal/erasure"
	"github.com/signflow/signflow/internal/evidence"
	"github.com/signflow/signflow/internal/keys/accesstoken"
	"github.com/signflow/signflow/internal/keys/payloadcodec"
	"github.com/signflow/signflow/internal/keys/seal"
	"github.com/signflow/signflow/internal/keys/signinglink"
	"github.com/signflow/signflow/internal/notifications/email"
	"github.com/signflow/signflow/internal/notifications/sms"
	"github.com/signflow/signflow/internal/notifications/smtp"
	"github.com/signflow/signflow/internal/platform/admission"
	"github.com/signflow/signflow/internal/platform/config"
	"github.com/signflow/signflow/internal/platform/metrics"
	"github.com/signflow/signflow/internal/platform/tracing"
	"github.com/signflow/signflow/internal/publiclinks"
	"github.com/signflow/signflow/internal/sending"
	"github.com/signflow/signflow/internal/signers"
	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/internal/verification"
	"github.com/signflow/signflow/models/database"
	"github.com/signflow/signflow/worker"
	"github.com/signflow/signflow/workflows/contract"
)

// Deps are the services and keys the system runs on.
type Deps struct {
	Store *database.Store
	Blobs blob.Store
	Seal  *seal.Sealer
	Links *signinglink.Minter
	Mail  smtp.Client
	// SMS texts codes; nil sends no texts, and sms_otp is refused.
	SMS      sms.Sender
	Temporal client.Client
	// Codec seals Temporal payloads; the API serves it to the Web UI.
	Codec *payloadcodec.Codec
	// Metrics counts what the API and worker do; nil counts nothing.
	Metrics *metrics.Metrics
	// Tracing traces API requests into the workflows; nil traces nothing.
	// The Temporal client carries the trace on when tracing.Apply was
	// given the same provider.
	Tracing trace.TracerProvider
	// Tokens issues and checks the API's access tokens; the worker needs none.
	Tokens *accesstoken.Authority
	Log    *slog.Logger
}

// Settings are the system's tunable behaviour.
type Settings struct {
	TaskQueue     string
	PublicURL     string
	WebhookPolicy contract.WebhookPolicy
	Limits        pdf.Limits
	// TrustedProxies may set X-Forwarded-For; from anyone else it is ignored.
	TrustedProxies      []string
	AllowNoSecondFactor bool
	SessionTTL          time.Duration
	IdempotencyTTL      time.Duration
	// RateLimit and RateBurst pace each API client; zero sets no limit.
	RateLimit float64
	RateBurst int
	// AllowPrivateWebhooks lets webhooks reach loopback and private addresses.
	AllowPrivateWebhooks bool
	// MaxAttachedCopyBytes is the largest completed copy emailed as
	// attachments; zero is activities.DefaultMaxAttachedCopyBytes.
	MaxAttachedCopyBytes int64
	// Now is the API's clock; nil is time.Now.
	Now func() time.Time
	// ReconcileInterval and ReconcileStaleAfter shape the reconciliation
	// schedule.
	ReconcileInterval   time.Duration
	ReconcileStaleAfter time.Duration
	// MaxBacklog is how far behind the workers may be before new
	// envelopes are refused; zero admits every one.
	MaxBacklog time.Duration
	// RetentionInterval is how often the retention schedule runs; with
	// RetentionDryRun its runs only list what would go.
	RetentionInterval time.Duration
	RetentionDryRun   bool
	// BulkRate is how many envelopes a second a tenant's bulk sends make.
	BulkRate int
	// CodecOrigins are the Web UI origins that may call the codec endpoint.
	CodecOrigins []string
	// CodecWithoutToken opens the codec endpoint to loopback callers
	// without a token, for the dev server's Web UI.
	CodecWithoutToken bool
	// TextsPerTenantHour caps a tenant's texts in an hour.
	TextsPerTenantHour int
}

// texts is the hourly budget of texts.
func (s Settings) texts() database.TextBudget {
	return database.TextBudget{PerEnvelope: sms.PerEnvelopeHour, PerTenant: s.TextsPerTenantHour}
}

// SettingsFrom reads the settings out of the configuration.
func SettingsFrom(cfg config.Config) Settings {
	return Settings{
		TaskQueue: cfg.TaskQueue,
		PublicURL: cfg.PublicURL,
		WebhookPolicy: contract.WebhookPolicy{InitialInterval: cfg.WebhookRetryInitial, MaxInterval: cfg.WebhookRetryMax,
			Window: cfg.WebhookRetryWindow},
		Limits:               pdf.Limits{MaxBytes: cfg.MaxDocumentBytes, MaxPages: cfg.MaxDocumentPages},
		TrustedProxies:       cfg.TrustedProxies,
		AllowNoSecondFactor:  cfg.AllowNoSecondFactor,
		SessionTTL:           cfg.SessionTTL,
		IdempotencyTTL:       cfg.IdempotencyTTL,
		RateLimit:            cfg.RateLimit,
		RateBurst:            cfg.RateBurst,
		AllowPrivateWebhooks: cfg.WebhookAllowPrivate,
		ReconcileInterval:    cfg.ReconcileInterval,
		ReconcileStaleAfter:  cfg.ReconcileStaleAfter,
		MaxBacklog:           cfg.AdmissionMaxBacklog,
		CodecOrigins:         cfg.CodecOrigins,
		RetentionInterval:    cfg.RetentionInterval,
		RetentionDryRun:      cfg.RetentionDryRun,
		BulkRate:             cfg.BulkRate,
		TextsPerTenantHour:   cfg.SMSPerTenantHour,
	}
}

// System is Signflow's API and worker over one set of dependencies.
type System struct {
	deps      Deps
	settings  Settings
	workflows *contract.Client
}

// New builds the system.
func New(d Deps, s Settings) *System {
	return &System{deps: d, settings: s, workflows: contract.NewClient(d.Temporal, s.TaskQueue, s.WebhookPolicy)}
}

// API is the HTTP API.
func (sys *System) API() *api.Server {
	d, s := sys.deps, sys.settings
	srv := &api.Server{
		Store: d.Store, Blobs: d.Blobs, Evidence: &evidence.Service{Seal: d.Seal, Blobs: d.Blobs}, Links: d.Links, Workflows: sys.workflows,
		Verifier: &verification.Verifier{Store: d.Store, Links: d.Links, Mail: d.Mail, Compose: email.Composer{From: d.Mail.From},
			SMS: d.SMS, Texts: s.texts(), Metrics: d.Metrics, SessionTTL: s.SessionTTL, Now: s.Now},
		Tokens: d.Tokens, Log: d.Log, PublicURL: s.PublicURL, Limits: s.Limits, TrustedProxies: s.TrustedProxies,
		AllowNoSecondFactor: s.AllowNoSecondFactor, SessionTTL: s.SessionTTL, IdempotencyTTL: s.IdempotencyTTL, Now: s.Now,
		Metrics: d.Metrics, Eraser: &erasure.Eraser{Store: d.Store, Blobs: d.Blobs}, Sender: sys.sender(),
		Signers: &signers.Service{Blobs: d.Blobs, Workflows: sys.workflows},
	}
	srv.Editing = &editing.Service{Store: d.Store, Blobs: d.Blobs, Rules: srv.Sender.Rules, PublicURL: s.PublicURL, Now: s.Now}
	srv.PublicLinks = &publiclinks.Service{Store: d.Store, Links: d.Links, Sender: srv.Sender, PublicURL: s.PublicURL, Now: s.Now}
	if twilio, ok := d.SMS.(sms.Twilio); ok {
		srv.TwilioAuthToken = twilio.AuthToken
	}
	srv.Embedding = &embedding.Service{Store: d.Store, Links: d.Links, Verifier: srv.Verifier, PublicURL: s.PublicURL, Now: s.Now}
	if d.Tracing != nil {
		srv.Tracer, srv.TracePropagator = d.Tracing.Tracer("signflow-api"), tracing.Propagator
	}
	if d.Codec != nil {
		// The operator's Web UI shows a history as it is, plain parts too.
		srv.Codec, srv.CodecOrigins, srv.CodecWithoutToken = converter.NewPayloadCodecHTTPHandler(d.Codec.AcceptingPlain()), s.CodecOrigins, s.CodecWithoutToken
	}
	if s.MaxBacklog > 0 {
		srv.Admission = &admission.Gate{Backlog: sys.workflows.Backlog, MaxBacklog: s.MaxBacklog, Log: d.Log}
	}
	if s.RateLimit > 0 {
		srv.RateLimits = &api.RateLimits{PerSecond: s.RateLimit, Burst: s.RateBurst}
	}
	return srv
}

// sender makes envelopes for the API and for bulk sends alike.
func (sys *System) sender() *sending.Sender {
	d, s := sys.deps, sys.settings
	return &sending.Sender{Store: d.Store, Blobs: d.Blobs, Links: d.Links, Workflows: sys.workflows,
		Rules: signing.Rules{Limits: s.Limits, AllowNoSecondFactor: s.AllowNoSecondFactor, SendsTexts: d.SMS != nil}}
}

// Worker is the Temporal workers hosting the workflows and their activities.
func (sys *System) Worker() *worker.Workers {
	d, s := sys.deps, sys.settings
	return worker.New(d.Temporal, s.TaskQueue, activities.All{
		Envelopes: &activities.Envelopes{Store: d.Store, Links: d.Links, Workflows: sys.workflows, Metrics: d.Metrics},
		Render:    &activities.Render{Store: d.Store, Blobs: d.Blobs, Seal: d.Seal, Metrics: d.Metrics},
		Mail: &activities.Mail{Store: d.Store, Blobs: d.Blobs, Links: d.Links, SMTP: d.Mail, PublicURL: s.PublicURL, Log: d.Log,
			MaxAttachedCopyBytes: s.MaxAttachedCopyBytes, Metrics: d.Metrics, SMS: d.SMS, Texts: s.texts()},
		Webhooks:  &activities.Webhooks{Store: d.Store, AllowPrivate: s.AllowPrivateWebhooks, Metrics: d.Metrics},
		Bulk:      &activities.Bulk{Store: d.Store, Sender: sys.sender(), Rate: s.BulkRate, Metrics: d.Metrics},
		Retention: &activities.Retention{Store: d.Store, Blobs: d.Blobs, DryRun: s.RetentionDryRun, Log: d.Log},
		Reconcile: &activities.Reconcile{Store: d.Store, Workflows: sys.workflows, Metrics: d.Metrics, Log: d.Log},
	})
}

// EnsureRetentionSchedule creates or updates the retention schedule.
func (sys *System) EnsureRetentionSchedule(ctx context.Context) error {
	return sys.workflows.EnsureRetentionSchedule(ctx, sys.settings.RetentionInterval)
}

// EnsureReconcileSchedule creates the reconciliation schedule unless it
// exists; any worker may call it, the first one wins.
func (sys *System) EnsureReconcileSchedule(ctx context.Context) error {
	return sys.workflows.EnsureReconcileSchedule(ctx, sys.settings.ReconcileInterval, sys.settings.ReconcileStaleAfter)
}
