// Package config reads Signflow's settings from environment variables.
// Vars is the single list of every variable the binary reads; the
// docs/configuration.md table and the docker-compose check are held to it
// by tests.
package config

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Var is one environment variable the binary reads.
type Var struct {
	Name        string
	Default     string
	Description string
}

// Vars lists every environment variable Signflow reads.
var Vars = []Var{
	{"SIGNFLOW_HTTP_ADDR", "127.0.0.1:8080", "Address the API listens on."},
	{"SIGNFLOW_PUBLIC_URL", "http://127.0.0.1:8080", "Base URL of the API as recipients reach it; signing links start with it."},
	{"SIGNFLOW_DATA_DIR", ".data", "Directory for local state: SQLite file, documents, Temporal dev server database."},
	{"DATABASE_URL", "", "postgres://user:pass@host:5432/db for PostgreSQL; empty for SQLite at $SIGNFLOW_DATA_DIR/signflow.db."},
	{"SIGNFLOW_BLOB_DIR", "", "Directory for document bytes when SIGNFLOW_BLOB_URL is empty; empty for $SIGNFLOW_DATA_DIR/blobs."},
	{"SIGNFLOW_BLOB_URL", "", "s3://bucket/prefix to keep document bytes in S3-compatible object storage, shared by every host; empty: the local directory SIGNFLOW_BLOB_DIR."},
	{"SIGNFLOW_S3_ENDPOINT", "https://s3.amazonaws.com", "URL of the S3-compatible service (http:// only for a local one such as MinIO on a private network)."},
	{"SIGNFLOW_S3_REGION", "", "Region of the bucket; empty: asked of the service."},
	{"SIGNFLOW_S3_ACCESS_KEY", "", "Access key ID for object storage; empty: the AWS environment variables or the instance's IAM role."},
	{"SIGNFLOW_S3_SECRET_KEY", "", "Secret access key for object storage (or SIGNFLOW_S3_SECRET_KEY_FILE)."},
	{"SIGNFLOW_S3_SECRET_KEY_FILE", "", "File holding SIGNFLOW_S3_SECRET_KEY, such as a mounted secret."},
	{"TEMPORAL_ADDRESS", "", "Temporal frontend host:port. Empty: `signflow dev` starts a dev server; api and worker use 127.0.0.1:7233."},
	{"TEMPORAL_NAMESPACE", "default", "Temporal namespace."},
	{"SIGNFLOW_TASK_QUEUE", "signflow", "Temporal task queue shared by api and worker."},
	{"SIGNFLOW_TEMPORAL_CLI", "bin/temporal", "Path of the Temporal CLI that `signflow dev` runs as the dev server."},
	{"SIGNFLOW_SMTP_ADDR", "", "SMTP server host:port for notifications. Empty: `signflow dev` starts Mailpit on 127.0.0.1:1025; api and worker use 127.0.0.1:1025."},
	{"SIGNFLOW_SMTP_USERNAME", "", "SMTP user name; empty: no authentication."},
	{"SIGNFLOW_SMTP_PASSWORD", "", "SMTP password (or SIGNFLOW_SMTP_PASSWORD_FILE)."},
	{"SIGNFLOW_SMTP_PASSWORD_FILE", "", "File holding SIGNFLOW_SMTP_PASSWORD, such as a mounted secret."},
	{"SIGNFLOW_SMTP_TLS", "starttls", "none, starttls (required: a server that does not offer it is refused) or tls (implicit TLS). Without SIGNFLOW_SMTP_ADDR, the local Mailpit on loopback is used without TLS."},
	{"SIGNFLOW_SMTP_FROM", "Signflow <signflow@localhost>", "Sender of notification emails."},
	{"SIGNFLOW_SMS_PROVIDER", "", "Who sends text messages (codes for recipients with authentication sms_otp): twilio, webhook, or catcher (kept and shown on SIGNFLOW_SMS_CATCHER_ADDR, as `signflow dev` does by default). Empty: no texts, and sms_otp is refused."},
	{"SIGNFLOW_SMS_FROM", "", "The Twilio number (E.164) or messaging service SID (MG...) texts are sent from."},
	{"SIGNFLOW_TWILIO_ACCOUNT_SID", "", "Twilio account SID, for SIGNFLOW_SMS_PROVIDER=twilio."},
	{"SIGNFLOW_TWILIO_AUTH_TOKEN", "", "Twilio auth token (or SIGNFLOW_TWILIO_AUTH_TOKEN_FILE)."},
	{"SIGNFLOW_TWILIO_AUTH_TOKEN_FILE", "", "File holding SIGNFLOW_TWILIO_AUTH_TOKEN, such as a mounted secret."},
	{"SIGNFLOW_TWILIO_API_URL", "https://api.twilio.com", "Base URL of Twilio's API."},
	{"SIGNFLOW_SMS_WEBHOOK_URL", "", "For SIGNFLOW_SMS_PROVIDER=webhook: the gateway each text is POSTed to as JSON {id, to, body}, signed as Standard Webhooks are."},
	{"SIGNFLOW_SMS_WEBHOOK_SECRET", "", "The gateway's signing secret (whsec_ and base64), or SIGNFLOW_SMS_WEBHOOK_SECRET_FILE."},
	{"SIGNFLOW_SMS_WEBHOOK_SECRET_FILE", "", "File holding SIGNFLOW_SMS_WEBHOOK_SECRET, such as a mounted secret."},
	{"SIGNFLOW_SMS_PER_TENANT_HOUR", "1000", "Most texts one tenant may send in an hour (texts cost money); each envelope's recipients may be sent 10 an hour together, each recipient 5 codes."},
	{"SIGNFLOW_SMS_CATCHER_ADDR", "127.0.0.1:8026", "Loopback address where the catcher shows the texts it kept (a page, or JSON with Accept: application/json)."},
	{"SIGNFLOW_MAILPIT", "bin/mailpit", "Path of the Mailpit binary that `signflow dev` runs when SIGNFLOW_SMTP_ADDR is empty."},
	{"SIGNFLOW_MAX_DOCUMENT_BYTES", "26214400", "Largest PDF accepted, in bytes (25 MiB)."},
	{"SIGNFLOW_MAX_DOCUMENT_PAGES", "500", "Most pages a PDF may have."},
	{"SIGNFLOW_LOG_LEVEL", "info", "debug, info, warn or error."},
	{"SIGNFLOW_SEAL_PKCS12", "", "PKCS#12 bundle (key, certificate, CA) to seal documents with; empty: a Signflow CA and seal certificate are generated in $SIGNFLOW_DATA_DIR/seal.pem on first start."},
	{"SIGNFLOW_SEAL_PKCS12_BASE64", "", "The same PKCS#12 bundle, base64, for platforms that pass secrets as environment variables."},
	{"SIGNFLOW_SEAL_PASSWORD", "", "Password of the PKCS#12 bundle (or SIGNFLOW_SEAL_PASSWORD_FILE)."},
	{"SIGNFLOW_SEAL_PASSWORD_FILE", "", "File holding SIGNFLOW_SEAL_PASSWORD."},
	{"SIGNFLOW_LINK_KEYS", "", "Keys of signing links, one-time codes, access codes and copy links: standard base64, at least 32 bytes each, comma-separated, newest first; the first mints, the others still check what they made. Every API and worker host needs the same list. Empty: one key generated in $SIGNFLOW_DATA_DIR/signing-link.key."},
	{"SIGNFLOW_LINK_KEYS_FILE", "", "File holding SIGNFLOW_LINK_KEYS, such as a mounted secret."},
	{"SIGNFLOW_PAYLOAD_KEYS", "", "AES-256 keys that encrypt every payload stored in Temporal: id:base64key (32 bytes), comma-separated, newest first; the first encrypts, all decrypt. Every API and worker host needs the same list. Empty: one key generated in $SIGNFLOW_DATA_DIR/payload.keys."},
	{"SIGNFLOW_PAYLOAD_KEYS_FILE", "", "File holding SIGNFLOW_PAYLOAD_KEYS, such as a mounted secret."},
	{"SIGNFLOW_DATA_KEYS", "", "Key-encryption keys of what Signflow keeps at rest: the documents, signature images and final PDFs (each blob's own data key is wrapped by one) and the token signing keys in the database. id:base64key (32 bytes), comma-separated, newest first; the first seals, all open. Every API and worker host needs the same list. Empty: one key generated in $SIGNFLOW_DATA_DIR/data.keys."},
	{"SIGNFLOW_DATA_KEYS_FILE", "", "File holding SIGNFLOW_DATA_KEYS, such as a mounted secret."},
	{"SIGNFLOW_CODEC_ORIGINS", "http://localhost:8233,http://127.0.0.1:8233", "Comma-separated origins of Temporal Web UIs allowed to call the codec endpoint (/codec/decode) from the browser."},
	{"SIGNFLOW_METRICS_ADDR", "", "Address serving /metrics in Prometheus format (HTTP, Temporal SDK and business metrics), apart from the API; none: no metrics. Empty: 127.0.0.1:9464 for dev and api, 127.0.0.1:9465 for worker, so an API and a worker on one host do not collide."},
	{"OTEL_EXPORTER_OTLP_ENDPOINT", "", "OTLP/HTTP collector traces are exported to, such as http://jaeger:4318; empty: no tracing. The exporter's other standard OTEL_EXPORTER_OTLP_* variables apply too."},
	{"SIGNFLOW_TSA_URL", "", "RFC 3161 timestamp authority to countersign seals; empty: no timestamp."},
	{"SIGNFLOW_ALLOW_NO_SECOND_FACTOR", "false", "true lets senders choose authentication \"none\" for signers and approvers (shown as such on the certificate)."},
	{"SIGNFLOW_SESSION_TTL", "30m", "How long a verified signing session lasts."},
	{"SIGNFLOW_TRUSTED_PROXIES", "", "Comma-separated IPs or CIDRs of reverse proxies whose X-Forwarded-For is believed; empty trusts none."},
	{"SIGNFLOW_TOKEN_TTL", "15m", "Lifetime of the access tokens POST /oauth/token issues."},
	{"SIGNFLOW_TOKEN_KEY_ROTATION", "720h", "How long a token signing key signs before the next takes over; old keys stay in the JWKS until their tokens expire."},
	{"SIGNFLOW_OAUTH_ISSUER", "", "Issuer (iss) of an external identity provider whose access tokens are accepted too; empty: only Signflow's own."},
	{"SIGNFLOW_OAUTH_AUDIENCE", "", "Audience (aud) external tokens must carry; empty: SIGNFLOW_PUBLIC_URL."},
	{"SIGNFLOW_OAUTH_JWKS_URL", "", "JWKS URL of the external identity provider."},
	{"SIGNFLOW_OAUTH_TENANT_CLAIM", "tenant", "Claim of an external token that names the tenant."},
	{"SIGNFLOW_IDEMPOTENCY_TTL", "24h", "How long a response to a POST with an Idempotency-Key is kept for retries."},
	{"SIGNFLOW_RATE_LIMIT", "50", "Requests per second each API client may make, on average (a token bucket per client and API process)."},
	{"SIGNFLOW_RATE_BURST", "100", "Requests an API client may make at once before SIGNFLOW_RATE_LIMIT applies."},
	{"SIGNFLOW_BULK_RATE", "10", "Envelopes a second a tenant's bulk sends make together, and so how fast their invitations go out."},
	{"SIGNFLOW_WORKFLOW_CACHE_SIZE", "2000", "Most envelope workflows a worker keeps in memory between their steps; one that is not kept is replayed from its history at its next step. Bounds the worker's memory however many envelopes are open."},
	{"SIGNFLOW_WEBHOOK_RETRY_INITIAL", "5s", "First delay before a failed webhook delivery is retried; it doubles per attempt."},
	{"SIGNFLOW_WEBHOOK_RETRY_MAX", "1h", "Longest delay between webhook delivery attempts."},
	{"SIGNFLOW_WEBHOOK_RETRY_WINDOW", "72h", "How long a webhook delivery is retried before it is dead-lettered."},
	{"SIGNFLOW_RECONCILE_INTERVAL", "5m", "How often the reconciliation schedule runs (voids envelopes whose workflow never started, flags ones whose workflow ended abnormally, restarts idle webhook deliveries)."},
	{"SIGNFLOW_RECONCILE_STALE_AFTER", "10m", "How long an envelope or a webhook delivery must have stood still before the reconciliation looks at it."},
	{"SIGNFLOW_RETENTION_INTERVAL", "24h", "How often the retention schedule (signflow-retention) applies the tenants' retention policies."},
	{"SIGNFLOW_RETENTION_DRY_RUN", "false", "true makes the retention runs only list the envelopes whose documents would be deleted (see each run's result in the Web UI)."},
	{"SIGNFLOW_ADMISSION_MAX_BACKLOG", "2s", "How long the oldest task on the task queue may have waited before new envelopes are refused with 503 and Retry-After (backpressure), tenant by tenant: while the workers are behind, a tenant is admitted only below an equal share of the recent admissions; signing is never refused for it. 0s admits every envelope."},
	{"SIGNFLOW_WEBHOOK_ALLOW_PRIVATE", "false", "true lets webhooks reach loopback and private addresses (a receiver on this machine or network); off, they are refused."},
	{"SIGNFLOW_ACCEPT_UNSEALED", "false", "true reads documents and Temporal payloads written before encryption was on, for an installation that still has them: run `signflow blobs seal` and let every workflow started before encryption end, then turn it off. Off, anything unsealed is refused as forged."},
}

