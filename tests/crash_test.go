package tests

import (
	"bufio"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/models"
)

// workerProcess is `signflow worker` running as its own process.
type workerProcess struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// startWorkerProcess runs the worker binary on queue and waits until it polls.
func startWorkerProcess(t *testing.T, queue string) *workerProcess {
	t.Helper()
	cmd := exec.Command(suite.binary, "worker")
	cmd.Env = append(os.Environ(),
		"DATABASE_URL="+suite.databaseURL,
		"TEMPORAL_ADDRESS="+suite.hostPort,
		"SIGNFLOW_TASK_QUEUE="+queue,
		"SIGNFLOW_BLOB_DIR="+filepath.Join(suite.tmp, "blobs"),
		"SIGNFLOW_DATA_DIR="+suite.tmp,
		"SIGNFLOW_SMTP_ADDR="+suite.smtpAddr,
		"SIGNFLOW_SMTP_TLS=none",
		"SIGNFLOW_PUBLIC_URL="+suite.apiURL,
		"SIGNFLOW_LOG_LEVEL=info",
	)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	w := &workerProcess{cmd: cmd, done: make(chan struct{})}
	started := make(chan struct{})
	go func() {
		defer close(w.done)
		scanner := bufio.NewScanner(stderr)
		once := sync.Once{}
		for scanner.Scan() {
			suite.log.Info("worker process", "line", scanner.Text())
			if strings.Contains(scanner.Text(), "worker started") {
				once.Do(func() { close(started) })
			}
		}
		_ = cmd.Wait()
	}()
	t.Cleanup(func() { w.kill() })
	select {
	case <-started:
	case <-w.done:
		t.Fatal("worker process exited before it started polling")
	case <-time.After(time.Minute):
		t.Fatal("worker process did not start within a minute")
	}
	return w
}

// kill ends the worker at once, as a crash would.
func (w *workerProcess) kill() {
	_ = w.cmd.Process.Signal(syscall.SIGKILL)
	<-w.done
}

// signUntilDone signs, retrying while the workflow has no live worker, and
// accepts "already signed" on a retry: what a careful integrator does.
func signUntilDone(t *testing.T, signingURL, name string) {
	deadline := time.Now().Add(2 * time.Minute)
	for attempt := 0; ; attempt++ {
		status, body := signAs(t, signingURL, name)
		if status == http.StatusOK || (attempt > 0 && alreadySigned(status, body)) {
			return
		}
		require.Equal(t, http.StatusServiceUnavailable, status, "%v", body)
		require.True(t, time.Now().Before(deadline), "signing %s never went through", name)
	}
}

// alreadySigned tells a retry whose first attempt went through: the link is
// spent, or the workflow has the signature and the snapshot is a step behind.
func alreadySigned(status int, body J) bool {
	return (status == http.StatusGone && str(body, "type") == "urn:signflow:problem:link-used") ||
		(status == http.StatusConflict && strings.Contains(str(body, "detail"), "already signed"))
}

func TestWorkerCrashLosesNothing(t *testing.T) {
	t.Parallel()
	const queue, envelopes = "signflow-crash", 6
	base := newAPI(t, queue)
	first := startWorkerProcess(t, queue)

	type envelope struct{ id, alice, bob, carol string }
	var envs []envelope
	for range envelopes {
		status, created := postJSON(t, base+"/v1/envelopes", jsonEnvelope(t,
			[]J{signer("alice", 1), signer("bob", 1), signer("carol", 2)},
			[]J{fieldAt(0, "signature", 1, aliceSig), fieldAt(1, "signature", 1, bobSig), fieldAt(2, "signature", 1, carolSig)}))
		require.Equal(t, http.StatusCreated, status, "%v", created)
		envs = append(envs, envelope{str(created, "id"), str(created, "recipients", 0, "signing_api_url"),
			str(created, "recipients", 1, "signing_api_url"), str(created, "recipients", 2, "signing_api_url")})
	}
	for _, e := range envs {
		signUntilDone(t, e.alice, "Alice")
	}

	// Bob signs everywhere at once; the worker dies while those are in flight.
	var wg sync.WaitGroup
	for _, e := range envs {
		wg.Go(func() { signUntilDone(t, e.bob, "Bob") })
	}
	first.kill()
	startWorkerProcess(t, queue)
	wg.Wait()
	for _, e := range envs {
		wg.Go(func() { signUntilDone(t, e.carol, "Carol") })
	}
	wg.Wait()

	for _, e := range envs {
		st := awaitWorkflow(t, e.id)
		require.Equal(t, models.EnvelopeCompleted, st.Status)
		awaitMailSent(t, e.id) // its sends are the last events written
		events := requireGaplessEvents(t, e.id)
		completed := 0
		for _, ev := range events {
			if ev.Type == "envelope.completed" {
				completed++
			}
		}
		require.Equal(t, 1, completed)

		notes, err := suite.store.Notifications(context.Background(), e.id)
		require.NoError(t, err)
		perKind := map[string]int{}
		for _, n := range notes {
			perKind[n.Kind]++
		}
		require.Equal(t, map[string]int{models.NotifyInvitation: 3, models.NotifyCompleted: 3}, perKind)

		var rows int64
		require.NoError(t, rawDB().Model(&models.Event{}).Where("envelope_id = ?", e.id).Count(&rows).Error)
		require.EqualValues(t, len(events), rows)
		status, env := getJSON(t, base+"/v1/envelopes/"+e.id)
		require.Equal(t, http.StatusOK, status)
		status, final := download(t, str(env, "documents", 0, "final_url"))
		require.Equal(t, http.StatusOK, status)
		require.NotEmpty(t, final)
	}
}
