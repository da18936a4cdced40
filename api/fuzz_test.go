package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/signflow/signflow/internal/documents/blob"
	"github.com/signflow/signflow/internal/documents/pdf"
	"github.com/signflow/signflow/internal/keys/accesstoken"
	"github.com/signflow/signflow/internal/keys/seal"
	"github.com/signflow/signflow/internal/keys/signinglink"
	"github.com/signflow/signflow/internal/notifications/smtp"
	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/internal/wiring"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/models/database"
)

// The fuzz targets send arbitrary bodies to every route that decodes one.
// Bad input must be a 4xx, never a panic or a 500. Temporal is out of reach
// here, so a request that gets as far as the workflow answers 503 within
// its deadline: that is a dependency being down, not bad input.
// `go test` runs the seeds; `go test -fuzz FuzzX ./api` explores further.

type rig struct {
	handler http.Handler
	token   string // the sender's access token
	env     *models.Envelope
	link    string // the API path of the envelope's signer link
}

func newRig(tb testing.TB) *rig {
	tb.Helper()
	dir := tb.TempDir()
	store, err := database.Open(filepath.Join(dir, "fuzz.db"))
	require.NoError(tb, err)
	tb.Cleanup(func() { store.Close() })
	require.NoError(tb, database.Migrate(store.DB))
	sealer, err := seal.LoadOrCreate(dir)
	require.NoError(tb, err)
	links, err := signinglink.Load(dir)
	require.NoError(tb, err)
	temporal, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	require.NoError(tb, err)
	tokens := &accesstoken.Authority{Store: store, Issuer: "http://fuzz", Audience: "http://fuzz", TTL: time.Hour, Rotation: 24 * time.Hour}
	deps := wiring.Deps{Store: store, Blobs: blob.Dir{Root: filepath.Join(dir, "blobs")}, Seal: sealer, Links: links,
		Mail: smtp.Client{Addr: "127.0.0.1:1", TLS: "none", From: "signflow@example.com"}, Temporal: temporal, Tokens: tokens,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	settings := wiring.Settings{TaskQueue: "fuzz", PublicURL: "http://fuzz", Limits: pdf.DefaultLimits, SessionTTL: time.Hour, IdempotencyTTL: time.Hour}
	r := &rig{handler: wiring.New(deps, settings).API().Handler()}

	c, _ := accesstoken.NewClient(models.DefaultTenantID, "fuzz", models.Scopes, time.Now())
	require.NoError(tb, store.CreateClient(context.Background(), c))
	r.token, err = tokens.Issue(context.Background(), &c, models.Scopes)
	require.NoError(tb, err)

	var spec signing.EnvelopeRequest
	require.NoError(tb, json.Unmarshal(validSpec(tb, false), &spec))
	prepared, errs := signing.Prepare(spec, []signing.Upload{{Name: "contract.pdf", Data: contractPDF(tb)}}, signing.Rules{Limits: pdf.DefaultLimits})
	require.Empty(tb, errs)
	r.env, err = prepared.Build(links, models.DefaultTenantID, models.NewID(), time.Now())
	require.NoError(tb, err)
	require.NoError(tb, store.CreateEnvelope(context.Background(), r.env,
		models.Event{Key: "fuzz", Type: models.EventEnvelopeCreated, ActorType: models.ActorAPI, Actor: "fuzz", OccurredAt: time.Now()}))
	r.link = signinglink.APIPath(links.Token(r.env.Recipients[0].ID, 1))
	return r
}

func contractPDF(tb testing.TB) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("..", "tests", "testdata", "contract.pdf"))
	require.NoError(tb, err)
	return data
}

// validSpec is a creation request that passes every check.
func validSpec(tb testing.TB, withDocument bool) []byte {
	tb.Helper()
	spec := map[string]any{
		"subject":    "Fuzz",
		"recipients": []any{map[string]any{"name": "Ada", "email": "ada@example.com", "role": "signer", "authentication": "access_code", "access_code": "2468-1357"}},
		"fields":     []any{map[string]any{"recipient": 0, "type": "signature", "page": 1, "x": 0.1, "y": 0.7, "width": 0.3, "height": 0.05}},
	}
	if withDocument {
		spec["documents"] = []any{map[string]any{"name": "contract.pdf", "content_base64": base64.StdEncoding.EncodeToString(contractPDF(tb))}}
	}
	data, err := json.Marshal(spec)
	require.NoError(tb, err)
	return data
}

