package tests

import (
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

var (
	salaryBox = box{0.55, 0.78, 0.25, 0.035}
	deptBox   = box{0.08, 0.86, 0.30, 0.035}
)

// employmentTemplate is a template of two roles: the employee signs and
// picks a department, the salary is the sender's, the manager signs next.
func employmentTemplate(t testing.TB, subject string) J {
	return J{
		"name":      "Employment contract",
		"subject":   subject,
		"message":   "Welcome aboard.",
		"documents": []J{{"name": "contract.pdf", "content_base64": base64.StdEncoding.EncodeToString(contractPDF(t))}},
		"roles": []J{
			{"name": "Employee", "role": "signer", "routing_order": 1, "authentication": "access_code", "meaning": "I accept the offer"},
			{"name": "Manager", "role": "signer", "routing_order": 2, "authentication": "access_code"},
		},
		"fields": []J{
			fieldAt(0, "signature", 1, aliceSig),
			func() J { f := fieldAt(0, "text", 1, salaryBox); f["name"] = "salary"; return f }(),
			func() J {
				f := fieldAt(0, "dropdown", 1, deptBox)
				f["name"], f["options"] = "department", []string{"Engineering", "Sales"}
				return f
			}(),
			fieldAt(1, "signature", 1, bobSig),
		},
		"settings": J{"expires_in": "14d"},
	}
}

// fromTemplate is a sending of the employment template to two people.
func fromTemplate(id string, values []J) J {
	body := J{
		"template_id": id,
		"subject":     "Your offer, Ada",
		"roles": []J{
			{"role": "Employee", "name": "Ada Lovelace", "email": "ada.template@example.com", "access_code": testAccessCode},
			{"role": "Manager", "name": "Grace Hopper", "email": "grace.template@example.com", "access_code": testAccessCode},
		},
	}
	if values != nil {
		body["values"] = values
	}
	return body
}

// TestTemplatesAreVersionedAndMakeEnvelopes: a template is created,
// listed, edited into a new version and deleted; an envelope made from it
// records its version, takes its people and prefilled values, and keeps
// what it was sent with when the template changes.
func TestTemplatesAreVersionedAndMakeEnvelopes(t *testing.T) {
	t.Parallel()
	requireTool(t, "pdftotext")
	api := newTenantAPI(t, suite.apiURL)

	bad := employmentTemplate(t, "Offer")
	bad["roles"] = []J{{"name": "Employee", "role": "signer"}, {"name": "Employee", "role": "signer"}}
	status, problem := api.call(http.MethodPost, "/v1/templates", bad)
	require.Equal(t, http.StatusUnprocessableEntity, status, "%v", problem)
	require.Equal(t, "roles[1].name", str(problem, "errors", 0, "field"))
	bad = employmentTemplate(t, "Offer")
	bad["fields"] = []J{fieldAt(0, "signature", 1, aliceSig)}
	status, problem = api.call(http.MethodPost, "/v1/templates", bad)
	require.Equal(t, http.StatusUnprocessableEntity, status, "%v", problem)
	require.Equal(t, "roles[1]", str(problem, "errors", 0, "field"), "a signer role needs a signature field")

	status, tmpl := api.call(http.MethodPost, "/v1/templates", employmentTemplate(t, "Your employment contract"))
	require.Equal(t, http.StatusCreated, status, "%v", tmpl)
	id := str(tmpl, "id")
	require.EqualValues(t, 1, tmpl["version"])
	require.Len(t, at(tmpl, "documents").([]any), 1)
	status, list := api.call(http.MethodGet, "/v1/templates", nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, id, str(list, "data", 0, "id"))

	refusals := []struct {
		body  J
		field string
	}{
		{J{"template_id": "no-such-template", "roles": []J{}}, "template_id"},
		{fromTemplate(id, []J{{"name": "bonus", "value": "1"}}), "values[0].name"},
		{func() J { b := fromTemplate(id, nil); b["roles"] = at(b, "roles").([]J)[:1]; return b }(), "roles"},
		{func() J { b := fromTemplate(id, nil); at(b, "roles").([]J)[1]["role"] = "CEO"; return b }(), "roles[1].role"},
		{func() J { b := fromTemplate(id, nil); at(b, "roles").([]J)[0]["email"] = "not an address"; return b }(), "recipients[0].email"},
		{fromTemplate(id, []J{{"name": "department", "value": "Legal"}}), "fields[2].value"},
	}
	for _, r := range refusals {
		status, problem := api.call(http.MethodPost, "/v1/envelopes", r.body)
		require.Equal(t, http.StatusUnprocessableEntity, status, "%v", problem)
		require.Equal(t, r.field, str(problem, "errors", 0, "field"), "%v", problem)
	}

	status, env := api.call(http.MethodPost, "/v1/envelopes", fromTemplate(id, []J{{"name": "salary", "value": "EUR 85000", "read_only": true}}))
	require.Equal(t, http.StatusCreated, status, "%v", env)
	envID := str(env, "id")
	require.Equal(t, J{"id": id, "version": float64(1)}, env["template"])
	require.Equal(t, "Your offer, Ada", env["subject"], "the sending overrides the subject")
	require.Equal(t, "Welcome aboard.", env["message"])
	require.Equal(t, "Ada Lovelace", str(env, "recipients", 0, "name"))
	require.Equal(t, "I accept the offer", str(env, "recipients", 0, "meaning"), "the role's meaning")
	require.Equal(t, "EUR 85000", str(env, "fields", 1, "value"))
	require.Equal(t, true, at(env, "fields", 1, "read_only"))

	// Editing the template makes version 2; the envelope keeps version 1.
	status, v2 := sendWith(t, http.MethodPut, suite.apiURL+"/v1/templates/"+id, "application/json",
		jsonBody(t, employmentTemplate(t, "Your contract (2027)")), api.auth)
	require.Equal(t, http.StatusOK, status, "%v", v2)
	require.EqualValues(t, 2, v2["version"])
	status, again2 := sendWith(t, http.MethodPut, suite.apiURL+"/v1/templates/"+id, "application/json",
		jsonBody(t, employmentTemplate(t, "Your contract (2027)")), api.auth)
	require.Equal(t, http.StatusOK, status)
	require.EqualValues(t, 2, again2["version"], "the same PUT again makes no new version")

	// Another tenant sees none of it.
	other := newTenantAPI(t, suite.apiURL)
	status, _ = other.call(http.MethodGet, "/v1/templates/"+id, nil)
	require.Equal(t, http.StatusNotFound, status)
	status, problem = other.call(http.MethodPost, "/v1/envelopes", fromTemplate(id, nil))
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, "template_id", str(problem, "errors", 0, "field"))
	status, problem = other.call(http.MethodPost, "/v1/bulk-sends", J{"template_id": id, "rows": bulkRows(1)})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, "template_id", str(problem, "errors", 0, "field"))
	status, v1 := api.call(http.MethodGet, "/v1/templates/"+id+"?version=1", nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "Your employment contract", v1["subject"])
	require.EqualValues(t, 2, v1["latest_version"])
	status, again := api.call(http.MethodGet, "/v1/envelopes/"+envID, nil)
	require.Equal(t, http.StatusOK, status)
	require.EqualValues(t, 1, at(again, "template", "version"))
	status, next := api.call(http.MethodPost, "/v1/envelopes", func() J { b := fromTemplate(id, nil); delete(b, "subject"); return b }())
	require.Equal(t, http.StatusCreated, status, "%v", next)
	require.EqualValues(t, 2, at(next, "template", "version"))
	require.Equal(t, "Your contract (2027)", next["subject"])

	// The employee cannot change the sender's salary; the rest is theirs.
	ada, grace := str(env, "recipients", 0, "signing_api_url"), str(env, "recipients", 1, "signing_api_url")
	salaryID, deptID, adaSig := str(env, "fields", 1, "id"), str(env, "fields", 2, "id"), str(env, "fields", 0, "id")
	status, problem = postAs(t, ada, "/sign", J{"values": []J{{"field_id": adaSig, "text": "Ada Lovelace"}, {"field_id": salaryID, "text": "EUR 1"}}})
	require.Equal(t, http.StatusUnprocessableEntity, status, "%v", problem)
	require.Equal(t, "values[1].field_id", str(problem, "errors", 0, "field"))
	require.Contains(t, str(problem, "errors", 0, "message"), "salary")
	status, signed := postAs(t, ada, "/sign", J{"values": []J{{"field_id": adaSig, "text": "Ada Lovelace"}, {"field_id": deptID, "text": "Engineering"}}})
	require.Equal(t, http.StatusOK, status, "%v", signed)
	status, signed = postAs(t, grace, "/sign", J{"values": []J{{"field_id": str(env, "fields", 3, "id"), "text": "Grace Hopper"}}})
	require.Equal(t, http.StatusOK, status, "%v", signed)
	require.Equal(t, "completed", awaitWorkflow(t, envID).Status)

	status, form := api.call(http.MethodGet, "/v1/envelopes/"+envID+"/form-data", nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "EUR 85000", str(form, "fields", 1, "value"))
	require.Equal(t, "Engineering", str(form, "fields", 2, "value"))
	path := api.finalPDF(envID, str(env, "documents", 0, "id"))
	requireWordIn(t, path, 1, "85000", salaryBox)
	requireWordIn(t, path, 1, "Engineering", deptBox)

	status, _ = api.call(http.MethodDelete, "/v1/templates/"+id, nil)
	require.Equal(t, http.StatusNoContent, status)
	status, _ = api.call(http.MethodGet, "/v1/templates/"+id, nil)
	require.Equal(t, http.StatusNotFound, status)
	status, problem = api.call(http.MethodPost, "/v1/envelopes", fromTemplate(id, nil))
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, "template_id", str(problem, "errors", 0, "field"))
	status, still := api.call(http.MethodGet, "/v1/envelopes/"+envID, nil)
	require.Equal(t, http.StatusOK, status, "an envelope outlives its template")
	require.Equal(t, "completed", still["status"])
}