// Config is the resolved configuration.
type Config struct {
	HTTPAddr            string
	PublicURL           string
	DataDir             string
	DatabaseURL         string
	BlobDir             string
	TemporalAddress     string
	TemporalNamespace   string
	TaskQueue           string
	TemporalCLI         string
	MaxDocumentBytes    int64
	MaxDocumentPages    int
	LogLevel            string
	TrustedProxies      []string
	SMTPAddr            string
	SMTPUsername        string
	SMTPPassword        string
	SMTPTLS             string
	SMTPFrom            string
	SMSProvider         string
	SMSFrom             string
	TwilioAccountSID    string
	TwilioAuthToken     string
	TwilioAPIURL        string
	SMSWebhookURL       string
	SMSWebhookSecret    string
	SMSPerTenantHour    int
	SMSCatcherAddr      string
	Mailpit             string
	SealPKCS12          string
	SealPKCS12Base64    string
	SealPassword        string
	LinkKeys            string
	PayloadKeys         string
	DataKeys            string
	BlobURL             string
	S3Endpoint          string
	S3Region            string
	S3AccessKey         string
	S3SecretKey         string
	CodecOrigins        []string
	MetricsAddr         string
	OTLPEndpoint        string
	TSAURL              string
	AllowNoSecondFactor bool
	SessionTTL          time.Duration
	TokenTTL            time.Duration
	TokenKeyRotation    time.Duration
	OAuthIssuer         string
	OAuthAudience       string
	OAuthJWKSURL        string
	OAuthTenantClaim    string
	IdempotencyTTL      time.Duration
	RateLimit           float64
	RateBurst           int
	WorkflowCacheSize   int
	WebhookRetryInitial time.Duration
	WebhookRetryMax     time.Duration
	WebhookRetryWindow  time.Duration
	WebhookAllowPrivate bool
	AcceptUnsealed      bool
	ReconcileInterval   time.Duration
	ReconcileStaleAfter time.Duration
	AdmissionMaxBacklog time.Duration
	RetentionInterval   time.Duration
	RetentionDryRun     bool
	BulkRate            int
}

