// Package tests holds Signflow's integration tests: they drive the HTTP API
// against a real Temporal dev server and a real database (PostgreSQL from
// TEST_DATABASE_URL, or SQLite when it is unset).
package tests

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"gorm.io/gorm"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/api"
	"github.com/signflow/signflow/internal/documents/blob"
	"github.com/signflow/signflow/internal/documents/pdf"
	"github.com/signflow/signflow/internal/keys/accesstoken"
	"github.com/signflow/signflow/internal/keys/keyring"
	"github.com/signflow/signflow/internal/keys/payloadcodec"
	"github.com/signflow/signflow/internal/keys/seal"
	"github.com/signflow/signflow/internal/keys/signinglink"
	"github.com/signflow/signflow/internal/notifications/sms"
	"github.com/signflow/signflow/internal/notifications/smtp"
	"github.com/signflow/signflow/internal/platform/devserver"
	"github.com/signflow/signflow/internal/wiring"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/models/database"
	"github.com/signflow/signflow/worker"
	"github.com/signflow/signflow/workflows/contract"
)

// suite is the shared environment of the integration tests.
var suite struct {
	root        string
	tmp         string
	temporal    client.Client
	hostPort    string
	databaseURL string
	store       *database.Store
	deps        wiring.Deps // what every test system runs on
	twilio      *fakeTwilio // the SMS provider every test system texts through
	smtpAddr    string      // Mailpit's SMTP server
	mailAPI     string      // Mailpit's HTTP API
	apiURL      string      // the API server that emailed links point at
	binary      string
	log         *slog.Logger
	tokens      *accesstoken.Authority
	token       string // an access token of the default tenant with every scope
	payloadKeys string // SIGNFLOW_PAYLOAD_KEYS of every process of the run
	s3Endpoint  string // MinIO, the S3-compatible object store
	dataKeys    *keyring.Ring
}

// testWebhookPolicy retries webhooks in fractions of a second, not minutes.
var testWebhookPolicy = contract.WebhookPolicy{InitialInterval: 300 * time.Millisecond, MaxInterval: 5 * time.Second, Window: 10 * time.Minute}

// tokenIssuer is the iss and aud of the test servers' tokens; one authority
// serves every test server, as it would behind one public URL.
const tokenIssuer = "http://signflow.test"

// taskQueue is served by the in-process worker of every test but the crash test.
const taskQueue = "signflow-it"

