// Package metrics is what Signflow tells Prometheus: HTTP traffic, the
// envelope lifecycle, mail, webhooks, rendering and reconciliation, counted
// where they happen, and gauges of the backlog read from the database at
// scrape time. Each System has its own registry, so several run in one
// process (the tests) without sharing counters.
//
// A nil *Metrics counts nothing, so code under test may leave it unset.
package metrics

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Outcomes of an email, as signflow_emails_total's outcome label.
const (
	EmailSent    = "sent"
	EmailRefused = "refused" // refused for good by the mail server
	EmailFailed  = "failed"  // a temporary failure, retried
)

// Outcomes of a text (codes and notifications), as signflow_texts_total's:
// sent, refused for good, failed (retried), or capped by the hour's budget.
const (
	TextSent    = "sent"
	TextRefused = "refused"
	TextFailed  = "failed"
	TextCapped  = "capped"
)

// Outcomes of a webhook attempt, as signflow_webhook_deliveries_total's.
const (
	WebhookDelivered    = "delivered"
	WebhookFailed       = "failed" // this attempt; it is retried
	WebhookGone         = "gone"   // 410: the subscription is disabled
	WebhookDeadLettered = "dead_lettered"
)

// Metrics holds Signflow's collectors.
type Metrics struct {
	Registry *prometheus.Registry

	httpRequests      *prometheus.CounterVec
	httpDuration      *prometheus.HistogramVec
	envelopesCreated  prometheus.Counter
	envelopesEnded    *prometheus.CounterVec
	completionTime    prometheus.Histogram
	emails            *prometheus.CounterVec
	texts             *prometheus.CounterVec
	webhookDeliveries *prometheus.CounterVec
	webhookLag        prometheus.Histogram
	renderDuration    prometheus.Histogram
	reconcileFindings *prometheus.CounterVec
}

// New registers Signflow's collectors, with the Go runtime's and the
// process's, in a registry of their own.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	f := func(c prometheus.Collector) { reg.MustRegister(c) }
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{
		Registry: reg,
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "signflow_http_requests_total",
			Help: "HTTP requests answered, by route template, method and status."}, []string{"route", "method", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "signflow_http_request_duration_seconds",
			Help: "Time to answer an HTTP request, by route template and method.", Buckets: prometheus.DefBuckets},
			[]string{"route", "method"}),
		envelopesCreated: prometheus.NewCounter(prometheus.CounterOpts{Name: "signflow_envelopes_created_total",
			Help: "Envelopes created through the API."}),
		envelopesEnded: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "signflow_envelopes_ended_total",
			Help: "Envelopes that reached a final status: completed, declined, voided or expired."}, []string{"outcome"}),
		completionTime: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "signflow_envelope_completion_seconds",
			Help:    "Time from an envelope's creation to its completion.",
			Buckets: []float64{1, 10, 60, 600, 3600, 6 * 3600, 24 * 3600, 7 * 24 * 3600, 30 * 24 * 3600}}),
		emails: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "signflow_emails_total",
			Help: "Notification emails by outcome: sent, refused (for good) or failed (retried)."}, []string{"outcome"}),
		texts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "signflow_texts_total",
			Help: "Text messages (codes and notifications) by kind (code, invitation...) and outcome: sent, refused (for good), failed (retried), capped (over the hour's budget)."},
			[]string{"kind", "outcome"}),
		webhookDeliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "signflow_webhook_deliveries_total",
			Help: "Webhook delivery attempts by outcome: delivered, failed (retried), gone, dead_lettered."}, []string{"outcome"}),
		webhookLag: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "signflow_webhook_delivery_lag_seconds",
			Help:    "Time from a webhook's event to its delivery.",
			Buckets: []float64{0.1, 0.5, 1, 5, 30, 60, 300, 3600, 6 * 3600, 24 * 3600, 72 * 3600}}),
		renderDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "signflow_render_duration_seconds",
			Help: "Time to stamp, certify and seal one final document.", Buckets: prometheus.ExponentialBuckets(0.01, 2, 12)}),
		reconcileFindings: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "signflow_reconcile_findings_total",
			Help: "What the reconciliation found and did: voided (workflow never started), flagged (workflow ended abnormally), webhooks_woken, bulk_resumed."},
			[]string{"kind"}),
	}
	for _, c := range []prometheus.Collector{m.httpRequests, m.httpDuration, m.envelopesCreated, m.envelopesEnded,
		m.completionTime, m.emails, m.texts, m.webhookDeliveries, m.webhookLag, m.renderDuration, m.reconcileFindings} {
		f(c)
	}
	return m
}

// Handler serves the registry in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// Serve answers GET /metrics on addr until ctx ends.
func (m *Metrics) Serve(ctx context.Context, addr string, log *slog.Logger) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	log.Info("metrics listening", "url", "http://"+addr+"/metrics")
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Request counts an answered HTTP request; route is the template, so
// signing tokens in paths never become label values.
func (m *Metrics) Request(route, method string, status int, took time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = "unmatched"
	}
	m.httpRequests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.httpDuration.WithLabelValues(route, method).Observe(took.Seconds())
}

// EnvelopeCreated counts a new envelope.
func (m *Metrics) EnvelopeCreated() {
	if m != nil {
		m.envelopesCreated.Inc()
	}
}

// EnvelopeEnded counts an envelope reaching a final status; a completed
// one's time since creation is observed too.
func (m *Metrics) EnvelopeEnded(status string, createdAt, endedAt time.Time, completed bool) {
	if m == nil {
		return
	}
	m.envelopesEnded.WithLabelValues(status).Inc()
	if completed {
		m.completionTime.Observe(endedAt.Sub(createdAt).Seconds())
	}
}

// Email counts an email's outcome.
func (m *Metrics) Email(outcome string) {
	if m != nil {
		m.emails.WithLabelValues(outcome).Inc()
	}
}

// Text counts a text's outcome.
func (m *Metrics) Text(kind, outcome string) {
	if m != nil {
		m.texts.WithLabelValues(kind, outcome).Inc()
	}
}

// Webhook counts a webhook attempt's outcome; a delivery's lag since its
// event is observed too.
func (m *Metrics) Webhook(outcome string, eventAt time.Time) {
	if m == nil {
		return
	}
	m.webhookDeliveries.WithLabelValues(outcome).Inc()
	if outcome == WebhookDelivered {
		m.webhookLag.Observe(time.Since(eventAt).Seconds())
	}
}

// Render observes the time one final document took.
func (m *Metrics) Render(took time.Duration) {
	if m != nil {
		m.renderDuration.Observe(took.Seconds())
	}
}

// Reconciled counts n findings of a kind.
func (m *Metrics) Reconciled(kind string, n int) {
	if m != nil && n > 0 {
		m.reconcileFindings.WithLabelValues(kind).Add(float64(n))
	}
}
