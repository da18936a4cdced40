// Command signflow is the Signflow signing engine: `signflow dev` runs
// everything on one machine; `api`, `worker` and `migrate` run the parts
// separately against one Temporal and one database.
package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/signflow/signflow/api"
	"github.com/signflow/signflow/internal/documents/blob"
	"github.com/signflow/signflow/internal/keys/accesstoken"
	"github.com/signflow/signflow/internal/keys/keyring"
	"github.com/signflow/signflow/internal/keys/payloadcodec"
	"github.com/signflow/signflow/internal/keys/seal"
	"github.com/signflow/signflow/internal/keys/signinglink"
	"github.com/signflow/signflow/internal/notifications/sms"
	"github.com/signflow/signflow/internal/notifications/smtp"
	"github.com/signflow/signflow/internal/platform/config"
	"github.com/signflow/signflow/internal/platform/devserver"
	"github.com/signflow/signflow/internal/platform/metrics"
	"github.com/signflow/signflow/internal/platform/tracing"
	"github.com/signflow/signflow/internal/wiring"
	"github.com/signflow/signflow/models/database"
	"github.com/signflow/signflow/worker"
)

func main() {
	root := &cobra.Command{
		Use:           "signflow",
		Short:         "Signflow: durable multi-party document signing on Temporal",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		command("dev", "Run Temporal (dev server unless TEMPORAL_ADDRESS is set), migrations, API and worker in one process", runDev),
		command("api", "Run the HTTP API", runAPI),
		command("worker", "Run the Temporal worker", runWorker),
		command("migrate", "Bring the database schema up to date", runMigrate),
		clientsCommand(),
		blobsCommand(),
	)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "signflow:", err)
		os.Exit(1)
	}
}

// app is what every subcommand starts from.
type app struct {
	cfg config.Config
	log *slog.Logger
	// devClient makes serve ensure a development API client.
	devClient bool
}

func command(use, short string, run func(context.Context, *app) error) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load()
			if err != nil {
				return err
			}
			return run(cmd.Context(), &app{cfg: cfg, log: newLogger(cfg.LogLevel)})
		},
	}
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(tracing.LogHandler(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})))
}

func (a *app) openStore(migrate bool) (*database.Store, error) {
	store, err := database.Open(a.cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if migrate {
		if err := database.Migrate(store.DB); err != nil {
			store.Close()
			return nil, err
		}
	}
	return store, nil
}

// loadSeal reads the sealing key: the configured PKCS#12 bundle (a mounted
// file or base64 in the environment), or the one generated under the data
// directory for `make run`.
func (a *app) loadSeal() (*seal.Sealer, error) {
	var (
		s   *seal.Sealer
		err error
	)
	switch {
	case a.cfg.SealPKCS12 != "":
		s, err = seal.LoadPKCS12(a.cfg.SealPKCS12, a.cfg.SealPassword)
	case a.cfg.SealPKCS12Base64 != "":
		var bundle []byte
		if bundle, err = base64.StdEncoding.DecodeString(a.cfg.SealPKCS12Base64); err != nil {
			return nil, errors.New("SIGNFLOW_SEAL_PKCS12_BASE64 is not standard base64")
		}
		if s, err = seal.ParsePKCS12(bundle, a.cfg.SealPassword); err != nil {
			return nil, fmt.Errorf("SIGNFLOW_SEAL_PKCS12_BASE64: %w", err)
		}
	default:
		s, err = seal.LoadOrCreate(a.cfg.DataDir)
	}
	if err != nil {
		return nil, err
	}
	s.TSAURL = a.cfg.TSAURL
	return s, nil
}

// loadLinks reads the signing-link keys from configuration, or the key
// generated under the data directory.
func (a *app) loadLinks() (*signinglink.Minter, error) {
	if a.cfg.LinkKeys == "" {
		return signinglink.Load(a.cfg.DataDir)
	}
	m, err := signinglink.Parse(a.cfg.LinkKeys)
	if err != nil {
		return nil, fmt.Errorf("SIGNFLOW_LINK_KEYS: %w", err)
	}
	return m, nil
}

// loadCodec reads the payload keys from configuration, or the key
// generated under the data directory.
func (a *app) loadCodec() (*payloadcodec.Codec, error) {
	var c *payloadcodec.Codec
	var err error
	if a.cfg.PayloadKeys == "" {
		c, err = payloadcodec.LoadOrCreate(a.cfg.DataDir)
	} else if c, err = payloadcodec.Parse(a.cfg.PayloadKeys); err != nil {
		err = fmt.Errorf("SIGNFLOW_PAYLOAD_KEYS: %w", err)
	}
	if err == nil && a.cfg.AcceptUnsealed {
		c = c.AcceptingPlain()
	}
	return c, err
}

// loadDataKeys reads the keys that encrypt data at rest from
// configuration, or the key generated under the data directory.
func (a *app) loadDataKeys() (*keyring.Ring, error) {
	if a.cfg.DataKeys == "" {
		return keyring.LoadOrCreate(filepath.Join(a.cfg.DataDir, "data.keys"))
	}
	keys, err := keyring.Parse(a.cfg.DataKeys)
	if err != nil {
		return nil, fmt.Errorf("SIGNFLOW_DATA_KEYS: %w", err)
	}
	return keys, nil
}

func blobsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "blobs", Short: "Look after the stored documents"}
	cmd.AddCommand(command("seal", "Encrypt every document stored before encryption was on; safe to run again", runSealBlobs))
	return cmd
}

