// Package sms sends text messages: one-time signing codes today. A
// provider is one small Sender: Twilio's Messages API, a signed webhook to
// any other gateway, or the Catcher that `signflow dev` shows on loopback,
// as Mailpit shows email.
package sms

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// Message is one text: an ID that is the same on every retry of it, a
// number in E.164 and what it says.
type Message struct {
	ID   string `json:"id"`
	To   string `json:"to"`
	Body string `json:"body"`
}

// Sender sends one text.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// PerEnvelopeHour is how many texts one envelope's recipients may be sent
// in an hour, together: enough for every signer's code and invitation, few
// enough that a loop or an abuser cannot run up a bill.
const PerEnvelopeHour = 10

// ErrRefused wraps a provider's refusal of a number for good (not a
// mobile number, unknown, opted out): sending again cannot succeed.
var ErrRefused = errors.New("the SMS provider refused the number for good")

// Twilio sends through Twilio's Messages API with the account's SID and
// auth token (HTTP Basic), from a number or a messaging service.
type Twilio struct {
	// BaseURL is https://api.twilio.com unless a test names another.
	BaseURL, AccountSID, AuthToken string
	// From is a Twilio number in E.164, or a messaging service SID (MG...).
	From string
	// StatusCallback is where Twilio reports each text's fate (delivered,
	// undelivered, failed), signed with the auth token (see
	// TwilioSignatureValid), with the message's own ID as the query
	// parameter id: a report may come before the send has returned.
	StatusCallback string
	HTTP           *http.Client
}

// twilioError is the JSON of a refused request.
type twilioError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// Send posts the message as Twilio documents it: form-encoded To, From or
// MessagingServiceSid, and Body. A 4xx but 429 is a refusal for good; 429,
// 5xx and network errors may pass on a retry.
func (t Twilio) Send(ctx context.Context, m Message) error {
	form := url.Values{"To": {m.To}, "Body": {m.Body}}
	if strings.HasPrefix(t.From, "MG") {
		form.Set("MessagingServiceSid", t.From)
	} else {
		form.Set("From", t.From)
	}
	if t.StatusCallback != "" {
		form.Set("StatusCallback", t.StatusCallback+"?id="+url.QueryEscape(m.ID))
	}
	endpoint := strings.TrimRight(t.BaseURL, "/") + "/2010-04-01/Accounts/" + url.PathEscape(t.AccountSID) + "/Messages.json"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("twilio request: %w", err)
	}
	req.SetBasicAuth(t.AccountSID, t.AuthToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client(t.HTTP).Do(req)
	if err != nil {
		return fmt.Errorf("twilio: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode/100 == 2:
		return nil
	case resp.StatusCode/100 == 4 && resp.StatusCode != http.StatusTooManyRequests &&
		resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden:
		var e twilioError
		_ = json.Unmarshal(body, &e)
		return fmt.Errorf("%w: twilio %d (code %d): %s", ErrRefused, resp.StatusCode, e.Code, e.Message)
	default:
		return fmt.Errorf("twilio answered %d: %s", resp.StatusCode, bytes.TrimSpace(body))
	}
}

// TwilioUndelivered says whether a status Twilio reports for a text means
// it will never arrive.
func TwilioUndelivered(status string) bool { return status == "undelivered" || status == "failed" }

// TwilioSignatureValid says whether signature (X-Twilio-Signature) is
// Twilio's over a request to fullURL with form.
func TwilioSignatureValid(authToken, fullURL string, form url.Values, signature string) bool {
	return hmac.Equal([]byte(TwilioSignature(authToken, fullURL, form)), []byte(signature))
}

// TwilioSignature is Twilio's signature of a request to fullURL with form:
// base64 of HMAC-SHA1, keyed with the auth token, over the URL followed by
// each parameter's name and value in the order of the names.
func TwilioSignature(authToken, fullURL string, form url.Values) string {
	names := make([]string, 0, len(form))
	for name := range form {
		names = append(names, name)
	}
	sort.Strings(names)
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(fullURL))
	for _, name := range names {
		for _, v := range form[name] {
			mac.Write([]byte(name + v))
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Webhook posts each message as JSON to any other gateway, signed as
// Standard Webhooks are (webhook-id, webhook-timestamp, webhook-signature);
// the gateway answers 2xx when it took it, 422 when it refuses the number
// for good.
type Webhook struct {
	URL    string
	Signer *standardwebhooks.Webhook
	HTTP   *http.Client
}

// Send posts m.
func (w Webhook) Send(ctx context.Context, m Message) error {
	payload, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode the text: %w", err)
	}
	now := time.Now()
	signature, err := w.Signer.Sign(m.ID, now, payload)
	if err != nil {
		return fmt.Errorf("sign the text: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("sms webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("webhook-id", m.ID)
	req.Header.Set("webhook-timestamp", fmt.Sprint(now.Unix()))
	req.Header.Set("webhook-signature", signature)
	resp, err := client(w.HTTP).Do(req)
	if err != nil {
		return fmt.Errorf("sms webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode/100 == 2:
		return nil
	case resp.StatusCode == http.StatusUnprocessableEntity:
		return fmt.Errorf("%w: the gateway answered 422", ErrRefused)
	default:
		return fmt.Errorf("sms webhook answered %d", resp.StatusCode)
	}
}

func client(c *http.Client) *http.Client {
	if c != nil {
		return c
	}
	return &http.Client{Timeout: 15 * time.Second}
}

// Catcher keeps every text instead of sending it, for `signflow dev`: its
// handler lists them, newest first, as JSON (Accept: application/json) or
// as a page. It keeps the last catcherKeeps.
type Catcher struct {
	mu    sync.Mutex
	texts []caught
}

type caught struct {
	Message
	At time.Time `json:"at"`
}

const catcherKeeps = 500

// Send keeps m.
func (c *Catcher) Send(_ context.Context, m Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.texts = append(c.texts, caught{Message: m, At: time.Now().UTC()})
	if len(c.texts) > catcherKeeps {
		c.texts = c.texts[len(c.texts)-catcherKeeps:]
	}
	return nil
}

// Handler shows the texts kept.
func (c *Catcher) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		texts := make([]caught, 0, len(c.texts))
		for i := len(c.texts) - 1; i >= 0; i-- {
			texts = append(texts, c.texts[i])
		}
		c.mu.Unlock()
		if strings.Contains(r.Header.Get("Accept"), "application/json") {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"texts": texts})
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		_ = catcherPage.Execute(w, texts)
	})
}
