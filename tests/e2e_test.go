package tests

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/stretchr/testify/require"
)

// samplesDir holds real PDFs from other producers (CC-BY-SA-4.0 test
// data, see its LICENSE), kept in the repository so a fresh clone tests
// itself; SIGNFLOW_SAMPLES points at another corpus.
func samplesDir(t *testing.T) string {
	dir := os.Getenv("SIGNFLOW_SAMPLES")
	if dir == "" {
		dir = filepath.Join(suite.root, "tests", "testdata", "samples")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("sample PDFs not found at %s: SIGNFLOW_SAMPLES names a missing directory", dir)
	}
	return dir
}

// box is a field placement as fractions of the viewed page.
type box struct{ x, y, w, h float64 }

var (
	aliceSig  = box{0.08, 0.70, 0.35, 0.06}
	aliceDate = box{0.08, 0.78, 0.25, 0.035}
	bobSig    = box{0.55, 0.70, 0.35, 0.06}
	bobCheck  = box{0.55, 0.78, 0.04, 0.03}
	carolSig  = box{0.08, 0.86, 0.35, 0.06}
	carolText = box{0.55, 0.86, 0.30, 0.04}
)

func fieldAt(recipient int, typ string, page int, b box) J {
	return J{"recipient": recipient, "type": typ, "page": page, "x": b.x, "y": b.y, "width": b.w, "height": b.h}
}

// threeRecipients is Alice and Bob in parallel, then Carol, with fields on
// the first and the last page.
func threeRecipients(lastPage int) J {
	return J{
		"subject": "Supply agreement",
		"message": "Please review and sign.",
		"recipients": []J{
			withCode(J{"name": "Alice Adams", "email": "alice@example.com", "role": "signer", "routing_order": 1}),
			withCode(J{"name": "Bob Brown", "email": "bob@example.com", "role": "signer", "routing_order": 1}),
			withCode(J{"name": "Carol Chen", "email": "carol@example.com", "role": "signer", "routing_order": 2}),
		},
		"fields": []J{
			fieldAt(0, "signature", 1, aliceSig),
			fieldAt(0, "date_signed", 1, aliceDate),
			fieldAt(1, "signature", lastPage, bobSig),
			fieldAt(1, "checkbox", lastPage, bobCheck),
			fieldAt(2, "signature", lastPage, carolSig),
			fieldAt(2, "text", 1, carolText),
		},
	}
}

func TestSamplesCompleteWithStampedValues(t *testing.T) {
	t.Parallel()
	requireTool(t, "pdftotext")
	requireTool(t, "pdfimages")
	base := newAPI(t, taskQueue)
	samples, err := filepath.Glob(filepath.Join(samplesDir(t), "*.pdf"))
	require.NoError(t, err)
	samples = append(samples, filepath.Join(suite.root, "tests", "testdata", "contract.pdf"))
	require.GreaterOrEqual(t, len(samples), 10)

	for _, path := range samples {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			pages := pageCount(t, data)
			if pages < 0 {
				// The encrypted sample: intake must refuse it with a clear reason.
				status, body := postEnvelope(t, base, threeRecipients(1), file{name, data})
				require.Equal(t, http.StatusUnprocessableEntity, status)
				require.Equal(t, "documents[0]", str(body, "errors", 0, "field"))
				require.Contains(t, str(body, "errors", 0, "message"), "password")
				return
			}
			completeAndCheck(t, base, name, data, pages)
		})
	}
}

