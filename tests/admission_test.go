package tests

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// When the workers fall behind, new envelopes are refused early with 503
// and Retry-After, and admitted again once the workers catch up; signing
// routes are never refused for it.
func TestCreationIsRefusedWhileWorkersAreBehind(t *testing.T) {
	t.Parallel()
	queue := "admission-" + newTestID()
	s := testSettings(queue)
	s.MaxBacklog = time.Millisecond
	base := serveAPI(t, suite.deps, s)
	spec := jsonEnvelope(t, []J{signer("alice", 1)}, []J{fieldAt(0, "signature", 1, aliceSig)})

	// No worker serves the queue yet: the first envelope's tasks wait.
	status, first := postJSON(t, base+"/v1/envelopes", spec)
	require.Equal(t, http.StatusCreated, status, "%v", first)
	var refused rawResponse
	require.Eventually(t, func() bool {
		refused = roundTrip(t, newJSONRequest(t, http.MethodPost, base+"/v1/envelopes", spec))
		return refused.status == http.StatusServiceUnavailable
	}, 30*time.Second, 200*time.Millisecond, "creation is refused while the queue's oldest task waits")
	require.Contains(t, string(refused.body), "urn:signflow:problem:overloaded")
	wait, err := strconv.Atoi(refused.header.Get("Retry-After"))
	require.NoError(t, err, "Retry-After is whole seconds")
	require.GreaterOrEqual(t, wait, 1)

	// The first envelope's recipient can still open her link.
	status, view := getJSON(t, str(first, "recipients", 0, "signing_api_url"))
	require.Equal(t, http.StatusOK, status, "%v", view)

	startWorker(t, suite.deps, s)
	require.Eventually(t, func() bool {
		return roundTrip(t, newJSONRequest(t, http.MethodPost, base+"/v1/envelopes", spec)).status == http.StatusCreated
	}, time.Minute, 200*time.Millisecond, "creation is admitted again once the worker catches up")
}

func newJSONRequest(t testing.TB, method, url string, v any) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, jsonBody(t, v))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	return req
}
