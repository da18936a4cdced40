// Package client is a Go client for Signflow's integrator API. It gets and
// refreshes access tokens (OAuth 2.0 client credentials), sets an
// Idempotency-Key on every POST, and retries rate limits, server errors
// and network failures with exponential backoff and jitter, honouring
// Retry-After. A retried POST keeps its key, so it never does the work twice.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Config says where the API is and who calls it.
type Config struct {
	BaseURL      string
	ClientID     string
	ClientSecret string
	// Scopes narrows the token; empty asks for every scope the client holds.
	Scopes []string
	// MaxAttempts bounds tries per request (default 6).
	MaxAttempts int
	// BaseDelay is the first backoff (default 250 ms), doubled per attempt
	// up to MaxDelay (default 20 s).
	BaseDelay, MaxDelay time.Duration
}

// Client calls the API.
type Client struct {
	cfg  Config
	http *http.Client
}

// New builds a client; tokens are fetched on first use and refreshed before
// they expire.
func New(ctx context.Context, cfg Config) *Client {
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 6
	}
	if cfg.BaseDelay == 0 {
		cfg.BaseDelay = 250 * time.Millisecond
	}
	if cfg.MaxDelay == 0 {
		cfg.MaxDelay = 20 * time.Second
	}
	cc := clientcredentials.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
		TokenURL: cfg.BaseURL + "/oauth/token", Scopes: cfg.Scopes, AuthStyle: oauth2.AuthStyleInHeader}
	return &Client{cfg: cfg, http: cc.Client(ctx)}
}

