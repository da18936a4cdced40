package tests

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/models"
)

// GDPR article 17: a person's data is erased from every envelope of the
// tenant, while every audit chain still verifies (on line and offline) and
// the certificate says it was erased, when and why. A legal hold, or an
// envelope still in progress, refuses it.
func TestErasureRemovesAPersonAndEveryChainStillVerifies(t *testing.T) {
	t.Parallel()
	api := newTenantAPI(t, suite.apiURL)
	email := unique("erase-me")
	written, phone := mobile()
	person := withCode(J{"name": "Quillon Eraseme", "email": email, "phone": written, "role": "signer", "routing_order": 1})
	status, created := api.call(http.MethodPost, "/v1/envelopes", jsonEnvelope(t, []J{person, signer("keeper", 2)},
		[]J{fieldAt(0, "signature", 1, aliceSig), fieldAt(0, "text", 1, carolText), fieldAt(1, "signature", 1, carolSig)}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	completed := str(created, "id")
	status, body := signAs(t, str(created, "recipients", 0, "signing_api_url"), "Quillon Typed-Eraseme")
	require.Equal(t, http.StatusOK, status, "%v", body)
	status, body = signAs(t, str(created, "recipients", 1, "signing_api_url"), "Keeper Kept")
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Equal(t, models.EnvelopeCompleted, awaitWorkflow(t, completed).Status)
	status, open := api.call(http.MethodPost, "/v1/envelopes", jsonEnvelope(t, []J{person}, []J{fieldAt(0, "signature", 1, aliceSig)}))
	require.Equal(t, http.StatusCreated, status, "%v", open)
	openID := str(open, "id")

	// The trail holds their data sealed, not in clear, from the start.
	var inClear int64
	require.NoError(t, rawDB().Model(&models.Event{}).Where("envelope_id = ? AND (actor = ? OR (recipient_id <> '' AND (ip <> '' OR user_agent <> '' OR actor <> '')))",
		completed, email).Count(&inClear).Error)
	require.Zero(t, inClear, "recipient events keep actor and IP sealed")

	erase := func(key string) (int, J) {
		return sendWith(t, http.MethodPost, suite.apiURL+"/v1/data-subjects/erase", "application/json",
			jsonBody(t, J{"email": email, "reason": "request 2026-117 of the person"}), map[string]string{
				"Authorization": api.auth["Authorization"], "Idempotency-Key": key})
	}
	status, body = api.call(http.MethodPost, "/v1/data-subjects/erase", J{"email": email})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, "reason", str(body, "errors", 0, "field"))
	status, body = erase("erase-1")
	require.Equal(t, http.StatusConflict, status, "an envelope in progress: %v", body)
	require.Contains(t, str(body, "detail"), openID)
	status, body = api.call(http.MethodPost, "/v1/envelopes/"+openID+"/void", J{"reason": "replaced"})
	require.Equal(t, http.StatusOK, status, "%v", body)
	awaitWorkflow(t, openID)
	status, body = api.call(http.MethodPost, "/v1/envelopes/"+completed+"/legal-hold", J{"reason": "litigation"})
	require.Equal(t, http.StatusOK, status, "%v", body)
	status, body = erase("erase-2")
	require.Equal(t, http.StatusConflict, status, "a legal hold: %v", body)
	require.Contains(t, str(body, "detail"), "legal hold")
	status, _ = api.call(http.MethodDelete, "/v1/envelopes/"+completed+"/legal-hold", nil)
	require.Equal(t, http.StatusOK, status)

	status, body = erase("erase-3")
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.ElementsMatch(t, []string{completed, openID}, at(body, "erased", "envelopes"))
	again, retried := erase("erase-3")
	require.Equal(t, http.StatusOK, again)
	require.Equal(t, body, retried, "a retry answers the same")

	// Nothing of them is left in the tenant's rows, in clear.
	for _, table := range []string{"recipients", "fields", "notifications", "events", "idempotency_keys"} {
		var rows []map[string]any
		require.NoError(t, rawDB().Table(table).Where("tenant_id = ?", api.tenant).Find(&rows).Error)
		require.NotEmpty(t, rows, table)
		for _, row := range rows {
			for col, v := range row {
				text, _ := v.(string)
				for _, secret := range []string{email, "Quillon", "Eraseme", phone} {
					require.NotContains(t, text, secret, "%s.%s still holds %q", table, col, secret)
				}
			}
		}
	}
	status, export := api.call(http.MethodPost, "/v1/data-subjects/export", J{"email": email})
	require.Equal(t, http.StatusOK, status)
	require.Empty(t, at(export, "envelopes"))

	// Every chain still verifies; the other signer is still there; the
	// certificate says the data was erased, when and why.
	for _, id := range []string{completed, openID} {
		status, verdict := api.call(http.MethodGet, "/v1/envelopes/"+id+"/audit/verify", nil)
		require.Equal(t, http.StatusOK, status)
		require.Equal(t, true, at(verdict, "valid"), "%s: %v", id, verdict)
	}
	status, env := api.call(http.MethodGet, "/v1/envelopes/"+completed, nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, models.ErasedName, str(env, "recipients", 0, "name"))
	require.Equal(t, "keeper@example.com", str(env, "recipients", 1, "email"))
	types := eventTypesOf(t, completed)
	require.Contains(t, types, models.EventDataSubjectErased+" ")
	status, body = api.call(http.MethodGet, "/v1/envelopes/"+completed+"/documents/"+str(env, "documents", 0, "id")+"/final", nil)
	require.Equal(t, http.StatusGone, status, "the signed documents carried their name and signature: %v", body)
	req, err := http.NewRequest(http.MethodGet, suite.apiURL+"/v1/envelopes/"+completed+"/certificate", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", api.auth["Authorization"])
	resp := roundTrip(t, req)
	require.Equal(t, http.StatusOK, resp.status)
	path := filepath.Join(t.TempDir(), "certificate.pdf")
	require.NoError(t, os.WriteFile(path, resp.body, 0o600))
	text := strings.Join(strings.Fields(pdfText(t, path, 1)), " ")
	require.Contains(t, text, "personal data erased on")
	require.Contains(t, text, "request 2026-117")
	require.Contains(t, text, "Keeper Kept", "the other signer's signature stays")
	require.NotContains(t, text, "Quillon")

	req, err = http.NewRequest(http.MethodGet, suite.apiURL+"/v1/envelopes/"+completed+"/audit/export", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", api.auth["Authorization"])
	resp = roundTrip(t, req)
	require.Equal(t, http.StatusOK, resp.status)
	require.NotContains(t, string(resp.body), "Quillon")
	_, certs := getJSON(t, suite.apiURL+"/v1/certificates")
	out, err := runVerifyExport(t, resp.body, str(certs, "ca_certificate_pem"))
	require.NoError(t, err, "the offline export still verifies: %s", out)
}
