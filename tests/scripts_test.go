package tests

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// scriptNames are names in the scripts Signflow's signers write.
var scriptNames = []struct{ script, name string }{
	{"Latin with diacritics", "Zoë Łukasz-Ñúñez"},
	{"Cyrillic", "Юлия Соколова"},
	{"Greek", "Αθηνά Παππά"},
	{"Chinese", "李小龙"},
	{"Japanese", "さくら 山田"},
	{"Korean", "김민준"},
	{"Hebrew", "שרה לוי"},
}

// TestNamesInEveryScriptRoundTripIntoTheFinalPDF: a signer named in
// Arabic types her signature in Arabic and fills a field per other
// script; pdftotext finds every word in its box on the final copy, her
// name on the certificate, and the seal still validates. What no
// embedded font can draw is refused with a 422 naming the field, at
// creation and at signing.
func TestNamesInEveryScriptRoundTripIntoTheFinalPDF(t *testing.T) {
	t.Parallel()
	requireTool(t, "pdftotext")
	api := newTenantAPI(t, suite.apiURL)
	const arabic = "زينب الحسيني"

	status, problem := api.call(http.MethodPost, "/v1/envelopes", jsonEnvelope(t, []J{withCode(J{"name": "Ada 🖋", "email": "ada@example.com", "role": "signer"})}, nil))
	require.Equal(t, http.StatusUnprocessableEntity, status, "%v", problem)
	require.Equal(t, "recipients[0].name", str(problem, "errors", 0, "field"))
	require.Contains(t, str(problem, "errors", 0, "message"), "U+1F58B")

	boxes := make([]box, len(scriptNames))
	fields := []J{fieldAt(0, "signature", 1, aliceSig)}
	for i := range scriptNames {
		boxes[i] = box{0.08 + 0.46*float64(i%2), 0.40 + 0.06*float64(i/2), 0.40, 0.04}
		fields = append(fields, J{"recipient": 0, "type": "text", "page": 1, "name": fmt.Sprintf("name_%d", i),
			"x": boxes[i].x, "y": boxes[i].y, "width": boxes[i].w, "height": boxes[i].h})
	}
	status, created := api.call(http.MethodPost, "/v1/envelopes", jsonEnvelope(t, []J{withCode(J{"name": arabic, "email": "zaynab@example.com", "role": "signer"})}, fields))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	id, signingURL := str(created, "id"), str(created, "recipients", 0, "signing_api_url")
	ids := at(created, "fields").([]any)
	values := func(extra string) J {
		vs := []J{{"field_id": str(ids[0], "id"), "text": arabic}}
		for i, n := range scriptNames {
			vs = append(vs, J{"field_id": str(ids[i+1], "id"), "text": n.name + extra})
		}
		return J{"values": vs}
	}

	auth := session(t, signingURL)
	status, problem = sendWith(t, http.MethodPost, signingURL+"/sign", "application/json", jsonBody(t, values(" 𓀀")), auth)
	require.Equal(t, http.StatusUnprocessableEntity, status, "%v", problem)
	require.Equal(t, "values[1]", str(problem, "errors", 0, "field"))
	require.Contains(t, str(problem, "errors", 0, "message"), "cannot be printed")

	status, signed := sendWith(t, http.MethodPost, signingURL+"/sign", "application/json", jsonBody(t, values("")), auth)
	require.Equal(t, http.StatusOK, status, "%v", signed)
	require.Equal(t, "completed", awaitWorkflow(t, id).Status)

	path := api.finalPDF(id, str(created, "documents", 0, "id"))

	for i, n := range scriptNames {
		for _, word := range strings.Fields(n.name) {
			requireWordIn(t, path, 1, word, boxes[i])
		}
	}
	for _, word := range strings.Fields(arabic) {
		requireWordIn(t, path, 1, word, aliceSig)
	}
	require.Contains(t, stripBidiMarks(pdfText(t, path, 2)), "zaynab@example.com")
	for _, word := range strings.Fields(arabic) {
		require.Contains(t, stripBidiMarks(pdfText(t, path, 2)), word, "the certificate names her")
	}
	requireSealValid(t, path)
}

// stripBidiMarks drops the embedding marks pdftotext puts around
// right-to-left text.
func stripBidiMarks(s string) string {
	return strings.NewReplacer("\u202b", "", "\u202c", "", "\u202a", "").Replace(s)
}

func reversed(s string) string {
	r := []rune(s)
	slices.Reverse(r)
	return string(r)
}
