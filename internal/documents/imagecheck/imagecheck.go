// Package imagecheck decodes untrusted images without letting them choose
// how much memory they take. A PNG or JPEG says its size in its header, and
// a few hundred kilobytes can declare gigabytes of pixels: the header is
// read first and held to a budget of decoded bytes, and only then is the
// image decoded, a few at a time per process.
package imagecheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // signers attach photos
	_ "image/png"  // drawn signatures and scans
	"slices"

	"golang.org/x/sync/semaphore"
)

// Budget bounds one image: its sides and the bytes its pixels take once
// decoded, so a 16-bit image counts for what it costs.
type Budget struct {
	MaxSide         int
	MaxDecodedBytes int64
}

// ErrRefused wraps every refusal of the input, as opposed to a caller
// whose context ended while it waited.
var ErrRefused = errors.New("image refused")

// decodes bounds the images decoded at once in a process: with budgets of
// tens of megabytes, a burst of legitimate images costs a known amount.
var decodes = semaphore.NewWeighted(2)

// Check reads data's header, holds it to b and the allowed formats, then
// decodes it fully (so a damaged image is refused too). It answers the
// format ("png" or "jpeg") and the image's size.
func Check(ctx context.Context, data []byte, b Budget, formats ...string) (string, image.Config, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || !slices.Contains(formats, format) {
		return "", cfg, fmt.Errorf("%w: not a readable %v image", ErrRefused, formats)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > b.MaxSide || cfg.Height > b.MaxSide {
		return "", cfg, fmt.Errorf("%w: %dx%d pixels; at most %d on a side", ErrRefused, cfg.Width, cfg.Height, b.MaxSide)
	}
	if cost := DecodedBytes(cfg); cost > b.MaxDecodedBytes {
		return "", cfg, fmt.Errorf("%w: %dx%d pixels take %d MB decoded; at most %d MB", ErrRefused,
			cfg.Width, cfg.Height, cost>>20, b.MaxDecodedBytes>>20)
	}
	if err := decodes.Acquire(ctx, 1); err != nil {
		return "", cfg, fmt.Errorf("wait to decode an image: %w", err)
	}
	defer decodes.Release(1)
	if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
		return "", cfg, fmt.Errorf("%w: the image is damaged", ErrRefused)
	}
	return format, cfg, nil
}

// DecodedBytes is what the standard decoders allocate for an image of cfg:
// its pixel count times the bytes of a pixel in its colour model.
func DecodedBytes(cfg image.Config) int64 {
	return int64(cfg.Width) * int64(cfg.Height) * int64(bytesPerPixel(cfg.ColorModel))
}

func bytesPerPixel(m color.Model) int {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	case color.YCbCrModel:
		return 3
	case color.CMYKModel, color.RGBAModel, color.NRGBAModel:
		return 4
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 8 // unknown: the widest the standard decoders make
}
