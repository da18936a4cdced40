package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/models"
)

// postRaw posts JSON with an Idempotency-Key and the suite's token.
func postRaw(t *testing.T, url, key string, body []byte) rawResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	return roundTrip(t, req)
}

func TestFiftyParallelRetriesMakeOneEnvelope(t *testing.T) {
	t.Parallel()
	subject := "Idempotent " + strconv.FormatInt(time.Now().UnixNano(), 10)
	spec := jsonEnvelope(t, []J{signer("alice", 1)}, []J{fieldAt(0, "signature", 1, aliceSig)})
	spec["subject"] = subject
	body, err := json.Marshal(spec)
	require.NoError(t, err)
	key := "create-" + subject

	const n = 50
	first := make([]rawResponse, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { first[i] = postRaw(t, suite.apiURL+"/v1/envelopes", key, body) })
	}
	wg.Wait()
	var created []byte
	for _, r := range first {
		if r.status == http.StatusConflict {
			require.Equal(t, "1", r.header.Get("Retry-After"), "still running: retry shortly")
			continue
		}
		require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
		if created == nil {
			created = r.body
		}
		require.Equal(t, string(created), string(r.body), "every answer is the first one")
	}
	// A retry after the first has answered is the same response, replayed.
	again := postRaw(t, suite.apiURL+"/v1/envelopes", key, body)
	require.Equal(t, http.StatusCreated, again.status)
	require.Equal(t, "true", again.header.Get("Idempotent-Replayed"))
	require.Equal(t, string(bytes.TrimSpace(created)), string(bytes.TrimSpace(again.body)))
	require.NotEmpty(t, again.header.Get("Location"))

	var count int64
	require.NoError(t, rawDB().Model(&models.Envelope{}).Where("subject = ?", subject).Count(&count).Error)
	require.EqualValues(t, 1, count, "exactly one envelope")
	var env J
	require.NoError(t, json.Unmarshal(again.body, &env))
	_, err = suite.temporal.DescribeWorkflow(context.Background(), "envelope-"+str(env, "id"), "")
	require.NoError(t, err, "and its one workflow")

	// Through the Go client, which waits out the 409s, all fifty see one answer.
	c := apiClient(t, suite.apiURL)
	clientKey := key + "-client"
	spec["subject"] = subject + " (client)"
	answers := make([]string, n)
	wg = sync.WaitGroup{}
	for i := range n {
		wg.Go(func() {
			env, err := c.CreateEnvelope(context.Background(), spec, clientKey)
			require.NoError(t, err)
			answers[i] = string(env.Raw)
		})
	}
	wg.Wait()
	for _, a := range answers {
		require.Equal(t, answers[0], a, "every response identical")
	}
	require.NoError(t, rawDB().Model(&models.Envelope{}).Where("subject = ?", subject+" (client)").Count(&count).Error)
	require.EqualValues(t, 1, count)

	spec["subject"] = subject + " (changed)"
	changed, _ := json.Marshal(spec)
	r := postRaw(t, suite.apiURL+"/v1/envelopes", key, changed)
	require.Equal(t, http.StatusUnprocessableEntity, r.status, "the same key for another request: %s", r.body)
}

// Not parallel: its clock runs 25 h ahead, and a claim sweeps every key
// that has expired by that clock, other tests' keys included.
func TestIdempotencyKeysExpire(t *testing.T) {
	s := testSettings(taskQueue)
	var skew *atomic.Int64
	s.Now, skew = skewedClock()
	base := serveAPI(t, suite.deps, s)
	status, created := postJSON(t, base+"/v1/envelopes", jsonEnvelope(t, []J{signer("alice", 1)}, []J{fieldAt(0, "signature", 1, aliceSig)}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	void := base + "/v1/envelopes/" + str(created, "id") + "/void"
	key := "void-" + str(created, "id")

	r := postRaw(t, void, key, []byte(`{"reason": "first"}`))
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	r = postRaw(t, void, key, []byte(`{"reason": "second"}`))
	require.Equal(t, http.StatusUnprocessableEntity, r.status)

	skew.Store(int64(25 * time.Hour))
	r = postRaw(t, void, key, []byte(`{"reason": "second"}`))
	require.Equal(t, http.StatusConflict, r.status, "after 24 h the key is free: the request runs, and the envelope is voided already: %s", r.body)
	require.Empty(t, r.header.Get("Idempotent-Replayed"))
}

func TestRateLimitsPerClient(t *testing.T) {
	t.Parallel()
	s := testSettings(taskQueue)
	s.RateLimit, s.RateBurst = 0.1, 3
	base := serveAPI(t, suite.deps, s)
	other, err := issueToken(context.Background(), models.DefaultTenantID, models.ScopeEnvelopesRead)
	require.NoError(t, err)

	for i := range 3 {
		status, _, h := withToken(t, http.MethodGet, base+"/v1/envelopes", suite.token)
		require.Equal(t, http.StatusOK, status)
		require.Equal(t, `"client";q=3;w=30`, h.Get("RateLimit-Policy"))
		require.Contains(t, h.Get("RateLimit"), `r=`+strconv.Itoa(2-i))
	}
	status, body, h := withToken(t, http.MethodGet, base+"/v1/envelopes", suite.token)
	require.Equal(t, http.StatusTooManyRequests, status, "%v", body)
	wait, err := strconv.Atoi(h.Get("Retry-After"))
	require.NoError(t, err)
	require.InDelta(t, 10, wait, 1, "one request every 10 s")
	require.Contains(t, h.Get("RateLimit"), "r=0")
	status, _, _ = withToken(t, http.MethodGet, base+"/v1/envelopes", other)
	require.Equal(t, http.StatusOK, status, "another client has its own bucket")
}