// runSealBlobs seals what an installation stored before encryption, so that
// SIGNFLOW_ACCEPT_UNSEALED can be turned off.
func runSealBlobs(ctx context.Context, a *app) error {
	keys, err := a.loadDataKeys()
	if err != nil {
		return err
	}
	blobs, err := a.openBlobs(ctx, keys)
	if err != nil {
		return err
	}
	sealed, seen, err := blobs.(blob.Encrypted).SealAll(ctx)
	a.log.Info("blobs sealed", "sealed", sealed, "seen", seen)
	return err
}

// openBlobs is the configured object storage, or the local directory,
// encrypted under the data keys.
func (a *app) openBlobs(ctx context.Context, keys *keyring.Ring) (blob.Store, error) {
	var err error
	var inner blob.Store = blob.Dir{Root: a.cfg.BlobDir}
	if a.cfg.BlobURL != "" {
		if inner, err = blob.OpenS3(ctx, blob.S3Config{URL: a.cfg.BlobURL, Endpoint: a.cfg.S3Endpoint, Region: a.cfg.S3Region,
			AccessKey: a.cfg.S3AccessKey, SecretKey: a.cfg.S3SecretKey}); err != nil {
			return nil, err
		}
	}
	return blob.Encrypted{Inner: inner, Keys: keys, AcceptUnsealed: a.cfg.AcceptUnsealed}, nil
}

// tokenAuthority issues our access tokens and, when configured, accepts
// those of an external identity provider.
// Its signing keys are stored sealed under keys.
func (a *app) tokenAuthority(ctx context.Context, store *database.Store, publicURL string, keys *keyring.Ring) (*accesstoken.Authority, error) {
	auth := &accesstoken.Authority{Store: store, Issuer: publicURL, Audience: publicURL,
		TTL: a.cfg.TokenTTL, Rotation: a.cfg.TokenKeyRotation, Sealer: keys}
	if a.cfg.OAuthIssuer != "" {
		ext, err := accesstoken.NewExternal(ctx, a.cfg.OAuthIssuer, a.cfg.OAuthAudience, a.cfg.OAuthJWKSURL, a.cfg.OAuthTenantClaim)
		if err != nil {
			return nil, err
		}
		auth.External = ext
	}
	return auth, nil
}

// dialTemporal connects, retrying while Temporal is still starting.
// Everything it sends is sealed by the codec; the SDK reports its metrics
// into m and, when tp is set, carries traces through the workflows.
func (a *app) dialTemporal(ctx context.Context, codec *payloadcodec.Codec, m *metrics.Metrics, tp trace.TracerProvider) (client.Client, error) {
	opts := client.Options{
		HostPort:  a.cfg.TemporalHostPort(),
		Namespace: a.cfg.TemporalNamespace,
		Logger:    tlog.NewStructuredLogger(a.log.With("component", "temporal")),
	}
	codec.Apply(&opts)
	handler, err := m.TemporalHandler(a.log)
	if err != nil {
		return nil, err
	}
	opts.MetricsHandler = handler
	if tp != nil {
		if err := tracing.Apply(&opts, tp); err != nil {
			return nil, err
		}
	}
	for delay := 500 * time.Millisecond; ; delay = min(2*delay, 10*time.Second) {
		c, err := client.DialContext(ctx, opts)
		if err == nil {
			return c, nil
		}
		a.log.Warn("temporal not reachable yet", "address", opts.HostPort, "error", err, "retry_in", delay)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("connect to temporal at %s: %w", opts.HostPort, err)
		case <-time.After(delay):
		}
	}
}

