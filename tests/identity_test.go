package tests

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/models"
)

// TestAnIdentityCheckComesBeforeTheSignature: a signer whose sender
// requires an outside identity check cannot sign until the integrator
// reports a check that passed; a failed one keeps them waiting; a check
// reported twice is recorded once; the certificate names the provider, the
// method, the reference and the result; and once the signer has acted,
// nothing more is recorded.
func TestAnIdentityCheckComesBeforeTheSignature(t *testing.T) {
	t.Parallel()
	ida := withCode(J{"name": "Ida Check", "email": unique("ida"), "role": "signer", "identity_verification": "required"})
	cc := J{"name": "Carl Copy", "email": unique("carl"), "role": "cc", "identity_verification": "required"}
	status, problem := postJSON(t, suite.apiURL+"/v1/envelopes", jsonEnvelope(t, []J{ida, cc}, []J{fieldAt(0, "signature", 1, aliceSig)}))
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, "recipients[1].identity_verification", str(problem, "errors", 0, "field"), "a copy receiver signs nothing to be checked for")

	status, created := postJSON(t, suite.apiURL+"/v1/envelopes", jsonEnvelope(t, []J{ida}, []J{fieldAt(0, "signature", 1, aliceSig)}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	id, rid := str(created, "id"), str(created, "recipients", 0, "id")
	require.Equal(t, "required", str(created, "recipients", 0, "identity_verification"))
	link := str(created, "recipients", 0, "signing_api_url")
	checks := suite.apiURL + "/v1/envelopes/" + id + "/recipients/" + rid + "/identity-verifications"
	confirmed := func() any {
		status, view := sendWith(t, http.MethodGet, link, "", nil, session(t, link))
		require.Equal(t, http.StatusOK, status)
		return at(view, "recipient", "identity_confirmed")
	}
	require.Equal(t, false, confirmed())
	status, problem = signAs(t, link, "Ida Check")
	require.Equal(t, http.StatusConflict, status)
	require.Equal(t, "urn:signflow:problem:identity-unverified", str(problem, "type"))

	status, problem = postJSON(t, checks, J{"provider": "Acme ID", "method": "document+selfie", "reference": "chk-1", "result": "maybe"})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, "result", str(problem, "errors", 0, "field"))
	status, recorded := postJSON(t, checks, J{"provider": "Acme ID", "method": "document+selfie", "reference": "chk-1", "result": "failed"})
	require.Equal(t, http.StatusCreated, status, "%v", recorded)
	require.Equal(t, false, confirmed(), "a failed check confirms nothing")
	status, _ = signAs(t, link, "Ida Check")
	require.Equal(t, http.StatusConflict, status)

	checked := time.Now().UTC().Add(-time.Minute).Truncate(time.Second).Format(time.RFC3339)
	passed := J{"provider": "Acme ID", "method": "document+selfie", "reference": "chk-2", "result": "passed", "checked_at": checked}
	for range 2 {
		status, recorded = postJSON(t, checks, passed)
		require.Equal(t, http.StatusCreated, status, "%v", recorded)
	}
	require.Equal(t, true, confirmed())
	status, signed := signAs(t, link, "Ida Check")
	require.Equal(t, http.StatusOK, status, "%v", signed)
	require.Equal(t, "completed", awaitWorkflow(t, id).Status)

	_, audit := getJSON(t, suite.apiURL+"/v1/envelopes/"+id+"/audit")
	var results []string
	for _, e := range at(audit, "events").([]any) {
		if str(e, "type") == "identity.verified" {
			results = append(results, str(e, "details", "result")+" "+str(e, "details", "reference"))
		}
	}
	require.Equal(t, []string{"failed chk-1", "passed chk-2"}, results, "the same check reported twice is one event")

	status, cert := download(t, suite.apiURL+"/v1/envelopes/"+id+"/certificate")
	require.Equal(t, http.StatusOK, status)
	path := filepath.Join(t.TempDir(), "certificate.pdf")
	require.NoError(t, os.WriteFile(path, cert, 0o600))
	text := strings.Join(strings.Fields(pdfText(t, path, 1)), " ")
	require.Contains(t, text, "Identity checked: passed by Acme ID (document+selfie), reference chk-2")
	require.Contains(t, text, "Identity checked: failed by Acme ID (document+selfie), reference chk-1")

	status, problem = postJSON(t, checks, J{"provider": "Acme ID", "method": "document+selfie", "reference": "chk-3", "result": "passed"})
	require.Equal(t, http.StatusConflict, status, "%v", problem)
	require.Equal(t, "urn:signflow:problem:identity-closed", str(problem, "type"))
}

