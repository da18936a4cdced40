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

// A person who held a recipient's slot until it was reassigned is still
// found by their export and erased by their erasure, though the slot now
// names someone else; the new holder's export holds nothing of theirs.
func TestTheHolderBeforeAReassignIsExportedAndErased(t *testing.T) {
	t.Parallel()
	api := newTenantAPI(t, suite.apiURL)
	alice, bo := unique("before.reassign"), unique("after.reassign")
	spec := jsonEnvelope(t, []J{withCode(J{"name": "Alice Before", "email": alice, "role": "signer", "routing_order": 1})},
		[]J{fieldAt(0, "signature", 1, aliceSig)})
	spec["settings"] = J{"allow_reassign": true}
	status, created := api.call(http.MethodPost, "/v1/envelopes", spec)
	require.Equal(t, http.StatusCreated, status, "%v", created)
	id, link := str(created, "id"), str(created, "recipients", 0, "signing_api_url")
	status, moved := postAs(t, link, "/reassign", J{"name": "Bo After", "email": bo, "reason": "Bo signs for us"})
	require.Equal(t, http.StatusOK, status, "%v", moved)

	export := func(email string) []any {
		status, body := api.call(http.MethodPost, "/v1/data-subjects/export", J{"email": email})
		require.Equal(t, http.StatusOK, status, "%v", body)
		return at(body, "envelopes").([]any)
	}
	envs := export(alice)
	require.Len(t, envs, 1, "the envelope whose slot Alice held")
	require.Equal(t, id, str(envs[0], "envelope", "id"))
	require.Empty(t, at(envs[0], "recipients"), "the slot is Bo's now")
	require.Equal(t, "Alice Before", str(envs[0], "former_identities", 0, "name"))
	require.Equal(t, alice, str(envs[0], "former_identities", 0, "email"))
	var aliceActed bool
	for _, e := range at(envs[0], "events").([]any) {
		aliceActed = aliceActed || str(e, "type") == models.EventSessionStarted
	}
	require.True(t, aliceActed, "her own session is hers")

	boEnvs := export(bo)
	require.Len(t, boEnvs, 1)
	require.NotContains(t, jsonText(t, boEnvs), alice, "Bo's export holds nothing of Alice's")

	status, erased := api.call(http.MethodPost, "/v1/data-subjects/erase", J{"email": alice, "reason": "request of 2026-12-07"})
	require.Equal(t, http.StatusOK, status, "her slot is someone else's: no need to end the envelope: %v", erased)
	require.Empty(t, export(alice), "nothing of hers is found any more")
	status, env := api.call(http.MethodGet, "/v1/envelopes/"+id, nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "Bo After", str(env, "recipients", 0, "name"), "Bo's slot is untouched")
	require.Equal(t, models.EnvelopeInProgress, str(env, "status"))
	require.Len(t, export(bo), 1)
}
