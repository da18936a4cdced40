package tests

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/workflows/contract"
)

// flood sends n requests from 8 clients and counts the answers by status.
func flood(t *testing.T, n int, request func() *http.Request) map[int]int {
	t.Helper()
	var (
		mu     sync.Mutex
		counts = map[int]int{}
		wg     sync.WaitGroup
		next   = make(chan struct{})
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range next {
				resp, err := http.DefaultClient.Do(request())
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				mu.Lock()
				counts[resp.StatusCode]++
				mu.Unlock()
			}
		}()
	}
	for range n {
		next <- struct{}{}
	}
	close(next)
	wg.Wait()
	return counts
}

func TestOutsideTrafficCannotKillAnEnvelope(t *testing.T) {
	t.Parallel()
	// Behind a trusted proxy, so the flood comes from addresses of its own
	// and the other tests' requests from 127.0.0.1 are not slowed.
	s := testSettings(taskQueue)
	s.TrustedProxies = []string{"127.0.0.1/32"}
	var skew *atomic.Int64
	s.Now, skew = skewedClock()
	base := serveAPI(t, suite.deps, s)
	status, created := postJSON(t, base+"/v1/envelopes", jsonEnvelope(t, []J{signer("alice", 1), signer("bob", 2)},
		[]J{fieldAt(0, "signature", 1, aliceSig), fieldAt(1, "signature", 1, bobSig)}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	id := str(created, "id")
	alice, bob := str(created, "recipients", 0, "signing_api_url"), str(created, "recipients", 1, "signing_api_url")

	// Bob, not yet due, posts "viewed" 10,000 times.
	views := flood(t, 10_000, func() *http.Request {
		req, _ := http.NewRequest(http.MethodPost, bob+"/viewed", strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", "203.0.113.50")
		return req
	})
	require.Equal(t, 10_000, views[http.StatusAccepted]+views[http.StatusTooManyRequests], "every answer is accepted or paced: %v", views)
	require.Positive(t, views[http.StatusTooManyRequests], "the link is paced")

	// 100 requests with the largest headers the API accepts, and one over.
	ua := "Mozilla/5.0 " + strings.Repeat("é", (60<<10)/2)
	big := flood(t, 100, func() *http.Request {
		req, _ := http.NewRequest(http.MethodGet, alice, nil)
		req.Header.Set("User-Agent", ua)
		req.Header.Set("X-Forwarded-For", "203.0.113.51")
		return req
	})
	require.Equal(t, 100, big[http.StatusOK], "%v", big)
	req, _ := http.NewRequest(http.MethodGet, alice, nil)
	req.Header.Set("User-Agent", strings.Repeat("x", 70<<10))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusRequestHeaderFieldsTooLarge, resp.StatusCode)

	// A body over a recipient route's cap is refused before it is read whole.
	status, body := send(t, http.MethodPost, alice+"/decline", "application/json", strings.NewReader(`{"reason":"`+strings.Repeat("x", 1<<20)+`"}`))
	require.Equal(t, http.StatusRequestEntityTooLarge, status, "%v", body)

	// The envelope still runs to completion, once the pacing window of the
	// flooded link has passed.
	skew.Store(int64(61 * time.Second))
	status, signed := signAs(t, alice, "Alice")
	require.Equal(t, http.StatusOK, status, "%v", signed)
	status, signed = signAs(t, bob, "Bob")
	require.Equal(t, http.StatusOK, status, "%v", signed)
	require.Equal(t, "completed", awaitWorkflow(t, id).Status)

	desc, err := suite.temporal.DescribeWorkflowExecution(context.Background(), contract.EnvelopeWorkflowID(id), "")
	require.NoError(t, err)
	info := desc.GetWorkflowExecutionInfo()
	require.Less(t, info.GetHistoryLength(), int64(200), "outside traffic added nothing to the history")
	require.Less(t, info.GetHistorySizeBytes(), int64(256<<10))

	opened := map[string]int{}
	for _, e := range auditEvents(t, base, id) {
		ua, _ := e.(J)["user_agent"].(string)
		require.LessOrEqual(t, len(ua), 512, "a recorded user agent is cut to 512 bytes")
		if str(e, "type") == "link.opened" {
			opened[str(e, "recipient_id")]++
		}
	}
	require.Len(t, opened, 2)
	for rid, n := range opened {
		require.Equal(t, 1, n, "recipient %s: one link.opened per link", rid)
	}
}