// ageSessions makes every signing session of a recipient look verified
// ten minutes ago.
func ageSessions(t *testing.T, recipientID string) {
	t.Helper()
	err := suite.store.DB.Model(&models.SigningSession{}).Where("recipient_id = ?", recipientID).
		Update("verified_at", time.Now().Add(-10*time.Minute)).Error
	require.NoError(t, err)
}

// TestAFreshProofComesRightBeforeTheSignature: a recipient whose sender
// asks them to reauthenticate signs in a session verified within five
// minutes; one verified earlier is asked again (401 reauthenticate), and a
// new session signs. Another recipient's aged session still signs; a copy
// receiver cannot be asked to reauthenticate. On the page, the signer
// is asked for their code again at Sign, and signs with it.
func TestAFreshProofComesRightBeforeTheSignature(t *testing.T) {
	t.Parallel()
	fresh := func(name string) J {
		r := person(name, 1)
		r["reauthenticate"] = true
		return r
	}
	status, problem := postJSON(t, suite.apiURL+"/v1/envelopes", jsonEnvelope(t,
		[]J{fresh("Rea One"), {"name": "Cy Copy", "email": unique("cy"), "role": "cc", "reauthenticate": true}},
		[]J{fieldAt(0, "signature", 1, aliceSig)}))
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, "recipients[1].reauthenticate", str(problem, "errors", 0, "field"))

	status, created := postJSON(t, suite.apiURL+"/v1/envelopes", jsonEnvelope(t,
		[]J{fresh("Rea One"), person("Plain Two", 1), fresh("Page Three")},
		[]J{fieldAt(0, "signature", 1, aliceSig), fieldAt(1, "signature", 1, bobSig), fieldAt(2, "signature", 1, carolSig)}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	require.Equal(t, true, at(created, "recipients", 0, "reauthenticate"))
	rea, plain := str(created, "recipients", 0, "signing_api_url"), str(created, "recipients", 1, "signing_api_url")

	auth := session(t, rea)
	ageSessions(t, str(created, "recipients", 0, "id"))
	body := J{"values": []J{{"field_id": str(created, "fields", 0, "id"), "text": "Rea One"}}}
	status, problem = sendWith(t, http.MethodPost, rea+"/sign", "application/json", jsonBody(t, body), auth)
	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, "urn:signflow:problem:reauthenticate", str(problem, "type"))
	status, signed := sendWith(t, http.MethodPost, rea+"/sign", "application/json", jsonBody(t, body), session(t, rea))
	require.Equal(t, http.StatusOK, status, "a new session signs: %v", signed)

	plainAuth := session(t, plain)
	ageSessions(t, str(created, "recipients", 1, "id"))
	body = J{"values": []J{{"field_id": str(created, "fields", 1, "id"), "text": "Plain Two"}}}
	status, signed = sendWith(t, http.MethodPost, plain+"/sign", "application/json", jsonBody(t, body), plainAuth)
	require.Equal(t, http.StatusOK, status, "no fresh proof asked of her: %v", signed)

	// On the page: the code again at Sign, and the signature goes.
	ctx := browser(t)
	_, err := chromedp.Run(ctx, chromedp.Steps(
		confirmWithAccessCode(str(created, "recipients", 2, "signing_url")),
		chromedp.WaitVisible(`button[data-type="signature"]`),
		chromedp.Click(`button[data-type="signature"]`),
		chromedp.WaitVisible("#type-name"),
		chromedp.Click("#adopt-use"),
		chromedp.WaitVisible(`button[data-type="signature"][data-adopted="true"]`),
	))
	require.NoError(t, err)
	ageSessions(t, str(created, "recipients", 2, "id"))
	_, err = chromedp.Run(ctx, chromedp.Steps(chromedp.Click("#sign"), chromedp.WaitVisible("#access-code")))
	require.NoError(t, err)
	asked, err := chromedp.Run(ctx, chromedp.Text("#verify-heading"))
	require.NoError(t, err)
	require.Equal(t, "Confirm it is you again before you sign.", asked)
	require.Empty(t, axe(t, ctx), "axe-core violations when asked again")
	_, err = chromedp.Run(ctx, chromedp.Steps(
		chromedp.SendKeys("#access-code", testAccessCode),
		chromedp.Click("#confirm"),
		chromedp.WaitVisible("#done"),
	))
	require.NoError(t, err)
	require.Equal(t, "completed", awaitWorkflow(t, str(created, "id")).Status)
}
