package tests

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/api/client"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/workflows/contract"
)

// receiver is an integrator's webhook endpoint that checks signatures and
// records what it accepted.
type receiver struct {
	mu        sync.Mutex
	secrets   []string // every one must verify each request
	answer    func(*client.WebhookEvent) int
	accepted  map[string][]int64 // envelope ID -> seqs accepted, in arrival order
	ids       map[string]int     // webhook-id -> times accepted
	badSigned int
}

func newReceiver(secret string, answer func(*client.WebhookEvent) int) *receiver {
	return &receiver{secrets: []string{secret}, answer: answer, accepted: map[string][]int64{}, ids: map[string]int{}}
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	var e *client.WebhookEvent
	for _, s := range r.secrets {
		var err error
		if e, err = client.VerifyWebhook(s, req.Header, body); err != nil {
			r.badSigned++
			w.WriteHeader(http.StatusBadRequest)
			return
		}
	}
	openapiCheck.checkWebhook(body)
	status := r.answer(e)
	if status < 300 {
		r.accepted[e.Data.EnvelopeID] = append(r.accepted[e.Data.EnvelopeID], e.Data.Seq)
		r.ids[e.ID]++
	}
	w.WriteHeader(status)
}

// serveOn starts the receiver on addr, where nothing listened before.
func serveOn(t *testing.T, addr string, h http.Handler) {
	l, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
}

type tenantAPI struct {
	t      *testing.T
	base   string
	auth   map[string]string
	tenant string
}

func newTenantAPI(t *testing.T, base string) tenantAPI {
	tenant := "hooks-" + newTestID()
	token, err := issueToken(context.Background(), tenant, models.Scopes...)
	require.NoError(t, err)
	return tenantAPI{t, base, map[string]string{"Authorization": "Bearer " + token}, tenant}
}

func newTestID() string { return models.NewID() }

func (a tenantAPI) call(method, path string, body any) (int, J) {
	a.t.Helper()
	if body == nil {
		return sendWith(a.t, method, a.base+path, "", nil, a.auth)
	}
	return sendWith(a.t, method, a.base+path, "application/json", jsonBody(a.t, body), a.auth)
}

// envelope creates a one-signer envelope and returns its ID and signing API URL.
// finalPDF downloads the final copy of an envelope's document into a
// file of the test's and returns its path.
func (a tenantAPI) finalPDF(envelopeID, documentID string) string {
	t := a.t
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, a.base+"/v1/envelopes/"+envelopeID+"/documents/"+documentID+"/final", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", a.auth["Authorization"])
	final := roundTrip(t, req)
	require.Equal(t, http.StatusOK, final.status)
	path := filepath.Join(t.TempDir(), "final.pdf")
	require.NoError(t, os.WriteFile(path, final.body, 0o600))
	return path
}

func (a tenantAPI) envelope() (string, string) {
	a.t.Helper()
	status, created := a.call(http.MethodPost, "/v1/envelopes", jsonEnvelope(a.t, []J{signer("alice", 1)}, []J{fieldAt(0, "signature", 1, aliceSig)}))
	require.Equal(a.t, http.StatusCreated, status, "%v", created)
	return str(created, "id"), str(created, "recipients", 0, "signing_api_url")
}

func (a tenantAPI) deliveries(hook, status string) []any {
	a.t.Helper()
	code, body := a.call(http.MethodGet, "/v1/webhooks/"+hook+"/deliveries?status="+status, nil)
	require.Equal(a.t, http.StatusOK, code, "%v", body)
	return at(body, "deliveries").([]any)
}

// feedSeqs is every envelope's events in the feed, by envelope.
func (a tenantAPI) feedSeqs() map[string][]int64 {
	a.t.Helper()
	_, page := a.call(http.MethodGet, "/v1/events?limit=1000", nil)
	out := map[string][]int64{}
	for _, e := range at(page, "events").([]any) {
		out[str(e, "envelope_id")] = append(out[str(e, "envelope_id")], int64(at(e, "seq").(float64)))
	}
	return out
}

