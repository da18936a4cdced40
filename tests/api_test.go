package tests

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/signflow/signflow/models"
)

func contractPDF(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(suite.root, "tests", "testdata", "contract.pdf"))
	require.NoError(t, err)
	return data
}

// jsonEnvelope is a creation request with the contract as base64.
func jsonEnvelope(t testing.TB, recipients []J, fields []J) J {
	return J{
		"subject":    "Consulting agreement",
		"documents":  []J{{"name": "contract.pdf", "content_base64": base64.StdEncoding.EncodeToString(contractPDF(t))}},
		"recipients": recipients,
		"fields":     fields,
	}
}

func signer(name string, order int) J {
	return withCode(J{"name": name, "email": name + "@example.com", "role": "signer", "routing_order": order})
}

func TestBadInputIsAProblemResponse(t *testing.T) {
	t.Parallel()
	base := newAPI(t, taskQueue)
	pdf := contractPDF(t)
	sig := fieldAt(0, "signature", 1, aliceSig)
	spec := func(change func(J)) J {
		s := threeRecipients(1)
		change(s)
		return s
	}
	tests := []struct {
		name   string
		spec   J
		files  []file
		status int
		field  string
	}{
		{"non-PDF bytes", threeRecipients(1), []file{{"notes.pdf", []byte("just some words, not a PDF")}}, 422, "documents[0]"},
		{"truncated PDF", threeRecipients(1), []file{{"cut.pdf", pdf[:len(pdf)/2]}}, 422, "documents[0]"},
		{"no documents", threeRecipients(1), nil, 422, "documents"},
		{"field on page 99", spec(func(s J) { s["fields"] = []J{fieldAt(0, "signature", 99, aliceSig)} }), []file{{"c.pdf", pdf}}, 422, "fields[0].page"},
		{"box outside the page", spec(func(s J) { s["fields"] = []J{fieldAt(0, "signature", 1, box{0.8, 0.5, 0.3, 0.05})} }), []file{{"c.pdf", pdf}}, 422, "fields[0]"},
		{"negative coordinate", spec(func(s J) { s["fields"] = []J{fieldAt(0, "signature", 1, box{-0.1, 0.5, 0.3, 0.05})} }), []file{{"c.pdf", pdf}}, 422, "fields[0].x"},
		{"unknown recipient", spec(func(s J) { s["fields"] = append(s["fields"].([]J), fieldAt(7, "text", 1, carolText)) }), []file{{"c.pdf", pdf}}, 422, "fields[6].recipient"},
		{"no recipients", J{"subject": "x", "recipients": []J{}, "fields": []J{}}, []file{{"c.pdf", pdf}}, 422, "recipients"},
		{"signer without signature field", J{"subject": "x", "recipients": []J{signer("ann", 1)}}, []file{{"c.pdf", pdf}}, 422, "recipients[0]"},
		{"field for a cc", J{"subject": "x", "recipients": []J{signer("ann", 1), {"name": "C", "email": "c@example.com", "role": "cc"}},
			"fields": []J{sig, fieldAt(1, "text", 1, carolText)}}, []file{{"c.pdf", pdf}}, 422, "fields[1].recipient"},
		{"unknown role", J{"subject": "x", "recipients": []J{{"name": "A", "email": "a@example.com", "role": "witness"}}}, []file{{"c.pdf", pdf}}, 422, "recipients[0].role"},
		{"bad email", J{"subject": "x", "recipients": []J{{"name": "A", "email": "not-an-address", "role": "signer"}}, "fields": []J{sig}}, []file{{"c.pdf", pdf}}, 422, "recipients[0].email"},
		{"unknown field type", spec(func(s J) { s["fields"].([]J)[0]["type"] = "stamp" }), []file{{"c.pdf", pdf}}, 422, "fields[0].type"},
		{"expiry over a year", spec(func(s J) { s["settings"] = J{"expires_in": "400d"} }), []file{{"c.pdf", pdf}}, 422, "settings.expires_in"},
		{"unparsable duration", spec(func(s J) { s["settings"] = J{"reminder_interval": "often"} }), []file{{"c.pdf", pdf}}, 422, "settings.reminder_interval"},
		{"missing subject", spec(func(s J) { delete(s, "subject") }), []file{{"c.pdf", pdf}}, 422, "subject"},
		{"misspelt property", spec(func(s J) { s["recipeints"] = []J{} }), []file{{"c.pdf", pdf}}, 400, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := postEnvelope(t, base, tc.spec, tc.files...)
			require.Equal(t, tc.status, status, "%v", body)
			require.EqualValues(t, tc.status, body["status"])
			require.NotEmpty(t, body["detail"])
			if tc.field != "" {
				var fields []string
				for _, e := range body["errors"].([]any) {
					fields = append(fields, str(e, "field"))
				}
				require.Contains(t, fields, tc.field, "%v", body)
			}
		})
	}

	t.Run("other malformed requests", func(t *testing.T) {
		status, _ := send(t, http.MethodPost, base+"/v1/envelopes", "text/plain", bytes.NewReader([]byte("hi")))
		require.Equal(t, http.StatusUnsupportedMediaType, status)
		status, _ = send(t, http.MethodPost, base+"/v1/envelopes", "application/json", bytes.NewReader([]byte("{")))
		require.Equal(t, http.StatusBadRequest, status)
		status, _ = postJSON(t, base+"/v1/envelopes", J{"subject": "x", "documents": []J{{"name": "a.pdf", "content_base64": "%%%"}}})
		require.Equal(t, http.StatusBadRequest, status)
		status, _ = getJSON(t, base+"/v1/envelopes/01a2145e-0000-7000-8000-000000000000")
		require.Equal(t, http.StatusNotFound, status)
		status, _ = getJSON(t, base+"/v1/envelopes?status=finished")
		require.Equal(t, http.StatusUnprocessableEntity, status)
		status, _ = getJSON(t, base+"/v1/envelopes?limit=1000")
		require.Equal(t, http.StatusUnprocessableEntity, status)
		status, _ = getJSON(t, base+"/v1/signing/not-a-real-token")
		require.Equal(t, http.StatusNotFound, status)
	})
}

