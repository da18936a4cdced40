package tests

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/workflows/contract"
)

// J is a JSON object as the API sends it.
type J = map[string]any

type file struct {
	name string
	data []byte
}

// postEnvelope sends a multipart creation request: the envelope JSON part
// and one file part per document.
func postEnvelope(t testing.TB, base string, spec J, files ...file) (int, J) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	specJSON, err := json.Marshal(spec)
	require.NoError(t, err)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="envelope"`)
	h.Set("Content-Type", "application/json")
	part, err := mw.CreatePart(h)
	require.NoError(t, err)
	_, _ = part.Write(specJSON)
	for _, f := range files {
		fw, err := mw.CreateFormFile("file", f.name)
		require.NoError(t, err)
		_, _ = fw.Write(f.data)
	}
	require.NoError(t, mw.Close())
	return send(t, http.MethodPost, base+"/v1/envelopes", mw.FormDataContentType(), &body)
}

func postJSON(t testing.TB, url string, v any) (int, J) {
	t.Helper()
	return send(t, http.MethodPost, url, "application/json", jsonBody(t, v))
}

func jsonBody(t testing.TB, v any) io.Reader {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	return bytes.NewReader(data)
}

func getJSON(t testing.TB, url string) (int, J) {
	t.Helper()
	return send(t, http.MethodGet, url, "", nil)
}

func send(t testing.TB, method, url, contentType string, body io.Reader) (int, J) {
	t.Helper()
	return sendWith(t, method, url, contentType, body, nil)
}

func sendWith(t testing.TB, method, url, contentType string, body io.Reader, headers map[string]string) (int, J) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("User-Agent", "signflow-integration-test/1.0")
	resp := roundTrip(t, req)
	var out J
	if len(resp.body) > 0 {
		require.NoError(t, json.Unmarshal(resp.body, &out), "body: %s", resp.body)
	}
	if resp.status >= 400 {
		require.Equal(t, "application/problem+json", resp.header.Get("Content-Type"), "errors are problem+json: %s", resp.body)
	}
	return resp.status, out
}

type rawResponse struct {
	status int
	header http.Header
	body   []byte
}

// roundTrip sends req, with the suite's token on sender routes, and reads
// the whole answer.
func roundTrip(t testing.TB, req *http.Request) rawResponse {
	t.Helper()
	authorize(req)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return rawResponse{resp.StatusCode, resp.Header, data}
}

// authorize gives a sender's request the suite's access token, unless it
// carries credentials of its own. Recipient routes need none.
func authorize(req *http.Request) {
	p := req.URL.Path
	if req.Header.Get("Authorization") != "" || !strings.HasPrefix(p, "/v1/") ||
		strings.HasPrefix(p, "/v1/signing/") || strings.HasPrefix(p, "/v1/copies/") {
		return
	}
	req.Header.Set("Authorization", "Bearer "+suite.token)
}

func download(t testing.TB, url string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	resp := roundTrip(t, req)
	return resp.status, resp.body
}

// savedFinal downloads the final copy of a document of the suite's
// tenant into a file of the test's and returns its path.
func savedFinal(t testing.TB, envelopeID, documentID string) string {
	t.Helper()
	status, final := download(t, suite.apiURL+"/v1/envelopes/"+envelopeID+"/documents/"+documentID+"/final")
	require.Equal(t, http.StatusOK, status)
	path := filepath.Join(t.TempDir(), "final.pdf")
	require.NoError(t, os.WriteFile(path, final, 0o600))
	return path
}

// at walks a decoded JSON value: at(v, "recipients", 0, "signing_url").
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			v = v.(J)[k]
		case int:
			v = v.([]any)[k]
		}
	}
	return v
}

func str(v any, path ...any) string { return at(v, path...).(string) }

// awaitWorkflow waits for an envelope's workflow to end and returns its state.
func awaitWorkflow(t testing.TB, envelopeID string) contract.State {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var st contract.State
	require.NoError(t, suite.temporal.GetWorkflow(ctx, contract.EnvelopeWorkflowID(envelopeID), "").Get(ctx, &st))
	return st
}

// awaitMailSent waits until every outbox row of an envelope is sent: the
// outbox dispatcher sends a change's mail after it is stored, so the
// completed copies may go out, and their notification.sent events be
// written, after the workflow has ended.
func awaitMailSent(t testing.TB, envelopeID string) {
	t.Helper()
	require.Eventually(t, func() bool {
		rows, err := suite.store.Notifications(context.Background(), envelopeID)
		require.NoError(t, err)
		for _, n := range rows {
			if n.SentAt == nil {
				return false
			}
		}
		return len(rows) > 0
	}, time.Minute, 50*time.Millisecond)
}

// signaturePNG is a small drawn signature: a dark diagonal stroke.
func signaturePNG(t testing.TB) string {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 120, 40))
	for x := 0; x < 120; x++ {
		img.Set(x, 5+x*30/120, color.NRGBA{10, 20, 90, 255})
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

// testAccessCode is the access code test envelopes give their recipients.
const testAccessCode = "2468-1357"

// withCode makes a recipient confirm with the test access code.
func withCode(r J) J {
	r["authentication"], r["access_code"] = "access_code", testAccessCode
	return r
}

// session verifies the recipient behind signingURL with the access code
// and returns the bearer header of the session.
func session(t testing.TB, signingURL string) map[string]string {
	t.Helper()
	status, body := postJSON(t, signingURL+"/session", J{"access_code": testAccessCode})
	require.Equal(t, http.StatusOK, status, "%v", body)
	return map[string]string{"Authorization": "Bearer " + str(body, "session_token")}
}

// viewAs is the signing view of the recipient behind signingURL in a
// session verified with the test access code (what a link shows before
// one is only enough to ask for it).
func viewAs(t testing.TB, signingURL string) (int, J) {
	t.Helper()
	status, gate := getJSON(t, signingURL)
	if status != http.StatusOK || gate["verified"] == true {
		return status, gate
	}
	return sendWith(t, http.MethodGet, signingURL, "", nil, session(t, signingURL))
}

// postAs posts to a recipient route in a verified session.
func postAs(t testing.TB, signingURL, path string, v any) (int, J) {
	t.Helper()
	return sendWith(t, http.MethodPost, signingURL+path, "application/json", jsonBody(t, v), session(t, signingURL))
}

// downloadAs fetches a recipient's document in a verified session.
func downloadAs(t testing.TB, signingURL, url string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	for k, v := range session(t, signingURL) {
		req.Header.Set(k, v)
	}
	resp := roundTrip(t, req)
	return resp.status, resp.body
}

// signAs fills every field of the recipient behind signingURL and signs
// (or approves), returning the HTTP status and body.
func signAs(t testing.TB, signingURL string, typed string) (int, J) {
	t.Helper()
	status, view := viewAs(t, signingURL)
	if status != http.StatusOK {
		return status, view
	}
	values := []J{}
	for _, f := range at(view, "fields").([]any) {
		id := str(f, "id")
		switch str(f, "type") {
		case "signature":
			if typed == "" {
				values = append(values, J{"field_id": id, "image_png_base64": signaturePNG(t)})
			} else {
				values = append(values, J{"field_id": id, "text": typed})
			}
		case "initials", "text":
			values = append(values, J{"field_id": id, "text": "PO-4411"})
		case "checkbox":
			values = append(values, J{"field_id": id, "checked": true})
		}
	}
	return postAs(t, signingURL, "/sign", J{"values": values})
}

// signAsWithKey confirms with the access code and signs every signature
// field, the signature under one Idempotency-Key, from the address from; a
// network error (the API is down) is answered as status 0.
func signAsWithKey(t testing.TB, link, name, key, from string) (int, J) {
	t.Helper()
	call := func(method, url string, body any, headers map[string]string) (int, J) {
		var r io.Reader
		if body != nil {
			data, _ := json.Marshal(body)
			r = strings.NewReader(string(data))
		}
		req, err := http.NewRequest(method, url, r)
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", from)
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil
		}
		defer resp.Body.Close()
		var out J
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	status, session := call(http.MethodPost, link+"/session", J{"access_code": testAccessCode}, nil)
	if status != http.StatusOK {
		return status, session
	}
	status, view := call(http.MethodGet, link, nil, map[string]string{"Authorization": "Bearer " + str(session, "session_token")})
	if status != http.StatusOK {
		return status, view
	}
	values := []J{}
	for _, f := range at(view, "fields").([]any) {
		values = append(values, J{"field_id": str(f, "id"), "text": name})
	}
	return call(http.MethodPost, link+"/sign", J{"values": values},
		map[string]string{"Authorization": "Bearer " + str(session, "session_token"), "Idempotency-Key": key})
}