// DefaultSMTPAddress is where notifications go when SIGNFLOW_SMTP_ADDR is
// unset, and where `signflow dev` starts Mailpit.
const DefaultSMTPAddress = "127.0.0.1:1025"

// DefaultTemporalAddress is where api and worker look for Temporal when
// TEMPORAL_ADDRESS is unset, and where `signflow dev` starts it.
const DefaultTemporalAddress = "127.0.0.1:7233"

func get(name string) string {
	for _, v := range Vars {
		if v.Name == name {
			if s, ok := os.LookupEnv(name); ok && s != "" {
				return s
			}
			return v.Default
		}
	}
	panic("config: " + name + " is not declared in Vars")
}

// Default is a variable's default value.
func Default(name string) string {
	for _, v := range Vars {
		if v.Name == name {
			return v.Default
		}
	}
	panic("config: " + name + " is not declared in Vars")
}

// Load reads the environment.
func Load() (Config, error) {
	c := Config{
		HTTPAddr:          get("SIGNFLOW_HTTP_ADDR"),
		PublicURL:         get("SIGNFLOW_PUBLIC_URL"),
		DataDir:           get("SIGNFLOW_DATA_DIR"),
		DatabaseURL:       get("DATABASE_URL"),
		BlobDir:           get("SIGNFLOW_BLOB_DIR"),
		TemporalAddress:   get("TEMPORAL_ADDRESS"),
		TemporalNamespace: get("TEMPORAL_NAMESPACE"),
		TaskQueue:         get("SIGNFLOW_TASK_QUEUE"),
		TemporalCLI:       get("SIGNFLOW_TEMPORAL_CLI"),
		LogLevel:          get("SIGNFLOW_LOG_LEVEL"),
		SMTPAddr:          get("SIGNFLOW_SMTP_ADDR"),
		SMTPUsername:      get("SIGNFLOW_SMTP_USERNAME"),
		SMTPTLS:           get("SIGNFLOW_SMTP_TLS"),
		SMTPFrom:          get("SIGNFLOW_SMTP_FROM"),
		SMSProvider:       get("SIGNFLOW_SMS_PROVIDER"),
		SMSFrom:           get("SIGNFLOW_SMS_FROM"),
		TwilioAccountSID:  get("SIGNFLOW_TWILIO_ACCOUNT_SID"),
		TwilioAuthToken:   get("SIGNFLOW_TWILIO_AUTH_TOKEN"),
		TwilioAPIURL:      get("SIGNFLOW_TWILIO_API_URL"),
		SMSWebhookURL:     get("SIGNFLOW_SMS_WEBHOOK_URL"),
		SMSWebhookSecret:  get("SIGNFLOW_SMS_WEBHOOK_SECRET"),
		SMSCatcherAddr:    get("SIGNFLOW_SMS_CATCHER_ADDR"),
		Mailpit:           get("SIGNFLOW_MAILPIT"),
		SealPKCS12:        get("SIGNFLOW_SEAL_PKCS12"),
		SealPKCS12Base64:  get("SIGNFLOW_SEAL_PKCS12_BASE64"),
		BlobURL:           get("SIGNFLOW_BLOB_URL"),
		S3Endpoint:        get("SIGNFLOW_S3_ENDPOINT"),
		S3Region:          get("SIGNFLOW_S3_REGION"),
		S3AccessKey:       get("SIGNFLOW_S3_ACCESS_KEY"),
		MetricsAddr:       get("SIGNFLOW_METRICS_ADDR"),
		OTLPEndpoint:      get("OTEL_EXPORTER_OTLP_ENDPOINT"),
		TSAURL:            get("SIGNFLOW_TSA_URL"),
		OAuthIssuer:       get("SIGNFLOW_OAUTH_ISSUER"),
		OAuthAudience:     get("SIGNFLOW_OAUTH_AUDIENCE"),
		OAuthJWKSURL:      get("SIGNFLOW_OAUTH_JWKS_URL"),
		OAuthTenantClaim:  get("SIGNFLOW_OAUTH_TENANT_CLAIM"),
	}
	if c.OAuthAudience == "" {
		c.OAuthAudience = c.PublicURL
	}
	if (c.OAuthIssuer == "") != (c.OAuthJWKSURL == "") {
		return c, fmt.Errorf("SIGNFLOW_OAUTH_ISSUER and SIGNFLOW_OAUTH_JWKS_URL are set together or not at all")
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = filepath.Join(c.DataDir, "signflow.db")
	}
	if c.BlobDir == "" {
		c.BlobDir = filepath.Join(c.DataDir, "blobs")
	}
	var err error
	secrets := []struct {
		name string
		dst  *string
	}{
		{"SIGNFLOW_SEAL_PASSWORD", &c.SealPassword},
		{"SIGNFLOW_SMTP_PASSWORD", &c.SMTPPassword},
		{"SIGNFLOW_LINK_KEYS", &c.LinkKeys},
		{"SIGNFLOW_PAYLOAD_KEYS", &c.PayloadKeys},
		{"SIGNFLOW_DATA_KEYS", &c.DataKeys},
		{"SIGNFLOW_S3_SECRET_KEY", &c.S3SecretKey},
		{"SIGNFLOW_TWILIO_AUTH_TOKEN", &c.TwilioAuthToken},
		{"SIGNFLOW_SMS_WEBHOOK_SECRET", &c.SMSWebhookSecret},
	}
	for _, sec := range secrets {
		if *sec.dst, err = secret(sec.name); err != nil {
			return c, err
		}
	}
	if c.SealPKCS12 != "" && c.SealPKCS12Base64 != "" {
		return c, fmt.Errorf("set SIGNFLOW_SEAL_PKCS12 or SIGNFLOW_SEAL_PKCS12_BASE64, not both")
	}
	for _, o := range strings.Split(get("SIGNFLOW_CODEC_ORIGINS"), ",") {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" {
			c.CodecOrigins = append(c.CodecOrigins, o)
		}
	}
	if c.MaxDocumentBytes, err = strconv.ParseInt(get("SIGNFLOW_MAX_DOCUMENT_BYTES"), 10, 64); err != nil || c.MaxDocumentBytes < 1 {
		return c, fmt.Errorf("SIGNFLOW_MAX_DOCUMENT_BYTES must be a positive number of bytes")
	}
	if c.MaxDocumentPages, err = strconv.Atoi(get("SIGNFLOW_MAX_DOCUMENT_PAGES")); err != nil || c.MaxDocumentPages < 1 {
		return c, fmt.Errorf("SIGNFLOW_MAX_DOCUMENT_PAGES must be a positive number")
	}
	if c.AllowNoSecondFactor, err = strconv.ParseBool(get("SIGNFLOW_ALLOW_NO_SECOND_FACTOR")); err != nil {
		return c, fmt.Errorf("SIGNFLOW_ALLOW_NO_SECOND_FACTOR must be true or false")
	}
	if c.SessionTTL, err = time.ParseDuration(get("SIGNFLOW_SESSION_TTL")); err != nil || c.SessionTTL < time.Minute {
		return c, fmt.Errorf("SIGNFLOW_SESSION_TTL must be a duration of at least 1m, such as 30m")
	}
	durations := []struct {
		name string
		min  time.Duration
		dst  *time.Duration
	}{
		{"SIGNFLOW_TOKEN_TTL", time.Minute, &c.TokenTTL},
		{"SIGNFLOW_TOKEN_KEY_ROTATION", time.Hour, &c.TokenKeyRotation},
		{"SIGNFLOW_IDEMPOTENCY_TTL", time.Minute, &c.IdempotencyTTL},
		{"SIGNFLOW_WEBHOOK_RETRY_INITIAL", 100 * time.Millisecond, &c.WebhookRetryInitial},
		{"SIGNFLOW_WEBHOOK_RETRY_MAX", 100 * time.Millisecond, &c.WebhookRetryMax},
		{"SIGNFLOW_WEBHOOK_RETRY_WINDOW", time.Second, &c.WebhookRetryWindow},
		{"SIGNFLOW_RECONCILE_INTERVAL", time.Minute, &c.ReconcileInterval},
		{"SIGNFLOW_RECONCILE_STALE_AFTER", time.Minute, &c.ReconcileStaleAfter},
		{"SIGNFLOW_ADMISSION_MAX_BACKLOG", 0, &c.AdmissionMaxBacklog},
		{"SIGNFLOW_RETENTION_INTERVAL", time.Hour, &c.RetentionInterval},
	}
	for _, d := range durations {
		if *d.dst, err = time.ParseDuration(get(d.name)); err != nil || *d.dst < d.min {
			return c, fmt.Errorf("%s must be a duration of at least %s, such as %s", d.name, d.min, Default(d.name))
		}
	}
	if c.RetentionDryRun, err = strconv.ParseBool(get("SIGNFLOW_RETENTION_DRY_RUN")); err != nil {
		return c, fmt.Errorf("SIGNFLOW_RETENTION_DRY_RUN must be true or false")
	}
	if c.WebhookAllowPrivate, err = strconv.ParseBool(get("SIGNFLOW_WEBHOOK_ALLOW_PRIVATE")); err != nil {
		return c, fmt.Errorf("SIGNFLOW_WEBHOOK_ALLOW_PRIVATE must be true or false")
	}
	if c.AcceptUnsealed, err = strconv.ParseBool(get("SIGNFLOW_ACCEPT_UNSEALED")); err != nil {
		return c, fmt.Errorf("SIGNFLOW_ACCEPT_UNSEALED must be true or false")
	}
	if c.RateLimit, err = strconv.ParseFloat(get("SIGNFLOW_RATE_LIMIT"), 64); err != nil || c.RateLimit <= 0 {
		return c, fmt.Errorf("SIGNFLOW_RATE_LIMIT must be a positive number of requests per second")
	}
	if c.SMSPerTenantHour, err = strconv.Atoi(get("SIGNFLOW_SMS_PER_TENANT_HOUR")); err != nil || c.SMSPerTenantHour < 1 {
		return c, fmt.Errorf("SIGNFLOW_SMS_PER_TENANT_HOUR must be a whole number of texts, at least 1")
	}
	switch c.SMSProvider {
	case "", "catcher":
	case "twilio":
		if c.TwilioAccountSID == "" || c.TwilioAuthToken == "" || c.SMSFrom == "" {
			return c, fmt.Errorf("SIGNFLOW_SMS_PROVIDER=twilio needs SIGNFLOW_TWILIO_ACCOUNT_SID, SIGNFLOW_TWILIO_AUTH_TOKEN and SIGNFLOW_SMS_FROM")
		}
	case "webhook":
		if c.SMSWebhookURL == "" || c.SMSWebhookSecret == "" {
			return c, fmt.Errorf("SIGNFLOW_SMS_PROVIDER=webhook needs SIGNFLOW_SMS_WEBHOOK_URL and SIGNFLOW_SMS_WEBHOOK_SECRET")
		}
	default:
		return c, fmt.Errorf("SIGNFLOW_SMS_PROVIDER must be twilio, webhook, catcher or empty, not %q", c.SMSProvider)
	}
	if c.BulkRate, err = strconv.Atoi(get("SIGNFLOW_BULK_RATE")); err != nil || c.BulkRate < 1 {
		return c, fmt.Errorf("SIGNFLOW_BULK_RATE must be a positive number of envelopes per second")
	}
	if c.RateBurst, err = strconv.Atoi(get("SIGNFLOW_RATE_BURST")); err != nil || c.RateBurst < 1 {
		return c, fmt.Errorf("SIGNFLOW_RATE_BURST must be a positive number of requests")
	}
	if c.WorkflowCacheSize, err = strconv.Atoi(get("SIGNFLOW_WORKFLOW_CACHE_SIZE")); err != nil || c.WorkflowCacheSize < 1 {
		return c, fmt.Errorf("SIGNFLOW_WORKFLOW_CACHE_SIZE must be a positive number of workflows")
	}
	if c.SMTPTLS != "none" && c.SMTPTLS != "starttls" && c.SMTPTLS != "tls" {
		return c, fmt.Errorf("SIGNFLOW_SMTP_TLS must be none, starttls or tls")
	}
	for _, p := range strings.Split(get("SIGNFLOW_TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			return c, fmt.Errorf("SIGNFLOW_TRUSTED_PROXIES: %q is neither an IP address nor a CIDR", p)
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	return c, nil
}

// secret reads a secret from its variable, or else from the file its
// _FILE variable names (a mounted secret); setting both is an error, so a
// stale value never wins silently.
func secret(name string) (string, error) {
	value, file := get(name), get(name+"_FILE")
	if file == "" {
		return value, nil
	}
	if value != "" {
		return "", fmt.Errorf("set %s or %s_FILE, not both", name, name)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s_FILE: %w", name, err)
	}
	return strings.TrimSpace(string(data)), nil
}

// SMTPHostPort is the SMTP server notifications go through.
func (c Config) SMTPHostPort() string {
	if c.SMTPAddr == "" {
		return DefaultSMTPAddress
	}
	return c.SMTPAddr
}

// TemporalHostPort is the Temporal frontend to dial.
func (c Config) TemporalHostPort() string {
	if c.TemporalAddress == "" {
		return DefaultTemporalAddress
	}
	return c.TemporalAddress
}