func TestWebhooksSurviveAnOutageInOrderWithoutHoldingUpOthers(t *testing.T) {
	t.Parallel()
	api := newTenantAPI(t, suite.apiURL)
	addr := freePort() // nothing listens: the receiver is down
	status, hook := api.call(http.MethodPost, "/v1/webhooks", J{"url": "http://" + addr + "/hooks"})
	require.Equal(t, http.StatusCreated, status, "%v", hook)
	hookID := str(hook, "id")

	slow, slowLink := api.envelope()
	status, body := signAs(t, slowLink, "Alice")
	require.Equal(t, http.StatusOK, status, "%v", body)
	awaitWorkflow(t, slow)
	require.Eventually(t, func() bool {
		for _, d := range api.deliveries(hookID, "pending") {
			if str(d, "envelope_id") == slow && at(d, "seq").(float64) == 1 && len(at(d, "attempts").([]any)) >= 3 {
				return true
			}
		}
		return false
	}, time.Minute, 100*time.Millisecond, "delivery is attempted while the receiver is down")
	require.NotEmpty(t, api.feedSeqs()[slow], "the events feed lists events not yet delivered")

	// The receiver comes back, but fails the first envelope's events until
	// the second envelope has completed: that one must not wait.
	var fast string
	var fastDone bool
	rcv := newReceiver(str(hook, "secret"), func(p *client.WebhookEvent) int {
		switch {
		case p.Data.EnvelopeID == fast && p.Type == "envelope.completed":
			fastDone = true
		case p.Data.EnvelopeID == slow && !fastDone:
			return http.StatusInternalServerError
		}
		return http.StatusNoContent
	})
	rcv.mu.Lock()
	fast, fastLink := api.envelope()
	rcv.mu.Unlock()
	serveOn(t, addr, rcv)
	status, body = signAs(t, fastLink, "Bob")
	require.Equal(t, http.StatusOK, status, "%v", body)
	awaitWorkflow(t, fast)

	want := api.feedSeqs()
	require.Eventually(t, func() bool {
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		return len(rcv.accepted[slow]) == len(want[slow]) && len(rcv.accepted[fast]) == len(want[fast])
	}, 2*time.Minute, 100*time.Millisecond, "every event arrives")
	rcv.mu.Lock()
	require.Zero(t, rcv.badSigned, "every request carries a valid signature")
	require.Equal(t, want[slow], rcv.accepted[slow], "in the envelope's order, each once")
	require.Equal(t, want[fast], rcv.accepted[fast])
	require.True(t, fastDone, "the second envelope completed while the first was failing")
	rcv.mu.Unlock()
	// The deliverer records an attempt after the receiver has answered it.
	require.Eventually(t, func() bool { return len(api.deliveries(hookID, "pending")) == 0 }, time.Minute, 50*time.Millisecond,
		"every delivery is recorded as delivered")

	// The attempt log of the first event: refused, then 500, then 2xx, with
	// the delay between attempts growing.
	var first J
	for _, d := range api.deliveries(hookID, "delivered") {
		if str(d, "envelope_id") == slow && at(d, "seq").(float64) == 1 {
			first = d.(J)
		}
	}
	require.NotNil(t, first)
	attempts := at(first, "attempts").([]any)
	require.GreaterOrEqual(t, len(attempts), 4)
	require.NotEmpty(t, str(attempts[0], "error"), "connection refused")
	for _, a := range attempts[:len(attempts)-1] {
		require.True(t, str(a, "error") != "", "every attempt before the last failed: %v", a)
	}
	require.EqualValues(t, 204, at(attempts[len(attempts)-1], "status_code"))
	var gaps []time.Duration
	for i := 1; i < len(attempts); i++ {
		prev, _ := time.Parse(time.RFC3339Nano, str(attempts[i-1], "at"))
		cur, _ := time.Parse(time.RFC3339Nano, str(attempts[i], "at"))
		gaps = append(gaps, cur.Sub(prev))
	}
	// Delays double until they reach the cap, each jittered between half
	// and all of itself: two steps apart, below the cap, a gap is never
	// shorter (allowing half a second for activity latency under load).
	for i := 0; i+2 < len(gaps) && gaps[i] < testWebhookPolicy.MaxInterval/8; i++ {
		require.GreaterOrEqual(t, gaps[i+2], gaps[i]-500*time.Millisecond, "backoff grows: %v", gaps)
	}
	// The growth itself is exact in TestBackoffDoublesToItsCapAndNeverWraps;
	// here a gap also carries the machine's latency, as much as a second
	// under the parallel suite, so the last is compared with the same
	// allowance.
	require.GreaterOrEqual(t, gaps[len(gaps)-1], gaps[0]-500*time.Millisecond, "backoff grows: %v", gaps)
}

