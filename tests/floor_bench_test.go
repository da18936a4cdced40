package tests

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
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
// PDF stamped, certified and sealed.
func runEnvelope(b *testing.B, spec J) {
	status, created := postJSON(b, suite.apiURL+"/v1/envelopes", spec)
	if status != http.StatusCreated {
		b.Errorf("create: %d %v", status, created)
		return
	}
	for i := range 3 {
		if status, body := signAs(b, str(created, "recipients", i, "signing_api_url"), "Signer"); status != http.StatusOK {
			b.Errorf("sign: %d %v", status, body)
			return
		}
	}
	if st := awaitWorkflow(b, str(created, "id")); st.Status != models.EnvelopeCompleted {
		b.Errorf("envelope ended %s", st.Status)
	}
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

// BenchmarkFloor measures, in one run and alternating the two, a bare
// Temporal workflow of an envelope's shape and Signflow's whole
// three-signer lifecycle over HTTP, at each concurrency; it reports each
// one's throughput, and Signflow's as a fraction of the bare one's (x-bare).
// Run it on SQLite (TEST_DATABASE_URL unset, make run's default) and on
// PostgreSQL, and compare runs with benchstat:
//
//	SIGNFLOW_BENCH_CLIENTS=1,4,16,32 go test ./tests -run '^$' -bench Floor -benchtime 60x -count 5 | tee floor.txt
func BenchmarkFloor(b *testing.B) {
	spec := threeSignerSpec(b)
	for _, clients := range benchClients(b) {
		rates := map[string]float64{}
		for _, kind := range []string{"bare", "envelope"} {
			b.Run(fmt.Sprintf("clients=%d/%s", clients, kind), func(b *testing.B) {
				op := func() { runBare(b) }
				if kind == "envelope" {
					op = func() { runEnvelope(b, spec) }
				}
				start := time.Now()
				parallel(b, clients, op)
				rates[kind] = float64(b.N) / time.Since(start).Seconds()
				b.ReportMetric(rates[kind], "envelopes/s")
				if kind == "envelope" && rates["bare"] > 0 {
					b.ReportMetric(rates["envelope"]/rates["bare"], "x-bare")
				}
			})
		}
	}
}
