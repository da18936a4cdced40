package pdf

import (
	"bytes"
	"fmt"
	_ "image/png" // signature images are PNG

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/signflow/signflow/models"
)

// Stamp is one value to draw into a box. X, Y, W, H are fractions of the
// page as the viewer sees it, origin top-left. Exactly one of Text, PNG
// and Cover is set.
type Stamp struct {
	Page       int
	X, Y, W, H float64
	Text       string
	Font       string
	PNG        []byte
	// Cover paints the box white: a text tag the final PDF does not show.
	Cover bool
	// Check draws a tick, as the signing page showed a ticked checkbox:
	// lines, since no font of the document need have the character.
	Check bool
}

// Fonts for stamped text. FontPlain is a standard font, embedded in no
// document, for text it can encode, and the project's sans-serif for any
// other; FontSignature is the handwriting font of typed signatures.
const (
	FontPlain     = "Helvetica"
	FontSignature = "Signature"
)

// Render draws every stamp onto the document's pages and appends one new
// A4 page per sheet with the sheet's stamps on it, in one read and one
// write of the document. pages is the geometry Inspect recorded for the
// same bytes; a sheet's stamps are placed on its own page.
func Render(data []byte, pages []models.Page, stamps []Stamp, sheets [][]Stamp) ([]byte, error) {
	byPage := map[int][]Stamp{}
	for i, s := range stamps {
		if s.Page < 1 || s.Page > len(pages) {
			return nil, fmt.Errorf("stamp %d: page %d does not exist", i, s.Page)
		}
		byPage[s.Page] = append(byPage[s.Page], s)
	}
	// The output is about the input's size: growing the buffer by doubling
	// would copy a large document several times.
	out := bytes.NewBuffer(make([]byte, 0, len(data)+len(data)/8+64<<10))
	err := guard(func() error {
		conf := configuration()
		conf.Cmd = model.ADDWATERMARKS
		// A classic cross-reference table, so the security store and the
		// seal can each append an update of the same kind after it.
		conf.WriteXRefStream, conf.WriteObjectStream = false, false
		ctx, err := api.ReadValidateAndOptimize(bytes.NewReader(data), conf)
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		kept, err := flattenForm(ctx, byPage)
		if err != nil {
			return fmt.Errorf("flatten the form: %w", err)
		}
		for _, s := range kept {
			byPage[s.Page] = append(byPage[s.Page], s)
		}
		fonts := newFontBook()
		var open *types.IndirectRef // "q", shared by the stamped pages
		for nr := 1; nr <= len(pages); nr++ {
			if len(byPage[nr]) == 0 {
				continue
			}
			if open == nil {
				if open, err = newStream(ctx, types.Dict{}, []byte("q\n"), false); err != nil {
					return err
				}
			}
			if err := stampPage(ctx, nr, pages[nr-1], byPage[nr], fonts, *open); err != nil {
				return fmt.Errorf("page %d: %w", nr, err)
			}
		}
		if err := appendSheets(ctx, sheets, fonts); err != nil {
			return err
		}
		if err := fonts.finish(ctx); err != nil {
			return fmt.Errorf("embed fonts: %w", err)
		}
		return api.Write(ctx, out, conf)
	})
	if err != nil {
		return nil, fmt.Errorf("render document: %w", err)
	}
	return out.Bytes(), nil
}

// stampPage draws the stamps over page nr's content. The page's streams
// are left as they are, shared or not: the page's content becomes "q",
// them, then "Q" and one stream of ours that maps the page as the viewer
// sees it (its crop box, its /Rotate) onto user space and draws every
// stamp, with the fonts and images it uses added to the page's resources.
func stampPage(ctx *model.Context, nr int, page models.Page, stamps []Stamp, fonts *fontBook, open types.IndirectRef) error {
	d, _, inherited, err := ctx.PageDict(nr, false)
	if err != nil {
		return err
	}
	crop := inherited.CropBox
	if crop == nil {
		crop = inherited.MediaBox
	}
	if crop == nil {
		return fmt.Errorf("the page has no media box")
	}
	res, err := pageResources(ctx, d, inherited)
	if err != nil {
		return err
	}
	var content bytes.Buffer
	content.WriteString("Q q " + viewedToUser(*crop, inherited.Rotate) + " cm\n")
	if err := drawStamps(ctx, &content, res, page, stamps, fonts, fmt.Sprintf("SF%d", nr)); err != nil {
		return err
	}
	content.WriteString("Q\n")
	// A page's stamps are a few hundred bytes: not worth a compressor's
	// megabyte of state each.
	ours, err := newStream(ctx, types.Dict{}, content.Bytes(), false)
	if err != nil {
		return err
	}
	d.Update("Contents", append(append(types.Array{open}, pageContents(ctx, d)...), *ours))
	return nil
}

