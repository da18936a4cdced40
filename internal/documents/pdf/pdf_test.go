package pdf_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/internal/documents/bombs"
	"github.com/signflow/signflow/internal/documents/pdf"
)

func contract(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "tests", "testdata", "contract.pdf"))
	require.NoError(t, err)
	return data
}

func transform(t *testing.T, data []byte, fn func(r *bytes.Reader, w *bytes.Buffer) error) []byte {
	t.Helper()
	var out bytes.Buffer
	require.NoError(t, fn(bytes.NewReader(data), &out))
	return out.Bytes()
}

func TestInspectRefusesWithAReason(t *testing.T) {
	good := contract(t)
	encrypted := transform(t, good, func(r *bytes.Reader, w *bytes.Buffer) error {
		return api.Encrypt(r, w, model.NewAESConfiguration("user", "owner", 256))
	})
	ownerOnly := transform(t, good, func(r *bytes.Reader, w *bytes.Buffer) error {
		return api.Encrypt(r, w, model.NewAESConfiguration("", "owner", 256))
	})
	twoPages := transform(t, good, func(r *bytes.Reader, w *bytes.Buffer) error {
		return api.InsertPages(r, w, nil, false, nil, nil)
	})
	tests := []struct {
		name   string
		data   []byte
		limits pdf.Limits
		reason string
	}{
		{"empty", nil, pdf.DefaultLimits, "not a PDF"},
		{"text", []byte("hello, this is not a document"), pdf.DefaultLimits, "not a PDF"},
		{"PNG bytes", []byte("\x89PNG\r\n\x1a\n...."), pdf.DefaultLimits, "not a PDF"},
		{"header only", []byte("%PDF-1.7\n"), pdf.DefaultLimits, "damaged or truncated"},
		{"truncated", good[:len(good)/3], pdf.DefaultLimits, "damaged or truncated"},
		{"password to open", encrypted, pdf.DefaultLimits, "password"},
		{"owner password only", ownerOnly, pdf.DefaultLimits, "encrypted"},
		{"over the size cap", good, pdf.Limits{MaxBytes: 1000, MaxPages: 10}, "limit is 1000 bytes"},
		{"over the page cap", twoPages, pdf.Limits{MaxBytes: 1 << 20, MaxPages: 1}, "2 pages; the limit is 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := pdf.Inspect(tc.data, tc.limits)
			require.Error(t, err)
			require.True(t, pdf.IsReject(err), "a refusal, not a fault: %v", err)
			require.Contains(t, err.Error(), tc.reason)
		})
	}
}

func TestInspectRecordsGeometry(t *testing.T) {
	rotated := transform(t, contract(t), func(r *bytes.Reader, w *bytes.Buffer) error {
		return api.Rotate(r, w, 90, nil, nil)
	})
	info, err := pdf.Inspect(rotated, pdf.DefaultLimits)
	require.NoError(t, err)
	require.Len(t, info.Pages, 1)
	// A portrait A4 page turned 90 degrees is seen as landscape.
	require.Equal(t, 90, info.Pages[0].Rotation)
	require.InDelta(t, 841.89, info.Pages[0].Width, 0.01)
	require.InDelta(t, 595.276, info.Pages[0].Height, 0.01)
	require.Equal(t, pdf.SHA256(rotated), info.SHA256)
	require.EqualValues(t, len(rotated), info.Size)
}

func TestStampAllRefusesAMissingPage(t *testing.T) {
	data := contract(t)
	info, err := pdf.Inspect(data, pdf.DefaultLimits)
	require.NoError(t, err)
	_, err = pdf.Render(data, info.Pages, []pdf.Stamp{{Page: 2, X: 0.1, Y: 0.1, W: 0.2, H: 0.05, Text: "x"}}, nil)
	require.ErrorContains(t, err, "page 2 does not exist")
}

// FuzzInspect feeds intake arbitrary bytes: it may refuse them, but must
// never panic or fail with anything but a refusal. `go test` runs the seeds;
// `go test -fuzz FuzzInspect ./internal/documents/pdf` explores further.
func FuzzInspect(f *testing.F) {
	good := contract(f)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF"))
	// The damaged corpus: cuts, flipped bytes, broken cross-references,
	// a removed object, and a small bomb.
	for _, d := range damage(good) {
		f.Add(d.data)
	}
	f.Add(bombs.PDF(4 << 20))
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := pdf.Inspect(data, pdf.DefaultLimits)
		if err != nil {
			require.True(t, pdf.IsReject(err), "%v", err)
			return
		}
		require.NotEmpty(t, info.Pages)
	})
}

func TestBlankA4IsAValidOnePagePDF(t *testing.T) {
	t.Parallel()
	info, err := pdf.Inspect(pdf.BlankA4(), pdf.DefaultLimits)
	require.NoError(t, err)
	require.Len(t, info.Pages, 1)
	require.InDelta(t, pdf.A4.Width, info.Pages[0].Width, 0.5)
}