func TestRecipientActionsFollowTheRules(t *testing.T) {
	t.Parallel()
	base := newAPI(t, taskQueue)
	status, created := postJSON(t, base+"/v1/envelopes", jsonEnvelope(t,
		[]J{
			signer("alice", 1),
			withCode(J{"name": "Dana", "email": "dana@example.com", "role": "approver", "routing_order": 1}),
			{"name": "Copy", "email": "copy@example.com", "role": "cc", "routing_order": 1},
			signer("carol", 2),
		},
		[]J{fieldAt(0, "signature", 1, aliceSig), fieldAt(0, "date_signed", 1, aliceDate), fieldAt(3, "signature", 1, carolSig)},
	))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	id := str(created, "id")
	alice, dana, cc, carol := str(created, "recipients", 0, "signing_api_url"), str(created, "recipients", 1, "signing_api_url"),
		str(created, "recipients", 2, "signing_api_url"), str(created, "recipients", 3, "signing_api_url")

	// The signing view shows the recipient only their own fields.
	status, view := viewAs(t, alice)
	require.Equal(t, http.StatusOK, status)
	require.Len(t, view["fields"], 2)
	status, _ = download(t, str(view, "documents", 0, "url"))
	require.Equal(t, http.StatusUnauthorized, status, "document contents need a verified session")
	status, pdf := downloadAs(t, alice, str(view, "documents", 0, "url"))
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, contractPDF(t), pdf)

	status, _ = postJSON(t, alice+"/viewed", J{})
	require.Equal(t, http.StatusAccepted, status)
	require.Eventually(t, func() bool {
		_, env := getJSON(t, base+"/v1/envelopes/"+id)
		return str(env, "recipients", 0, "status") == models.RecipientViewed
	}, 30*time.Second, 50*time.Millisecond, "the view reaches the envelope")

	sigField, dateField := str(view, "fields", 0, "id"), str(view, "fields", 1, "id")
	bad := []struct {
		name   string
		values []J
		field  string
	}{
		{"a value for the automatic date", []J{{"field_id": sigField, "text": "Alice"}, {"field_id": dateField, "text": "1999-01-01"}}, "values[1]"},
		{"someone else's field", []J{{"field_id": sigField, "text": "Alice"}, {"field_id": "not-mine", "text": "x"}}, "values[1].field_id"},
		{"a required field left empty", []J{}, "values"},
		{"text and image at once", []J{{"field_id": sigField, "text": "A", "image_png_base64": signaturePNG(t)}}, "values[0]"},
		{"an image that is not a PNG", []J{{"field_id": sigField, "image_png_base64": base64.StdEncoding.EncodeToString([]byte("GIF89a"))}}, "values[0]"},
	}
	for _, tc := range bad {
		status, body := postAs(t, alice, "/sign", J{"values": tc.values})
		require.Equal(t, http.StatusUnprocessableEntity, status, tc.name)
		require.Equal(t, tc.field, str(body, "errors", 0, "field"), tc.name)
	}

	status, body := postAs(t, dana, "/sign", J{"values": []J{{"field_id": sigField, "text": "x"}}})
	require.Equal(t, http.StatusUnprocessableEntity, status, "an approver sends no values: %v", body)
	status, body = postJSON(t, cc+"/sign", J{})
	require.Equal(t, http.StatusConflict, status, "a cc does not sign: %v", body)
	status, body = signAs(t, carol, "Carol")
	require.Equal(t, http.StatusConflict, status, "carol is not due: %v", body)
	require.Contains(t, str(body, "detail"), "not due yet")

	status, body = signAs(t, alice, "Alice Adams")
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Equal(t, "signed", str(body, "recipient_status"))
	status, body = signAs(t, alice, "Alice Adams")
	require.Equal(t, http.StatusGone, status, "a link is spent once its recipient has acted")
	require.Equal(t, "urn:signflow:problem:link-used", str(body, "type"))
	status, body = postAs(t, dana, "/sign", J{})
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Equal(t, "approved", str(body, "recipient_status"))

	status, _ = postAs(t, carol, "/decline", J{"reason": " "})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	status, _ = postJSON(t, carol+"/decline", J{"reason": "the fee is wrong"})
	require.Equal(t, http.StatusUnauthorized, status, "declining needs a verified session too")
	status, body = postAs(t, carol, "/decline", J{"reason": "the fee is wrong"})
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Equal(t, "declined", str(body, "envelope_status"))
	awaitWorkflow(t, id)

	status, _ = postJSON(t, base+"/v1/envelopes/"+id+"/void", J{"reason": "too late"})
	require.Equal(t, http.StatusConflict, status, "a declined envelope cannot be voided")
	status, _ = getJSON(t, base+"/v1/envelopes/"+id+"/documents/"+str(created, "documents", 0, "id")+"/final")
	require.Equal(t, http.StatusConflict, status)
	status, env := getJSON(t, base+"/v1/envelopes/"+id)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "declined", str(env, "status"))
	require.Equal(t, "the fee is wrong", str(env, "recipients", 3, "decline_reason"))
	requireGaplessEvents(t, id)
}

