package tests

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/models"
)

// BenchmarkOpenEnvelopes measures the resident memory of a `signflow
// worker` process holding SIGNFLOW_BENCH_OPEN envelopes (default 10,000)
// open at once: each created over HTTP with one signer, invited, and left
// waiting for the signature. It reports the worker's RSS before and after,
// in MB; with -benchtime 1x it runs once.
//
//	go test ./tests -run '^$' -bench OpenEnvelopes -benchtime 1x -timeout 30m
func BenchmarkOpenEnvelopes(b *testing.B) {
	n := envInt(b, "SIGNFLOW_BENCH_OPEN", 10000)
	queue := "open-" + newTestID()
	dir := b.TempDir()
	w := &process{t: b, name: "worker", ready: "worker started", args: []string{suite.binary, "worker"}, env: []string{
		"DATABASE_URL=" + suite.databaseURL, "TEMPORAL_ADDRESS=" + suite.hostPort, "SIGNFLOW_TASK_QUEUE=" + queue,
		"SIGNFLOW_DATA_DIR=" + dir, "SIGNFLOW_SMTP_ADDR=" + suite.smtpAddr, "SIGNFLOW_SMTP_TLS=none"}}
	w.start()
	b.Cleanup(w.kill)
	base := serveAPI(b, suite.deps, testSettings(queue))
	tenant := "open-" + newTestID()
	token, err := issueToken(context.Background(), tenant, models.Scopes...)
	require.NoError(b, err)
	auth := map[string]string{"Authorization": "Bearer " + token}
	spec := jsonEnvelope(b, []J{signer("waiting", 1)}, []J{fieldAt(0, "signature", 1, aliceSig)})
	idle := rss(b, w.cmd.Process.Pid)

	for range b.N {
		var made atomic.Int64
		start := time.Now()
		parallelN(16, n, func() {
			status, e := sendWith(b, http.MethodPost, base+"/v1/envelopes", "application/json", jsonBody(b, spec), auth)
			if status != http.StatusCreated {
				b.Errorf("create: %d %v", status, e)
				return
			}
			made.Add(1)
		})
		// Every envelope invited its signer: its workflow has run and waits.
		require.Eventually(b, func() bool {
			var invited int64
			require.NoError(b, rawDB().Model(&models.Envelope{}).Where("tenant_id = ? AND version >= 2", tenant).Count(&invited).Error)
			return invited == made.Load()
		}, 30*time.Minute, time.Second)
		b.ReportMetric(float64(made.Load())/time.Since(start).Seconds(), "created/s")
	}
	b.StopTimer()
	b.ReportMetric(idle, "idle-rss-MB")
	b.ReportMetric(rss(b, w.cmd.Process.Pid), "rss-MB")
	b.Logf("worker resident memory: %.0f MB idle, %.0f MB with %d open envelopes", idle, rss(b, w.cmd.Process.Pid), n)
}

// parallelN runs op n times from clients goroutines at once.
func parallelN(clients, n int, op func()) {
	var left atomic.Int64
	left.Store(int64(n))
	done := make(chan struct{})
	for range clients {
		go func() {
			defer func() { done <- struct{}{} }()
			for left.Add(-1) >= 0 {
				op()
			}
		}()
	}
	for range clients {
		<-done
	}
}

// rss is a process's resident memory in MB, from /proc.
func rss(b *testing.B, pid int) float64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(b, err)
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			require.NoError(b, err)
			return float64(kb) / 1024
		}
	}
	b.Fatal("no VmRSS")
	return 0
}