func runMigrate(_ context.Context, a *app) error {
	store, err := a.openStore(true)
	if err != nil {
		return err
	}
	a.log.Info("database schema is up to date", "database", redactURL(a.cfg.DatabaseURL))
	return store.Close()
}

func runDev(ctx context.Context, a *app) error {
	var children []devserver.Process
	if a.cfg.TemporalAddress == "" {
		children = append(children, devserver.Temporal(a.cfg.TemporalCLI, a.cfg.DataDir, strings.TrimRight(a.cfg.PublicURL, "/")+"/codec"))
	}
	if a.cfg.SMTPAddr == "" {
		children = append(children, devserver.Mailpit(a.cfg.Mailpit, a.cfg.DataDir))
	}
	for _, p := range children {
		child, err := devserver.Start(ctx, p, a.cfg.DataDir, a.log)
		if err != nil {
			return err
		}
		defer child.Stop()
	}
	if len(children) > 0 {
		a.log.Info("dev services ready", "temporal_ui", devserver.TemporalUI, "mail_ui", devserver.MailUI)
	}
	a.devClient = true
	return a.serve(ctx, true, true)
}

func runAPI(ctx context.Context, a *app) error    { return a.serve(ctx, true, false) }
func runWorker(ctx context.Context, a *app) error { return a.serve(ctx, false, true) }

// serve runs the API, the worker or both until ctx ends.
func (a *app) serve(ctx context.Context, withAPI, withWorker bool) error {
	// Only the all-in-one dev command migrates on start; separate processes
	// leave that to `signflow migrate`, so replicas never race a migration.
	store, err := a.openStore(withAPI && withWorker)
	if err != nil {
		return err
	}
	defer store.Close()
	dataKeys, err := a.loadDataKeys()
	if err != nil {
		return err
	}
	store.PersonalDataKeys = dataKeys // personal data in the audit trail, per recipient
	if err := store.SealWebhookSecrets(ctx); err != nil {
		return err
	}
	blobs, err := a.openBlobs(ctx, dataKeys)
	if err != nil {
		return err
	}
	sealer, err := a.loadSeal()
	if err != nil {
		return err
	}
	links, err := a.loadLinks()
	if err != nil {
		return err
	}
	codec, err := a.loadCodec()
	if err != nil {
		return err
	}
	publicURL := strings.TrimRight(a.cfg.PublicURL, "/")
	smtp := smtp.Client{Addr: a.cfg.SMTPHostPort(), Username: a.cfg.SMTPUsername, Password: a.cfg.SMTPPassword,
		TLS: a.cfg.SMTPTLS, From: a.cfg.SMTPFrom}
	if a.cfg.SMTPAddr == "" {
		smtp.TLS = "none" // the local Mailpit, on loopback
	}
	m := metrics.New()
	if withWorker {
		m.WatchBacklog(store)
	}
	var tp trace.TracerProvider
	if a.cfg.OTLPEndpoint != "" {
		exporter, err := tracing.Exporter(ctx, serviceName(withAPI, withWorker))
		if err != nil {
			return err
		}
		defer func() {
			flush, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = exporter.Shutdown(flush)
		}()
		tp = exporter
		a.log.Info("tracing on", "otlp_endpoint", a.cfg.OTLPEndpoint)
	}
	tc, err := a.dialTemporal(ctx, codec, m, tp)
	if err != nil {
		return err
	}
	defer tc.Close()
	settings := wiring.SettingsFrom(a.cfg)
	settings.PublicURL = publicURL
	// The dev server's Web UI runs in the developer's browser on this
	// machine and has no token to send.
	settings.CodecWithoutToken = a.devClient && a.cfg.TemporalAddress == ""
	deps := wiring.Deps{Store: store, Blobs: blobs, Seal: sealer, Links: links, Mail: smtp, Temporal: tc, Codec: codec, Metrics: m, Tracing: tp, Log: a.log}
	if deps.SMS, err = a.smsSender(ctx); err != nil {
		return err
	}
	if withAPI {
		if deps.Tokens, err = a.tokenAuthority(ctx, store, publicURL, dataKeys); err != nil {
			return err
		}
	}
	sys := wiring.New(deps, settings)

	errs := make(chan error, 3)
	if addr := metricsAddr(a.cfg.MetricsAddr, withAPI); addr != "" {
		go func() {
			if err := m.Serve(ctx, addr, a.log); err != nil {
				errs <- fmt.Errorf("metrics server: %w (set SIGNFLOW_METRICS_ADDR to another address, or to none)", err)
			}
		}()
	}
	if withWorker {
		if err := worker.EnsureSearchAttributes(ctx, tc, a.cfg.TemporalNamespace); err != nil {
			return err
		}
		if err := sys.EnsureReconcileSchedule(ctx); err != nil {
			return err
		}
		if err := sys.EnsureRetentionSchedule(ctx); err != nil {
			return err
		}
		// Bounds the worker's memory however many envelopes are open: a
		// workflow that is not kept is replayed at its next step.
		sdkworker.SetStickyWorkflowCacheSize(a.cfg.WorkflowCacheSize)
		w := sys.Worker()
		if err := w.Start(); err != nil {
			return err
		}
		defer w.Stop()
		a.log.Info("worker started", "task_queue", a.cfg.TaskQueue)
	}
	if withAPI {
		if a.devClient {
			dc, err := a.ensureDevClient(ctx, store)
			if err != nil {
				return err
			}
			creds := filepath.Join(a.cfg.DataDir, DevClientFile)
			a.log.Info("dev API client ready", "client_id", dc.ClientID, "credentials", creds)
			fmt.Fprintf(os.Stderr, "\nGet an access token for the dev client (tenant %q, every scope):\n"+
				"  curl -s -u \"$(jq -r .client_id %s):$(jq -r .client_secret %s)\" -d grant_type=client_credentials %s/oauth/token\n\n",
				dc.Tenant, creds, creds, publicURL)
		}
		srv := sys.API().HTTPServer(a.cfg.HTTPAddr)
		go func() {
			if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errs <- fmt.Errorf("http server: %w", err)
			}
		}()
		defer func() {
			shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = srv.Shutdown(shutdown)
		}()
		a.log.Info("api listening", "url", "http://"+a.cfg.HTTPAddr, "public_url", a.cfg.PublicURL)
	}
	select {
	case <-ctx.Done():
		a.log.Info("shutting down")
		return nil
	case err := <-errs:
		return err
	}
}

