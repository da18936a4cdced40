package pdf

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf16"

	"github.com/pdfcpu/pdfcpu/pkg/filter"
	"github.com/pdfcpu/pdfcpu/pkg/font"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"golang.org/x/text/encoding/charmap"

	"github.com/signflow/signflow/internal/documents/typeset"
)

// fontBook holds the fonts one rendering draws with. Text the standard
// fonts can encode (WinAnsi) keeps them, nothing embedded; any other text
// and every typed signature are drawn with the project's own fonts, each
// embedded once per document as a subset of the glyphs it used.
type fontBook struct {
	core     map[string]types.IndirectRef
	embedded map[*typeset.Face]*embeddedFont
	order    []*typeset.Face
}

// embeddedFont is a Type0 font whose dictionary is made on first use and
// completed by finish, once every glyph it draws is known.
type embeddedFont struct {
	ref    types.IndirectRef
	dict   types.Dict
	cids   map[uint16]uint16 // glyph of the full font -> CID (its number in the subset)
	glyphs []uint16          // by CID - 1
	text   map[uint16]string // CID -> the characters it stands for
}

func newFontBook() *fontBook {
	return &fontBook{core: map[string]types.IndirectRef{}, embedded: map[*typeset.Face]*embeddedFont{}}
}

// style says how a stamp's text is drawn: a standard font, or the
// project's fonts in a typeset style.
func style(s Stamp) (core string, st typeset.Style, embed bool) {
	if s.Font == FontSignature {
		return "", typeset.Handwriting, true
	}
	name := s.Font
	if name == "" {
		name = FontPlain
	}
	for _, r := range s.Text {
		if _, ok := charmap.Windows1252.EncodeRune(r); !ok {
			return "", typeset.Plain, true
		}
	}
	return name, 0, false
}

// drawText writes one stamp's text, fitted to its box, into content.
func (b *fontBook) drawText(ctx *model.Context, content *bytes.Buffer, fontRes types.Dict, s Stamp, left, bottom, boxW, boxH float64, prefix string) error {
	core, st, embed := style(s)
	if !embed {
		ref, ok := b.core[core]
		if !ok {
			fd := types.Dict{"Type": types.Name("Font"), "Subtype": types.Name("Type1"), "BaseFont": types.Name(core),
				"Encoding": types.Name("WinAnsiEncoding")}
			r, err := ctx.IndRefForNewObject(fd)
			if err != nil {
				return fmt.Errorf("font %s: %w", core, err)
			}
			ref, b.core[core] = *r, *r
		}
		id := prefix + strings.ReplaceAll(core, "-", "")
		fontRes[id] = ref
		size := fontSize(s.Text, core, boxW, boxH)
		// Set on the box's baseline, lifted by the descender so letters
		// like g and y stay inside the box.
		fmt.Fprintf(content, "BT /%s %d Tf %.2f %.2f Td (%s) Tj ET\n", id, size, left, bottom+0.2*float64(size), pdfString(s.Text))
		return nil
	}
	line, err := typeset.Shape(s.Text, st)
	if err != nil {
		return err
	}
	size := math.Floor(boxH * 0.7)
	for ; size > 4 && line.Width*size > boxW*0.95; size-- {
	}
	size = max(size, 4)
	baseline := bottom + 0.2*size
	// Glyphs are drawn left to right, right-to-left runs reversed, and
	// each maps back to its characters (ToUnicode): readers put such runs
	// back in reading order themselves. (An /ActualText span would give
	// the logical text too, but poppler reverses that a second time.)
	content.WriteString("BT\n")
	var current *typeset.Face
	for _, g := range line.Glyphs {
		f, err := b.font(ctx, g.Face)
		if err != nil {
			return err
		}
		if g.Face != current {
			id := prefix + g.Face.Name
			fontRes[id] = f.ref
			fmt.Fprintf(content, "/%s %.2f Tf\n", id, size)
			current = g.Face
		}
		fmt.Fprintf(content, "1 0 0 1 %.2f %.2f Tm <%04X> Tj\n", left+g.X*size, baseline+g.Y*size, f.cid(g.ID, g.Text))
	}
	content.WriteString("ET\n")
	return nil
}

func (b *fontBook) font(ctx *model.Context, face *typeset.Face) (*embeddedFont, error) {
	if f, ok := b.embedded[face]; ok {
		return f, nil
	}
	f := &embeddedFont{dict: types.Dict{}, cids: map[uint16]uint16{}, text: map[uint16]string{}}
	ref, err := ctx.IndRefForNewObject(f.dict)
	if err != nil {
		return nil, fmt.Errorf("font %s: %w", face.Name, err)
	}
	f.ref = *ref
	b.embedded[face] = f
	b.order = append(b.order, face)
	return f, nil
}

// cid is the glyph's number in the subset, given on first use.
func (f *embeddedFont) cid(gid uint16, text string) uint16 {
	c, ok := f.cids[gid]
	if !ok {
		f.glyphs = append(f.glyphs, gid)
		c = uint16(len(f.glyphs))
		f.cids[gid] = c
	}
	if f.text[c] == "" && text != "" {
		f.text[c] = text
	}
	return c
}

