package tests

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"gorm.io/gorm"

	sfclient "github.com/signflow/signflow/api/client"
	"github.com/signflow/signflow/internal/platform/metrics"
	"github.com/signflow/signflow/internal/platform/tracing"
	"github.com/signflow/signflow/models"
)

// scrape reads a /metrics page.
func scrape(t testing.TB, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(data)
}

// metricValue is the sum of a metric's samples whose labels include all of
// labels (`name="value"` pairs); -1 when there is none.
func metricValue(page, name string, labels ...string) float64 {
	sum, found := 0.0, false
	line := regexp.MustCompile(`^` + regexp.QuoteMeta(name) + `(\{[^}]*\})? (\S+)$`)
	for _, l := range strings.Split(page, "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		all := true
		for _, want := range labels {
			all = all && strings.Contains(m[1], want)
		}
		if !all {
			continue
		}
		v, err := strconv.ParseFloat(m[2], 64)
		if err == nil {
			sum, found = sum+v, true
		}
	}
	if !found {
		return -1
	}
	return sum
}

func TestMetricsCountTheLifecycle(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	m.WatchBacklog(suite.store)
	d := suite.deps
	d.Metrics = m
	queue := "metrics-" + newTestID()
	startWorker(t, d, testSettings(queue))
	base := serveAPI(t, d, testSettings(queue))
	page := httptest.NewServer(m.Handler())
	t.Cleanup(page.Close)

	api := newTenantAPI(t, base)
	rcv := newReceiver("", func(*sfclient.WebhookEvent) int { return http.StatusNoContent })
	addr := freePort()
	status, hook := api.call(http.MethodPost, "/v1/webhooks", J{"url": "http://" + addr + "/hooks", "event_types": []string{"envelope.completed"}})
	require.Equal(t, http.StatusCreated, status, "%v", hook)
	rcv.secrets = []string{str(hook, "secret")}
	serveOn(t, addr, rcv)

	completed, link := api.envelope()
	voided, _ := api.envelope()
	status, body := signAs(t, link, "Alice Adams")
	require.Equal(t, http.StatusOK, status, "%v", body)
	status, body = api.call(http.MethodPost, "/v1/envelopes/"+voided+"/void", J{"reason": "replaced"})
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Equal(t, models.EnvelopeCompleted, awaitWorkflow(t, completed).Status)
	awaitWorkflow(t, voided)

	var text string
	var sent, unsent int64
	counted := func() bool {
		text = scrape(t, page.URL)
		mine := rawDB().Model(&models.QueuedNotification{}).Where("envelope_id IN ?", []string{completed, voided})
		require.NoError(t, mine.Session(&gorm.Session{}).Where("sent_at IS NOT NULL").Count(&sent).Error)
		require.NoError(t, mine.Session(&gorm.Session{}).Where("sent_at IS NULL").Count(&unsent).Error)
		return metricValue(text, "signflow_webhook_deliveries_total", `outcome="delivered"`) >= 1 &&
			unsent == 0 && sent >= 3 && metricValue(text, "signflow_emails_total", `outcome="sent"`) == float64(sent)
	}
	for deadline := time.Now().Add(time.Minute); !counted() && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	require.True(t, counted(), "the completion webhook and the %d emails sent are counted: %v", sent,
		regexp.MustCompile(`(?m)^signflow_(webhook_deliveries|emails)_total.*$`).FindAllString(text, -1))
	require.EqualValues(t, 2, metricValue(text, "signflow_envelopes_created_total"))
	require.EqualValues(t, 1, metricValue(text, "signflow_envelopes_ended_total", `outcome="completed"`))
	require.EqualValues(t, 1, metricValue(text, "signflow_envelopes_ended_total", `outcome="voided"`))
	require.EqualValues(t, 1, metricValue(text, "signflow_envelope_completion_seconds_count"))
	require.EqualValues(t, 1, metricValue(text, "signflow_render_duration_seconds_count"))
	require.EqualValues(t, 1, metricValue(text, "signflow_webhook_delivery_lag_seconds_count"))
	require.EqualValues(t, 2, metricValue(text, "signflow_http_requests_total", `route="/v1/envelopes"`, `method="POST"`, `status="201"`))
	require.EqualValues(t, 1, metricValue(text, "signflow_http_requests_total", `route="/v1/signing/:token/sign"`, `status="200"`))
	require.Positive(t, metricValue(text, "signflow_http_request_duration_seconds_count", `route="/v1/envelopes/:id/void"`))
	require.NotContains(t, text, strings.TrimPrefix(link, base+"/v1/signing/"), "no signing token becomes a label")
	require.EqualValues(t, 1, metricValue(text, "signflow_backlog_up"))
	for _, gauge := range []string{"signflow_envelopes_open", "signflow_outbox_pending_emails", "signflow_outbox_oldest_email_age_seconds",
		"signflow_webhooks_pending", "signflow_webhooks_dead_letters", "signflow_envelopes_render_failed"} {
		require.GreaterOrEqual(t, metricValue(text, gauge), 0.0, gauge)
	}
}

// One trace runs from the HTTP request that creates an envelope through
// its workflow to the activities that workflow runs.
func TestATraceRunsFromTheRequestThroughTheWorkflow(t *testing.T) {
	t.Parallel()
	recorder := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recorder))
	opts := client.Options{Namespace: "default", Logger: tlog.NewStructuredLogger(suite.log)}
	suite.deps.Codec.Apply(&opts)
	require.NoError(t, tracing.Apply(&opts, tp))
	traced, err := client.NewClientFromExisting(suite.temporal, opts)
	require.NoError(t, err)
	t.Cleanup(traced.Close)
	d := suite.deps
	d.Temporal, d.Tracing = traced, tp
	queue := "trace-" + newTestID()
	startWorker(t, d, testSettings(queue))
	base := serveAPI(t, d, testSettings(queue))

	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	status, created := sendWith(t, http.MethodPost, base+"/v1/envelopes", "application/json",
		jsonBody(t, jsonEnvelope(t, []J{signer("alice", 1)}, []J{fieldAt(0, "signature", 1, aliceSig)})),
		map[string]string{"traceparent": "00-" + traceID + "-00f067aa0ba902b7-01"})
	require.Equal(t, http.StatusCreated, status, "%v", created)
	status, body := signAs(t, str(created, "recipients", 0, "signing_api_url"), "Alice Adams")
	require.Equal(t, http.StatusOK, status, "%v", body)
	awaitWorkflow(t, str(created, "id"))

	names := map[string]bool{}
	require.Eventually(t, func() bool {
		for _, s := range recorder.Ended() {
			if s.SpanContext().TraceID().String() == traceID {
				names[s.Name()] = true
			}
		}
		return names["POST /v1/envelopes"] && names["StartWorkflow:EnvelopeWorkflow"] && names["RunWorkflow:EnvelopeWorkflow"] &&
			names["RunActivity:ApplyTransition"]
	}, time.Minute, 100*time.Millisecond, "spans of the trace: %v", names)
	for _, s := range recorder.Ended() {
		for _, a := range s.Attributes() {
			require.NotEqual(t, "url.path", string(a.Key), "no path, so no signing token, in a span")
			require.NotContains(t, a.Value.Emit(), "alice@example.com")
		}
	}
}
