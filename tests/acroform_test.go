package tests

import (
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/internal/documents/pdf"
)

// TestFormFieldsOfThePDFAreAssignedByName: intake lists the PDF's own form
// fields; a sender assigns them to a recipient by name, the recipient
// fills them like any field, and the final PDF carries the values in their
// places with the form flattened, the seal intact.
func TestFormFieldsOfThePDFAreAssignedByName(t *testing.T) {
	t.Parallel()
	requireTool(t, "pdftotext")
	form, err := os.ReadFile(filepath.Join(suite.root, "tests", "testdata", "samples", "libreoffice-form.pdf"))
	require.NoError(t, err)
	spec := func(fields []J) J {
		return J{"subject": "Registration", "documents": []J{{"name": "form.pdf", "content_base64": base64.StdEncoding.EncodeToString(form)}},
			"recipients": []J{signer("alice", 1)}, "fields": fields}
	}
	sig := fieldAt(0, "signature", 1, box{0.55, 0.40, 0.35, 0.05})
	status, problem := postJSON(t, suite.apiURL+"/v1/envelopes", spec([]J{sig, {"recipient": 0, "form_field": "Middle Name"}}))
	require.Equal(t, http.StatusUnprocessableEntity, status, "%v", problem)
	require.Equal(t, "fields[1].form_field", str(problem, "errors", 0, "field"))

	status, created := postJSON(t, suite.apiURL+"/v1/envelopes", spec([]J{sig,
		{"recipient": 0, "form_field": "Last Name"},
		{"recipient": 0, "form_field": "Nationality"},
		{"recipient": 0, "form_field": "gdpr"},
	}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	require.Len(t, at(created, "documents", 0, "form_fields").([]any), 8)
	fields := at(created, "fields").([]any)
	require.Equal(t, "text", str(fields[1], "type"))
	require.Equal(t, "Last Name", str(fields[1], "name"))
	require.Equal(t, "dropdown", str(fields[2], "type"))
	require.Contains(t, at(fields[2], "options"), "French")
	require.Equal(t, "checkbox", str(fields[3], "type"))
	last := box{at(fields[1], "x").(float64), at(fields[1], "y").(float64), at(fields[1], "width").(float64), at(fields[1], "height").(float64)}
	nationality := box{at(fields[2], "x").(float64), at(fields[2], "y").(float64), at(fields[2], "width").(float64), at(fields[2], "height").(float64)}

	link := str(created, "recipients", 0, "signing_api_url")
	status, problem = postAs(t, link, "/sign", J{"values": []J{{"field_id": str(fields[0], "id"), "text": "Alice"},
		{"field_id": str(fields[2], "id"), "text": "Klingon"}}})
	require.Equal(t, http.StatusUnprocessableEntity, status, "the form's options hold: %v", problem)
	status, signed := postAs(t, link, "/sign", J{"values": []J{{"field_id": str(fields[0], "id"), "text": "Alice"},
		{"field_id": str(fields[1], "id"), "text": "Lovelace"},
		{"field_id": str(fields[2], "id"), "text": "French"},
		{"field_id": str(fields[3], "id"), "checked": true}}})
	require.Equal(t, http.StatusOK, status, "%v", signed)
	id := str(created, "id")
	require.Equal(t, "completed", awaitWorkflow(t, id).Status)

	path := savedFinal(t, id, str(created, "documents", 0, "id"))
	requireWordIn(t, path, 1, "Lovelace", last)
	requireWordIn(t, path, 1, "French", nationality)
	require.Contains(t, pdfText(t, path, 1), "Bob", "a value the form came with stays")
	// The form is flattened: of an AcroForm only the seal's signature is left.
	final, err := os.ReadFile(path)
	require.NoError(t, err)
	after, err := pdf.Inspect(final, pdf.DefaultLimits)
	require.NoError(t, err)
	for _, f := range after.FormFields {
		require.Equal(t, "signature", f.Type, "no field of the original form is left: %+v", f)
	}
	requireSealValid(t, path)
}