func TestMain(m *testing.M) {
	flag.Parse()
	code, err := setup(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration setup failed:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func setup(m *testing.M) (int, error) {
	ctx := context.Background()
	var err error
	if suite.root, err = filepath.Abs(".."); err != nil {
		return 0, err
	}
	if suite.tmp, err = os.MkdirTemp("", "signflow-it-"); err != nil {
		return 0, err
	}
	defer func() {
		if os.Getenv("SIGNFLOW_KEEP_TEST_DIR") == "" {
			os.RemoveAll(suite.tmp)
		}
	}()
	logFile, err := os.Create(filepath.Join(suite.tmp, "test.log"))
	if err != nil {
		return 0, err
	}
	suite.log = slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelInfo}))

	cli := filepath.Join(suite.root, "bin", "temporal")
	if _, err := os.Stat(cli); err != nil {
		return 0, fmt.Errorf("the Temporal CLI is not at %s: run `make test`, which installs the pinned version", cli)
	}
	// One payload key for the run: every signflow process a test starts
	// inherits it, so the tests' own client reads what they stored.
	suite.payloadKeys = payloadcodec.NewKey("it")
	if err := os.Setenv("SIGNFLOW_PAYLOAD_KEYS", suite.payloadKeys); err != nil {
		return 0, err
	}
	// Processes tests start serve no metrics unless the test asks: many
	// run at once on this machine.
	if err := os.Setenv("SIGNFLOW_METRICS_ADDR", "none"); err != nil {
		return 0, err
	}
	// Likewise one blob key: tests' processes share blob directories.
	dataKeys := keyring.NewKey("it")
	if err := os.Setenv("SIGNFLOW_DATA_KEYS", dataKeys); err != nil {
		return 0, err
	}
	if suite.dataKeys, err = keyring.Parse(dataKeys); err != nil {
		return 0, err
	}
	codec, err := payloadcodec.Parse(suite.payloadKeys)
	if err != nil {
		return 0, err
	}
	clientOptions := client.Options{Namespace: "default", Logger: tlog.NewStructuredLogger(suite.log)}
	codec.Apply(&clientOptions)
	dev, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath:  cli, // never download
		LogLevel:      "error",
		ExtraArgs:     devserver.TemporalTuning, // as `make run` runs it
		ClientOptions: &clientOptions,
		Stdout:        logFile,
		Stderr:        logFile,
	})
	if err != nil {
		return 0, fmt.Errorf("start temporal dev server: %w", err)
	}
	defer dev.Stop()
	suite.temporal = dev.Client()
	suite.hostPort = dev.FrontendHostPort()
	if err := worker.EnsureSearchAttributes(ctx, suite.temporal, "default"); err != nil {
		return 0, err
	}

	dropDatabase, err := createDatabase()
	if err != nil {
		return 0, err
	}
	defer dropDatabase()
	if suite.store, err = database.Open(suite.databaseURL); err != nil {
		return 0, err
	}
	if err := database.Migrate(suite.store.DB); err != nil {
		return 0, err
	}
	suite.store.PersonalDataKeys = suite.dataKeys
	suite.tokens = &accesstoken.Authority{Store: suite.store, Issuer: tokenIssuer, Audience: tokenIssuer,
		TTL: time.Hour, Rotation: 30 * 24 * time.Hour, Sealer: suite.dataKeys}
	if suite.token, err = issueToken(ctx, models.DefaultTenantID, models.Scopes...); err != nil {
		return 0, err
	}
	// Worker processes started by tests find the same seal and link key in
	// the same data directory.
	sealer, err := seal.LoadOrCreate(suite.tmp)
	if err != nil {
		return 0, err
	}
	links, err := signinglink.Load(suite.tmp)
	if err != nil {
		return 0, err
	}
	stopMailpit, err := startMailpit(filepath.Join(suite.root, "bin", "mailpit"), logFile)
	if err != nil {
		return 0, err
	}
	defer stopMailpit()
	stopMinio, err := startMinio(filepath.Join(suite.root, "bin", "minio"), logFile)
	if err != nil {
		return 0, err
	}
	defer stopMinio()
	suite.twilio = newFakeTwilio()
	defer suite.twilio.Close()
	suite.deps = wiring.Deps{Store: suite.store, Blobs: blob.Encrypted{Inner: blob.Dir{Root: filepath.Join(suite.tmp, "blobs")}, Keys: suite.dataKeys},
		Seal: sealer, Links: links,
		Mail: testSMTP(suite.smtpAddr), Temporal: suite.temporal, Codec: codec, Tokens: suite.tokens, Log: suite.log}

	apiServer := httptest.NewUnstartedServer(nil)
	suite.apiURL = "http://" + apiServer.Listener.Addr().String()
	suite.deps.SMS = sms.Twilio{BaseURL: suite.twilio.URL, AccountSID: suite.twilio.sid, AuthToken: suite.twilio.token, From: suite.twilio.from,
		StatusCallback: suite.apiURL + api.TwilioStatusPath}
	if openapiCheck, err = newContractCheck(http.DefaultTransport); err != nil {
		return 0, err
	}
	if flag.Lookup("test.bench").Value.String() == "" {
		// Benchmarks measure Signflow, not the check.
		// On the default client, which the tests and the Go client use;
		// the server's own outgoing requests keep the default transport.
		http.DefaultClient.Transport = openapiCheck
	}
	openapiCheck.watch(suite.apiURL)
	shared := wiring.New(suite.deps, testSettings(taskQueue))
	apiServer.Config = shared.API().HTTPServer("")
	apiServer.Start()
	defer apiServer.Close()
	w := shared.Worker()
	if err := w.Start(); err != nil {
		return 0, err
	}
	defer w.Stop()
	// The schedules are one per namespace and run on the queue of the
	// worker that made them. Made here first, they run on this worker,
	// which reaches the tests' webhook receivers; otherwise a signflow
	// process a test starts (on a queue of its own, refusing private
	// webhook targets, soon gone) could win, and its reconciliation would
	// wake the suite's webhooks on a queue nobody serves after it.
	if err := shared.EnsureReconcileSchedule(ctx); err != nil {
		return 0, err
	}
	if err := shared.EnsureRetentionSchedule(ctx); err != nil {
		return 0, err
	}

	suite.binary = filepath.Join(suite.tmp, "signflow")
	build := exec.Command("go", "build", "-o", suite.binary, ".")
	build.Dir = suite.root
	if out, err := build.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("build signflow: %v\n%s", err, out)
	}
	code := m.Run()
	failures, checked := openapiCheck.report()
	fmt.Printf("OpenAPI contract: %d requests, responses and webhook bodies checked, %d broke it\n", checked, len(failures))
	if len(failures) > 0 {
		fmt.Fprintf(os.Stderr, "%d exchanges broke the OpenAPI contract (api/openapi.yaml):\n", len(failures))
		for _, f := range failures {
			fmt.Fprintln(os.Stderr, "  "+f)
		}
		code = 1
	}
	if code != 0 {
		fmt.Fprintln(os.Stderr, "server and Temporal logs of this run:")
		if data, err := os.ReadFile(logFile.Name()); err == nil {
			fmt.Fprintln(os.Stderr, tail(string(data), 60))
		}
	}
	return code, nil
}