// metricsAddr is where /metrics is served: as configured, nowhere for
// "none", and by default one port for processes with the API and the next
// for a worker alone.
func metricsAddr(configured string, withAPI bool) string {
	switch {
	case configured == "none":
		return ""
	case configured != "":
		return configured
	case withAPI:
		return "127.0.0.1:9464"
	}
	return "127.0.0.1:9465"
}

// serviceName names the process in traces.
func serviceName(withAPI, withWorker bool) string {
	switch {
	case withAPI && withWorker:
		return "signflow"
	case withAPI:
		return "signflow-api"
	}
	return "signflow-worker"
}

// redactURL drops a password from a database URL before it is logged.
func redactURL(u string) string {
	if at := strings.LastIndex(u, "@"); at > 0 {
		if scheme := strings.Index(u, "://"); scheme > 0 && scheme < at {
			return u[:scheme+3] + "***" + u[at:]
		}
	}
	return u
}

// smsSender is who sends texts, as configured; `signflow dev` keeps them
// and shows them on loopback, as Mailpit does email.
func (a *app) smsSender(ctx context.Context) (sms.Sender, error) {
	provider := a.cfg.SMSProvider
	if provider == "" && a.devClient {
		provider = "catcher"
	}
	switch provider {
	case "twilio":
		return sms.Twilio{BaseURL: a.cfg.TwilioAPIURL, AccountSID: a.cfg.TwilioAccountSID, AuthToken: a.cfg.TwilioAuthToken, From: a.cfg.SMSFrom,
			StatusCallback: strings.TrimRight(a.cfg.PublicURL, "/") + api.TwilioStatusPath}, nil
	case "webhook":
		signer, err := standardwebhooks.NewWebhook(a.cfg.SMSWebhookSecret)
		if err != nil {
			return nil, fmt.Errorf("SIGNFLOW_SMS_WEBHOOK_SECRET: %w", err)
		}
		return sms.Webhook{URL: a.cfg.SMSWebhookURL, Signer: signer}, nil
	case "catcher":
		catcher := &sms.Catcher{}
		if err := serveLoopback(ctx, a.cfg.SMSCatcherAddr, catcher.Handler()); err != nil {
			return nil, fmt.Errorf("SIGNFLOW_SMS_CATCHER_ADDR: %w", err)
		}
		a.log.Info("texts are kept, not sent", "texts_url", "http://"+a.cfg.SMSCatcherAddr)
		return catcher, nil
	}
	return nil, nil
}

// serveLoopback serves h on addr, which must be a loopback address, until
// ctx ends.
func serveLoopback(ctx context.Context, addr string, h http.Handler) error {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q is not a loopback address such as 127.0.0.1:8026", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	context.AfterFunc(ctx, func() { _ = srv.Close() })
	return nil
}
