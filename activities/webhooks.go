package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/signflow/signflow/internal/platform/metrics"
	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/models/database"
	"github.com/signflow/signflow/workflows/contract"
)

// webhookTimeout is how long an endpoint has to answer 2xx.
const webhookTimeout = 10 * time.Second

// WebhookPayload is the JSON body each endpoint receives.
type WebhookPayload struct {
	ID        string      `json:"id"`
	Type      string      `json:"type"`
	Timestamp time.Time   `json:"timestamp"`
	Data      WebhookData `json:"data"`
}

// WebhookData carries enough to tell a stale event: the envelope's status
// and version at the moment, and the event's place in the envelope's order.
type WebhookData struct {
	EnvelopeID      string `json:"envelope_id"`
	Seq             int64  `json:"seq"`
	RecipientID     string `json:"recipient_id,omitempty"`
	EnvelopeStatus  string `json:"envelope_status"`
	EnvelopeVersion int64  `json:"envelope_version"`
	// FormData: every field's value, in envelope.completed to a
	// subscription that asked for it.
	FormData []signing.FormValue `json:"form_data,omitempty"`
}

// wakeDeliverers starts the webhook deliverers of an envelope's new
// deliveries, which were written with its events.
// A nil workflows client starts none.
func wakeDeliverers(ctx context.Context, store *database.Store, workflows *contract.Client, envelopeID string) error {
	if workflows == nil {
		return nil
	}
	subs, err := store.PendingSubscriptions(ctx, envelopeID)
	if err != nil || len(subs) == 0 {
		return err
	}
	return workflows.WakeWebhooks(ctx, envelopeID, subs)
}

// NextWebhookDelivery finds the next delivery of an envelope to a
// subscription; nil when none is pending. Deliveries of a subscription
// that has been disabled or deleted are skipped.
func (a *Webhooks) NextWebhookDelivery(ctx context.Context, subscriptionID, envelopeID string) (*contract.WebhookTask, error) {
	sub, err := a.Store.WebhookByID(ctx, subscriptionID)
	if err != nil {
		return nil, err
	}
	for {
		d, err := a.Store.NextDelivery(ctx, subscriptionID, envelopeID)
		if err != nil || d == nil {
			return nil, err
		}
		if sub.Active() {
			return &contract.WebhookTask{DeliveryID: d.ID, Attempts: d.Attempts}, nil
		}
		if err := a.Store.SetDeliveryStatus(ctx, d.ID, models.DeliverySkipped, time.Now()); err != nil {
			return nil, err
		}
	}
}

// AttemptWebhookDelivery posts a delivery once, signed as the Standard
// Webhooks spec says, and records the attempt. An endpoint's failure is a
// result, not an error: the workflow owns the backoff.
func (a *Webhooks) AttemptWebhookDelivery(ctx context.Context, req contract.WebhookAttemptRequest) (contract.WebhookResult, error) {
	d, err := a.Store.GetDelivery(ctx, req.DeliveryID)
	if err != nil {
		return contract.WebhookResult{}, err
	}
	if d.Status != models.DeliveryPending {
		return contract.WebhookResult{Done: true}, nil
	}
	sub, err := a.Store.WebhookByID(ctx, d.SubscriptionID)
	if err != nil {
		return contract.WebhookResult{}, err
	}
	if !sub.Active() {
		return contract.WebhookResult{Done: true}, a.Store.SetDeliveryStatus(ctx, d.ID, models.DeliverySkipped, time.Now())
	}
	body, err := a.payload(ctx, sub, d)
	if err != nil {
		return contract.WebhookResult{}, err
	}
	now := time.Now()
	signature, err := sign(sub, d.EventID, now, body)
	if err != nil {
		return contract.WebhookResult{}, err
	}
	attempt := models.WebhookAttempt{DeliveryID: d.ID, Attempt: req.Attempt, At: now.UTC()}
	a.post(ctx, sub.URL, d.EventID, now, signature, body, &attempt)
	switch {
	case attempt.StatusCode >= 200 && attempt.StatusCode < 300:
		a.Metrics.Webhook(metrics.WebhookDelivered, d.CreatedAt)
		return contract.WebhookResult{Done: true}, a.Store.RecordAttempt(ctx, d, attempt, models.DeliveryDelivered)
	case attempt.StatusCode == http.StatusGone:
		a.Metrics.Webhook(metrics.WebhookGone, d.CreatedAt)
		// The receiver says the endpoint is gone for good: stop sending to it.
		if err := a.Store.RecordAttempt(ctx, d, attempt, models.DeliverySkipped); err != nil {
			return contract.WebhookResult{}, err
		}
		return contract.WebhookResult{Done: true}, a.Store.UpdateWebhook(ctx, sub, map[string]any{"disabled_at": now.UTC(),
			"disabled_reason": "the endpoint answered 410 Gone"})
	}
	a.Metrics.Webhook(metrics.WebhookFailed, d.CreatedAt)
	return contract.WebhookResult{}, a.Store.RecordAttempt(ctx, d, attempt, models.DeliveryPending)
}

