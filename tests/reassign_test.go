package tests

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestARecipientHandsTheirPartToSomeoneElse: when the sender allows it, a
// due signer reassigns in a verified session; the new person is invited
// with a link of their own, proves who they are with a code emailed to
// them, and signs; the old link is dead; the audit trail and the
// certificate say who handed it to whom and why.
func TestARecipientHandsTheirPartToSomeoneElse(t *testing.T) {
	t.Parallel()
	requireTool(t, "pdftotext")
	alice, bo := unique("alice"), unique("bo")
	spec := jsonEnvelope(t, []J{withCode(J{"name": "Alice Adams", "email": alice, "role": "signer", "routing_order": 1}), signer("bob", 2)},
		[]J{fieldAt(0, "signature", 1, aliceSig), fieldAt(1, "signature", 1, bobSig)})
	spec["settings"] = J{"allow_reassign": true}
	status, created := postJSON(t, suite.apiURL+"/v1/envelopes", spec)
	require.Equal(t, http.StatusCreated, status, "%v", created)
	require.Equal(t, true, at(created, "settings", "allow_reassign"))
	id, aliceLink, bobLink := str(created, "id"), str(created, "recipients", 0, "signing_api_url"), str(created, "recipients", 1, "signing_api_url")

	status, view := viewAs(t, aliceLink)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, true, at(view, "envelope", "allow_reassign"))
	for _, bad := range []struct {
		body  J
		field string
	}{
		{J{"name": "Bo Berg", "email": "bo at example", "reason": "Bo signs"}, "email"},
		{J{"name": "Bo Berg", "email": bo, "reason": " "}, "reason"},
		{J{"name": "Alice", "email": alice, "reason": "me again"}, "email"},
	} {
		status, problem := postAs(t, aliceLink, "/reassign", bad.body)
		require.Equal(t, http.StatusUnprocessableEntity, status, "%v", problem)
		require.Equal(t, bad.field, str(problem, "errors", 0, "field"))
	}
	status, problem := postAs(t, bobLink, "/reassign", J{"name": "Bo Berg", "email": bo, "reason": "Bo signs"})
	require.Equal(t, http.StatusConflict, status, "bob is not due yet: %v", problem)

	status, moved := postAs(t, aliceLink, "/reassign", J{"name": "Bo Berg", "email": bo, "reason": "Bo signs for purchasing"})
	require.Equal(t, http.StatusOK, status, "%v", moved)
	status, gone := getJSON(t, aliceLink)
	require.Equal(t, http.StatusGone, status, "the old link is dead")
	require.Equal(t, "replaced", str(gone, "closed_link", "state"), "and says a newer one took its place")

	invitations := awaitMail(t, suite.mailAPI, "to:"+bo, 1, time.Minute)
	boLink := linkFromMail(t, suite.mailAPI, invitations[0].ID)
	code := requestOTP(t, boLink, bo, 1)
	status, sess := postJSON(t, boLink+"/session", J{"code": code})
	require.Equal(t, http.StatusOK, status, "%v", sess)
	boAuth := map[string]string{"Authorization": "Bearer " + str(sess, "session_token")}
	status, boView := sendWith(t, http.MethodGet, boLink, "", nil, boAuth)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "Bo Berg", str(boView, "recipient", "name"))
	require.Equal(t, "email_otp", str(boView, "recipient", "authentication"), "the access code was Alice's")
	status, signed := sendWith(t, http.MethodPost, boLink+"/sign", "application/json",
		jsonBody(t, J{"values": []J{{"field_id": str(boView, "fields", 0, "id"), "text": "Bo Berg"}}}), boAuth)
	require.Equal(t, http.StatusOK, status, "%v", signed)
	status, signed = postAs(t, bobLink, "/sign", J{"values": []J{{"field_id": str(created, "fields", 1, "id"), "text": "Bob"}}})
	require.Equal(t, http.StatusOK, status, "%v", signed)
	require.Equal(t, "completed", awaitWorkflow(t, id).Status)

	_, audit := getJSON(t, suite.apiURL+"/v1/envelopes/"+id+"/audit")
	var types []string
	for _, e := range at(audit, "events").([]any) {
		types = append(types, str(e, "type"))
		if str(e, "type") == "recipient.reassigned" {
			require.Equal(t, alice, str(e, "actor"), "the one who handed it on")
			require.Equal(t, "Bo signs for purchasing", str(e, "details", "reason"))
		}
	}
	require.True(t, slices.Contains(types, "recipient.reassigned"), "%v", types)

	status, cert := download(t, suite.apiURL+"/v1/envelopes/"+id+"/certificate")
	require.Equal(t, http.StatusOK, status)
	path := filepath.Join(t.TempDir(), "certificate.pdf")
	require.NoError(t, os.WriteFile(path, cert, 0o600))
	text := strings.Join(strings.Fields(pdfText(t, path, 1)), " ")
	require.Contains(t, text, "Reassigned: by "+alice+" to Bo Berg <"+bo+">")
	require.Contains(t, text, "Bo signs for purchasing")
}

func TestReassignIsRefusedUnlessTheSenderAllowsIt(t *testing.T) {
	t.Parallel()
	status, created := postJSON(t, suite.apiURL+"/v1/envelopes", jsonEnvelope(t, []J{signer("alice", 1)}, []J{fieldAt(0, "signature", 1, aliceSig)}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	link := str(created, "recipients", 0, "signing_api_url")
	status, problem := postAs(t, link, "/reassign", J{"name": "Bo Berg", "email": unique("bo"), "reason": "Bo signs"})
	require.Equal(t, http.StatusConflict, status, "%v", problem)
	require.Contains(t, str(problem, "detail"), "does not allow")
}
