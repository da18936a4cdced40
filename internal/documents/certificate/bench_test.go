package certificate_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/filter"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/internal/documents/certificate"
	"github.com/signflow/signflow/internal/documents/pdf"
	"github.com/signflow/signflow/internal/keys/seal"
)

// BenchmarkFinalize makes a completed document as the render activity
// does: a 20-page, 5 MB PDF gets ten stamped values (two drawn signatures),
// the certificate of completion (80 audit events, two pages) and the seal:
//
//	go test ./internal/documents/certificate -run '^$' -bench Finalize -benchmem -count 6
func BenchmarkFinalize(b *testing.B) {
	doc := largeDocument(b, 20, 250_000)
	info, err := pdf.Inspect(doc, pdf.DefaultLimits)
	require.NoError(b, err)
	sealer, err := seal.LoadOrCreate(b.TempDir())
	require.NoError(b, err)
	signature := noisePNG(b, 120, 40, 1)
	var stamps []pdf.Stamp
	for i := range 10 {
		s := pdf.Stamp{Page: 1 + i*2, X: 0.1, Y: 0.8, W: 0.3, H: 0.05, Text: "Alice Adams", Font: pdf.FontSignature}
		if i < 2 {
			s.Text, s.PNG = "", signature
		}
		stamps = append(stamps, s)
	}
	d := sample(80)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rendered, err := pdf.Render(doc, info.Pages, stamps, certificate.Sheets(d))
		require.NoError(b, err)
		_, err = sealer.Seal(rendered, seal.Info{Reason: "bench", Date: time.Now()})
		require.NoError(b, err)
	}
}

// largeDocument is contract.pdf grown to pages pages, each added one an image
// of about imageBytes that does not compress: a scanned contract's size.
func largeDocument(b *testing.B, pages, imageBytes int) []byte {
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "tests", "testdata", "contract.pdf"))
	require.NoError(b, err)
	conf := model.NewDefaultConfiguration()
	ctx, err := api.ReadValidateAndOptimize(bytes.NewReader(doc), conf)
	require.NoError(b, err)
	for ctx.PageCount < pages {
		require.NoError(b, ctx.InsertBlankPages(types.IntSet{ctx.PageCount: true}, nil, false))
		ctx.PageCount++
	}
	side := 1
	for side*side*3 < imageBytes {
		side++
	}
	for nr := 2; nr <= pages; nr++ { // the added pages, each a scan
		ref, _, _, err := model.CreateImageResource(ctx.XRefTable, bytes.NewReader(noisePNG(b, side, side, uint64(nr))))
		require.NoError(b, err)
		draw := types.StreamDict{Dict: types.Dict{"Filter": types.Name(filter.Flate)}, Content: []byte("q 500 0 0 700 40 60 cm /Scan Do Q"),
			FilterPipeline: []types.PDFFilter{{Name: filter.Flate}}}
		require.NoError(b, draw.Encode())
		content, err := ctx.IndRefForNewObject(draw)
		require.NoError(b, err)
		d, _, _, err := ctx.PageDict(nr, false)
		require.NoError(b, err)
		d["Resources"], d["Contents"] = types.Dict{"XObject": types.Dict{"Scan": *ref}}, *content
	}
	var out bytes.Buffer
	require.NoError(b, api.Write(ctx, &out, conf))
	return out.Bytes()
}

// noisePNG is an image of random pixels, which no filter shrinks.
func noisePNG(b *testing.B, w, h int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(r.UintN(256)), uint8(r.UintN(256)), uint8(r.UintN(256)), 255})
		}
	}
	var buf bytes.Buffer
	require.NoError(b, png.Encode(&buf, img))
	return buf.Bytes()
}