// post sends the request and fills in the attempt's outcome.
func (a *Webhooks) post(ctx context.Context, url, id string, at time.Time, signature string, body []byte, attempt *models.WebhookAttempt) {
	ctx, cancel := context.WithTimeout(ctx, webhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		attempt.Error = err.Error()
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Signflow-Webhooks/1")
	req.Header.Set(standardwebhooks.HeaderWebhookID, id)
	req.Header.Set(standardwebhooks.HeaderWebhookTimestamp, fmt.Sprint(at.Unix()))
	req.Header.Set(standardwebhooks.HeaderWebhookSignature, signature)
	start := time.Now()
	resp, err := a.webhookClient().Do(req)
	attempt.LatencyMS = time.Since(start).Milliseconds()
	if err != nil {
		attempt.Error = err.Error()
		return
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	attempt.StatusCode = resp.StatusCode
	if resp.StatusCode >= 300 {
		attempt.Error = resp.Status
	}
}

func (a *Webhooks) webhookClient() *http.Client {
	if a.HTTP != nil {
		return a.HTTP
	}
	dialer := &net.Dialer{Timeout: webhookTimeout}
	if !a.AllowPrivate {
		dialer.Control = refusePrivate
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.DialContext = dialer.DialContext
	transport.Proxy = nil
	// Redirects are not followed: a subscription names its endpoint.
	return &http.Client{Transport: transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// refusePrivate keeps webhooks from reaching the machine or network they
// are sent from (server-side request forgery). It runs on the address
// actually dialled, after name resolution, so DNS tricks do not get past it.
func refusePrivate(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	if !publicAddress(host) {
		return fmt.Errorf("webhook to %s refused: a private or local address (set SIGNFLOW_WEBHOOK_ALLOW_PRIVATE to allow)", host)
	}
	return nil
}

// A webhook may reach only a global unicast address: IPv4 outside the
// ranges IANA sets apart (RFC 6890 and its successors), IPv6 inside
// 2000::/3 outside the ranges there that are not global or lead back into
// IPv4. Everything else (IPv4-compatible, site-local, discard-only, NAT64
// and ULA addresses among them) lies outside 2000::/3 and is refused.
var (
	globalIPv6 = netip.MustParsePrefix("2000::/3")
	notGlobal  = []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"),       // this network
		netip.MustParsePrefix("10.0.0.0/8"),      // private
		netip.MustParsePrefix("100.64.0.0/10"),   // shared address space (carrier NAT)
		netip.MustParsePrefix("127.0.0.0/8"),     // loopback
		netip.MustParsePrefix("169.254.0.0/16"),  // link local, cloud metadata
		netip.MustParsePrefix("172.16.0.0/12"),   // private
		netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
		netip.MustParsePrefix("192.0.2.0/24"),    // documentation
		netip.MustParsePrefix("192.88.99.0/24"),  // 6to4 relay anycast
		netip.MustParsePrefix("192.168.0.0/16"),  // private
		netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
		netip.MustParsePrefix("198.51.100.0/24"), // documentation
		netip.MustParsePrefix("203.0.113.0/24"),  // documentation
		netip.MustParsePrefix("224.0.0.0/4"),     // multicast
		netip.MustParsePrefix("240.0.0.0/4"),     // reserved, broadcast
		netip.MustParsePrefix("2001::/23"),       // IETF protocol assignments: Teredo, benchmarking, ORCHID
		netip.MustParsePrefix("2001:db8::/32"),   // documentation
		netip.MustParsePrefix("2002::/16"),       // 6to4
		netip.MustParsePrefix("3fff::/20"),       // documentation
	}
)

// publicAddress says whether host is an IP address a webhook may reach.
func publicAddress(host string) bool {
	addr, err := netip.ParseAddr(host)
	if err != nil || addr.Zone() != "" {
		return false
	}
	addr = addr.Unmap()
	if addr.Is6() && !globalIPv6.Contains(addr) {
		return false
	}
	for _, p := range notGlobal {
		if p.Contains(addr) {
			return false
		}
	}
	return addr.IsGlobalUnicast()
}

// sign signs with the current secret and, during a rotation's overlap,
// with the previous one too, so the receiver may check either.
func sign(sub *models.WebhookSubscription, id string, at time.Time, body []byte) (string, error) {
	secrets := []string{sub.Secret}
	if sub.PreviousSecret != "" && sub.PreviousSecretUntil != nil && at.Before(*sub.PreviousSecretUntil) {
		secrets = append(secrets, sub.PreviousSecret)
	}
	var sigs []string
	for _, secret := range secrets {
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			return "", fmt.Errorf("webhook secret of %s: %w", sub.ID, err)
		}
		sig, err := wh.Sign(id, at, body)
		if err != nil {
			return "", fmt.Errorf("sign webhook: %w", err)
		}
		sigs = append(sigs, sig)
	}
	return strings.Join(sigs, " "), nil
}

func (a *Webhooks) payload(ctx context.Context, sub *models.WebhookSubscription, d *models.WebhookDelivery) ([]byte, error) {
	e, err := a.Store.FeedEntry(ctx, d.FeedID)
	if err != nil {
		return nil, err
	}
	data := WebhookData{EnvelopeID: e.EnvelopeID, Seq: e.Seq, RecipientID: e.RecipientID, EnvelopeStatus: e.EnvelopeStatus,
		EnvelopeVersion: e.EnvelopeVersion}
	if sub.IncludeFormData && e.Type == models.EventEnvelopeCompleted {
		// Read at delivery, so that a replay after an erasure carries
		// nothing erased.
		env, err := a.Store.GetEnvelope(ctx, sub.TenantID, e.EnvelopeID)
		if err != nil {
			return nil, fmt.Errorf("load the form data of %s: %w", e.EnvelopeID, err)
		}
		data.FormData = signing.FormData(env)
	}
	body, err := json.Marshal(WebhookPayload{ID: e.EventID, Type: e.Type, Timestamp: e.OccurredAt.UTC(), Data: data})
	if err != nil {
		return nil, fmt.Errorf("encode webhook payload: %w", err)
	}
	return body, nil
}

// DeadLetterWebhook gives up on a delivery whose window has passed; the
// API lists it and can send it again.
func (a *Webhooks) DeadLetterWebhook(ctx context.Context, deliveryID string) error {
	if err := a.Store.SetDeliveryStatus(ctx, deliveryID, models.DeliveryDead, time.Now()); err != nil {
		return err
	}
	a.Metrics.Webhook(metrics.WebhookDeadLettered, time.Time{})
	return nil
}