// Error is an API answer that is not a success: RFC 9457 problem details.
type Error struct {
	Status int    `json:"status"`
	Type   string `json:"type"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("signflow: %d %s: %s", e.Status, e.Type, e.Detail)
}

// Response is a successful answer.
type Response struct {
	Status   int
	Header   http.Header
	Body     []byte
	Replayed bool
}

// Decode unmarshals the body.
func (r *Response) Decode(v any) error { return json.Unmarshal(r.Body, v) }

// Do sends a request and retries what is worth retrying. A POST gets an
// Idempotency-Key (key, or a new UUID when empty) that every retry repeats.
func (c *Client) Do(ctx context.Context, method, path, contentType string, body []byte, key string) (*Response, error) {
	if method == http.MethodPost && key == "" {
		key = uuid.NewString()
	}
	var lastErr error
	for attempt := 0; attempt < c.cfg.MaxAttempts; attempt++ {
		resp, retryAfter, err := c.once(ctx, method, path, contentType, body, key)
		if err == nil {
			return resp, nil
		}
		lastErr = err
		if !retryable(err) {
			return nil, err
		}
		if err := c.wait(ctx, attempt, retryAfter); err != nil {
			return nil, errors.Join(lastErr, err)
		}
	}
	return nil, fmt.Errorf("signflow: gave up after %d attempts: %w", c.cfg.MaxAttempts, lastErr)
}

func (c *Client) once(ctx context.Context, method, path, contentType string, body []byte, key string) (*Response, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.cfg.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		return nil, 0, fmt.Errorf("signflow: build request: %w", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, 0, &networkError{err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, 0, &networkError{err}
	}
	if resp.StatusCode < 400 {
		return &Response{Status: resp.StatusCode, Header: resp.Header, Body: data,
			Replayed: resp.Header.Get("Idempotent-Replayed") == "true"}, 0, nil
	}
	apiErr := &Error{Status: resp.StatusCode}
	_ = json.Unmarshal(data, apiErr)
	apiErr.Status = resp.StatusCode
	var after time.Duration
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
		after = time.Duration(s) * time.Second
	}
	return nil, after, apiErr
}

type networkError struct{ err error }

func (e *networkError) Error() string { return "signflow: network: " + e.err.Error() }
func (e *networkError) Unwrap() error { return e.err }

// retryable: network failures, rate limits, server errors, and a POST
// whose first try with the same key is still running.
func retryable(err error) bool {
	var tokenErr *oauth2.RetrieveError
	if errors.As(err, &tokenErr) {
		// Wrong credentials stay wrong; an overloaded token endpoint recovers.
		return tokenErr.Response.StatusCode == http.StatusTooManyRequests || tokenErr.Response.StatusCode >= 500
	}
	var netErr *networkError
	if errors.As(err, &netErr) {
		return true
	}
	var apiErr *Error
	if !errors.As(err, &apiErr) {
		return false
	}
	return apiErr.Status == http.StatusTooManyRequests || apiErr.Status >= 500 ||
		(apiErr.Status == http.StatusConflict && apiErr.Type == "urn:signflow:problem:idempotency-key-in-use")
}

// wait sleeps for Retry-After when the server gave one, else for a full
// jitter backoff: a random time up to BaseDelay * 2^attempt, capped.
func (c *Client) wait(ctx context.Context, attempt int, retryAfter time.Duration) error {
	d := retryAfter
	if d == 0 {
		d = time.Duration(rand.Int64N(int64(backoffCeiling(c.cfg.BaseDelay, c.cfg.MaxDelay, attempt))) + 1)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// backoffCeiling is base * 2^attempt, capped at most; the doubling stops
// at the cap, so a late attempt never overflows.
func backoffCeiling(base, most time.Duration, attempt int) time.Duration {
	ceiling := base
	for range attempt {
		if ceiling >= most/2 {
			return most
		}
		ceiling *= 2
	}
	return min(ceiling, most)
}

// Envelope is the part of an envelope most integrations read; Raw has all.
type Envelope struct {
	ID      string          `json:"id"`
	Status  string          `json:"status"`
	Version int64           `json:"version"`
	Raw     json.RawMessage `json:"-"`
}

func (c *Client) envelope(resp *Response, err error) (*Envelope, error) {
	if err != nil {
		return nil, err
	}
	var e Envelope
	if err := resp.Decode(&e); err != nil {
		return nil, fmt.Errorf("signflow: decode envelope: %w", err)
	}
	e.Raw = resp.Body
	return &e, nil
}

// CreateEnvelope sends a JSON envelope (documents as content_base64). key
// may be empty; pass your own to make a retry of your whole job safe too.
func (c *Client) CreateEnvelope(ctx context.Context, spec any, key string) (*Envelope, error) {
	body, err := json.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("signflow: encode envelope: %w", err)
	}
	return c.envelope(c.Do(ctx, http.MethodPost, "/v1/envelopes", "application/json", body, key))
}

// GetEnvelope reads an envelope's current state.
func (c *Client) GetEnvelope(ctx context.Context, id string) (*Envelope, error) {
	return c.envelope(c.Do(ctx, http.MethodGet, "/v1/envelopes/"+url.PathEscape(id), "", nil, ""))
}

// VoidEnvelope ends an envelope in progress.
func (c *Client) VoidEnvelope(ctx context.Context, id, reason string) (*Envelope, error) {
	body, _ := json.Marshal(map[string]string{"reason": reason})
	return c.envelope(c.Do(ctx, http.MethodPost, "/v1/envelopes/"+url.PathEscape(id)+"/void", "application/json", body, ""))
}

// FormValue is one field's value: a float64 for number fields, a bool for
// checkboxes, a string otherwise; nil until its recipient signs and for a
// drawn signature.
type FormValue struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Type        string     `json:"type"`
	RecipientID string     `json:"recipient_id"`
	DocumentID  string     `json:"document_id"`
	Page        int        `json:"page"`
	Value       any        `json:"value"`
	Drawn       bool       `json:"drawn"`
	SetAt       *time.Time `json:"set_at"`
	// Rule is the smart-field rule that hid, required or computed it.
	Rule string `json:"rule"`
}

// FormData reads every field's value of an envelope.
func (c *Client) FormData(ctx context.Context, id string) ([]FormValue, error) {
	resp, err := c.Do(ctx, http.MethodGet, "/v1/envelopes/"+url.PathEscape(id)+"/form-data", "", nil, "")
	if err != nil {
		return nil, err
	}
	var out struct {
		Fields []FormValue `json:"fields"`
	}
	if err := resp.Decode(&out); err != nil {
		return nil, fmt.Errorf("signflow: decode form data: %w", err)
	}
	return out.Fields, nil
}

// Event is one entry of the events feed.
type Event struct {
	ID              string    `json:"id"`
	Cursor          string    `json:"cursor"`
	Type            string    `json:"type"`
	EnvelopeID      string    `json:"envelope_id"`
	Seq             int64     `json:"seq"`
	RecipientID     string    `json:"recipient_id"`
	EnvelopeStatus  string    `json:"envelope_status"`
	EnvelopeVersion int64     `json:"envelope_version"`
	OccurredAt      time.Time `json:"occurred_at"`
}

// Events reads the events feed after a cursor ("" from the beginning) and
// returns the cursor to pass next time.
func (c *Client) Events(ctx context.Context, after string, limit int) ([]Event, string, error) {
	q := url.Values{}
	if after != "" {
		q.Set("after", after)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	resp, err := c.Do(ctx, http.MethodGet, "/v1/events?"+q.Encode(), "", nil, "")
	if err != nil {
		return nil, after, err
	}
	var page struct {
		Events     []Event `json:"events"`
		NextCursor string  `json:"next_cursor"`
	}
	if err := resp.Decode(&page); err != nil {
		return nil, after, fmt.Errorf("signflow: decode events: %w", err)
	}
	return page.Events, page.NextCursor, nil
}
