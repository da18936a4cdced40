package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/signflow/signflow/models/database"
)

// backlogTimeout bounds the queries of one scrape, so a slow database
// makes a scrape fail fast (signflow_backlog_up 0), never hang.
const backlogTimeout = 2 * time.Second

// WatchBacklog adds gauges of what waits, read from the database at each
// scrape. Every worker reports the same numbers; alert on their max.
func (m *Metrics) WatchBacklog(store *database.Store) {
	m.Registry.MustRegister(&backlogCollector{store: store})
}

var (
	backlogUp = prometheus.NewDesc("signflow_backlog_up",
		"1 if the backlog gauges could be read from the database at this scrape.", nil, nil)
	openEnvelopes = prometheus.NewDesc("signflow_envelopes_open",
		"Envelopes in progress.", nil, nil)
	renderFailed = prometheus.NewDesc("signflow_envelopes_render_failed",
		"Envelopes whose final documents could not be made; each waits for retry-render.", nil, nil)
	pendingEmails = prometheus.NewDesc("signflow_outbox_pending_emails",
		"Emails queued in the outbox and not sent yet (refused ones excluded).", nil, nil)
	oldestEmail = prometheus.NewDesc("signflow_outbox_oldest_email_age_seconds",
		"Age of the oldest email still waiting in the outbox; 0 when none waits.", nil, nil)
	pendingWebhooks = prometheus.NewDesc("signflow_webhooks_pending",
		"Webhook deliveries not delivered yet.", nil, nil)
	oldestWebhook = prometheus.NewDesc("signflow_webhooks_oldest_pending_age_seconds",
		"Age of the oldest webhook delivery still pending; 0 when none waits.", nil, nil)
	deadWebhooks = prometheus.NewDesc("signflow_webhooks_dead_letters",
		"Webhook deliveries given up on after their retry window; each can be retried through the API.", nil, nil)
)

type backlogCollector struct {
	store *database.Store
}

func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{backlogUp, openEnvelopes, renderFailed, pendingEmails, oldestEmail, pendingWebhooks, oldestWebhook, deadWebhooks} {
		ch <- d
	}
}

func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), backlogTimeout)
	defer cancel()
	b, err := c.store.Backlog(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(backlogUp, prometheus.GaugeValue, 0)
		return
	}
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	age := func(t time.Time) float64 {
		if t.IsZero() {
			return 0
		}
		return max(0, time.Since(t).Seconds())
	}
	gauge(backlogUp, 1)
	gauge(openEnvelopes, float64(b.OpenEnvelopes))
	gauge(renderFailed, float64(b.RenderFailed))
	gauge(pendingEmails, float64(b.PendingEmails))
	gauge(oldestEmail, age(b.OldestPendingEmail))
	gauge(pendingWebhooks, float64(b.PendingWebhooks))
	gauge(oldestWebhook, age(b.OldestPendingWebhook))
	gauge(deadWebhooks, float64(b.DeadWebhooks))
}
