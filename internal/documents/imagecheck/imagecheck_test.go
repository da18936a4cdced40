package imagecheck_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/internal/documents/bombs"
	"github.com/signflow/signflow/internal/documents/imagecheck"
)

func encoded(t *testing.T, w, h int, asJPEG bool) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		img.Set(x, x*h/w, color.NRGBA{10, 20, 90, 255})
	}
	var buf bytes.Buffer
	if asJPEG {
		require.NoError(t, jpeg.Encode(&buf, img, nil))
	} else {
		require.NoError(t, png.Encode(&buf, img))
	}
	return buf.Bytes()
}

func TestImagesAreHeldToTheirBudgetBeforeTheyAreDecoded(t *testing.T) {
	budget := imagecheck.Budget{MaxSide: 10_000, MaxDecodedBytes: 64 << 20}
	for _, tc := range []struct {
		name    string
		data    []byte
		formats []string
		refused string
	}{
		{"a drawn signature", encoded(t, 600, 200, false), []string{"png"}, ""},
		{"a photo", encoded(t, 800, 600, true), []string{"png", "jpeg"}, ""},
		{"30000x30000 declared", bombs.PNG(30_000, 30_000, 8, 6), []string{"png"}, "at most 10000 on a side"},
		{"16-bit RGBA 10000x10000 declared", bombs.PNG(10_000, 10_000, 16, 6), []string{"png"}, "take 762 MB decoded"},
		{"8-bit RGBA 5000x5000 declared", bombs.PNG(5000, 5000, 8, 6), []string{"png"}, "take 95 MB decoded"},
		{"grey 8000x8000 declared, within budget but truncated", bombs.PNG(8000, 8000, 8, 0), []string{"png"}, "damaged"},
		{"a JPEG where only PNG is allowed", encoded(t, 10, 10, true), []string{"png"}, "not a readable"},
		{"not an image", []byte("%PDF-1.7"), []string{"png", "jpeg"}, "not a readable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, _, err := imagecheck.Check(context.Background(), tc.data, budget, tc.formats...)
			runtime.ReadMemStats(&after)
			if tc.refused == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, imagecheck.ErrRefused)
			require.ErrorContains(t, err, tc.refused)
			if tc.refused != "damaged" {
				require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "refused from its header, before any pixel is allocated")
			}
		})
	}
}
