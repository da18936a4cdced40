package tests

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/api/client"
	"github.com/signflow/signflow/internal/keys/accesstoken"
	"github.com/signflow/signflow/internal/platform/devserver"
	"github.com/signflow/signflow/models"
)

// The chaos suite runs API, worker, Temporal and Mailpit as processes of
// their own, on the test database behind a proxy, and breaks them while
// envelopes are in flight: kill -9 of the worker, of the API (during
// creates and during signing) and of the Temporal dev server; database
// connections refused; SMTP down; one address refused for good. Then every
// envelope must end completed, with no signature lost, no envelope or
// email made twice, every audit chain intact and every webhook delivered in
// order. `make test` runs a small version; `make chaos` a larger one
// (CHAOS_ENVELOPES, default 6 here).

// process is a child process this test starts, kills and starts again.
type process struct {
	t     testing.TB
	name  string
	args  []string
	env   []string
	ready string // a line on stderr or stdout that says it is up
	cmd   *exec.Cmd
	done  chan struct{}
}

func (p *process) start() {
	p.t.Helper()
	cmd := exec.Command(p.args[0], p.args[1:]...)
	cmd.Env = append(os.Environ(), p.env...)
	out, err := cmd.StderrPipe()
	require.NoError(p.t, err)
	cmd.Stdout = cmd.Stderr
	require.NoError(p.t, cmd.Start())
	p.cmd, p.done = cmd, make(chan struct{})
	up := make(chan struct{})
	go func() {
		defer close(p.done)
		var once sync.Once
		s := bufio.NewScanner(out)
		s.Buffer(make([]byte, 64<<10), 1<<20)
		for s.Scan() {
			suite.log.Info(p.name, "line", s.Text())
			if p.ready == "" || strings.Contains(s.Text(), p.ready) {
				once.Do(func() { close(up) })
			}
		}
		_ = cmd.Wait()
	}()
	select {
	case <-up:
	case <-p.done:
		p.t.Fatalf("%s exited before it was up", p.name)
	case <-time.After(2 * time.Minute):
		p.t.Fatalf("%s was not up within 2 minutes", p.name)
	}
}

// kill ends the process at once, as a crash would.
func (p *process) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// pausableProxy forwards TCP to target; while paused it refuses new
// connections and cuts the open ones, as a database going away would.
type pausableProxy struct {
	target string
	l      net.Listener
	mu     sync.Mutex
	paused bool
	conns  map[net.Conn]bool
}

func newProxy(t *testing.T, target string) *pausableProxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &pausableProxy{target: target, l: l, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			if p.paused {
				p.mu.Unlock()
				c.Close()
				continue
			}
			p.conns[c] = true
			p.mu.Unlock()
			go p.forward(c)
		}
	}()
	return p
}

func (p *pausableProxy) forward(c net.Conn) {
	defer func() { p.mu.Lock(); delete(p.conns, c); p.mu.Unlock(); c.Close() }()
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer up.Close()
	go func() { _, _ = io.Copy(up, c); up.Close() }()
	_, _ = io.Copy(c, up)
}

// pause cuts every connection and refuses new ones for d.
func (p *pausableProxy) pause(d time.Duration) {
	p.mu.Lock()
	p.paused = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	time.Sleep(d) // the outage itself
	p.mu.Lock()
	p.paused = false
	p.mu.Unlock()
}

func (p *pausableProxy) addr() string { return p.l.Addr().String() }

// chaosFigures is what a chaos run reports.
type chaosFigures struct {
	Envelopes, Faults, Lost, Duplicated, Stuck, DuplicateEmails int
	// Resent counts messages sent again after a crash with the same
	// Message-ID (at least once, never two different messages).
	Resent   int
	Duration time.Duration
}