func completeAndCheck(t *testing.T, base, name string, original []byte, lastPage int) {
	status, created := postEnvelope(t, base, threeRecipients(lastPage), file{name, original})
	require.Equal(t, http.StatusCreated, status, "%v", created)
	id := str(created, "id")
	alice, bob, carol := str(created, "recipients", 0, "signing_api_url"), str(created, "recipients", 1, "signing_api_url"), str(created, "recipients", 2, "signing_api_url")

	status, _ = signAs(t, carol, "Carol Chen")
	require.Equal(t, http.StatusConflict, status, "carol is not due before alice and bob")
	status, res := signAs(t, alice, "Alice Adams")
	require.Equal(t, http.StatusOK, status, "%v", res)
	status, res = signAs(t, bob, "") // a drawn PNG signature
	require.Equal(t, http.StatusOK, status, "%v", res)
	status, res = signAs(t, carol, "Carol Chen")
	require.Equal(t, http.StatusOK, status, "%v", res)

	st := awaitWorkflow(t, id)
	require.Equal(t, "completed", st.Status)
	status, env := getJSON(t, base+"/v1/envelopes/"+id)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "completed", str(env, "status"))

	status, final := download(t, str(env, "documents", 0, "final_url"))
	require.Equal(t, http.StatusOK, status)
	sum := sha256.Sum256(final)
	require.Equal(t, str(env, "documents", 0, "final_sha256"), hex.EncodeToString(sum[:]))
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	require.NoError(t, api.Validate(bytes.NewReader(final), conf), "pdfcpu validates the final PDF")

	finalPath := filepath.Join(t.TempDir(), "final.pdf")
	require.NoError(t, os.WriteFile(finalPath, final, 0o600))
	// The date as the signing page wrote it ("December 7, 2026"), the tick
	// as it showed it.
	requireWordIn(t, finalPath, 1, "Alice", aliceSig)
	requireWordIn(t, finalPath, 1, time.Now().UTC().Month().String(), aliceDate)
	requireWordIn(t, finalPath, 1, "PO-4411", carolText)
	requireWordIn(t, finalPath, lastPage, "Carol", carolSig)
	requireInkIn(t, finalPath, lastPage, bobCheck)

	// Sealed last, over the whole file, and checked by an independent verifier.
	requireSealValid(t, finalPath)
	// The certificate of completion follows the document's pages.
	certificate := pdfText(t, finalPath, lastPage+1)
	for _, who := range []string{"Alice Adams <alice@example.com>", "Bob Brown <bob@example.com>", "Carol Chen <carol@example.com>"} {
		require.Contains(t, certificate, who)
	}
	require.Contains(t, certificate, "I approve this document")
	require.Contains(t, certificate, "Status: completed")
	require.Contains(t, certificate, "an access code given by the sender; verified at", "how and when each signer was verified")
	require.Contains(t, certificate, "signflow-integration-test/1.0")

	origPath := filepath.Join(t.TempDir(), "original.pdf")
	require.NoError(t, os.WriteFile(origPath, original, 0o600))
	require.Greater(t, imageCount(t, finalPath, lastPage), imageCount(t, origPath, lastPage), "bob's drawn signature is an image on page %d", lastPage)
}

// requireSealValid asks poppler's pdfsig, which exits 0 whatever it finds.
func requireSealValid(t *testing.T, path string) {
	t.Helper()
	requireTool(t, "pdfsig")
	out, _ := exec.Command("pdfsig", path).CombinedOutput()
	require.Contains(t, string(out), "Signature is Valid.", "%s", out)
	require.Contains(t, string(out), "Total document signed", "%s", out)
}

// pdfText is the text of the pages from first on, as poppler reads it.
func pdfText(t *testing.T, path string, first int) string {
	t.Helper()
	out, err := exec.Command("pdftotext", "-f", strconv.Itoa(first), "-layout", path, "-").Output()
	require.NoError(t, err)
	return string(out)
}

func requireTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s is needed to check PDFs independently: apt-get install poppler-utils", name)
	}
}

// pageCount reads the page count with pdfcpu, or -1 for an encrypted file.
func pageCount(t *testing.T, data []byte) int {
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	ctx, err := api.ReadAndValidate(bytes.NewReader(data), conf)
	if err != nil {
		require.Contains(t, err.Error(), "password")
		return -1
	}
	return ctx.PageCount
}

type bboxDoc struct {
	Pages []struct {
		Width  float64 `xml:"width,attr"`
		Height float64 `xml:"height,attr"`
		Words  []struct {
			XMin float64 `xml:"xMin,attr"`
			YMin float64 `xml:"yMin,attr"`
			XMax float64 `xml:"xMax,attr"`
			YMax float64 `xml:"yMax,attr"`
			Text string  `xml:",chardata"`
		} `xml:"word"`
	} `xml:"body>doc>page"`
}

