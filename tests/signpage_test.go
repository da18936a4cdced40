package tests

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestTheSigningPageKeepsItsTokenToItself(t *testing.T) {
	t.Parallel()
	_, page := oneSignerPage(t)
	resp, err := http.Get(page)
	require.NoError(t, err)
	html, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "text/html")
	require.Equal(t, "no-referrer", resp.Header.Get("Referrer-Policy"), "the token in the URL never leaves in a Referer")
	require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	require.Contains(t, resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'")
	script := regexp.MustCompile(`<script src="\.\./assets/sign\.js\?v=([0-9a-f]{16})">`).FindStringSubmatch(string(html))
	require.NotNil(t, script, "the page names its script by version")
	require.NotContains(t, string(html), strings.TrimPrefix(page, suite.apiURL+"/sign/"), "the page is the same for everyone")

	// http.Get asks for gzip itself and unpacks it, as a browser does.
	resp, err = http.Get(suite.apiURL + "/assets/sign.js?v=" + script[1])
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.True(t, resp.Uncompressed, "sent compressed")
	require.Equal(t, "public, max-age=31536000, immutable", resp.Header.Get("Cache-Control"), "kept until it changes")
	require.Contains(t, string(body), `"../v1/signing/"`, "the page drives the recipient API")

	req, err := http.NewRequest(http.MethodGet, suite.apiURL+"/assets/sign.js", nil)
	require.NoError(t, err)
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotModified, resp.StatusCode, "unversioned, it is revalidated, not sent again")
	require.Equal(t, "no-cache", resp.Header.Get("Cache-Control"))
}

// oneSignerPage creates a one-signer envelope and returns its ID and the
// signer's page URL.
func oneSignerPage(t *testing.T) (string, string) {
	t.Helper()
	status, created := postJSON(t, suite.apiURL+"/v1/envelopes", jsonEnvelope(t,
		[]J{withCode(J{"name": "Page Signer", "email": unique("page"), "role": "signer"})},
		[]J{fieldAt(0, "signature", 1, box{0.1, 0.1, 0.3, 0.05})}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	page := str(created, "recipients", 0, "signing_url")
	require.Equal(t, apiLink(page), str(created, "recipients", 0, "signing_api_url"))
	return str(created, "id"), page
}

func TestALinkIsSpentOnceItsRecipientActsOrTheEnvelopeCloses(t *testing.T) {
	t.Parallel()
	status, created := postJSON(t, suite.apiURL+"/v1/envelopes", jsonEnvelope(t,
		[]J{signer("alice", 1), signer("bob", 1)},
		[]J{fieldAt(0, "signature", 1, aliceSig), fieldAt(1, "signature", 1, bobSig)}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	alice, bob := str(created, "recipients", 0, "signing_api_url"), str(created, "recipients", 1, "signing_api_url")
	bobSession := session(t, bob) // verified before the envelope closes

	status, body := signAs(t, alice, "Alice")
	require.Equal(t, http.StatusOK, status, "%v", body)
	for _, path := range []string{"", "/documents/" + str(created, "documents", 0, "id")} {
		status, body = getJSON(t, alice+path)
		require.Equal(t, http.StatusGone, status, "GET %s after signing", path)
		require.Equal(t, "urn:signflow:problem:link-used", str(body, "type"))
	}
	for _, path := range []string{"/session", "/sign", "/viewed"} {
		status, _ = postJSON(t, alice+path, J{"access_code": testAccessCode})
		require.Equal(t, http.StatusGone, status, "POST %s after signing", path)
	}

	status, body = sendWith(t, http.MethodPost, bob+"/decline", "application/json", jsonBody(t, J{"reason": "no"}), bobSession)
	require.Equal(t, http.StatusOK, status, "%v", body)
	awaitWorkflow(t, str(created, "id"))
	status, body = getJSON(t, bob)
	require.Equal(t, http.StatusGone, status)
	require.Equal(t, "urn:signflow:problem:link-used", str(body, "type"))
	status, body = sendWith(t, http.MethodPost, alice+"/sign", "application/json", jsonBody(t, J{}), bobSession)
	require.Equal(t, http.StatusGone, status, "%v", body)
}

var copyLinkInMail = regexp.MustCompile(`http://\S+/v1/copies/\S+/documents/[A-Za-z0-9-]+`)

// Not parallel: its clock ends 31 days ahead, and the first request of a
// new rate-limit window then sweeps every counter older than a day by that
// clock, other tests' counters included.
func TestLargeCompletedCopiesAreLinkedForThirtyDays(t *testing.T) {
	const queue = "signflow-linked-copies"
	s := testSettings(queue)
	var skew *atomic.Int64
	s.Now, skew = skewedClock()
	base := serveAPI(t, suite.deps, s)
	s.PublicURL = base
	s.MaxAttachedCopyBytes = 1 // every copy is "too large"
	startWorker(t, suite.deps, s)

	signerEmail, cc := unique("linked"), unique("linked-copy")
	id := emailEnvelope(t, base, []string{signerEmail}, cc, nil)
	invitation := awaitMail(t, suite.mailAPI, "to:"+signerEmail+` subject:"Please sign"`, 1, time.Minute)[0]
	status, body := signAs(t, linkFromMail(t, suite.mailAPI, invitation.ID), "Linked")
	require.Equal(t, http.StatusOK, status, "%v", body)
	awaitWorkflow(t, id)

	_, env := getJSON(t, base+"/v1/envelopes/"+id)
	_, final := download(t, base+"/v1/envelopes/"+id+"/documents/"+str(env, "documents", 0, "id")+"/final")
	var links []string
	for _, to := range []string{signerEmail, cc} {
		m := readMail(t, suite.mailAPI, awaitMail(t, suite.mailAPI, "to:"+to+` subject:"Completed"`, 1, time.Minute)[0].ID)
		require.Empty(t, m.Attachments, "a copy over the limit is linked, not attached")
		link := copyLinkInMail.FindString(m.Text)
		require.NotEmpty(t, link, "%s", m.Text)
		require.Contains(t, m.Text, "within 30 days")
		links = append(links, link)
	}
	require.NotEqual(t, links[0], links[1], "each recipient has their own link")

	status, pdf := download(t, links[1])
	require.Equal(t, http.StatusOK, status)
	require.True(t, bytes.Equal(final, pdf), "the link gives the completed, sealed document")
	events := auditEvents(t, base, id)
	last := events[len(events)-1]
	require.Equal(t, "document.downloaded", str(last, "type"))
	require.Equal(t, cc, str(last, "actor"), "the download is audited to the recipient")

	forged := regexp.MustCompile(`\.[A-Za-z0-9_-]+/documents`).ReplaceAllString(links[1], ".AAAA/documents")
	status, _ = download(t, forged)
	require.Equal(t, http.StatusNotFound, status)
	skew.Store(int64(31 * 24 * time.Hour))
	status, _ = download(t, links[1])
	require.Equal(t, http.StatusGone, status, "the link lapses after 30 days")
}