// createDatabase gives the run a database of its own: a fresh PostgreSQL
// database when TEST_DATABASE_URL is set, else a SQLite file.
func createDatabase() (drop func(), err error) {
	admin := os.Getenv("TEST_DATABASE_URL")
	if admin == "" {
		fmt.Fprintln(os.Stderr, "TEST_DATABASE_URL is unset: integration tests run on SQLite, not PostgreSQL")
		suite.databaseURL = filepath.Join(suite.tmp, "signflow.db")
		return func() {}, nil
	}
	u, err := url.Parse(admin)
	if err != nil {
		return nil, fmt.Errorf("TEST_DATABASE_URL: %w", err)
	}
	adminStore, err := database.Open(admin)
	if err != nil {
		return nil, err
	}
	if err := adminStore.Ping(context.Background()); err != nil {
		return nil, fmt.Errorf("PostgreSQL at TEST_DATABASE_URL is not reachable: %w", err)
	}
	name := fmt.Sprintf("signflow_it_%d", time.Now().UnixNano())
	if err := adminStore.DB.Exec("CREATE DATABASE " + name).Error; err != nil {
		return nil, fmt.Errorf("create test database: %w", err)
	}
	u.Path = "/" + name
	suite.databaseURL = u.String()
	fmt.Fprintln(os.Stderr, "integration tests run on PostgreSQL, database", name)
	return func() {
		if suite.store != nil {
			suite.store.Close()
		}
		adminStore.DB.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		adminStore.Close()
	}, nil
}

// issueToken makes a client of the tenant with the scopes and returns a
// token for it.
func issueToken(ctx context.Context, tenant string, scopes ...string) (string, error) {
	c, _ := accesstoken.NewClient(tenant, "test", scopes, time.Now())
	if err := suite.store.CreateClient(ctx, c); err != nil {
		return "", err
	}
	return suite.tokens.Issue(ctx, &c, scopes)
}

// testSMTP sends mail through the Mailpit (or dead port) at addr.
func testSMTP(addr string) smtp.Client {
	return smtp.Client{Addr: addr, TLS: "none", From: "signflow@example.com"}
}

// testSettings are the settings of a test system serving queue. Links in
// emails point at the shared API unless a test serves its own.
func testSettings(queue string) wiring.Settings {
	return wiring.Settings{TaskQueue: queue, PublicURL: suite.apiURL, WebhookPolicy: testWebhookPolicy, Limits: pdf.DefaultLimits,
		SessionTTL: 30 * time.Minute, IdempotencyTTL: 24 * time.Hour, ReconcileInterval: 5 * time.Minute, ReconcileStaleAfter: 10 * time.Minute,
		RetentionInterval:    24 * time.Hour,
		AllowPrivateWebhooks: true, // webhook receivers run on 127.0.0.1
		CodecOrigins:         []string{"http://localhost:8233"}, TextsPerTenantHour: 1000}
}

// serveAPI serves an API of d and s for one test and returns its URL; the
// links it hands out point back at it.
func serveAPI(t testing.TB, d wiring.Deps, s wiring.Settings) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	s.PublicURL = "http://" + srv.Listener.Addr().String()
	srv.Config = wiring.New(d, s).API().HTTPServer("")
	openapiCheck.watch(s.PublicURL)
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		openapiCheck.unwatch(s.PublicURL)
	})
	return srv.URL
}

// startWorker runs a worker of d and s until the test ends.
func startWorker(t testing.TB, d wiring.Deps, s wiring.Settings) {
	t.Helper()
	w := wiring.New(d, s).Worker()
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
}

// newAPI serves the API for one test, sending work to queue.
func newAPI(t testing.TB, queue string) string {
	t.Helper()
	return serveAPI(t, suite.deps, testSettings(queue))
}

// skewedClock is a clock a test moves forward by storing into the skew.
func skewedClock() (func() time.Time, *atomic.Int64) {
	var skew atomic.Int64
	return func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }, &skew
}

// rawDB is the test database for assertions beneath the API.
func rawDB() *gorm.DB { return suite.store.DB }

func tail(s string, lines int) string {
	parts := strings.Split(s, "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

// readTestLog is everything the servers under test logged so far.
func readTestLog() (string, error) {
	data, err := os.ReadFile(filepath.Join(suite.tmp, "test.log"))
	return string(data), err
}
