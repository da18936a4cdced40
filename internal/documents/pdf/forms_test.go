package pdf_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/internal/documents/pdf"
	"github.com/signflow/signflow/models"
)

func formPDF(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "tests", "testdata", "samples", "libreoffice-form.pdf"))
	require.NoError(t, err)
	return data
}

// TestInspectFindsTheFormsFields reads LibreOffice's form, whose choice
// field pdfcpu's own form API refuses as corrupt.
func TestInspectFindsTheFormsFields(t *testing.T) {
	info, err := pdf.Inspect(formPDF(t), pdf.DefaultLimits)
	require.NoError(t, err)
	byName := map[string]models.FormField{}
	for _, f := range info.FormFields {
		byName[f.Name] = f
		require.Equal(t, 1, f.Page)
		require.True(t, f.X >= 0 && f.X+f.Width <= 1 && f.Y >= 0 && f.Y+f.Height <= 1, "%+v", f)
	}
	require.Len(t, byName, 8)
	require.Equal(t, models.FieldText, byName["First Name"].Type)
	require.Equal(t, models.FieldCheckbox, byName["gdpr"].Type)
	require.Equal(t, models.FieldRadio, byName["female"].Type)
	require.Len(t, byName["female"].Options, 2)
	require.Equal(t, models.FieldDropdown, byName["Nationality"].Type)
	require.Contains(t, byName["Nationality"].Options, "French")
	require.Less(t, byName["First Name"].Y, byName["gdpr"].Y, "fractions run from the top of the page")

	plain, err := pdf.Inspect(contract(t), pdf.DefaultLimits)
	require.NoError(t, err)
	require.Empty(t, plain.FormFields)
}

// TestRenderFlattensTheForm: the final PDF keeps no fillable field: the
// AcroForm and every widget are gone, the stamps in their place.
func TestRenderFlattensTheForm(t *testing.T) {
	data := formPDF(t)
	info, err := pdf.Inspect(data, pdf.DefaultLimits)
	require.NoError(t, err)
	f := info.FormFields[0]
	out, err := pdf.Render(data, info.Pages, []pdf.Stamp{{Page: 1, X: f.X, Y: f.Y, W: f.Width, H: f.Height, Text: "Ada", Font: pdf.FontPlain}}, nil)
	require.NoError(t, err)
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	ctx, err := api.ReadAndValidate(bytes.NewReader(out), conf)
	require.NoError(t, err)
	catalog, err := ctx.Catalog()
	require.NoError(t, err)
	_, hasForm := catalog.Find("AcroForm")
	require.False(t, hasForm, "the form is flattened")
	after, err := pdf.Inspect(out, pdf.DefaultLimits)
	require.NoError(t, err)
	require.Empty(t, after.FormFields)
}
