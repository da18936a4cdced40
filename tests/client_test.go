package tests

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/api/client"
	"github.com/signflow/signflow/internal/keys/accesstoken"
	"github.com/signflow/signflow/models"
)

// flakyProxy forwards to the API but, for the first failures requests to
// a path, answers with a failure of its own, after forwarding or not.
type flakyProxy struct {
	mu       sync.Mutex
	failures map[string][]func(w http.ResponseWriter, r *http.Request, forward func())
	keys     map[string][]string // Idempotency-Key seen per path
	tokens   atomic.Int32
}

func newFlakyProxy(t *testing.T, target string) (*flakyProxy, string) {
	u, err := url.Parse(target)
	require.NoError(t, err)
	rp := httputil.NewSingleHostReverseProxy(u)
	p := &flakyProxy{failures: map[string][]func(http.ResponseWriter, *http.Request, func()){}, keys: map[string][]string{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth/token" {
			p.tokens.Add(1)
		}
		p.mu.Lock()
		p.keys[r.URL.Path] = append(p.keys[r.URL.Path], r.Header.Get("Idempotency-Key"))
		var fail func(http.ResponseWriter, *http.Request, func())
		if fs := p.failures[r.URL.Path]; len(fs) > 0 {
			fail, p.failures[r.URL.Path] = fs[0], fs[1:]
		}
		p.mu.Unlock()
		if fail == nil {
			rp.ServeHTTP(w, r)
			return
		}
		fail(w, r, func() { rp.ServeHTTP(httptest.NewRecorder(), r) })
	}))
	t.Cleanup(srv.Close)
	return p, srv.URL
}

func answer(status int, retryAfter string) func(http.ResponseWriter, *http.Request, func()) {
	return func(w http.ResponseWriter, _ *http.Request, _ func()) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"type":"urn:test:injected-failure"}`))
	}
}

// dropConnection closes the connection without an answer: a network error.
func dropConnection(w http.ResponseWriter, _ *http.Request, _ func()) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

// lostResponse lets the request reach the API and then fails, as a
// connection that drops after the server has done the work.
func lostResponse(w http.ResponseWriter, r *http.Request, forward func()) {
	forward()
	w.WriteHeader(http.StatusBadGateway)
}

func apiClient(t *testing.T, base string) *client.Client {
	c, secret := newClient(t, models.DefaultTenantID, models.Scopes...)
	return client.New(context.Background(), client.Config{BaseURL: base, ClientID: c.ID, ClientSecret: secret,
		BaseDelay: 10 * time.Millisecond, MaxDelay: 200 * time.Millisecond})
}

func TestGoClientRetriesWithoutDoingWorkTwice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	proxy, base := newFlakyProxy(t, suite.apiURL)
	proxy.failures["/v1/envelopes"] = []func(http.ResponseWriter, *http.Request, func()){
		dropConnection, answer(http.StatusServiceUnavailable, ""), answer(http.StatusTooManyRequests, "1"), lostResponse,
	}
	c := apiClient(t, base)
	spec := jsonEnvelope(t, []J{signer("alice", 1)}, []J{fieldAt(0, "signature", 1, aliceSig)})
	subject := "Go client " + time.Now().Format(time.RFC3339Nano)
	spec["subject"] = subject

	start := time.Now()
	env, err := c.CreateEnvelope(ctx, spec, "")
	require.NoError(t, err)
	require.GreaterOrEqual(t, time.Since(start), time.Second, "Retry-After: 1 was honoured")
	require.Equal(t, models.EnvelopeInProgress, env.Status)
	keys := proxy.keys["/v1/envelopes"]
	require.Len(t, keys, 5, "dropped connection, 503, 429, lost response, replay")
	for _, k := range keys {
		require.Equal(t, keys[0], k, "every retry repeats the Idempotency-Key")
	}
	var count int64
	require.NoError(t, rawDB().Model(&models.Envelope{}).Where("subject = ?", subject).Count(&count).Error)
	require.EqualValues(t, 1, count, "the lost response was not a second envelope")
	require.EqualValues(t, 1, proxy.tokens.Load(), "one token serves every request while valid")

	got, err := c.GetEnvelope(ctx, env.ID)
	require.NoError(t, err)
	require.Equal(t, env.ID, got.ID)
	_, err = c.VoidEnvelope(ctx, env.ID, "")
	var apiErr *client.Error
	require.True(t, errors.As(err, &apiErr), "%v", err)
	require.Equal(t, http.StatusUnprocessableEntity, apiErr.Status, "bad input is not retried")
	require.Len(t, proxy.keys["/v1/envelopes/"+env.ID+"/void"], 1)
	voided, err := c.VoidEnvelope(ctx, env.ID, "replaced")
	require.NoError(t, err)
	require.Equal(t, models.EnvelopeVoided, voided.Status)

	events, next, err := c.Events(ctx, "", 1000)
	require.NoError(t, err)
	require.NotEmpty(t, events)
	require.Equal(t, events[len(events)-1].Cursor, next)
}

func TestGoClientRefreshesItsToken(t *testing.T) {
	t.Parallel()
	d := suite.deps
	// Tokens that live 5 s are within the client's refresh margin at once,
	// so every call fetches a fresh one; that is the refresh path.
	d.Tokens = &accesstoken.Authority{Store: suite.store, Issuer: tokenIssuer, Audience: tokenIssuer,
		TTL: 5 * time.Second, Rotation: 30 * 24 * time.Hour, Sealer: suite.dataKeys}
	proxy, base := newFlakyProxy(t, serveAPI(t, d, testSettings(taskQueue)))
	c := apiClient(t, base)
	for range 3 {
		_, _, err := c.Events(context.Background(), "", 1)
		require.NoError(t, err)
	}
	require.EqualValues(t, 3, proxy.tokens.Load())

	bad := client.New(context.Background(), client.Config{BaseURL: base, ClientID: "sfc_nobody", ClientSecret: "x"})
	_, _, err := bad.Events(context.Background(), "", 1)
	require.Error(t, err)
	require.EqualValues(t, 4, proxy.tokens.Load(), "wrong credentials are not retried")
}
