package tests

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/signflow/signflow/api/client"
	"github.com/signflow/signflow/internal/keys/accesstoken"
	"github.com/signflow/signflow/internal/keys/seal"
	"github.com/signflow/signflow/models"
)

// collector is an OTLP/HTTP trace receiver that notes which services sent
// spans.
type collector struct {
	mu       sync.Mutex
	services map[string]int
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req collectortrace.ExportTraceServiceRequest
	if r.URL.Path != "/v1/traces" || proto.Unmarshal(body, &req) != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rs := range req.ResourceSpans {
		for _, a := range rs.GetResource().GetAttributes() {
			if a.Key == "service.name" {
				c.services[a.GetValue().GetStringValue()] += len(rs.ScopeSpans)
			}
		}
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	_, _ = w.Write(out)
}

func (c *collector) sent(service string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.services[service] > 0
}

// sharedSecrets are what every host of one deployment is given: the link
// keys and the seal bundle (the payload keys every test process inherits).
func sharedSecrets(t *testing.T) []string {
	t.Helper()
	linkKey := make([]byte, 32)
	_, _ = rand.Read(linkKey)
	generated, err := seal.LoadOrCreate(t.TempDir())
	require.NoError(t, err)
	bundle, err := pkcs12.Modern.Encode(generated.Key, generated.Cert, []*x509.Certificate{generated.CA}, "bundle-password")
	require.NoError(t, err)
	return []string{"SIGNFLOW_LINK_KEYS=" + base64.StdEncoding.EncodeToString(linkKey),
		"SIGNFLOW_SEAL_PKCS12_BASE64=" + base64.StdEncoding.EncodeToString(bundle), "SIGNFLOW_SEAL_PASSWORD=bundle-password"}
}

// Two API and two worker processes, each with a data directory of its own,
// share only PostgreSQL, Temporal and the object store. Envelopes are
// created and signed across both APIs: each completes, every email and
// webhook arrives once, a token from one API is accepted by the other,
// and a link handed out by one works on the other.
func TestManyHostsShareOnlyTheDatabaseTemporalAndTheObjectStore(t *testing.T) {
	t.Parallel()
	if !strings.HasPrefix(suite.databaseURL, "postgres") {
		t.Skip("many hosts share PostgreSQL; TEST_DATABASE_URL is unset, so this run is on SQLite")
	}
	const n = 12
	traces := &collector{services: map[string]int{}}
	otlp := httptest.NewServer(traces)
	t.Cleanup(otlp.Close)

	bucket := newBucket(t)
	api1, api2 := freePort(), freePort()
	publicURL := "http://" + api1 // the address a load balancer would have
	common := append(sharedSecrets(t), "DATABASE_URL="+suite.databaseURL, "TEMPORAL_ADDRESS="+suite.hostPort,
		"SIGNFLOW_TASK_QUEUE=hosts-"+newTestID(), "SIGNFLOW_PUBLIC_URL="+publicURL,
		"SIGNFLOW_BLOB_URL="+bucket, "SIGNFLOW_S3_ENDPOINT="+suite.s3Endpoint, "SIGNFLOW_S3_ACCESS_KEY="+s3AccessKey,
		"SIGNFLOW_S3_SECRET_KEY="+s3SecretKey, "SIGNFLOW_SMTP_ADDR="+suite.smtpAddr, "SIGNFLOW_SMTP_TLS=none",
		"SIGNFLOW_WEBHOOK_ALLOW_PRIVATE=true", "SIGNFLOW_WEBHOOK_RETRY_INITIAL=300ms", "SIGNFLOW_WEBHOOK_RETRY_MAX=2s",
		"OTEL_EXPORTER_OTLP_ENDPOINT="+otlp.URL, "OTEL_BSP_SCHEDULE_DELAY=200")
	var hosts []*process
	metricsOf := map[string]string{}
	for i, role := range []string{"api", "api", "worker", "worker"} {
		name := fmt.Sprintf("%s%d", role, i%2+1)
		metricsAddr := freePort()
		metricsOf[name] = "http://" + metricsAddr + "/metrics"
		env := append([]string{"SIGNFLOW_DATA_DIR=" + t.TempDir(), "SIGNFLOW_METRICS_ADDR=" + metricsAddr}, common...)
		ready := "worker started"
		if role == "api" {
			env = append(env, "SIGNFLOW_HTTP_ADDR="+[]string{api1, api2}[i])
			ready = "api listening"
		}
		p := &process{t: t, name: name, ready: ready, args: []string{suite.binary, role}, env: env}
		p.start()
		t.Cleanup(p.kill)
		hosts = append(hosts, p)
	}
	bases := []string{"http://" + api1, "http://" + api2}

	// One client: its token comes from the first API and is used on both.
	tenant := "hosts-" + newTestID()
	c, secret := accesstoken.NewClient(tenant, "hosts", models.Scopes, time.Now())
	require.NoError(t, suite.store.CreateClient(context.Background(), c))
	status, grant := sendWith(t, http.MethodPost, bases[0]+"/oauth/token", "application/x-www-form-urlencoded",
		strings.NewReader("grant_type=client_credentials&client_id="+c.ID+"&client_secret="+secret), nil)
	require.Equal(t, http.StatusOK, status, "%v", grant)
	auth := map[string]string{"Authorization": "Bearer " + str(grant, "access_token")}

	var rcv *receiver
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { rcv.ServeHTTP(w, r) }))
	t.Cleanup(hooks.Close)
	status, hook := sendWith(t, http.MethodPost, bases[1]+"/v1/webhooks", "application/json", jsonBody(t, J{"url": hooks.URL}), auth)
	require.Equal(t, http.StatusCreated, status, "the first API's token on the second API: %v", hook)
	rcv = newReceiver(str(hook, "secret"), func(*client.WebhookEvent) int { return http.StatusNoContent })

	started := time.Now()
	type envelope struct{ id, first, second string }
	envs := make([]envelope, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			spec := jsonEnvelope(t, []J{withCode(J{"name": "First", "email": unique(fmt.Sprintf("hosts-a%d", i)), "role": "signer", "routing_order": 1}),
				withCode(J{"name": "Second", "email": unique(fmt.Sprintf("hosts-b%d", i)), "role": "signer", "routing_order": 2})},
				[]J{fieldAt(0, "signature", 1, aliceSig), fieldAt(1, "signature", 1, bobSig)})
			status, created := sendWith(t, http.MethodPost, bases[i%2]+"/v1/envelopes", "application/json", jsonBody(t, spec), auth)
			require.Equal(t, http.StatusCreated, status, "%v", created)
			// Links name the public URL; half are opened on the other API.
			on := func(link string, api int) string { return strings.Replace(link, publicURL, bases[api], 1) }
			envs[i] = envelope{str(created, "id"), on(str(created, "recipients", 0, "signing_api_url"), (i+1)%2),
				on(str(created, "recipients", 1, "signing_api_url"), i%2)}
		})
	}
	wg.Wait()
	for _, e := range envs {
		wg.Go(func() {
			status, body := signAs(t, e.first, "First Signer")
			require.Equal(t, http.StatusOK, status, "%v", body)
			status, body = signAs(t, e.second, "Second Signer")
			require.Equal(t, http.StatusOK, status, "%v", body)
		})
	}
	wg.Wait()
	for _, e := range envs {
		require.Equal(t, models.EnvelopeCompleted, awaitWorkflow(t, e.id).Status)
	}
	took := time.Since(started)

	// Every final PDF is in the bucket, downloadable from either API.
	for i, e := range envs {
		status, env := sendWith(t, http.MethodGet, bases[i%2]+"/v1/envelopes/"+e.id, "", nil, auth)
		require.Equal(t, http.StatusOK, status)
		req, err := http.NewRequest(http.MethodGet, bases[(i+1)%2]+"/v1/envelopes/"+e.id+"/documents/"+str(env, "documents", 0, "id")+"/final", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", auth["Authorization"])
		resp := roundTrip(t, req)
		require.Equal(t, http.StatusOK, resp.status)
		require.True(t, strings.HasPrefix(string(resp.body), "%PDF"))
	}

	// Each queued email arrives once; nothing arrives that was not queued.
	for _, e := range envs {
		env, err := suite.store.GetEnvelope(context.Background(), tenant, e.id)
		require.NoError(t, err)
		for _, r := range env.Recipients {
			var rows []models.QueuedNotification
			require.NoError(t, rawDB().Where("recipient_id = ?", r.ID).Find(&rows).Error)
			require.NotEmpty(t, rows)
			var got []mail
			require.Eventually(t, func() bool {
				got = searchMail(t, suite.mailAPI, "to:"+r.Email)
				return len(got) >= len(rows)
			}, time.Minute, 200*time.Millisecond, "the mail to %s", r.Email)
			ids := map[string]int{}
			for _, m := range got {
				ids[m.MessageID]++
			}
			for _, row := range rows {
				require.Equal(t, 1, ids[row.ID+"@signflow"], "the %s to %s, once", row.Kind, r.Email)
			}
			require.Len(t, got, len(rows), "no mail to %s that the outbox did not queue", r.Email)
		}
	}
	// Each event's webhook arrives once, in order.
	var events int64
	require.NoError(t, rawDB().Model(&models.WebhookDelivery{}).Where("subscription_id = ?", str(hook, "id")).Count(&events).Error)
	require.Eventually(t, func() bool {
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		return len(rcv.ids) == int(events)
	}, time.Minute, 200*time.Millisecond, "every webhook delivered")
	rcv.mu.Lock()
	for id, times := range rcv.ids {
		require.Equal(t, 1, times, "webhook %s", id)
	}
	for _, e := range envs {
		require.IsIncreasing(t, rcv.accepted[e.id], "envelope %s", e.id)
	}
	rcv.mu.Unlock()

	// Each host reports: the APIs created the envelopes between them, the
	// workers completed them, and the SDK's own metrics are there.
	sum := func(name, metric string, labels ...string) float64 {
		return max(0, metricValue(scrape(t, metricsOf[name]), metric, labels...))
	}
	require.EqualValues(t, n, sum("api1", "signflow_envelopes_created_total")+sum("api2", "signflow_envelopes_created_total"))
	require.Positive(t, sum("api1", "signflow_envelopes_created_total"))
	require.Positive(t, sum("api2", "signflow_envelopes_created_total"))
	require.EqualValues(t, n, sum("worker1", "signflow_envelopes_ended_total", `outcome="completed"`)+
		sum("worker2", "signflow_envelopes_ended_total", `outcome="completed"`))
	for _, w := range []string{"worker1", "worker2"} {
		page := scrape(t, metricsOf[w])
		require.Contains(t, page, "temporal_request", w)
		require.EqualValues(t, 1, metricValue(page, "signflow_backlog_up"), w)
	}
	require.Eventually(t, func() bool { return traces.sent("signflow-api") && traces.sent("signflow-worker") },
		30*time.Second, 100*time.Millisecond, "both kinds of host export their spans over OTLP")

	figures, _ := json.Marshal(map[string]any{"envelopes": n, "signers_each": 2, "seconds": took.Seconds(),
		"per_second": float64(n) / took.Seconds(), "webhooks": events})
	t.Logf("many hosts: %s", figures)
	for _, h := range hosts {
		h.kill()
	}
}
