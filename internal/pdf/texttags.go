package pdf

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/klippa-app/go-pdfium/requests"
	"github.com/pdfcpu/pdfcpu/pkg/api"
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
	pool, err := pdfEngine()
	if err != nil {
		return nil, fmt.Errorf("start the text engine: %w", err)
	}
	inst, err := pool.GetInstance(engineWait)
	if err != nil {
		return nil, fmt.Errorf("wait for the text engine: %w", err)
	}
	defer inst.Close()
	doc, err := inst.OpenDocument(&requests.OpenDocument{File: &data})
	if err != nil {
		return nil, reject("the PDF's text cannot be read (%v)", err)
	}
	defer inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: doc.Document})
	ctx, err := api.ReadContext(bytes.NewReader(data), configuration())
	if err != nil {
		return nil, reject("the PDF cannot be read (%v)", err)
	}
	if err := ctx.EnsurePageCount(); err != nil {
		return nil, reject("the PDF's pages cannot be counted (%v)", err)
	}
	var tags []TextTag
	for nr := 1; nr <= ctx.PageCount; nr++ {
		res, err := inst.GetPageTextStructured(&requests.GetPageTextStructured{
			Page: requests.Page{ByIndex: &requests.PageByIndex{Document: doc.Document, Index: nr - 1}},
			Mode: requests.GetPageTextStructuredModeChars,
		})
		if err != nil {
			return nil, reject("the text of page %d cannot be read (%v)", nr, err)
		}
		var text strings.Builder
		var boxes []types.Rectangle
		for _, c := range res.Chars {
			for range c.Text {
				p := c.PointPosition
				boxes = append(boxes, *types.NewRectangle(p.Left, p.Bottom, p.Right, p.Top))
			}
			text.WriteString(c.Text)
		}
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
	}
	return tags, nil
}
