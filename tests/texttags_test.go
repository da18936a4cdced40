package tests

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// taggedPDF is a one-page US Letter PDF with one line of Helvetica 12 pt
// text per entry, from y (points from the bottom) down.
func taggedPDF(lines map[float64]string) []byte {
	var content bytes.Buffer
	for y, text := range lines {
		fmt.Fprintf(&content, "BT /F1 12 Tf 72 %.0f Td (%s) Tj ET\n", y, text)
	}
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", content.Len(), content.String()),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	var offsets []int
	for i, o := range objs {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// darkPixels counts the pixels darker than light grey in a rectangle of
// page 1 rendered at 72 dpi (one pixel a point), from the top-left corner.
func darkPixels(t *testing.T, pdf []byte, x0, y0, x1, y1 int) int {
	t.Helper()
	requireTool(t, "pdftoppm")
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "in.pdf"), pdf, 0o600))
	out, err := exec.Command("pdftoppm", "-r", "72", "-f", "1", "-l", "1", "-png", "-singlefile", filepath.Join(dir, "in.pdf"), filepath.Join(dir, "page")).CombinedOutput()
	require.NoError(t, err, "%s", out)
	f, err := os.Open(filepath.Join(dir, "page.png"))
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	dark := 0
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if (r+g+b)/3 < 0xc000 {
				dark++
			}
		}
	}
	return dark
}

// TestTextTagsPlaceFieldsAndVanish: fields are made where the document's
// text has tags, typed, sized and assigned as the tags say; a tag that
// cannot be read is a 422 quoting it; the final PDF shows the values and
// not the tags.
func TestTextTagsPlaceFieldsAndVanish(t *testing.T) {
	t.Parallel()
	requireTool(t, "pdftotext")
	doc := taggedPDF(map[float64]string{
		600: "Buyer: {{signature:1}}",
		560: "Date: {{date:1}}",
		520: "Company: {{text:2:name=company:w=60}}",
		440: "Seller: {{signature:2}}",
	})
	spec := func(data []byte) J {
		return J{"subject": "Tagged agreement", "text_tags": true, "recipients": []J{signer("alice", 1), signer("bob", 2)},
			"documents": []J{{"name": "tagged.pdf", "content_base64": base64.StdEncoding.EncodeToString(data)}}}
	}
	status, problem := postJSON(t, suite.apiURL+"/v1/envelopes", spec(taggedPDF(map[float64]string{600: "Buyer: {{sign:1}}"})))
	require.Equal(t, http.StatusUnprocessableEntity, status, "%v", problem)
	require.Equal(t, "documents[0]", str(problem, "errors", 0, "field"))
	require.Contains(t, str(problem, "errors", 0, "message"), "{{sign:1}}")

	status, created := postJSON(t, suite.apiURL+"/v1/envelopes", spec(doc))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	byType := map[string][]J{}
	for _, f := range at(created, "fields").([]any) {
		byType[str(f, "type")] = append(byType[str(f, "type")], f.(J))
	}
	require.Len(t, byType["signature"], 2)
	require.Len(t, byType["date_signed"], 1)
	company := byType["text"][0]
	require.Equal(t, "company", company["name"])
	require.Equal(t, str(created, "recipients", 1, "id"), company["recipient_id"], "{{text:2}} is the second recipient's")
	require.InDelta(t, 60.0/612, company["width"], 1e-6, "w=60 points")
	require.InDelta(t, (792.0-520-12)/792, company["y"], 0.01, "the box starts at the tag's line")

	alice, bob := str(created, "recipients", 0, "signing_api_url"), str(created, "recipients", 1, "signing_api_url")
	for _, f := range byType["signature"] {
		if f["recipient_id"] == str(created, "recipients", 0, "id") {
			status, body := postAs(t, alice, "/sign", J{"values": []J{{"field_id": f["id"], "text": "Alice"}}})
			require.Equal(t, http.StatusOK, status, "%v", body)
		}
	}
	var bobSig string
	for _, f := range byType["signature"] {
		if f["recipient_id"] == str(created, "recipients", 1, "id") {
			bobSig = str(f, "id")
		}
	}
	status, body := postAs(t, bob, "/sign", J{"values": []J{{"field_id": bobSig, "text": "Bob"}, {"field_id": company["id"], "text": "Acme"}}})
	require.Equal(t, http.StatusOK, status, "%v", body)
	id := str(created, "id")
	require.Equal(t, "completed", awaitWorkflow(t, id).Status)

	path := savedFinal(t, id, str(created, "documents", 0, "id"))
	requireWordIn(t, path, 1, "Acme", box{company["x"].(float64), company["y"].(float64), company["width"].(float64), company["height"].(float64)})
	// The company tag runs past its 60-point box: that part is ink in the
	// original and white in the final copy.
	x0 := int(company["x"].(float64)*612) + 80
	y0, y1 := 792-520-10, 792-520
	require.Positive(t, darkPixels(t, doc, x0, y0, x0+60, y1), "the tag is drawn in the original")
	final, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Zero(t, darkPixels(t, final, x0, y0, x0+60, y1), "and does not show in the final copy")
	requireSealValid(t, path)
}