// send sends one request as a sender (or a recipient, on /v1/signing) and
// checks the answer is not a server fault.
func (r *rig) send(t *testing.T, method, path, contentType string, body []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, method, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if !strings.HasPrefix(path, "/v1/signing/") {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	w := httptest.NewRecorder()
	r.handler.ServeHTTP(w, req)
	if w.Code >= 500 {
		require.Equal(t, http.StatusServiceUnavailable, w.Code, "%s %s: %s", method, path, w.Body.String())
		require.Contains(t, w.Body.String(), "could not complete the request right now", "only a dependency may fail")
	}
}

func FuzzCreateEnvelope(f *testing.F) {
	r := newRig(f)
	f.Add(validSpec(f, true))
	f.Add([]byte(`{"subject": "x", "documents": [{"name": "a.pdf", "content_base64": "JVBERi0="}], "recipients": [{}], "fields": [{"recipient": 99}]}`))
	f.Add([]byte(`{"subject": "` + strings.Repeat("é", 300) + `", "settings": {"expires_in": "99999999999d"}}`))
	f.Add([]byte(`{"recipients": [{"routing_order": -1, "email": "a@b"}], "fields": [{"x": 1e308, "width": -1}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r.send(t, http.MethodPost, "/v1/envelopes", "application/json", body)
	})
}

func FuzzCreateEnvelopeMultipart(f *testing.F) {
	r := newRig(f)
	f.Add(validSpec(f, false), contractPDF(f))
	f.Add([]byte(`{}`), []byte("%PDF-1.4 not really"))
	f.Add([]byte(`{"documents": [{"name": "x"}]}`), []byte{})
	f.Fuzz(func(t *testing.T, spec, document []byte) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		part, _ := mw.CreateFormField("envelope")
		_, _ = part.Write(spec)
		file, _ := mw.CreateFormFile("file", "contract.pdf")
		_, _ = file.Write(document)
		_ = mw.Close()
		r.send(t, http.MethodPost, "/v1/envelopes", mw.FormDataContentType(), body.Bytes())
	})
}

// senderRoutes are the sender routes with a JSON body, by fuzzed index.
func (r *rig) senderRoutes() [][2]string {
	env, rid := "/v1/envelopes/"+r.env.ID, r.env.Recipients[0].ID
	return [][2]string{
		{http.MethodPost, env + "/void"},
		{http.MethodPatch, env + "/recipients/" + rid},
		{http.MethodPost, env + "/recipients/" + rid + "/resend"},
		{http.MethodPost, env + "/retry-render"},
		{http.MethodPost, "/v1/webhooks"},
		{http.MethodPost, "/v1/webhooks/nope/rotate-secret"},
		{http.MethodPost, "/v1/webhooks/nope/replay"},
	}
}

func FuzzSenderRoutes(f *testing.F) {
	r := newRig(f)
	for i, body := range []string{`{"reason": "sent by mistake"}`, `{"email": "ada@example.com", "name": "Ada"}`, `{}`, `{}`,
		`{"url": "https://example.com/hooks", "event_types": ["envelope.completed", "nope"]}`, `{"overlap": "24h"}`, `{"since": "2026-11-25T00:00:00Z"}`} {
		f.Add(uint8(i), []byte(body))
	}
	f.Add(uint8(0), []byte(`{"reason": `+strings.Repeat("[", 10000)+`}`))
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		routes := r.senderRoutes()
		rt := routes[int(route)%len(routes)]
		r.send(t, rt[0], rt[1], "application/json", body)
	})
}

func FuzzSignerRoutes(f *testing.F) {
	r := newRig(f)
	for i, body := range []string{`{}`, `{}`, `{"access_code": "1234"}`, `{"values": [{"field_id": "x", "text": "Ada"}]}`, `{"reason": "no"}`,
		`{"values": [{"field_id": "` + "\u0000" + `", "image_png_base64": "iVBORw0KGgo="}]}`, `{"code": 123456}`} {
		f.Add(uint8(i), []byte(body))
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		paths := []string{"/viewed", "/otp", "/session", "/sign", "/decline"}
		r.send(t, http.MethodPost, r.link+paths[int(route)%len(paths)], "application/json", body)
	})
}

func FuzzVerifyDocument(f *testing.F) {
	r := newRig(f)
	f.Add(contractPDF(f))
	f.Add([]byte("%PDF-1.7\n%%EOF"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) {
		r.send(t, http.MethodPost, "/v1/verify", "application/pdf", body)
	})
}

func FuzzTokenEndpoint(f *testing.F) {
	r := newRig(f)
	f.Add([]byte("grant_type=client_credentials&client_id=x&client_secret=y"))
	f.Add([]byte("grant_type=password&scope=" + strings.Repeat("a ", 1000)))
	f.Add([]byte("%zz"))
	f.Fuzz(func(t *testing.T, body []byte) {
		r.send(t, http.MethodPost, "/oauth/token", "application/x-www-form-urlencoded", body)
	})
}

// FuzzTemplatesBulkAndCompliance covers the remaining bodies: templates,
// bulk sends as JSON and as CSV, and the compliance routes.
func FuzzTemplatesBulkAndCompliance(f *testing.F) {
	r := newRig(f)
	routes := []struct{ method, path, contentType string }{
		{http.MethodPost, "/v1/templates", "application/json"},
		{http.MethodPut, "/v1/templates/nope", "application/json"},
		{http.MethodPost, "/v1/bulk-sends", "application/json"},
		{http.MethodPost, "/v1/bulk-sends?template_id=nope", "text/csv"},
		{http.MethodPut, "/v1/retention-policy", "application/json"},
		{http.MethodPost, "/v1/data-subjects/export", "application/json"},
		{http.MethodPost, "/v1/data-subjects/erase", "application/json"},
		{http.MethodPost, "/v1/envelopes/" + r.env.ID + "/legal-hold", "application/json"},
	}
	for i, body := range []string{string(validSpec(f, true)), `{"name": "x", "roles": [{"name": "A", "role": "signer"}]}`,
		`{"template_id": "nope", "rows": [{"roles": [{"role": "A", "name": "Ada", "email": "ada@example.com"}]}]}`,
		"A.name,A.email,value.salary\nAda,ada@example.com,\"EUR 1\"\n", `{"completed_days": 30}`, `{"email": "ada@example.com"}`,
		`{"email": "ada@example.com", "reason": "asked"}`, `{"reason": "litigation"}`} {
		f.Add(uint8(i), []byte(body))
	}
	f.Add(uint8(3), []byte(strings.Repeat(",", 100_000)+"\n"))
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		rt := routes[int(route)%len(routes)]
		r.send(t, rt.method, rt.path, rt.contentType, body)
	})
}
