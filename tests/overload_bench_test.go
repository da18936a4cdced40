package tests

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/internal/platform/config"
	"github.com/signflow/signflow/models"
)

// BenchmarkOverload is the overload test: one tenant creates envelopes at
// its whole allowed rate (50 a second, the default per-client limit, or
// SIGNFLOW_BENCH_FLOOD a second from several clients) for
// SIGNFLOW_BENCH_SECONDS (default 60) while people sign other envelopes of
// another tenant, one signature every half second. Admission is as
// configured by default, or SIGNFLOW_BENCH_MAX_BACKLOG. It reports how
// long signatures took to answer (sign-p99-ms, sign-max-ms), how long
// after its last signature an
// envelope completed (done-max-ms), and what share of the flood was
// admitted; with -benchtime 1x it runs once.
//
//	go test ./tests -run '^$' -bench Overload -benchtime 1x
func BenchmarkOverload(b *testing.B) {
	seconds := envInt(b, "SIGNFLOW_BENCH_SECONDS", 60)
	queue := "overload-" + newTestID()
	var err error
	s := testSettings(queue)
	s.RateLimit, s.RateBurst = 50, 100
	backlog := config.Default("SIGNFLOW_ADMISSION_MAX_BACKLOG")
	if v := os.Getenv("SIGNFLOW_BENCH_MAX_BACKLOG"); v != "" {
		backlog = v // 0s: without admission, to compare
	}
	s.MaxBacklog, err = time.ParseDuration(backlog)
	require.NoError(b, err)
	s.TrustedProxies = []string{"127.0.0.1"}
	base := serveAPI(b, suite.deps, s)
	startWorker(b, suite.deps, s)

	// SIGNFLOW_BENCH_FLOOD (default 50) creates a second, from as many
	// clients of the flooding tenant as their rate limit needs.
	rate := envInt(b, "SIGNFLOW_BENCH_FLOOD", 50)
	floodTenant := "flood-" + newTestID()
	var flooders []string
	for range (rate + 49) / 50 {
		token, err := issueToken(context.Background(), floodTenant, models.Scopes...)
		require.NoError(b, err)
		flooders = append(flooders, token)
	}
	signers, err := issueToken(context.Background(), "people-"+newTestID(), models.Scopes...)
	require.NoError(b, err)
	one := jsonEnvelope(b, []J{signer("flood", 1)}, []J{fieldAt(0, "signature", 1, aliceSig)})
	two := jsonEnvelope(b, []J{signer("alice", 1), signer("bob", 2)},
		[]J{fieldAt(0, "signature", 1, aliceSig), fieldAt(1, "signature", 1, bobSig)})

	for range b.N {
		// The people's envelopes exist before the flood.
		type envelope struct{ id, first, second string }
		var people []envelope
		for range seconds {
			status, e := sendWith(b, http.MethodPost, base+"/v1/envelopes", "application/json", jsonBody(b, two),
				map[string]string{"Authorization": "Bearer " + signers})
			require.Equal(b, http.StatusCreated, status, "%v", e)
			people = append(people, envelope{str(e, "id"), str(e, "recipients", 0, "signing_api_url"), str(e, "recipients", 1, "signing_api_url")})
		}

		// The flood: open loop, at its rate, whatever the answers.
		var admitted, refused, limited, failed atomic.Int64
		stop := make(chan struct{})
		var flood sync.WaitGroup
		flood.Go(func() {
			tick := time.NewTicker(time.Second / time.Duration(rate))
			defer tick.Stop()
			var inflight sync.WaitGroup
			defer inflight.Wait()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-tick.C:
					flooder := flooders[i%len(flooders)]
					inflight.Go(func() {
						status, _ := sendWith(b, http.MethodPost, base+"/v1/envelopes", "application/json", jsonBody(b, one),
							map[string]string{"Authorization": "Bearer " + flooder})
						switch status {
						case http.StatusCreated:
							admitted.Add(1)
						case http.StatusServiceUnavailable:
							refused.Add(1)
						case http.StatusTooManyRequests:
							limited.Add(1)
						default:
							failed.Add(1)
						}
					})
				}
			}
		})

		// People sign through the flood: two signatures an envelope, one
		// every half second, each timed; then how long until it completes.
		var signing []time.Duration
		var lags []time.Duration
		var mu sync.Mutex
		var waits sync.WaitGroup
		for i, e := range people {
			for j, link := range []string{e.first, e.second} {
				start := time.Now()
				status, body := signAsWithKey(b, link, "Person", "overload-"+link, fmt.Sprintf("203.0.113.%d", (2*i+j)%250))
				took := time.Since(start)
				require.Equal(b, http.StatusOK, status, "%v", body)
				signing = append(signing, took)
				time.Sleep(max(0, 500*time.Millisecond-took))
			}
			signed := time.Now()
			waits.Go(func() {
				awaitCompleted(b, base, signers, e.id)
				mu.Lock()
				defer mu.Unlock()
				lags = append(lags, time.Since(signed))
			})
		}
		close(stop)
		flood.Wait()
		waits.Wait()

		slices.Sort(signing)
		slices.Sort(lags)
		b.ReportMetric(ms(signing[len(signing)/2]), "sign-p50-ms")
		b.ReportMetric(ms(signing[len(signing)*99/100]), "sign-p99-ms")
		b.ReportMetric(ms(signing[len(signing)-1]), "sign-max-ms")
		b.ReportMetric(ms(lags[len(lags)-1]), "done-max-ms")
		total := admitted.Load() + refused.Load() + limited.Load() + failed.Load()
		b.ReportMetric(float64(admitted.Load())/float64(total), "flood-admitted")
		b.Logf("flood: %d sent, %d admitted, %d refused (503), %d rate-limited (429), %d other", total,
			admitted.Load(), refused.Load(), limited.Load(), failed.Load())
		require.Zero(b, failed.Load(), "every create is answered 201, 503 or 429")
	}
}

// awaitCompleted polls the envelope until it is completed, every 50 ms.
func awaitCompleted(b *testing.B, base, token, id string) {
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		status, e := sendWith(b, http.MethodGet, base+"/v1/envelopes/"+id, "", nil, map[string]string{"Authorization": "Bearer " + token})
		if status == http.StatusOK && e["status"] == models.EnvelopeCompleted {
			return
		}
	}
	b.Errorf("envelope %s did not complete", id)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
