package tests

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
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
