package pdf

import (
	"bytes"
	"fmt"
	"image"
	_ "image/png" // signature images are PNG
	"math"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/font"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/signflow/signflow/models"
)

// Stamp is one value to draw into a box. X, Y, W, H are fractions of the
// page as the viewer sees it, origin top-left. Exactly one of Text and PNG
// is set.
type Stamp struct {
	Page       int
	X, Y, W, H float64
	Text       string
	Font       string
	PNG        []byte
}

// Fonts for stamped text: pdfcpu's core fonts, so nothing is loaded from disk.
const (
	FontPlain     = "Helvetica"
	FontSignature = "Times-Italic"
)

// Render draws every stamp onto the document's pages and appends one new
// A4 page per sheet with the sheet's stamps on it, in one read and one
// write of the document. pages is the geometry Inspect recorded for the
// same bytes; a sheet's stamps are placed on its own page.
func Render(data []byte, pages []models.Page, stamps []Stamp, sheets [][]Stamp) ([]byte, error) {
	byPage := map[int][]*model.Watermark{}
	for i, s := range stamps {
		if s.Page < 1 || s.Page > len(pages) {
			return nil, fmt.Errorf("stamp %d: page %d does not exist", i, s.Page)
		}
		wm, err := watermark(s, pages[s.Page-1])
		if err != nil {
			return nil, fmt.Errorf("stamp %d on page %d: %w", i, s.Page, err)
		}
		byPage[s.Page] = append(byPage[s.Page], wm)
	}
	// The output is about the input's size: growing the buffer by doubling
	// would copy a large document several times.
	out := bytes.NewBuffer(make([]byte, 0, len(data)+len(data)/8+64<<10))
	err := guard(func() error {
		conf := configuration()
		conf.Cmd = model.ADDWATERMARKS
		ctx, err := api.ReadValidateAndOptimize(bytes.NewReader(data), conf)
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		if len(byPage) > 0 {
			if err := unshareContents(ctx); err != nil {
				return err
			}
			if err := pdfcpu.AddWatermarksSliceMap(ctx, byPage); err != nil {
				return fmt.Errorf("add stamps: %w", err)
			}
		}
		if err := appendSheets(ctx, sheets); err != nil {
			return err
		}
		return api.Write(ctx, out, conf)
	})
	if err != nil {
		return nil, fmt.Errorf("render document: %w", err)
	}
	return out.Bytes(), nil
}

// unshareContents gives every page its own content streams. Producers such
// as pypdf let pages share one stream, and pdfcpu stamps by patching the
// page's stream in place, which would put one page's stamps on all of them.
func unshareContents(ctx *model.Context) error {
	seen := map[int]bool{}
	fresh := func(o types.Object) (types.Object, error) {
		ref, ok := o.(types.IndirectRef)
		if !ok {
			return o, nil
		}
		if !seen[ref.ObjectNumber.Value()] {
			seen[ref.ObjectNumber.Value()] = true
			return o, nil
		}
		sd, _, err := ctx.DereferenceStreamDict(ref)
		if err != nil || sd == nil {
			return o, err
		}
		dup := sd.Clone().(types.StreamDict)
		dup.Raw, dup.Content = bytes.Clone(sd.Raw), bytes.Clone(sd.Content)
		newRef, err := ctx.IndRefForNewObject(dup)
		if err != nil {
			return nil, fmt.Errorf("copy shared content stream: %w", err)
		}
		return *newRef, nil
	}
	for nr := 1; nr <= ctx.PageCount; nr++ {
		d, _, _, err := ctx.PageDict(nr, false)
		if err != nil {
			return fmt.Errorf("page %d: %w", nr, err)
		}
		contents, found := d.Find("Contents")
		if !found {
			continue
		}
		if ref, ok := contents.(types.IndirectRef); ok {
			if arr, err := ctx.DereferenceArray(ref); err == nil && arr != nil {
				contents = arr
			}
		}
		arr, isArray := contents.(types.Array)
		if !isArray {
			c, err := fresh(contents)
			if err != nil {
				return fmt.Errorf("page %d: %w", nr, err)
			}
			d.Update("Contents", c)
			continue
		}
		copied := make(types.Array, len(arr))
		for i, o := range arr {
			if copied[i], err = fresh(o); err != nil {
				return fmt.Errorf("page %d: %w", nr, err)
			}
		}
		d.Update("Contents", copied)
	}
	return nil
}

func watermark(s Stamp, page models.Page) (*model.Watermark, error) {
	boxW, boxH := s.W*page.Width, s.H*page.Height
	left := s.X * page.Width
	bottom := (1 - s.Y - s.H) * page.Height
	if s.PNG != nil {
		return imageWatermark(s.PNG, left, bottom, boxW, boxH)
	}
	fontName := s.Font
	if fontName == "" {
		fontName = FontPlain
	}
	size := fontSize(s.Text, fontName, boxW, boxH)
	// pdfcpu sets text on the box's baseline; lift it by the descender so
	// letters like g and y stay inside the box.
	lift := 0.2 * float64(size)
	desc := fmt.Sprintf("fontname:%s, points:%d, position:bl, offset:%.2f %.2f, rotation:0, scalefactor:1 abs, opacity:1, fillcolor:#0b1f66",
		fontName, size, left, bottom+lift)
	wm, err := api.TextWatermark(s.Text, desc, true, false, types.POINTS)
	if err != nil {
		return nil, fmt.Errorf("text stamp: %w", err)
	}
	return wm, nil
}

// fontSize is the largest whole point size at which text fits the box,
// at most 70% of the box height, and never below 4 points.
func fontSize(text, fontName string, boxW, boxH float64) int {
	size := int(math.Floor(boxH * 0.7))
	for ; size > 4; size-- {
		w, err := font.TextWidth(text, fontName, size)
		if err == nil && w <= boxW*0.95 {
			break
		}
	}
	return max(size, 4)
}

func imageWatermark(png []byte, left, bottom, boxW, boxH float64) (*model.Watermark, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(png))
	if err != nil {
		return nil, fmt.Errorf("decode signature image: %w", err)
	}
	scale := math.Min(boxW/float64(cfg.Width), boxH/float64(cfg.Height))
	desc := fmt.Sprintf("position:bl, offset:%.2f %.2f, rotation:0, scalefactor:%.6f abs, opacity:1", left, bottom, scale)
	wm, err := api.ImageWatermarkForReader(bytes.NewReader(png), desc, true, false, types.POINTS)
	if err != nil {
		return nil, fmt.Errorf("image stamp: %w", err)
	}
	return wm, nil
}
