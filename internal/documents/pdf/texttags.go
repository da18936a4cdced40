package pdf

import (
	"bytes"
	"strings"

	"github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/responses"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/signflow/signflow/models"
)

// TextTag is a "{{...}}" anchor found in a document's text, with the box
// its characters take on the page as the viewer sees it.
type TextTag struct {
	Text string
	Box  models.Box
}

// FindTextTags lists every "{{...}}" in a document that passed Inspect.
// A tag must sit on one line of one page; its characters' boxes make its
// box.
func FindTextTags(data []byte) ([]TextTag, error) {
	ctx, err := api.ReadContext(bytes.NewReader(data), configuration())
	if err != nil {
		return nil, reject("the PDF cannot be read (%v)", err)
	}
	if err := ctx.EnsurePageCount(); err != nil {
		return nil, reject("the PDF's pages cannot be counted (%v)", err)
	}
	var tags []TextTag
	err = withDocument(data, func(inst pdfium.Pdfium, doc references.FPDF_DOCUMENT) error {
		for nr := 1; nr <= ctx.PageCount; nr++ {
			res, err := inst.GetPageTextStructured(&requests.GetPageTextStructured{
				Page: requests.Page{ByIndex: &requests.PageByIndex{Document: doc, Index: nr - 1}},
				Mode: requests.GetPageTextStructuredModeChars,
			})
			if err != nil {
				return reject("the text of page %d cannot be read (%v)", nr, err)
			}
			tags = append(tags, pageTags(ctx, nr, res.Chars)...)
		}
		return nil
	})
	return tags, err
}

// pageTags finds the tags among a page's characters.
func pageTags(ctx *model.Context, nr int, chars []*responses.GetPageTextStructuredChar) []TextTag {
	var text strings.Builder
	var boxes []types.Rectangle
	for _, c := range chars {
		for range c.Text {
			p := c.PointPosition
			boxes = append(boxes, *types.NewRectangle(p.Left, p.Bottom, p.Right, p.Top))
		}
		text.WriteString(c.Text)
	}
	var tags []TextTag
	runes := []rune(text.String())
	for start := 0; start+1 < len(runes); start++ {
		if runes[start] != '{' || runes[start+1] != '{' {
			continue
		}
		end := start + 2
		for end+1 < len(runes) && !(runes[end] == '}' && runes[end+1] == '}') && runes[end] != '\n' && end-start < 200 {
			end++
		}
		if end+1 >= len(runes) || runes[end] != '}' || runes[end+1] != '}' {
			continue
		}
		end += 2
		r := boxes[start]
		for _, b := range boxes[start+1 : end] {
			r = *types.NewRectangle(min(r.LL.X, b.LL.X), min(r.LL.Y, b.LL.Y), max(r.UR.X, b.UR.X), max(r.UR.Y, b.UR.Y))
		}
		x, y, w, h := viewedBox(ctx, nr, r)
		tags = append(tags, TextTag{Text: string(runes[start:end]), Box: models.Box{Page: nr, X: x, Y: y, Width: w, Height: h}})
		start = end - 1
	}
	return tags
}
