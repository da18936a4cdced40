package tests

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/models"
)

// GDPR article 15: everything a tenant holds about one person, by email.
func TestADataSubjectsExportHoldsEverythingAboutThem(t *testing.T) {
	t.Parallel()
	api := newTenantAPI(t, suite.apiURL)
	email := unique("subject")
	person := withCode(J{"name": "Zainab Haddad", "email": email, "role": "signer", "routing_order": 1})
	create := func(recipients []J, fields []J) (string, J) {
		status, created := api.call(http.MethodPost, "/v1/envelopes", jsonEnvelope(t, recipients, fields))
		require.Equal(t, http.StatusCreated, status, "%v", created)
		return str(created, "id"), created
	}
	signed, created := create([]J{person}, []J{fieldAt(0, "signature", 1, aliceSig), fieldAt(0, "text", 1, carolText)})
	status, body := signAs(t, str(created, "recipients", 0, "signing_api_url"), "") // a drawn signature
	require.Equal(t, http.StatusOK, status, "%v", body)
	open, _ := create([]J{signer("someone-else", 1), withCode(J{"name": "Zainab H.", "email": strings.ToUpper(email), "role": "signer", "routing_order": 2})},
		[]J{fieldAt(0, "signature", 1, aliceSig), fieldAt(1, "signature", 1, carolSig)})
	create([]J{signer("unrelated", 1)}, []J{fieldAt(0, "signature", 1, aliceSig)})
	awaitWorkflow(t, signed)

	status, export := api.call(http.MethodPost, "/v1/data-subjects/export", J{"email": email})
	require.Equal(t, http.StatusOK, status, "%v", export)
	envs := at(export, "envelopes").([]any)
	require.Len(t, envs, 2, "both envelopes they are in, under any case of the address, and no other")
	byID := map[string]any{}
	for _, e := range envs {
		byID[str(e, "envelope", "id")] = e
		require.Len(t, at(e, "recipients").([]any), 1, "only their own recipient record")
	}
	mine := byID[signed]
	require.NotNil(t, mine)
	require.Equal(t, "Zainab Haddad", str(mine, "recipients", 0, "name"))
	var drawn, typed bool
	for _, f := range at(mine, "fields").([]any) {
		drawn = drawn || str(f, "type") == "signature" && at(f, "signature_png_base64") != nil
		typed = typed || str(f, "type") == "text" && str(f, "value") == "PO-4411"
	}
	require.True(t, drawn, "their drawn signature")
	require.True(t, typed, "the values they entered")
	var types []string
	for _, e := range at(mine, "events").([]any) {
		types = append(types, str(e, "type"))
		require.NotEmpty(t, str(e, "hash"), "each event with its hash, as the trail holds it")
	}
	require.Contains(t, types, models.EventRecipientSigned)
	require.Contains(t, types, models.EventSessionStarted)
	require.NotEmpty(t, at(mine, "notifications").([]any), "the emails sent to them")
	require.NotNil(t, byID[open])

	// Another tenant holds nothing of theirs; bad input names the field;
	// an integrator's token without the scope is refused.
	status, other := sendWith(t, http.MethodPost, suite.apiURL+"/v1/data-subjects/export", "application/json", jsonBody(t, J{"email": email}), nil)
	require.Equal(t, http.StatusOK, status, "%v", other)
	require.Empty(t, at(other, "envelopes").([]any))
	status, body = api.call(http.MethodPost, "/v1/data-subjects/export", J{"email": "not an address"})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, "email", str(body, "errors", 0, "field"))
	reader, err := issueToken(context.Background(), api.tenant, models.ScopeEnvelopesRead)
	require.NoError(t, err)
	status, _ = sendWith(t, http.MethodPost, suite.apiURL+"/v1/data-subjects/export", "application/json", jsonBody(t, J{"email": email}),
		map[string]string{"Authorization": "Bearer " + reader})
	require.Equal(t, http.StatusForbidden, status)
}
