package tests

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	tworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/signflow/signflow/models"
)

// The floor: a Temporal workflow of a three-signer envelope's shape
// (started, three updates, one activity) that does nothing else, on the
// same dev server as Signflow. Signflow is measured as a fraction of it.
const (
	bareQueue    = "signflow-bare"
	bareWorkflow = "BareEnvelope"
	bareUpdate   = "sign"
	bareSigners  = 3
)

func bareEnvelope(ctx workflow.Context) error {
	signed := 0
	if err := workflow.SetUpdateHandler(ctx, bareUpdate, func(workflow.Context) error { signed++; return nil }); err != nil {
		return err
	}
	if err := workflow.Await(ctx, func() bool { return signed == bareSigners }); err != nil {
		return err
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	if err := workflow.ExecuteActivity(ctx, bareActivity).Get(ctx, nil); err != nil {
		return err
	}
	return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
}

func bareActivity(context.Context) error { return nil }

var bareWorker sync.Once

// runBare drives one bare envelope through its three updates to its end.
func runBare(b *testing.B) {
	bareWorker.Do(func() {
		w := tworker.New(suite.temporal, bareQueue, tworker.Options{})
		w.RegisterWorkflowWithOptions(bareEnvelope, workflow.RegisterOptions{Name: bareWorkflow})
		w.RegisterActivityWithOptions(bareActivity, activity.RegisterOptions{Name: "BareActivity"})
		require.NoError(b, w.Start()) // stops with the test process
	})
	ctx := context.Background()
	run, err := suite.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "bare-" + models.NewID(), TaskQueue: bareQueue}, bareWorkflow)
	if err != nil {
		b.Error(err)
		return
	}
	for range bareSigners {
		_, err := suite.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: run.GetID(), RunID: run.GetRunID(),
			UpdateName: bareUpdate, WaitForStage: client.WorkflowUpdateStageCompleted})
		if err != nil {
			b.Error(err)
			return
		}
	}
	if err := run.Get(ctx, nil); err != nil {
		b.Error(err)
	}
}

// runEnvelope drives one three-recipient envelope over HTTP: created with
// its PDF, three sessions by access code, three signatures, and its final
// PDF stamped, certified and sealed (its emails are awaited once a run's
// envelopes are done). Each envelope's signers come from an
// address of their own (n numbers the envelope), as people do, so the
// per-address pacing of the signing links measures nothing here.
func runEnvelope(b *testing.B, base string, n int, spec J) {
	status, created := postJSON(b, base+"/v1/envelopes", spec)
	if status != http.StatusCreated {
		b.Errorf("create: %d %v", status, created)
		return
	}
	from := fmt.Sprintf("198.51.%d.%d", n/250%250, n%250)
	for i := range 3 {
		link := str(created, "recipients", i, "signing_api_url")
		if status, body := signAsWithKey(b, link, "Signer", "bench-"+link, from); status != http.StatusOK {
			b.Errorf("sign: %d %v", status, body)
			return
		}
	}
	if st := awaitWorkflow(b, str(created, "id")); st.Status != models.EnvelopeCompleted {
		b.Errorf("envelope ended %s", st.Status)
	}
}

// awaitOutboxSent waits until the outbox holds no email still to send.
func awaitOutboxSent(b *testing.B) {
	require.Eventually(b, func() bool {
		backlog, err := suite.store.Backlog(context.Background())
		require.NoError(b, err)
		return backlog.PendingEmails == 0
	}, time.Minute, 20*time.Millisecond)
}

// floorAPI serves the API for the shared worker's queue, believing the
// X-Forwarded-For of the benchmark's signers.
func floorAPI(b *testing.B) string {
	s := testSettings(taskQueue)
	s.TrustedProxies = []string{"127.0.0.1"}
	return serveAPI(b, suite.deps, s)
}

func threeSignerSpec(b *testing.B) J {
	return jsonEnvelope(b, []J{signer("alice", 1), signer("bob", 1), signer("carol", 2)},
		[]J{fieldAt(0, "signature", 1, aliceSig), fieldAt(1, "signature", 1, bobSig), fieldAt(2, "signature", 1, carolSig)})
}

// benchClients are the concurrencies BenchmarkFloor runs at:
// SIGNFLOW_BENCH_CLIENTS (say "1,2,4,8,16,32"), or 16.
func benchClients(b *testing.B) []int {
	spec := os.Getenv("SIGNFLOW_BENCH_CLIENTS")
	if spec == "" {
		return []int{16}
	}
	var clients []int
	for _, s := range strings.Split(spec, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		require.NoError(b, err, "SIGNFLOW_BENCH_CLIENTS")
		clients = append(clients, n)
	}
	return clients
}

// parallel runs op b.N times from clients goroutines at once.
func parallel(b *testing.B, clients int, op func()) {
	var wg sync.WaitGroup
	next := make(chan struct{})
	b.ResetTimer()
	for range clients {
		wg.Go(func() {
			for range next {
				op()
			}
		})
	}
	for range b.N {
		next <- struct{}{}
	}
	close(next)
	wg.Wait()
	b.StopTimer()
}

// BenchmarkFloor measures, in one run, a bare Temporal workflow of an
// envelope's shape and Signflow's whole three-signer lifecycle over HTTP,
// at each concurrency; it reports each one's throughput, and Signflow's as
// a fraction of the bare one's (x-bare), and the CPU time each process
// spent per envelope, which says where the shared cores went. With -count n the bare runs come
// first, then Signflow's, and the i-th Signflow run is compared with the
// i-th bare one. Run it on SQLite (TEST_DATABASE_URL unset, make run's
// default) and on PostgreSQL, and compare runs with benchstat:
//
//	SIGNFLOW_BENCH_CLIENTS=1,4,16,32 go test ./tests -run '^$' -bench Floor -benchtime 60x -count 5 | tee floor.txt
func BenchmarkFloor(b *testing.B) {
	spec := threeSignerSpec(b)
	base := floorAPI(b)
	var made atomic.Int64
	for _, clients := range benchClients(b) {
		var bare []float64 // throughput of each bare run, in order
		envelopes := 0
		for _, kind := range []string{"bare", "envelope"} {
			b.Run(fmt.Sprintf("clients=%d/%s", clients, kind), func(b *testing.B) {
				op := func() { runBare(b) }
				if kind == "envelope" {
					op = func() { runEnvelope(b, base, int(made.Add(1)), spec) }
				}
				start, cpu := time.Now(), readCPUUse()
				parallel(b, clients, op)
				if kind == "envelope" {
					awaitOutboxSent(b) // the completed copies may leave after the workflows end
				}
				rate := float64(b.N) / time.Since(start).Seconds()
				b.ReportMetric(rate, "envelopes/s")
				reportCPU(b, cpu)
				if kind == "bare" {
					bare = append(bare, rate)
					return
				}
				if envelopes < len(bare) {
					b.ReportMetric(rate/bare[envelopes], "x-bare")
				}
				envelopes++
			})
		}
	}
}
