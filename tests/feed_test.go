package tests

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/models"
)

func TestTheEventsFeedReconstructsEveryEnvelope(t *testing.T) {
	t.Parallel()
	token, err := issueToken(context.Background(), "feed-"+strconv.FormatInt(time.Now().UnixNano(), 10), models.Scopes...)
	require.NoError(t, err)
	auth := map[string]string{"Authorization": "Bearer " + token}
	create := func() (string, string) {
		status, created := sendWith(t, http.MethodPost, suite.apiURL+"/v1/envelopes", "application/json",
			jsonBody(t, jsonEnvelope(t, []J{signer("alice", 1)}, []J{fieldAt(0, "signature", 1, aliceSig)})), auth)
		require.Equal(t, http.StatusCreated, status, "%v", created)
		return str(created, "id"), str(created, "recipients", 0, "signing_api_url")
	}
	completed, link := create()
	voided, _ := create()
	open, _ := create()
	status, body := signAs(t, link, "Alice")
	require.Equal(t, http.StatusOK, status, "%v", body)
	status, body = sendWith(t, http.MethodPost, suite.apiURL+"/v1/envelopes/"+voided+"/void", "application/json", jsonBody(t, J{"reason": "replaced"}), auth)
	require.Equal(t, http.StatusOK, status, "%v", body)
	awaitWorkflow(t, completed)
	awaitWorkflow(t, voided)

	// A consumer starting from the beginning, two events a page.
	final := map[string]string{}
	lastSeq := map[string]float64{}
	var cursor float64
	after := ""
	for {
		status, page := sendWith(t, http.MethodGet, suite.apiURL+"/v1/events?limit=2&after="+after, "", nil, auth)
		require.Equal(t, http.StatusOK, status, "%v", page)
		events := at(page, "events").([]any)
		if len(events) == 0 {
			require.Equal(t, after, str(page, "next_cursor"), "an empty page keeps the cursor")
			break
		}
		for _, e := range events {
			c, err := strconv.ParseFloat(str(e, "cursor"), 64)
			require.NoError(t, err)
			require.Greater(t, c, cursor, "one order across envelopes")
			cursor = c
			env := str(e, "envelope_id")
			require.Greater(t, at(e, "seq").(float64), lastSeq[env], "in order within an envelope")
			lastSeq[env] = at(e, "seq").(float64)
			final[env] = str(e, "envelope_status")
		}
		after = str(page, "next_cursor")
	}
	require.Equal(t, map[string]string{completed: "completed", voided: "voided", open: "in_progress"}, final,
		"the feed alone tells every envelope's status, and only this tenant's")

	status, page := sendWith(t, http.MethodGet, suite.apiURL+"/v1/events?envelope="+completed, "", nil, auth)
	require.Equal(t, http.StatusOK, status)
	types := []string{}
	for _, e := range at(page, "events").([]any) {
		require.Equal(t, completed, str(e, "envelope_id"))
		types = append(types, str(e, "type"))
	}
	require.Equal(t, "envelope.created", types[0])
	require.Contains(t, types, "recipient.signed")
	require.Equal(t, "envelope.completed", types[len(types)-1])
	require.NotContains(t, types, "notification.queued", "evidence-only events stay in the audit trail")

	status, _ = sendWith(t, http.MethodGet, suite.apiURL+"/v1/events?after=x", "", nil, auth)
	require.Equal(t, http.StatusUnprocessableEntity, status)
}