// finish completes every embedded font: the subset program, its widths,
// and the map from its glyphs back to text.
func (b *fontBook) finish(ctx *model.Context) error {
	for _, face := range b.order {
		f := b.embedded[face]
		program, gids, err := face.Subset(f.glyphs)
		if err != nil {
			return err
		}
		for i, g := range f.glyphs {
			if gids[g] != uint16(i+1) {
				return fmt.Errorf("font %s: glyph %d numbered %d in the subset, not %d", face.Name, g, gids[g], i+1)
			}
		}
		sum := sha256.Sum256(fmt.Append(nil, f.glyphs))
		var tag [6]byte
		for i := range tag {
			tag[i] = 'A' + sum[i]%26
		}
		name := types.Name(string(tag[:]) + "+" + face.Name)

		// Subsets are a few KB: a compressor's state would cost more
		// memory (about 5 MB per stream in pdfcpu's flate) than it saves.
		file, err := newStream(ctx, types.Dict{"Length1": types.Integer(len(program))}, program, false)
		if err != nil {
			return err
		}
		ascent, descent := face.Extents()
		descriptor, err := ctx.IndRefForNewObject(types.Dict{
			"Type": types.Name("FontDescriptor"), "FontName": name, "Flags": types.Integer(4),
			"FontBBox": types.NewNumberArray(-1000, descent, 2000, ascent), "ItalicAngle": types.Integer(0),
			"Ascent": types.Float(ascent), "Descent": types.Float(descent), "CapHeight": types.Float(ascent),
			"StemV": types.Integer(80), "FontFile2": *file,
		})
		if err != nil {
			return err
		}
		widths := types.Array{}
		for _, g := range f.glyphs {
			widths = append(widths, types.Float(math.Round(face.Advance(g))))
		}
		cidFont, err := ctx.IndRefForNewObject(types.Dict{
			"Type": types.Name("Font"), "Subtype": types.Name("CIDFontType2"), "BaseFont": name,
			"CIDSystemInfo":  types.Dict{"Registry": types.StringLiteral("Adobe"), "Ordering": types.StringLiteral("Identity"), "Supplement": types.Integer(0)},
			"FontDescriptor": *descriptor, "W": types.Array{types.Integer(1), widths}, "CIDToGIDMap": types.Name("Identity"),
		})
		if err != nil {
			return err
		}
		toUnicode, err := newStream(ctx, types.Dict{}, toUnicodeCMap(f.text), false)
		if err != nil {
			return err
		}
		f.dict.Update("Type", types.Name("Font"))
		f.dict.Update("Subtype", types.Name("Type0"))
		f.dict.Update("BaseFont", name)
		f.dict.Update("Encoding", types.Name("Identity-H"))
		f.dict.Update("DescendantFonts", types.Array{*cidFont})
		f.dict.Update("ToUnicode", *toUnicode)
	}
	return nil
}

// toUnicodeCMap maps each CID back to the characters it draws, so text
// copied out of the document is the text typed.
func toUnicodeCMap(text map[uint16]string) []byte {
	var b bytes.Buffer
	b.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n" +
		"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n" +
		"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n" +
		"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	cids := make([]uint16, 0, len(text))
	for c := range text {
		cids = append(cids, c)
	}
	slices.Sort(cids)
	for len(cids) > 0 {
		n := min(len(cids), 100) // a bfchar block holds at most 100
		fmt.Fprintf(&b, "%d beginbfchar\n", n)
		for _, c := range cids[:n] {
			fmt.Fprintf(&b, "<%04X> <%s>\n", c, utf16Hex(text[c]))
		}
		b.WriteString("endbfchar\n")
		cids = cids[n:]
	}
	b.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	return b.Bytes()
}

// utf16Hex is text as UTF-16BE in hex.
func utf16Hex(text string) string {
	var b strings.Builder
	for _, u := range utf16.Encode([]rune(text)) {
		fmt.Fprintf(&b, "%04X", u)
	}
	return b.String()
}

// newStream stores content as a stream object with the dictionary's
// entries, compressed or not.
func newStream(ctx *model.Context, d types.Dict, content []byte, compress bool) (*types.IndirectRef, error) {
	sd := types.StreamDict{Dict: d, Content: content}
	if compress {
		sd.Dict["Filter"] = types.Name(filter.Flate)
		sd.FilterPipeline = []types.PDFFilter{{Name: filter.Flate}}
	}
	if err := sd.Encode(); err != nil {
		return nil, fmt.Errorf("encode stream: %w", err)
	}
	ref, err := ctx.IndRefForNewObject(sd)
	if err != nil {
		return nil, fmt.Errorf("stream: %w", err)
	}
	return ref, nil
}

// fontSize is the largest whole point size at which text fits the box in
// a standard font, at most 70% of the box height, and never below 4 points.
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
