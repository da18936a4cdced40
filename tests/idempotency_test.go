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
	"github.com/signflow/signflow/workflows/contract"
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

// createOnce posts an envelope with key until it is answered (not 409).
func createOnce(t *testing.T, url, token, key string, body []byte) rawResponse {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; {
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		req.Header.Set("Authorization", "Bearer "+token)
		r := roundTrip(t, req)
		if r.status != http.StatusConflict {
			return r
		}
		require.True(t, time.Now().Before(deadline), "the key stayed busy: %s", r.body)
		time.Sleep(200 * time.Millisecond) // a client honours Retry-After (1 s); the test polls faster
	}
}

func TestACreateCutOffAnywhereIsFinishedByItsRetry(t *testing.T) {
	t.Parallel()
	token, err := issueToken(context.Background(), "cutoff-"+newTestID(), models.Scopes...)
	require.NoError(t, err)
	body, err := json.Marshal(jsonEnvelope(t, []J{signer("alice", 1)}, []J{fieldAt(0, "signature", 1, aliceSig)}))
	require.NoError(t, err)
	url := suite.apiURL + "/v1/envelopes"
	// The caller gives up after d: before the body is read, during intake,
	// while storing, while starting the workflow, after the answer.
	delays := []time.Duration{time.Millisecond, 20 * time.Millisecond, 60 * time.Millisecond, 150 * time.Millisecond,
		300 * time.Millisecond, 600 * time.Millisecond, 2 * time.Second}
	for i, d := range delays {
		key := "cutoff-" + strconv.Itoa(i)
		ctx, cancel := context.WithTimeout(context.Background(), d)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		req.Header.Set("Authorization", "Bearer "+token)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
		cancel()
		r := createOnce(t, url, token, key, body)
		require.Equal(t, http.StatusCreated, r.status, "cut off after %s, the retry gets the envelope: %s", d, r.body)
		var created J
		require.NoError(t, json.Unmarshal(r.body, &created))
		id := str(created, "id")
		require.NotEmpty(t, str(created, "recipients", 0, "signing_url"))
		desc, err := suite.temporal.DescribeWorkflowExecution(context.Background(), contract.EnvelopeWorkflowID(id), "")
		require.NoError(t, err, "the envelope has its workflow")
		require.NotNil(t, desc.GetWorkflowExecutionInfo())
		again := createOnce(t, url, token, key, body)
		require.Equal(t, string(r.body), string(again.body), "and every later retry the same answer")
	}
	status, page, _ := withToken(t, http.MethodGet, url+"?limit=100", token)
	require.Equal(t, http.StatusOK, status)
	require.Len(t, page["data"], len(delays), "one envelope per key, whatever the cut")
}

func TestASignatureRetriedAfterItsAnswerWasLostGetsThatAnswer(t *testing.T) {
	t.Parallel()
	_, link := oneSignerEnvelope(t, suite.apiURL)
	auth := session(t, link)
	_, view := viewAs(t, link)
	body, err := json.Marshal(J{"values": []J{{"field_id": str(view, "fields", 0, "id"), "text": "Ann"}}})
	require.NoError(t, err)
	sign := func() rawResponse {
		req, err := http.NewRequest(http.MethodPost, link+"/sign", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "sign-1")
		req.Header.Set("Authorization", auth["Authorization"])
		return roundTrip(t, req)
	}
	first := sign()
	require.Equal(t, http.StatusOK, first.status, "%s", first.body)
	again := sign()
	require.Equal(t, http.StatusOK, again.status, "the retry replays the answer, though the link is spent: %s", again.body)
	require.Equal(t, "true", again.header.Get("Idempotent-Replayed"))
	require.Equal(t, string(first.body), string(again.body))
	status, _ := signAs(t, link, "Ann")
	require.Equal(t, http.StatusGone, status, "without the key the spent link is 410")
}