// pageContents is the page's content streams as a list, whether the page
// holds one stream, an array, or a reference to an array.
func pageContents(ctx *model.Context, d types.Dict) types.Array {
	c, found := d.Find("Contents")
	if !found {
		return nil
	}
	if ref, ok := c.(types.IndirectRef); ok {
		if arr, err := ctx.DereferenceArray(ref); err == nil && arr != nil {
			return arr
		}
	}
	if arr, ok := c.(types.Array); ok {
		return arr
	}
	return types.Array{c}
}

// viewedToUser is the matrix from the page as the viewer sees it (origin
// at its bottom left, after /Rotate) to the page's user space.
func viewedToUser(crop types.Rectangle, rotate int) string {
	llx, lly, w, h := crop.LL.X, crop.LL.Y, crop.Width(), crop.Height()
	switch ((rotate % 360) + 360) % 360 {
	case 90:
		return fmt.Sprintf("0 1 -1 0 %.4f %.4f", llx+w, lly)
	case 180:
		return fmt.Sprintf("-1 0 0 -1 %.4f %.4f", llx+w, lly+h)
	case 270:
		return fmt.Sprintf("0 -1 1 0 %.4f %.4f", llx, lly+h)
	}
	return fmt.Sprintf("1 0 0 1 %.4f %.4f", llx, lly)
}

// pageResources is the page's own resource dictionary, made from the
// inherited one when the page has none, so that what is added to it
// reaches this page.
func pageResources(ctx *model.Context, d types.Dict, inherited *model.InheritedPageAttrs) (types.Dict, error) {
	if o, found := d.Find("Resources"); found {
		res, err := ctx.DereferenceDict(o)
		if err != nil || res == nil {
			return nil, fmt.Errorf("resources: %w", err)
		}
		return res, nil
	}
	res := types.Dict{}
	if inherited.Resources != nil {
		res = inherited.Resources.Clone().(types.Dict)
	}
	d.Update("Resources", res)
	return res, nil
}

// subDict is the named dictionary in res (Font, XObject), made if absent.
func subDict(ctx *model.Context, res types.Dict, name string) (types.Dict, error) {
	if o, found := res.Find(name); found {
		sub, err := ctx.DereferenceDict(o)
		if err != nil || sub == nil {
			return nil, fmt.Errorf("%s resources: %w", name, err)
		}
		return sub, nil
	}
	sub := types.Dict{}
	res.Update(name, sub)
	return sub, nil
}

// drawStamps writes the stamps into content, in the page's coordinates as
// the viewer sees it, naming fonts and images prefix plus a number in res.
func drawStamps(ctx *model.Context, content *bytes.Buffer, res types.Dict, page models.Page, stamps []Stamp,
	fonts *fontBook, prefix string) error {
	fontRes, err := subDict(ctx, res, "Font")
	if err != nil {
		return err
	}
	content.WriteString(textColor + "\n")
	var images types.Dict
	for i, s := range stamps {
		left, bottom := s.X*page.Width, (1-s.Y-s.H)*page.Height
		boxW, boxH := s.W*page.Width, s.H*page.Height
		if s.Cover {
			fmt.Fprintf(content, "q 1 g %.2f %.2f %.2f %.2f re f Q\n", left, bottom, boxW, boxH)
			continue
		}
		if s.Check {
			drawTick(content, left, bottom, boxW, boxH)
			continue
		}
		if s.PNG != nil {
			if images == nil {
				if images, err = subDict(ctx, res, "XObject"); err != nil {
					return err
				}
			}
			ref, w, h, err := model.CreateImageResource(ctx.XRefTable, bytes.NewReader(s.PNG))
			if err != nil {
				return fmt.Errorf("signature image: %w", err)
			}
			name := fmt.Sprintf("%sIm%d", prefix, i)
			images[name] = *ref
			scale := min(boxW/float64(w), boxH/float64(h))
			fmt.Fprintf(content, "q %.4f 0 0 %.4f %.2f %.2f cm /%s Do Q\n", float64(w)*scale, float64(h)*scale, left, bottom, name)
			continue
		}
		if err := fonts.drawText(ctx, content, fontRes, s, left, bottom, boxW, boxH, prefix); err != nil {
			return err
		}
	}
	return nil
}

// drawTick strokes a tick in the largest square centred in the box.
func drawTick(content *bytes.Buffer, left, bottom, w, h float64) {
	side := min(w, h)
	x0, y0 := left+(w-side)/2, bottom+(h-side)/2
	at := func(fx, fy float64) (float64, float64) { return x0 + fx*side, y0 + fy*side }
	ax, ay := at(0.18, 0.52)
	bx, by := at(0.42, 0.24)
	cx, cy := at(0.84, 0.80)
	fmt.Fprintf(content, "q %s %.2f w 1 J 1 j %.2f %.2f m %.2f %.2f l %.2f %.2f l S Q\n",
		strokeColor, side*0.13, ax, ay, bx, by, cx, cy)
}
