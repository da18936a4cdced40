package tests

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/api/client"
)

var (
	amountBox = box{0.55, 0.78, 0.20, 0.03}
	emailBox  = box{0.08, 0.78, 0.35, 0.03}
	planBox   = box{0.55, 0.86, 0.20, 0.03}
	cityBox   = box{0.08, 0.86, 0.20, 0.03}
	idBox     = box{0.55, 0.92, 0.20, 0.03}
)

// TestTypedFieldsAreCheckedStampedAndReturned: number, email, radio,
// dropdown and patterned text fields are refused with a 422 naming the
// field when the value breaks the field's rule, stamped in their boxes when
// it keeps them, and given back as typed data by GET form-data and in the
// envelope.completed webhook of a subscription that asks for them.
func TestTypedFieldsAreCheckedStampedAndReturned(t *testing.T) {
	t.Parallel()
	requireTool(t, "pdftotext")
	api := newTenantAPI(t, suite.apiURL)

	var mu sync.Mutex
	var completed []byte
	var secret string
	hookSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		e, err := client.VerifyWebhook(secret, r.Header, body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		openapiCheck.checkWebhook(body)
		if e.Type == "envelope.completed" {
			completed = body
		}
	}))
	defer hookSrv.Close()
	status, hook := api.call(http.MethodPost, "/v1/webhooks", J{"url": hookSrv.URL, "event_types": []string{"envelope.completed"}, "include_form_data": true})
	require.Equal(t, http.StatusCreated, status, "%v", hook)
	require.Equal(t, true, hook["include_form_data"])
	mu.Lock()
	secret = str(hook, "secret")
	mu.Unlock()

	named := func(f J, name string, extra J) J {
		f["name"] = name
		for k, v := range extra {
			f[k] = v
		}
		return f
	}
	spec := jsonEnvelope(t, []J{signer("alice", 1)}, []J{
		fieldAt(0, "signature", 1, aliceSig),
		named(fieldAt(0, "number", 1, amountBox), "amount", J{"min": 0, "max": 5000}),
		named(fieldAt(0, "email", 1, emailBox), "work_email", nil),
		named(fieldAt(0, "radio", 1, planBox), "plan", J{"options": []string{"Basic", "Pro"}}),
		named(fieldAt(0, "dropdown", 1, cityBox), "city", J{"options": []string{"Lisboa", "Zürich", "東京"}}),
		named(fieldAt(0, "text", 1, idBox), "passport", J{"pattern": "[A-Z]{2}[0-9]{6}", "required": false}),
	})
	status, created := api.call(http.MethodPost, "/v1/envelopes", spec)
	require.Equal(t, http.StatusCreated, status, "%v", created)
	id, signingURL := str(created, "id"), str(created, "recipients", 0, "signing_api_url")
	fields := at(created, "fields").([]any)
	require.Equal(t, []any{"Basic", "Pro"}, at(fields[3], "options"))
	require.EqualValues(t, 5000, at(fields[1], "max"))
	fieldID := func(i int) string { return str(fields[i], "id") }

	status, body := api.call(http.MethodGet, "/v1/envelopes/"+id+"/form-data", nil)
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Nil(t, at(body, "fields", 1, "value"), "nothing is set before signing")

	values := func(amount, email, plan, city, passport string) J {
		return J{"values": []J{
			{"field_id": fieldID(0), "text": "Alice Adams"},
			{"field_id": fieldID(1), "text": amount},
			{"field_id": fieldID(2), "text": email},
			{"field_id": fieldID(3), "text": plan},
			{"field_id": fieldID(4), "text": city},
			{"field_id": fieldID(5), "text": passport},
		}}
	}
	refusals := []struct {
		name    string
		body    J
		field   string
		message string
	}{
		{"over the maximum", values("7200", "a@example.com", "Pro", "Lisboa", ""), "values[1]", `"amount"`},
		{"not an email", values("10", "alice at example", "Pro", "Lisboa", ""), "values[2]", `"work_email"`},
		{"not an option", values("10", "a@example.com", "Gold", "Lisboa", ""), "values[3]", "Basic, Pro"},
		{"off the list", values("10", "a@example.com", "Pro", "Paris", ""), "values[4]", `"city"`},
		{"against the pattern", values("10", "a@example.com", "Pro", "Lisboa", "12345678"), "values[5]", "[A-Z]{2}[0-9]{6}"},
	}
	auth := session(t, signingURL)
	for _, r := range refusals {
		status, problem := sendWith(t, http.MethodPost, signingURL+"/sign", "application/json", jsonBody(t, r.body), auth)
		require.Equal(t, http.StatusUnprocessableEntity, status, "%s: %v", r.name, problem)
		require.Equal(t, r.field, str(problem, "errors", 0, "field"), r.name)
		require.Contains(t, str(problem, "errors", 0, "message"), r.message, r.name)
	}
	status, signed := sendWith(t, http.MethodPost, signingURL+"/sign", "application/json",
		jsonBody(t, values("1250.50", "alice.work@example.com", "Pro", "Zürich", "")), auth)
	require.Equal(t, http.StatusOK, status, "%v", signed)
	require.Equal(t, "completed", awaitWorkflow(t, id).Status)

	status, body = api.call(http.MethodGet, "/v1/envelopes/"+id+"/form-data", nil)
	require.Equal(t, http.StatusOK, status, "%v", body)
	byName := map[string]J{}
	for _, f := range at(body, "fields").([]any) {
		if name, ok := f.(J)["name"].(string); ok {
			byName[name] = f.(J)
		}
	}
	require.Equal(t, 1250.5, byName["amount"]["value"], "a number comes back as a number")
	require.Equal(t, "alice.work@example.com", byName["work_email"]["value"])
	require.Equal(t, "Pro", byName["plan"]["value"])
	require.Equal(t, "Zürich", byName["city"]["value"])
	require.Nil(t, byName["passport"]["value"], "an optional field left empty has no value")
	require.NotEmpty(t, byName["amount"]["set_at"])

	values2, err := apiClient(t, suite.apiURL).FormData(context.Background(), id)
	require.Error(t, err, "another tenant's envelope is not found")
	require.Nil(t, values2)

	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return completed != nil
	}, time.Minute, 50*time.Millisecond, "envelope.completed arrives")
	mu.Lock()
	var event client.WebhookEvent
	require.NoError(t, json.Unmarshal(completed, &event))
	mu.Unlock()
	require.Len(t, event.Data.FormData, 6)
	require.Equal(t, 1250.5, event.Data.FormData[1].Value)
	require.Equal(t, "Zürich", event.Data.FormData[4].Value)

	path := api.finalPDF(id, str(created, "documents", 0, "id"))
	requireWordIn(t, path, 1, "1250.5", amountBox)
	requireWordIn(t, path, 1, "alice.work@example.com", emailBox)
	requireWordIn(t, path, 1, "Pro", planBox)
	requireWordIn(t, path, 1, "Zürich", cityBox)
	require.False(t, strings.Contains(pdfText(t, path, 1), "12345678"))
}
