package tests

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/signflow/signflow/models"
)

// BenchmarkReads is the load tool for the read paths: it stores
// SIGNFLOW_BENCH_ENVELOPES open envelopes (default 10,000) for one tenant,
// copies of one made through the API, then sends b.N requests at a fixed
// rate, SIGNFLOW_BENCH_RATE a second (default 500), from vegeta's open-loop
// attacker, and reports latency percentiles and the share answered 200.
// The API's rate limit is off for the run.
//
//	go test ./tests -run '^$' -bench Reads -benchtime 5000x -count 5 | tee reads.txt
func BenchmarkReads(b *testing.B) {
	n := envInt(b, "SIGNFLOW_BENCH_ENVELOPES", 10000)
	rate := envInt(b, "SIGNFLOW_BENCH_RATE", 500)
	tenant := "reads-" + newTestID()
	token, err := issueToken(context.Background(), tenant, models.Scopes...)
	require.NoError(b, err)
	s := testSettings("reads-" + newTestID())
	base := serveAPI(b, suite.deps, s)
	ids := seedEnvelopes(b, tenant, n)
	auth := http.Header{"Authorization": []string{"Bearer " + token}}

	var next atomic.Int64
	for _, path := range []struct {
		name   string
		target func() string
	}{
		{"get", func() string { return base + "/v1/envelopes/" + ids[int(next.Add(1))%len(ids)] }},
		{"list50", func() string { return base + "/v1/envelopes?limit=50" }},
	} {
		b.Run(fmt.Sprintf("envelopes=%d/rate=%d/%s", n, rate, path.name), func(b *testing.B) {
			targets := func(t *vegeta.Target) error {
				t.Method, t.URL, t.Header = http.MethodGet, path.target(), auth
				return nil
			}
			attacker := vegeta.NewAttacker(vegeta.MaxWorkers(256), vegeta.Timeout(10*time.Second))
			var m vegeta.Metrics
			b.ResetTimer()
			for res := range attacker.Attack(targets, vegeta.Rate{Freq: rate, Per: time.Second},
				time.Duration(b.N)*time.Second/time.Duration(rate), path.name) {
				m.Add(res)
			}
			b.StopTimer()
			m.Close()
			b.ReportMetric(float64(m.Latencies.P50.Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(m.Latencies.P99.Microseconds())/1000, "p99-ms")
			b.ReportMetric(m.Throughput, "ok/s")
			b.ReportMetric(m.Success, "ok-share")
			if m.Success < 1 {
				b.Logf("status codes %v, errors %v", m.StatusCodes, m.Errors)
			}
		})
	}
}

// seedEnvelopes stores n open envelopes of tenant, each a copy (new IDs)
// of one three-signer envelope made through the API, and returns their IDs.
func seedEnvelopes(b *testing.B, tenant string, n int) []string {
	status, created := postJSON(b, suite.apiURL+"/v1/envelopes", threeSignerSpec(b))
	require.Equal(b, http.StatusCreated, status, "%v", created)
	tmpl, err := suite.store.GetEnvelope(context.Background(), "default", str(created, "id"))
	require.NoError(b, err)
	ids := make([]string, 0, n)
	batch := make([]models.Envelope, 0, 200)
	flush := func() {
		require.NoError(b, rawDB().CreateInBatches(batch, len(batch)).Error)
		batch = batch[:0]
	}
	for range n {
		env := *tmpl
		env.ID, env.TenantID = models.NewID(), tenant
		env.Documents, env.Recipients, env.Fields = nil, nil, nil
		docIDs, recipientIDs := map[string]string{}, map[string]string{}
		for _, d := range tmpl.Documents {
			docIDs[d.ID] = models.NewID()
			d.ID, d.EnvelopeID, d.TenantID = docIDs[d.ID], env.ID, tenant
			env.Documents = append(env.Documents, d)
		}
		for _, r := range tmpl.Recipients {
			recipientIDs[r.ID] = models.NewID()
			r.ID, r.EnvelopeID, r.TenantID, r.TokenHash = recipientIDs[r.ID], env.ID, tenant, randomHex(b)
			env.Recipients = append(env.Recipients, r)
		}
		for _, f := range tmpl.Fields {
			f.ID, f.EnvelopeID, f.TenantID = models.NewID(), env.ID, tenant
			f.DocumentID, f.RecipientID = docIDs[f.DocumentID], recipientIDs[f.RecipientID]
			env.Fields = append(env.Fields, f)
		}
		batch = append(batch, env)
		ids = append(ids, env.ID)
		if len(batch) == cap(batch) {
			flush()
		}
	}
	if len(batch) > 0 {
		flush()
	}
	// Fresh statistics, as autovacuum keeps them on a database that grew
	// gradually; right after a bulk insert the planner still sees an empty
	// table and the first reads measure that.
	require.NoError(b, rawDB().Exec("ANALYZE").Error)
	return ids
}

func randomHex(b *testing.B) string {
	buf := make([]byte, 32)
	_, err := rand.Read(buf)
	require.NoError(b, err)
	return hex.EncodeToString(buf)
}

// envInt reads a whole number from the environment, or def.
func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	require.NoError(b, err, name)
	return n
}