// requireWordIn checks with poppler that word is drawn on page, its centre
// inside the box as the viewer sees the page.
// requireInkIn checks that something is drawn in box b of a page (a
// tick, which pdftotext cannot see), rendering it at 72 dpi.
func requireInkIn(t *testing.T, path string, page int, b box) {
	t.Helper()
	requireTool(t, "pdftoppm")
	out := filepath.Join(t.TempDir(), "page")
	msg, err := exec.Command("pdftoppm", "-r", "72", "-f", strconv.Itoa(page), "-l", strconv.Itoa(page), "-png", "-singlefile", path, out).CombinedOutput()
	require.NoError(t, err, "%s", msg)
	f, err := os.Open(out + ".png")
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	r := img.Bounds()
	x0, y0 := int(b.x*float64(r.Dx())), int(b.y*float64(r.Dy()))
	x1, y1 := int((b.x+b.w)*float64(r.Dx())), int((b.y+b.h)*float64(r.Dy()))
	dark := 0
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			if cr, cg, cb, _ := img.At(x, y).RGBA(); (cr+cg+cb)/3 < 0xc000 {
				dark++
			}
		}
	}
	require.Greater(t, dark, (x1-x0)*(y1-y0)/20, "something is drawn in %+v of page %d", b, page)
}

func requireWordIn(t *testing.T, path string, page int, word string, b box) {
	t.Helper()
	out, err := exec.Command("pdftotext", "-f", strconv.Itoa(page), "-l", strconv.Itoa(page), "-bbox", path, "-").Output()
	require.NoError(t, err)
	// pdftotext writes XHTML with entities that encoding/xml does not know.
	cleaned := regexp.MustCompile(`<!DOCTYPE[^>]*>`).ReplaceAll(out, nil)
	var doc bboxDoc
	require.NoError(t, xml.Unmarshal(cleaned, &doc))
	require.Len(t, doc.Pages, 1)
	p := doc.Pages[0]
	// Words are placed on the page as it is shown, but the page's width and
	// height are its media box's: a page turned a quarter shows them swapped.
	width, height := p.Width, p.Height
	if rot := pageRotation(t, path, page); rot == 90 || rot == 270 {
		width, height = height, width
	}
	var seen []string
	for _, w := range p.Words {
		// -bbox gives a word's glyphs in drawing order: right-to-left
		// words come reversed (plain pdftotext puts them in reading order).
		if text := stripBidiMarks(strings.TrimSpace(w.Text)); text != word && reversed(text) != word {
			continue
		}
		cx, cy := (w.XMin+w.XMax)/2/width, (w.YMin+w.YMax)/2/height
		seen = append(seen, fmt.Sprintf("(%.3f, %.3f)", cx, cy))
		if cx >= b.x && cx <= b.x+b.w && cy >= b.y && cy <= b.y+b.h {
			return
		}
	}
	t.Fatalf("%q is not inside box %+v on page %d; found at %v", word, b, page, seen)
}

// pageRotation is a page's /Rotate as pdfinfo reads it.
func pageRotation(t *testing.T, path string, page int) int {
	t.Helper()
	out, err := exec.Command("pdfinfo", "-f", strconv.Itoa(page), "-l", strconv.Itoa(page), path).Output()
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^Page\s+\d+\s+rot:\s+(\d+)`).FindSubmatch(out)
	require.NotNil(t, m, "pdfinfo names the page's rotation")
	rot, err := strconv.Atoi(string(m[1]))
	require.NoError(t, err)
	return rot
}

// imageCount is the number of images poppler lists on a page.
func imageCount(t *testing.T, path string, page int) int {
	t.Helper()
	out, err := exec.Command("pdfimages", "-list", "-f", strconv.Itoa(page), "-l", strconv.Itoa(page), path).Output()
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return len(lines) - 2 // two header lines
}
