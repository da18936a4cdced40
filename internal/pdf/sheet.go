package pdf

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/filter"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"golang.org/x/text/encoding/charmap"

	"github.com/signflow/signflow/models"
)

// A4 is the size of an appended sheet, in points.
var A4 = models.Page{Width: 595.28, Height: 841.89}

// textColor is the colour of everything Signflow draws.
const textColor = "0.043 0.122 0.4 rg" // #0b1f66

// appendSheets adds a page per sheet after the last page and draws the
// sheet's stamps into one content stream of that page: a page of text is
// one stream to compress, however many lines it has.
func appendSheets(ctx *model.Context, sheets [][]Stamp) error {
	if len(sheets) == 0 {
		return nil
	}
	dim := &types.Dim{Width: A4.Width, Height: A4.Height}
	fonts := map[string]types.IndirectRef{}
	for _, sheet := range sheets {
		if err := ctx.InsertBlankPages(types.IntSet{ctx.PageCount: true}, dim, false); err != nil {
			return fmt.Errorf("add a page: %w", err)
		}
		ctx.PageCount++
		d, _, _, err := ctx.PageDict(ctx.PageCount, false)
		if err != nil {
			return fmt.Errorf("new page %d: %w", ctx.PageCount, err)
		}
		if err := drawSheet(ctx, d, sheet, fonts); err != nil {
			return fmt.Errorf("page %d: %w", ctx.PageCount, err)
		}
	}
	return nil
}

// drawSheet writes the stamps as the page's content, with the fonts and
// images it uses as the page's resources. fonts holds the font objects
// already made, shared by every sheet.
func drawSheet(ctx *model.Context, page types.Dict, sheet []Stamp, fonts map[string]types.IndirectRef) error {
	fontRes, images := types.Dict{}, types.Dict{}
	var content bytes.Buffer
	content.WriteString(textColor + "\n")
	for i, s := range sheet {
		left, bottom := s.X*A4.Width, (1-s.Y-s.H)*A4.Height
		boxW, boxH := s.W*A4.Width, s.H*A4.Height
		if s.PNG != nil {
			ref, w, h, err := model.CreateImageResource(ctx.XRefTable, bytes.NewReader(s.PNG))
			if err != nil {
				return fmt.Errorf("signature image: %w", err)
			}
			name := fmt.Sprintf("Im%d", i)
			images[name] = *ref
			scale := min(boxW/float64(w), boxH/float64(h))
			fmt.Fprintf(&content, "q %.4f 0 0 %.4f %.2f %.2f cm /%s Do Q\n", float64(w)*scale, float64(h)*scale, left, bottom, name)
			continue
		}
		fontName := s.Font
		if fontName == "" {
			fontName = FontPlain
		}
		ref, ok := fonts[fontName]
		if !ok {
			fd := types.Dict{"Type": types.Name("Font"), "Subtype": types.Name("Type1"), "BaseFont": types.Name(fontName),
				"Encoding": types.Name("WinAnsiEncoding")}
			r, err := ctx.IndRefForNewObject(fd)
			if err != nil {
				return fmt.Errorf("font %s: %w", fontName, err)
			}
			ref, fonts[fontName] = *r, *r
		}
		id := "F" + strings.ReplaceAll(fontName, "-", "")
		fontRes[id] = ref
		size := fontSize(s.Text, fontName, boxW, boxH)
		// Set on the box's baseline, lifted by the descender as stamps are.
		fmt.Fprintf(&content, "BT /%s %d Tf %.2f %.2f Td (%s) Tj ET\n", id, size, left, bottom+0.2*float64(size), pdfString(s.Text))
	}
	sd := types.StreamDict{Dict: types.Dict{"Filter": types.Name(filter.Flate)}, Content: content.Bytes(),
		FilterPipeline: []types.PDFFilter{{Name: filter.Flate}}}
	if err := sd.Encode(); err != nil {
		return fmt.Errorf("encode content: %w", err)
	}
	ref, err := ctx.IndRefForNewObject(sd)
	if err != nil {
		return fmt.Errorf("content: %w", err)
	}
	page["Contents"] = *ref
	res := types.Dict{"Font": fontRes}
	if len(images) > 0 {
		res["XObject"] = images
	}
	page["Resources"] = res
	return nil
}

// pdfString is text as a literal string in the core fonts' encoding
// (WinAnsi), escaped; a character it cannot show becomes "?".
func pdfString(text string) string {
	var b strings.Builder
	enc := charmap.Windows1252
	for _, r := range text {
		c, ok := enc.EncodeRune(r)
		if !ok {
			c = '?'
		}
		switch c {
		case '(', ')', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\r', '\n':
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