func TestVoidAndList(t *testing.T) {
	t.Parallel()
	base := newAPI(t, taskQueue)
	var ids []string
	for i := range 3 {
		status, created := postJSON(t, base+"/v1/envelopes", jsonEnvelope(t, []J{signer(fmt.Sprintf("s%d", i), 1)}, []J{fieldAt(0, "signature", 1, aliceSig)}))
		require.Equal(t, http.StatusCreated, status, "%v", created)
		ids = append(ids, str(created, "id"))
	}
	status, body := postJSON(t, base+"/v1/envelopes/"+ids[0]+"/void", J{})
	require.Equal(t, http.StatusUnprocessableEntity, status, "a reason is required: %v", body)
	status, body = postJSON(t, base+"/v1/envelopes/"+ids[0]+"/void", J{"reason": "sent by mistake"})
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Equal(t, "voided", str(body, "status"))

	// Walk every page, two at a time: each envelope appears once, newest first.
	seen := map[string]int{}
	var created []time.Time
	next := base + "/v1/envelopes?limit=2"
	for next != "" {
		status, page := getJSON(t, next)
		require.Equal(t, http.StatusOK, status)
		require.LessOrEqual(t, len(page["data"].([]any)), 2)
		for _, e := range page["data"].([]any) {
			seen[str(e, "id")]++
			at, err := time.Parse(time.RFC3339Nano, str(e, "created_at"))
			require.NoError(t, err)
			created = append(created, at)
		}
		next = ""
		if c, ok := page["next_cursor"].(string); ok {
			next = base + "/v1/envelopes?limit=2&cursor=" + c
		}
	}
	for _, id := range ids {
		require.Equal(t, 1, seen[id])
	}
	for i := 1; i < len(created); i++ {
		require.False(t, created[i].After(created[i-1]), "newest first by created_at: %s before %s", created[i-1], created[i])
	}

	status, page := getJSON(t, base+"/v1/envelopes?status=voided&limit=100")
	require.Equal(t, http.StatusOK, status)
	var voided []string
	for _, e := range page["data"].([]any) {
		voided = append(voided, str(e, "id"))
	}
	require.Contains(t, voided, ids[0])
	require.NotContains(t, voided, ids[1])
}

