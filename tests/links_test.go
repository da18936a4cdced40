package tests

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func requestJSON(t *testing.T, method, url string, body J) (int, J) {
	t.Helper()
	return send(t, method, url, "application/json", jsonBody(t, body))
}

func TestResendKillsTheOldLink(t *testing.T) {
	t.Parallel()
	email := unique("resend")
	id := emailEnvelope(t, suite.apiURL, []string{email}, "", nil)
	first := awaitMail(t, suite.mailAPI, "to:"+email, 1, time.Minute)[0]
	oldLink := linkFromMail(t, suite.mailAPI, first.ID)
	_, env := getJSON(t, suite.apiURL+"/v1/envelopes/"+id)
	rid := str(env, "recipients", 0, "id")

	status, res := requestJSON(t, http.MethodPost, suite.apiURL+"/v1/envelopes/"+id+"/recipients/"+rid+"/resend", J{})
	require.Equal(t, http.StatusOK, status, "%v", res)
	require.EqualValues(t, 2, res["link_generation"])
	newLink := str(res, "signing_api_url")
	require.NotEqual(t, oldLink, newLink)

	status, body := getJSON(t, oldLink)
	require.Equal(t, http.StatusGone, status, "the old link is dead, and says a newer one replaced it")
	require.Equal(t, "urn:signflow:problem:link-replaced", str(body, "type"))
	require.Equal(t, "replaced", str(body, "closed_link", "state"))
	mails := awaitMail(t, suite.mailAPI, "to:"+email, 2, time.Minute)
	var links []string
	for _, m := range mails {
		links = append(links, linkFromMail(t, suite.mailAPI, m.ID))
	}
	require.Contains(t, links, newLink, "the new link was emailed")
	status, body = signAs(t, newLink, "Resent")
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.NotNil(t, eventOf(auditEvents(t, suite.apiURL, id), "recipient.link_reissued"))
}

func TestCorrectingARecipientBeforeTheyAct(t *testing.T) {
	t.Parallel()
	wrong, right := unique("typo"), unique("fixed")
	id := emailEnvelope(t, suite.apiURL, []string{wrong}, "", nil)
	awaitMail(t, suite.mailAPI, "to:"+wrong, 1, time.Minute)
	_, env := getJSON(t, suite.apiURL+"/v1/envelopes/"+id)
	rid := str(env, "recipients", 0, "id")
	url := suite.apiURL + "/v1/envelopes/" + id + "/recipients/" + rid

	status, _ := requestJSON(t, http.MethodPatch, url, J{"email": "not an address"})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	status, _ = requestJSON(t, http.MethodPatch, suite.apiURL+"/v1/envelopes/"+id+"/recipients/nobody", J{"email": right})
	require.Equal(t, http.StatusNotFound, status)

	status, res := requestJSON(t, http.MethodPatch, url, J{"email": right, "name": "Fixed Name"})
	require.Equal(t, http.StatusOK, status, "%v", res)
	invitation := awaitMail(t, suite.mailAPI, "to:"+right, 1, time.Minute)[0]
	require.Equal(t, str(res, "signing_url"), linkInMail.FindString(readMail(t, suite.mailAPI, invitation.ID).Text))
	link := str(res, "signing_api_url")
	status, body := signAs(t, link, "Fixed Name")
	require.Equal(t, http.StatusOK, status, "%v", body)
	awaitWorkflow(t, id)

	_, env = getJSON(t, suite.apiURL+"/v1/envelopes/"+id)
	require.Equal(t, right, str(env, "recipients", 0, "email"))
	require.Equal(t, "Fixed Name", str(env, "recipients", 0, "name"))
	corrected := eventOf(auditEvents(t, suite.apiURL, id), "recipient.corrected")
	require.NotNil(t, corrected)
	require.Equal(t, right, str(corrected, "details", "email"))

	status, res = requestJSON(t, http.MethodPatch, url, J{"name": "Too Late"})
	require.Equal(t, http.StatusConflict, status, "%v", res)
}

func TestAnAddressRefusedForGoodHoldsUpOnlyItsRecipient(t *testing.T) {
	t.Parallel()
	refused, other, fixed := "nobody-"+newTestID()+"@"+refusedDomain, unique("parallel"), unique("corrected")
	spec := jsonEnvelope(t, []J{
		withCode(J{"name": "Nobody", "email": refused, "role": "signer", "routing_order": 1}),
		withCode(J{"name": "Other", "email": other, "role": "signer", "routing_order": 1}),
	}, []J{fieldAt(0, "signature", 1, aliceSig), fieldAt(1, "signature", 1, bobSig)})
	status, created := postJSON(t, suite.apiURL+"/v1/envelopes", spec)
	require.Equal(t, http.StatusCreated, status, "%v", created)
	id, rid := str(created, "id"), str(created, "recipients", 0, "id")

	// The other signer is invited and signs meanwhile.
	awaitMail(t, suite.mailAPI, "to:"+other+` subject:"Please sign"`, 1, time.Minute)
	status, body := signAs(t, str(created, "recipients", 1, "signing_api_url"), "Other")
	require.Equal(t, http.StatusOK, status, "%v", body)

	// The refused address is a state the sender sees, and an event.
	require.Eventually(t, func() bool {
		_, env := getJSON(t, suite.apiURL+"/v1/envelopes/"+id)
		return str(env, "recipients", 0, "status") == "delivery_failed"
	}, time.Minute, 100*time.Millisecond)
	failed := eventOf(auditEvents(t, suite.apiURL, id), "recipient.delivery_failed")
	require.NotNil(t, failed)
	require.Contains(t, str(failed, "details", "reason"), "refused")
	// The refused message is marked so, and no dispatcher tries it again.
	rows, err := suite.deps.Store.Notifications(context.Background(), id)
	require.NoError(t, err)
	for _, n := range rows {
		if n.RecipientID == rid {
			require.NotNil(t, n.RefusedAt)
			require.Nil(t, n.SentAt)
			require.Equal(t, 1, n.Attempts)
		}
	}

	// The sender corrects the address; the new one is invited and signs.
	status, res := requestJSON(t, http.MethodPatch, suite.apiURL+"/v1/envelopes/"+id+"/recipients/"+rid, J{"email": fixed})
	require.Equal(t, http.StatusOK, status, "%v", res)
	awaitMail(t, suite.mailAPI, "to:"+fixed+` subject:"Please sign"`, 1, time.Minute)
	status, body = signAs(t, str(res, "signing_api_url"), "Fixed")
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Equal(t, "completed", awaitWorkflow(t, id).Status)
}