func TestDeadLettersRetryReplayRotationAndGone(t *testing.T) {
	t.Parallel()
	const queue = "signflow-dead-letters"
	s := testSettings(queue)
	s.WebhookPolicy = contract.WebhookPolicy{InitialInterval: 100 * time.Millisecond, MaxInterval: 400 * time.Millisecond, Window: 2 * time.Second}
	startWorker(t, suite.deps, s)
	api := newTenantAPI(t, serveAPI(t, suite.deps, s))

	mode := http.StatusInternalServerError
	var rcv *receiver
	hookSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { rcv.ServeHTTP(w, r) }))
	defer hookSrv.Close()
	status, hook := api.call(http.MethodPost, "/v1/webhooks", J{"url": hookSrv.URL, "event_types": []string{"envelope.created", "envelope.voided"}})
	require.Equal(t, http.StatusCreated, status, "%v", hook)
	hookID := str(hook, "id")
	rcv = newReceiver(str(hook, "secret"), func(*client.WebhookEvent) int { return mode })
	since := time.Now().Add(-time.Minute).UTC()

	id, _ := api.envelope()
	status, body := api.call(http.MethodPost, "/v1/envelopes/"+id+"/void", J{"reason": "wrong file"})
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Eventually(t, func() bool { return len(api.deliveries(hookID, "dead")) == 2 }, time.Minute, 100*time.Millisecond,
		"after the window both deliveries are dead letters")
	dead := api.deliveries(hookID, "dead")
	// Retried within its window before it died; how often depends on how
	// busy the machine is, so only the retry itself is asserted.
	require.GreaterOrEqual(t, len(at(dead[0], "attempts").([]any)), 2)

	rcv.mu.Lock()
	mode = http.StatusOK
	rcv.mu.Unlock()
	created := dead[1].(J) // newest first: the creation is the older one
	require.Equal(t, "envelope.created", str(created, "type"))
	status, _ = api.call(http.MethodPost, "/v1/webhooks/"+hookID+"/deliveries/"+str(created, "id")+"/retry", nil)
	require.Equal(t, http.StatusAccepted, status)
	require.Eventually(t, func() bool { return len(api.deliveries(hookID, "delivered")) == 1 }, time.Minute, 50*time.Millisecond)
	require.Len(t, api.deliveries(hookID, "dead"), 1, "a retry is one by one")

	status, rotated := api.call(http.MethodPost, "/v1/webhooks/"+hookID+"/rotate-secret", J{"overlap": "1h"})
	require.Equal(t, http.StatusOK, status, "%v", rotated)
	require.NotEqual(t, str(hook, "secret"), str(rotated, "secret"))
	rcv.mu.Lock()
	rcv.secrets = []string{str(hook, "secret"), str(rotated, "secret")} // both must verify during the overlap
	rcv.mu.Unlock()
	status, _ = api.call(http.MethodPost, "/v1/webhooks/"+hookID+"/replay", J{"since": since})
	require.Equal(t, http.StatusAccepted, status)
	require.Eventually(t, func() bool {
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		return len(rcv.accepted[id]) == 3
	}, time.Minute, 50*time.Millisecond, "the replay sends both again, the retried one a second time")
	rcv.mu.Lock()
	require.Equal(t, []int64{1, 1, int64(at(dead[0], "seq").(float64))}, rcv.accepted[id], "in order")
	require.Zero(t, rcv.badSigned)
	require.True(t, slices.Contains(counts(rcv.ids), 2), "a replay keeps the webhook-id, so receivers can tell repeats")
	mode = http.StatusGone
	rcv.mu.Unlock()

	other, _ := api.envelope()
	require.Eventually(t, func() bool {
		_, h := api.call(http.MethodGet, "/v1/webhooks/"+hookID, nil)
		return str(h, "status") == "disabled"
	}, time.Minute, 50*time.Millisecond, "410 Gone disables the subscription")
	status, body = api.call(http.MethodPost, "/v1/envelopes/"+other+"/void", J{"reason": "stop"})
	require.Equal(t, http.StatusOK, status, "%v", body)
	awaitWorkflow(t, other)
	require.Eventually(t, func() bool { return len(api.deliveries(hookID, "pending")) == 0 }, time.Minute, 50*time.Millisecond)
	require.NotEmpty(t, api.deliveries(hookID, "skipped"))

	status, _ = api.call(http.MethodDelete, "/v1/webhooks/"+hookID, nil)
	require.Equal(t, http.StatusNoContent, status)
	status, _ = api.call(http.MethodGet, "/v1/webhooks/"+hookID, nil)
	require.Equal(t, http.StatusNotFound, status)
}

func counts(m map[string]int) []int {
	var out []int
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
