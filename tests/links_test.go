package tests

import (
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

	status, _ = getJSON(t, oldLink)
	require.Equal(t, http.StatusNotFound, status, "the old link is dead")
	mails := awaitMail(t, suite.mailAPI, "to:"+email, 2, time.Minute)
	var links []string
	for _, m := range mails {
		links = append(links, linkFromMail(t, suite.mailAPI, m.ID))
	}
	require.Contains(t, links, newLink, "the new link was emailed")
	status, body := signAs(t, newLink, "Resent")
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