func TestChaos(t *testing.T) {
	t.Parallel()
	n := 6
	if v, err := strconv.Atoi(os.Getenv("CHAOS_ENVELOPES")); err == nil && v > 0 {
		n = v
	}
	started := time.Now()
	dir := t.TempDir()
	figures := chaosFigures{Envelopes: n}

	// The database, behind a proxy that can refuse it (PostgreSQL only: a
	// SQLite file cannot be taken away).
	dbURL := suite.databaseURL
	var proxy *pausableProxy
	if u, err := url.Parse(dbURL); err == nil && u.Scheme == "postgres" {
		proxy = newProxy(t, u.Host)
		u.Host = proxy.addr()
		dbURL = u.String()
	}
	// Temporal of its own, so that killing it touches no other test.
	temporalAddr, temporalDB := freePort(), filepath.Join(dir, "temporal.db")
	host, port, _ := net.SplitHostPort(temporalAddr)
	temporal := &process{t: t, name: "temporal", ready: "", args: []string{filepath.Join(suite.root, "bin", "temporal"), "server", "start-dev",
		"--ip", host, "--port", port, "--headless", "--db-filename", temporalDB, "--log-level", "error"}}
	temporal.args = append(temporal.args, devserver.TemporalTuning...)
	temporal.start()
	t.Cleanup(temporal.kill)
	require.NoError(t, awaitListening(temporalAddr))

	// SMTP is down until Mailpit comes up, part-way through.
	smtpAddr, mailHTTP := freePort(), freePort()
	mailpit := &process{t: t, name: "mailpit", ready: "accessible via", args: mailpitCommand(filepath.Join(suite.root, "bin", "mailpit"), smtpAddr, mailHTTP, dir).Args}
	mailAPI := "http://" + mailHTTP

	apiAddr := freePort()
	apiURL := "http://" + apiAddr
	env := []string{"DATABASE_URL=" + dbURL, "TEMPORAL_ADDRESS=" + temporalAddr, "SIGNFLOW_TASK_QUEUE=chaos",
		"SIGNFLOW_DATA_DIR=" + dir, "SIGNFLOW_SMTP_ADDR=" + smtpAddr, "SIGNFLOW_SMTP_TLS=none", "SIGNFLOW_PUBLIC_URL=" + apiURL,
		"SIGNFLOW_HTTP_ADDR=" + apiAddr, "SIGNFLOW_WEBHOOK_ALLOW_PRIVATE=true", "SIGNFLOW_WEBHOOK_RETRY_INITIAL=200ms",
		"SIGNFLOW_WEBHOOK_RETRY_MAX=2s", "SIGNFLOW_RATE_LIMIT=1000", "SIGNFLOW_RATE_BURST=1000", "SIGNFLOW_LOG_LEVEL=info",
		// Each signer comes from an address of their own, as people do.
		"SIGNFLOW_TRUSTED_PROXIES=127.0.0.1"}
	apiProc := &process{t: t, name: "api", ready: "api listening", args: []string{suite.binary, "api"}, env: env}
	workerProc := &process{t: t, name: "worker", ready: "worker started", args: []string{suite.binary, "worker"}, env: env}
	apiProc.start()
	t.Cleanup(apiProc.kill)
	workerProc.start()
	t.Cleanup(workerProc.kill)

	// A tenant of its own, its client, and a webhook receiver.
	tenant := "chaos-" + newTestID()
	c, secret := accesstoken.NewClient(tenant, "chaos", models.Scopes, time.Now())
	require.NoError(t, suite.store.CreateClient(context.Background(), c))
	api := client.New(context.Background(), client.Config{BaseURL: apiURL, ClientID: c.ID, ClientSecret: secret, MaxAttempts: 60,
		BaseDelay: 200 * time.Millisecond, MaxDelay: 2 * time.Second})
	var rcv *receiver
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { rcv.ServeHTTP(w, r) }))
	defer hooks.Close()
	hookBody, _ := json.Marshal(J{"url": hooks.URL})
	resp, err := api.Do(context.Background(), http.MethodPost, "/v1/webhooks", "application/json", hookBody, "")
	require.NoError(t, err)
	var hook J
	require.NoError(t, resp.Decode(&hook))
	rcv = newReceiver(str(hook, "secret"), func(*client.WebhookEvent) int { return http.StatusNoContent })

	// Creates, with the API killed part-way: the Go client retries each
	// with its one Idempotency-Key.
	refused := "nobody@" + refusedDomain
	type signing struct{ id, first, second string }
	envs := make([]signing, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			second := unique(fmt.Sprintf("chaos-%d", i))
			if i == 0 {
				second = refused // one address refused for good; corrected below
			}
			spec := jsonEnvelope(t, []J{signer(fmt.Sprintf("first%d", i), 1), withCode(J{"name": "Second", "email": second, "role": "signer", "routing_order": 2})},
				[]J{fieldAt(0, "signature", 1, aliceSig), fieldAt(1, "signature", 1, bobSig)})
			e, err := api.CreateEnvelope(context.Background(), spec, fmt.Sprintf("chaos-create-%s-%d", tenant, i))
			require.NoError(t, err)
			var created J
			require.NoError(t, json.Unmarshal(e.Raw, &created))
			envs[i] = signing{e.ID, str(created, "recipients", 0, "signing_api_url"), str(created, "recipients", 1, "signing_api_url")}
		})
	}
	time.Sleep(time.Duration(50+rand.IntN(300)) * time.Millisecond) // a random point of the creates
	apiProc.kill()
	figures.Faults++
	apiProc.start()
	wg.Wait()

	// Signing, while the worker, the database, the API and Temporal fail.
	var lost atomic.Int64
	sign := func(link, name, from string) {
		for deadline := time.Now().Add(4 * time.Minute); time.Now().Before(deadline); {
			status, body := signAsWithKey(t, link, name, "chaos-sign-"+link, from)
			if status == http.StatusOK || alreadySigned(status, body) {
				return
			}
			wait := 300 * time.Millisecond // the fault is still under way
			if status == http.StatusTooManyRequests {
				wait = 5 * time.Second // a person would not retry at once either
			}
			time.Sleep(wait)
		}
		lost.Add(1)
	}
	for i, e := range envs {
		wg.Go(func() { sign(e.first, "First", fmt.Sprintf("198.51.100.%d", i%250)) })
	}
	workerProc.kill()
	workerProc.start()
	figures.Faults++
	if proxy != nil {
		proxy.pause(5 * time.Second)
		figures.Faults++
	}
	temporal.kill()
	temporal.start()
	figures.Faults++
	mailpit.start() // SMTP comes back after this whole outage
	t.Cleanup(mailpit.kill)
	figures.Faults++
	apiProc.kill()
	apiProc.start()
	figures.Faults++
	wg.Wait()

	// The refused address is corrected; then the second signers sign.
	fixed := unique("chaos-fixed")
	require.Eventually(t, func() bool {
		e, err := api.GetEnvelope(context.Background(), envs[0].id)
		return err == nil && strings.Contains(string(e.Raw), `"delivery_failed"`)
	}, 3*time.Minute, 200*time.Millisecond, "the refused address shows as delivery_failed")
	var first J
	e0, err := api.GetEnvelope(context.Background(), envs[0].id)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(e0.Raw, &first))
	patch, _ := json.Marshal(J{"email": fixed})
	resp, err = api.Do(context.Background(), http.MethodPatch, "/v1/envelopes/"+envs[0].id+"/recipients/"+str(first, "recipients", 1, "id"), "application/json", patch, "")
	require.NoError(t, err)
	var corrected J
	require.NoError(t, resp.Decode(&corrected))
	envs[0].second = str(corrected, "signing_api_url")
	for i, e := range envs {
		wg.Go(func() { sign(e.second, "Second", fmt.Sprintf("203.0.113.%d", i%250)) })
	}
	workerProc.kill()
	workerProc.start()
	figures.Faults++
	wg.Wait()
	figures.Lost = int(lost.Load())

	// Every envelope ends, once.
	for _, e := range envs {
		ok := false
		for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			got, err := api.GetEnvelope(context.Background(), e.id)
			if err == nil && got.Status == models.EnvelopeCompleted {
				ok = true
				break
			}
		}
		if !ok {
			figures.Stuck++
		}
	}
	var stored int64
	require.NoError(t, rawDB().Model(&models.Envelope{}).Where("tenant_id = ?", tenant).Count(&stored).Error)
	figures.Duplicated = int(stored) - n

	// Audit chains intact, both signatures there, each email sent once (a
	// resend after a crash keeps its Message-ID), webhooks in order.
	for _, e := range envs {
		events := requireGaplessEvents(t, e.id)
		signed := 0
		for _, ev := range events {
			if ev.Type == models.EventRecipientSigned {
				signed++
			}
		}
		require.Equal(t, 2, signed, "envelope %s", e.id)
	}
	// Every message the outbox holds reaches Mailpit (a crash between
	// sending and recording the send sends again, with the same
	// Message-ID: receivers see one message), and nothing else does. A
	// recipient who signed before the workflow invited them (their link
	// came with the envelope) is never invited: the outbox has no such row.
	for _, e := range envs {
		env, err := suite.store.GetEnvelope(context.Background(), tenant, e.id)
		require.NoError(t, err)
		for _, r := range env.Recipients {
			if strings.HasSuffix(r.Email, refusedDomain) {
				continue
			}
			var rows []models.QueuedNotification
			require.NoError(t, rawDB().Where("recipient_id = ?", r.ID).Find(&rows).Error)
			queued := map[string]bool{}
			for _, row := range rows {
				id := row.ID + "@signflow"
				queued[id] = true
				if strings.HasSuffix(row.Email, refusedDomain) {
					continue // refused for good, then corrected
				}
				var found []mail
				for deadline := time.Now().Add(3 * time.Minute); len(found) == 0 && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
					found = searchMail(t, mailAPI, "message-id:"+id)
				}
				if len(found) == 0 {
					t.Fatalf("the %s to %s (recipient %s, %s) never arrived; its events: %v; Mailpit holds: %v",
						row.Kind, r.Email, r.ID, r.Status, eventTypesOf(t, e.id), allMail(t, mailAPI))
				}
				figures.Resent += len(found) - 1
			}
			for _, m := range searchMail(t, mailAPI, "to:"+r.Email) {
				if !queued[m.MessageID] {
					figures.DuplicateEmails++ // sent without an outbox row of its own
				}
			}
		}
	}
	require.Eventually(t, func() bool {
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		for _, e := range envs {
			seqs := rcv.accepted[e.id]
			if len(seqs) == 0 || !slices.IsSorted(seqs) {
				return false
			}
		}
		return true
	}, 3*time.Minute, 200*time.Millisecond, "every envelope's webhooks arrive, in order")
	figures.Duration = time.Since(started).Round(time.Second)
	t.Logf("chaos: %+v", figures)
	require.Zero(t, figures.Lost, "signatures lost")
	require.Zero(t, figures.Duplicated, "envelopes made twice")
	require.Zero(t, figures.Stuck, "envelopes not ended")
	require.Zero(t, figures.DuplicateEmails, "emails sent that no outbox row queued (twice, or with another Message-ID)")
}

// eventTypesOf lists an envelope's audit trail as "type recipient" lines.
func eventTypesOf(t *testing.T, envelopeID string) []string {
	events, err := suite.store.Events(context.Background(), envelopeID)
	require.NoError(t, err)
	var out []string
	for _, ev := range events {
		out = append(out, ev.Type+" "+ev.RecipientID)
	}
	return out
}