func TestOperatorsCanFilterBySearchAttributes(t *testing.T) {
	t.Parallel()
	base := newAPI(t, taskQueue)
	status, created := postJSON(t, base+"/v1/envelopes", jsonEnvelope(t, []J{signer("sa", 1)}, []J{fieldAt(0, "signature", 1, aliceSig)}))
	require.Equal(t, http.StatusCreated, status)
	id := str(created, "id")
	count := func(status string) int {
		resp, err := suite.temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("WorkflowId = 'envelope-%s' AND EnvelopeStatus = '%s' AND TenantId = 'default'", id, status),
		})
		require.NoError(t, err)
		return len(resp.Executions)
	}
	require.Eventually(t, func() bool { return count("in_progress") == 1 }, 30*time.Second, 100*time.Millisecond)
	status, _ = postJSON(t, base+"/v1/envelopes/"+id+"/void", J{"reason": "test"})
	require.Equal(t, http.StatusOK, status)
	require.Eventually(t, func() bool { return count("voided") == 1 }, 30*time.Second, 100*time.Millisecond)
}

// requireGaplessEvents checks the envelope's audit trail is numbered 1..n
// with no gap or duplicate, and its hash chain holds.
func requireGaplessEvents(t *testing.T, envelopeID string) []models.Event {
	t.Helper()
	events, err := suite.store.Events(context.Background(), envelopeID)
	require.NoError(t, err)
	require.NotEmpty(t, events)
	for i, e := range events {
		require.Equal(t, int64(i+1), e.Seq, "event %d of %s", i, envelopeID)
	}
	require.Nil(t, models.VerifyChain(envelopeID, events))
	return events
}

// Envelopes created at once list newest first by the created_at the list
// shows: the list's order (by ID) and the timestamp come from one clock.
func TestListsAreNewestFirstByTheTimeTheyShow(t *testing.T) {
	t.Parallel()
	api := newTenantAPI(t, suite.apiURL)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			status, created := api.call(http.MethodPost, "/v1/envelopes", jsonEnvelope(t, []J{signer("order", 1)}, []J{fieldAt(0, "signature", 1, aliceSig)}))
			require.Equal(t, http.StatusCreated, status, "%v", created)
		})
	}
	wg.Wait()
	status, page := api.call(http.MethodGet, "/v1/envelopes?limit=50", nil)
	require.Equal(t, http.StatusOK, status)
	list := at(page, "data").([]any)
	require.Len(t, list, 8)
	for i := 1; i < len(list); i++ {
		newer, err := time.Parse(time.RFC3339Nano, str(list[i-1], "created_at"))
		require.NoError(t, err)
		older, err := time.Parse(time.RFC3339Nano, str(list[i], "created_at"))
		require.NoError(t, err)
		require.False(t, older.After(newer), "item %d (%s) is listed after a newer one (%s)", i, older, newer)
	}
}
