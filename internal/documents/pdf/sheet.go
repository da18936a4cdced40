package pdf

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"golang.org/x/text/encoding/charmap"

	"github.com/signflow/signflow/models"
)

// A4 is the size of an appended sheet, in points.
var A4 = models.Page{Width: 595.28, Height: 841.89}

// textColor is the colour of everything Signflow draws.
const textColor = "0.043 0.122 0.4 rg" // #0b1f66

// strokeColor is textColor for lines.
const strokeColor = "0.043 0.122 0.4 RG"

// appendSheets adds a page per sheet after the last page and draws the
// sheet's stamps into one content stream of that page: a page of text is
// one stream to compress, however many lines it has. fonts holds the font
// objects already made, shared with the stamped pages.
func appendSheets(ctx *model.Context, sheets [][]Stamp, fonts *fontBook) error {
	if len(sheets) == 0 {
		return nil
	}
	dim := &types.Dim{Width: A4.Width, Height: A4.Height}
	for _, sheet := range sheets {
		if err := ctx.InsertBlankPages(types.IntSet{ctx.PageCount: true}, dim, false); err != nil {
			return fmt.Errorf("add a page: %w", err)
		}
		ctx.PageCount++
		d, _, _, err := ctx.PageDict(ctx.PageCount, false)
		if err != nil {
			return fmt.Errorf("new page %d: %w", ctx.PageCount, err)
		}
		res := types.Dict{}
		var content bytes.Buffer
		if err := drawStamps(ctx, &content, res, A4, sheet, fonts, "F"); err != nil {
			return fmt.Errorf("page %d: %w", ctx.PageCount, err)
		}
		ref, err := newStream(ctx, types.Dict{}, content.Bytes(), true)
		if err != nil {
			return fmt.Errorf("page %d: %w", ctx.PageCount, err)
		}
		d["Contents"], d["Resources"] = *ref, res
	}
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
