package pdf_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/internal/documents/bombs"
	"github.com/signflow/signflow/internal/documents/pdf"
)

// originals are intact PDFs from several producers, kept in the repository.
func originals(t testing.TB) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "tests", "testdata", "samples", "*.pdf"))
	require.NoError(t, err)
	out := map[string][]byte{"contract.pdf": contract(t)}
	for _, f := range files {
		if strings.Contains(f, "password") {
			continue
		}
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		out[filepath.Base(f)] = data
	}
	return out
}

// damaged is one way to break a file, and whether it must be refused.
type damaged struct {
	name      string
	data      []byte
	mustFail  bool
	earlierOK bool // a cut that leaves an earlier complete revision may be read
}

var objRef = regexp.MustCompile(`(?m)^(\d+) 0 obj`)

// damage makes the corpus: cut at many offsets, bytes flipped across the
// file, the cross-reference keyword and offsets broken, an object removed.
func damage(data []byte) []damaged {
	var out []damaged
	for _, frac := range []float64{0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95} {
		n := int(float64(len(data)) * frac)
		out = append(out, damaged{name: fmt.Sprintf("cut at %d%%", int(frac*100)), data: data[:n], mustFail: true, earlierOK: true})
	}
	out = append(out, damaged{name: "cut in the trailer", data: data[:len(data)-12], mustFail: true, earlierOK: true})
	for i := 1; i < 24; i++ {
		flipped := bytes.Clone(data)
		at := len(data) * i / 24
		flipped[at] ^= 0x5a
		out = append(out, damaged{name: fmt.Sprintf("byte %d flipped", at), data: flipped})
	}
	if i := bytes.LastIndex(data, []byte("\nxref")); i >= 0 {
		broken := bytes.Clone(data)
		copy(broken[i+1:], "xreg")
		out = append(out, damaged{name: "xref keyword broken", data: broken, mustFail: true})
		shifted := bytes.Clone(data)
		// The first in-use entry's offset, one digit changed.
		if e := regexp.MustCompile(`\n(\d{10}) (\d{5}) n`).FindIndex(shifted[i:]); e != nil {
			d := i + e[0] + 9
			shifted[d] = '0' + (shifted[d]-'0'+5)%10
			out = append(out, damaged{name: "xref offset changed", data: shifted, mustFail: true})
		}
	}
	if refs := objRef.FindAllIndex(data, -1); len(refs) > 2 {
		gone := bytes.Clone(data)
		r := refs[len(refs)/2]
		copy(gone[r[0]:r[1]], bytes.Repeat([]byte(" "), r[1]-r[0]))
		out = append(out, damaged{name: "an object removed", data: gone, mustFail: true})
	}
	return out
}

// words counts the words pdftotext reads on a PDF's pages.
func words(t *testing.T, data []byte) map[string]int {
	t.Helper()
	path := filepath.Join(t.TempDir(), "d.pdf")
	require.NoError(t, os.WriteFile(path, data, 0o600))
	out, err := exec.Command("pdftotext", path, "-").Output()
	require.NoError(t, err)
	counts := map[string]int{}
	// Bidi marks move with the layout a stamp changes; they show nothing.
	visible := strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, string(out))
	for _, w := range strings.Fields(visible) {
		counts[w]++
	}
	return counts
}

func TestIntakeRefusesDamagedFilesAndKeepsWhatItAccepts(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) reads the stamped output independently")
	}
	refused, accepted := 0, 0
	for name, original := range originals(t) {
		for _, d := range damage(original) {
			t.Run(name+"/"+d.name, func(t *testing.T) {
				info, err := pdf.Inspect(d.data, pdf.DefaultLimits)
				if err != nil {
					require.True(t, pdf.IsReject(err), "a damaged file is refused with a reason, not failed on: %v", err)
					refused++
					return
				}
				if d.mustFail {
					require.True(t, d.earlierOK && bytes.HasSuffix(bytes.TrimRight(d.data, "\r\n "), []byte("%%EOF")),
						"a file damaged this way must be refused")
				}
				accepted++
				// What is accepted is signed as it is: stamping keeps every word.
				stamped, err := pdf.Render(d.data, info.Pages, []pdf.Stamp{{Page: 1, X: 0.1, Y: 0.9, W: 0.3, H: 0.04, Text: "Signed", Font: pdf.FontPlain}}, nil)
				require.NoError(t, err)
				before, after := words(t, d.data), words(t, stamped)
				for w, n := range before {
					require.GreaterOrEqual(t, after[w], n, "the stamped document lost %q", w)
				}
			})
		}
	}
	t.Logf("damaged corpus: %d refused, %d accepted intact", refused, accepted)
}

func TestIntakeRefusesACompressionBomb(t *testing.T) {
	small := bombs.PDF(1 << 20)
	_, err := pdf.Inspect(small, pdf.DefaultLimits)
	require.NoError(t, err, "the builder makes a valid PDF: a 1 MiB stream is fine")

	big := bombs.PDF(200 << 20)
	require.Less(t, len(big), 1<<20, "200 MiB of content in under 1 MiB of file")
	_, err = pdf.Inspect(big, pdf.DefaultLimits)
	require.Error(t, err)
	require.True(t, pdf.IsReject(err))
	require.Contains(t, err.Error(), "does not decode")
}
