package pdf_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/internal/documents/pdf"
	"github.com/signflow/signflow/models"
)

// Names in the scripts signers write, each stamped into its own box.
var names = []struct{ script, text string }{
	{"Latin with diacritics", "Zoë Łukasz-Ñúñez"},
	{"Cyrillic", "Юлия Соколова"},
	{"Greek", "Αθηνά Παππά"},
	{"Chinese", "李小龙"},
	{"Japanese", "さくら 山田"},
	{"Korean", "김민준"},
	{"Arabic", "زينب الحسيني"},
	{"Hebrew", "שרה לוי"},
}

// textIn is what pdftotext reads in the box (points from the page's
// top left) on page 1.
func textIn(t *testing.T, doc []byte, page models.Page, x, y, w, h float64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "doc.pdf")
	require.NoError(t, os.WriteFile(path, doc, 0o600))
	out, err := exec.Command("pdftotext", "-f", "1", "-l", "1", "-x", fmt.Sprint(int(x)), "-y", fmt.Sprint(int(y)),
		"-W", fmt.Sprint(int(w)), "-H", fmt.Sprint(int(h)), "-r", "72", path, "-").CombinedOutput()
	require.NoError(t, err, string(out))
	// pdftotext wraps right-to-left text in embedding marks (U+202B, U+202C).
	return strings.TrimSpace(strings.NewReplacer("\u202b", "", "\u202c", "").Replace(string(out)))
}

func TestEveryScriptIsStampedInItsBoxAndReadBack(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) is not installed")
	}
	doc := pdf.BlankA4()
	page := pdf.A4
	var stamps []pdf.Stamp
	for i, n := range names {
		font := pdf.FontPlain
		if i%2 == 1 {
			font = pdf.FontSignature
		}
		stamps = append(stamps, pdf.Stamp{Page: 1, X: 0.1, Y: 0.05 + 0.08*float64(i), W: 0.6, H: 0.05, Text: n.text, Font: font})
	}
	out, err := pdf.Render(doc, []models.Page{page}, stamps, nil)
	require.NoError(t, err)
	require.NoError(t, api.Validate(bytes.NewReader(out), nil))
	for i, n := range names {
		s := stamps[i]
		got := textIn(t, out, page, s.X*page.Width, s.Y*page.Height, s.W*page.Width, s.H*page.Height)
		require.Equal(t, n.text, got, n.script)
	}
	require.Less(t, len(out), 120_000, "fonts are embedded as subsets")
}
