package tests

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Every state a signer can meet is said by the API in a form the signing
// page turns into words: whose turn it is, why a link no longer opens,
// and, where they may have it, the completed documents.
func TestALinkSaysWhatComesNext(t *testing.T) {
	t.Parallel()
	status, created := postJSON(t, suite.apiURL+"/v1/envelopes", jsonEnvelope(t,
		[]J{person("Ada Turn", 1), person("Bo Later", 2)},
		[]J{fieldAt(0, "signature", 1, aliceSig), fieldAt(1, "signature", 1, bobSig)}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	ada, bo := str(created, "recipients", 0, "signing_api_url"), str(created, "recipients", 1, "signing_api_url")

	status, gate := getJSON(t, bo)
	require.Equal(t, http.StatusOK, status, "%v", gate)
	require.Equal(t, []any{"Ada Turn"}, at(gate, "envelope", "waiting_for"), "before any code, Bo learns whose turn it is")
	_, gate = getJSON(t, ada)
	require.Nil(t, at(gate, "envelope", "waiting_for"), "Ada's turn has come")

	boSession := session(t, bo)
	status, body := signAs(t, ada, "Ada Turn")
	require.Equal(t, http.StatusOK, status, "%v", body)
	status, body = getJSON(t, ada)
	require.Equal(t, http.StatusGone, status)
	require.Equal(t, "acted", str(body, "closed_link", "state"))
	require.Equal(t, true, at(body, "closed_link", "you_acted"))

	require.Eventually(t, func() bool {
		status, view := sendWith(t, http.MethodGet, bo, "", nil, boSession)
		return status == http.StatusOK && at(view, "envelope", "waiting_for") == nil
	}, time.Minute, 50*time.Millisecond, "Bo's turn comes once Ada's signature is stored")
	status, body = signAs(t, bo, "Bo Later")
	require.Equal(t, http.StatusOK, status, "%v", body)
	awaitWorkflow(t, str(created, "id"))

	status, body = getJSON(t, bo)
	require.Equal(t, http.StatusGone, status)
	require.Equal(t, "completed", str(body, "closed_link", "state"))
	require.Nil(t, at(body, "closed_link", "copies"), "without a session, the link holder gets no documents")
	status, body = sendWith(t, http.MethodGet, bo, "", nil, boSession)
	require.Equal(t, http.StatusGone, status)
	require.Equal(t, "completed", str(body, "closed_link", "state"))
	copies := at(body, "closed_link", "copies").([]any)
	require.Len(t, copies, 1, "in the session they signed in, the completed documents are offered")
	req, err := http.NewRequest(http.MethodGet, str(copies[0], "url"), nil)
	require.NoError(t, err)
	resp := roundTrip(t, req)
	require.Equal(t, http.StatusOK, resp.status)
	require.Equal(t, "%PDF", string(resp.body[:4]))
}

func TestAVoidedLinkSaysTheSendersReason(t *testing.T) {
	t.Parallel()
	status, created := postJSON(t, suite.apiURL+"/v1/envelopes", jsonEnvelope(t,
		[]J{person("Vo Id", 1)}, []J{fieldAt(0, "signature", 1, aliceSig)}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	status, body := postJSON(t, suite.apiURL+"/v1/envelopes/"+str(created, "id")+"/void", J{"reason": "Der Preis hat sich geändert"})
	require.Equal(t, http.StatusOK, status, "%v", body)
	status, body = getJSON(t, str(created, "recipients", 0, "signing_api_url"))
	require.Equal(t, http.StatusGone, status)
	require.Equal(t, "voided", str(body, "closed_link", "state"))
	require.Equal(t, "Der Preis hat sich geändert", str(body, "closed_link", "reason"))
	require.Equal(t, false, at(body, "closed_link", "you_acted"))
}

// What a signer enters is kept as they go, restored in a new session, and
// becomes a signature only when they sign.
func TestADraftSurvivesANewSessionAndIsNotASignature(t *testing.T) {
	t.Parallel()
	status, created := postJSON(t, suite.apiURL+"/v1/envelopes", jsonEnvelope(t,
		[]J{person("Dra Ft", 1)},
		[]J{fieldAt(0, "signature", 1, aliceSig), J{"recipient": 0, "type": "text", "name": "po", "page": 1,
			"x": 0.1, "y": 0.3, "width": 0.3, "height": 0.05}, J{"recipient": 0, "type": "attachment", "page": 1,
			"x": 0.1, "y": 0.4, "width": 0.3, "height": 0.05, "required": false}}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	link := str(created, "recipients", 0, "signing_api_url")
	_, view := viewAs(t, link)
	sig, po, file := str(view, "fields", 0, "id"), str(view, "fields", 1, "id"), str(view, "fields", 2, "id")

	put := func(values []J, headers map[string]string) (int, J) {
		return sendWith(t, http.MethodPut, link+"/draft", "application/json", jsonBody(t, J{"values": values}), headers)
	}
	status, body := put([]J{{"field_id": po, "text": "PO-7"}}, nil)
	require.Equal(t, http.StatusUnauthorized, status, "a link alone saves nothing: %v", body)
	first := session(t, link)
	status, body = put([]J{{"field_id": po, "text": "PO-7"}, {"field_id": sig, "text": "Dra Ft"}}, first)
	require.Equal(t, http.StatusOK, status, "%v", body)
	status, body = put([]J{{"field_id": file, "attachment": J{"name": "a.pdf", "content_base64": "JVBERi0="}}}, first)
	require.Equal(t, http.StatusUnprocessableEntity, status, "files go with the signature: %v", body)
	require.Equal(t, "values[0].attachment", str(body, "errors", 0, "field"))
	status, body = put([]J{{"field_id": "someone-else's", "text": "x"}}, first)
	require.Equal(t, http.StatusUnprocessableEntity, status, "%v", body)

	status, view = sendWith(t, http.MethodGet, link, "", nil, session(t, link))
	require.Equal(t, http.StatusOK, status, "%v", view)
	require.Equal(t, "PO-7", str(view, "draft", 0, "text"), "a new session brings the draft back")
	require.Equal(t, "Dra Ft", str(view, "draft", 1, "text"))
	_, env := getJSON(t, suite.apiURL+"/v1/envelopes/"+str(created, "id"))
	require.Equal(t, "notified", str(env, "recipients", 0, "status"), "a draft is no action")
	_, form := getJSON(t, suite.apiURL+"/v1/envelopes/"+str(created, "id")+"/form-data")
	require.Nil(t, at(form, "fields", 1, "value"), "nor a value the sender sees")

	status, body = signAs(t, link, "Dra Ft")
	require.Equal(t, http.StatusOK, status, "%v", body)
	status, _ = put([]J{{"field_id": po, "text": "later"}}, first)
	require.Equal(t, http.StatusGone, status, "a spent link keeps no draft")
}

// Fields that show, hide, become required and compute themselves are
// checked again by the server at Sign, and form data says which rule
// decided.
func TestSmartFieldsAreCheckedAgainAtSign(t *testing.T) {
	t.Parallel()
	field := func(typ, name string, extra J) J {
		f := J{"recipient": 0, "type": typ, "name": name, "page": 1, "x": 0.1, "y": 0.3, "width": 0.2, "height": 0.04, "required": false}
		for k, v := range extra {
			f[k] = v
		}
		return f
	}
	status, created := postJSON(t, suite.apiURL+"/v1/envelopes", jsonEnvelope(t,
		[]J{person("Smart Signer", 1)},
		[]J{fieldAt(0, "signature", 1, aliceSig),
			field("checkbox", "spouse", nil),
			field("text", "spouse name", J{"required": true, "show_if": J{"field": "spouse", "is": "checked"}}),
			field("number", "hours", nil),
			field("number", "rate", J{"value": "80", "read_only": true}),
			field("number", "total", J{"formula": "round({hours} * {rate} * 1.19, 2)"}),
			field("checkbox", "by email", J{"group": "contact", "min": 1, "max": 1}),
			field("checkbox", "by phone", J{"group": "contact", "min": 1, "max": 1}),
		}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	link := str(created, "recipients", 0, "signing_api_url")
	_, view := viewAs(t, link)
	ids := map[string]string{}
	for _, f := range at(view, "fields").([]any) {
		name, _ := at(f, "name").(string) // the signature has none
		ids[name] = str(f, "id")
	}
	require.Equal(t, "checked", str(view, "fields", 2, "show_if", "is"), "the page is given the rules")
	yes := true
	sign := func(values ...J) (int, J) {
		all := append([]J{{"field_id": ids[""], "text": "Smart Signer"}}, values...)
		return postAs(t, link, "/sign", J{"values": all})
	}
	status, body := sign(J{"field_id": ids["spouse"], "checked": yes}, J{"field_id": ids["by email"], "checked": yes})
	require.Equal(t, http.StatusUnprocessableEntity, status, "shown and required: %v", body)
	require.Contains(t, str(body, "errors", 0, "message"), `"spouse name" is required`)
	status, body = sign(J{"field_id": ids["by email"], "checked": yes}, J{"field_id": ids["by phone"], "checked": yes})
	require.Equal(t, http.StatusUnprocessableEntity, status, "%v", body)
	require.Contains(t, str(body, "errors", 0, "message"), `at most 1 of the boxes of group "contact"`)
	status, body = sign(J{"field_id": ids["total"], "text": "1"}, J{"field_id": ids["by email"], "checked": yes})
	require.Equal(t, http.StatusUnprocessableEntity, status, "%v", body)
	require.Equal(t, "values[1].field_id", str(body, "errors", 0, "field"))

	status, body = sign(J{"field_id": ids["spouse name"], "text": "hidden, so dropped"}, J{"field_id": ids["hours"], "text": "2.5"},
		J{"field_id": ids["by email"], "checked": yes})
	require.Equal(t, http.StatusOK, status, "%v", body)
	awaitWorkflow(t, str(created, "id"))
	_, form := getJSON(t, suite.apiURL+"/v1/envelopes/"+str(created, "id")+"/form-data")
	byName := map[string]any{}
	for _, f := range at(form, "fields").([]any) {
		name, _ := at(f, "name").(string)
		byName[name] = f
	}
	require.Nil(t, at(byName["spouse name"], "value"), "a hidden field keeps no value")
	require.Contains(t, str(byName["spouse name"], "rule"), "hidden: show_if")
	require.EqualValues(t, 238, at(byName["total"], "value"), "2.5 h at 80 plus 19%%, computed by the server")
	require.Equal(t, "computed: round({hours} * {rate} * 1.19, 2)", str(byName["total"], "rule"))
}

// person is a signer of routing order with a name of two words.
func person(name string, order int) J {
	return withCode(J{"name": name, "email": unique("person"), "role": "signer", "routing_order": order})
}

// TestTheFinalDocumentSpeaksTheLanguageThePageShowed: a recipient the
// sender gave no language signs on a German page; the final document
// stamps the date, the signature's meaning and the time under it the
// German way, as the page showed them, and the certificate records the
// meaning in German. A language Signflow lacks is refused by name.
func TestTheFinalDocumentSpeaksTheLanguageThePageShowed(t *testing.T) {
	t.Parallel()
	status, created := postJSON(t, suite.apiURL+"/v1/envelopes", jsonEnvelope(t,
		[]J{withCode(J{"name": "Jonas Weber", "email": unique("jonas"), "role": "signer"})},
		[]J{fieldAt(0, "signature", 1, uiSigBox), fieldAt(0, "date_signed", 1, uiDateBox)}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	require.Equal(t, "I approve this document", str(created, "recipients", 0, "meaning"), "no language of his own: the default is English")
	link := str(created, "recipients", 0, "signing_api_url")
	auth := session(t, link)
	status, view := sendWith(t, http.MethodGet, link, "", nil, auth)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, true, at(view, "recipient", "default_meaning"), "the page says a default meaning in its own language")

	values := []J{{"field_id": str(created, "fields", 0, "id"), "text": "Jonas Weber"}}
	status, problem := sendWith(t, http.MethodPost, link+"/sign", "application/json", jsonBody(t, J{"values": values, "locale": "tlh"}), auth)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, "locale", str(problem, "errors", 0, "field"))
	status, signed := sendWith(t, http.MethodPost, link+"/sign", "application/json", jsonBody(t, J{"values": values, "locale": "de"}), auth)
	require.Equal(t, http.StatusOK, status, "%v", signed)
	require.Equal(t, "completed", awaitWorkflow(t, str(created, "id")).Status)

	status, final := download(t, suite.apiURL+"/v1/envelopes/"+str(created, "id")+"/documents/"+str(created, "documents", 0, "id")+"/final")
	require.Equal(t, http.StatusOK, status)
	path := filepath.Join(t.TempDir(), "final.pdf")
	require.NoError(t, os.WriteFile(path, final, 0o600))
	months := []string{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"}
	now := time.Now().UTC()
	day := fmt.Sprintf("%d. %s %d", now.Day(), months[now.Month()-1], now.Year())
	requireWordIn(t, path, 1, months[now.Month()-1], uiDateBox)
	text := pdfText(t, path, 1)
	require.Contains(t, text, day, "the date as the German page wrote it")
	require.Contains(t, text, "Jonas Weber - "+day+", ", "the time under the signature, the German way")
	require.Contains(t, text, "Ich genehmige dieses Dokument", "the meaning as the page stated it")
	require.Contains(t, text, "Meaning of signature: Ich genehmige dieses Dokument", "and so does the certificate")
}
