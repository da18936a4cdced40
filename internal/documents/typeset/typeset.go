// Package typeset lays out the text Signflow stamps into documents, in any
// script a signer may type: for each character it picks the first of the
// project's fonts that has it, shapes each run (Arabic joining forms,
// marks, ligatures), puts right-to-left runs in display order, and cuts a
// font down to the glyphs a document uses (subset.go).
package typeset

import (
	"bytes"
	"embed"
	"fmt"
	"sync"
	"unicode"

	"github.com/go-text/typesetting/di"
	"github.com/go-text/typesetting/font"
	"github.com/go-text/typesetting/language"
	"github.com/go-text/typesetting/shaping"
	"golang.org/x/image/math/fixed"
)

//go:embed fonts/*.ttf
var files embed.FS

// Style is the look of a stamped text.
type Style int

const (
	// Plain is a sans-serif for values, captions and the certificate.
	Plain Style = iota
	// Handwriting is for typed signatures; scripts the handwriting font
	// lacks fall back to the plain faces.
	Handwriting
)

// Face is one of the embedded fonts, parsed on first use.
type Face struct {
	// Name is the font's name in a PDF, without the subset tag.
	Name string
	file string

	once sync.Once
	data []byte
	face *font.Face
	err  error
}

var (
	notoSans    = &Face{Name: "NotoSans", file: "NotoSans-Regular.ttf"}
	notoArabic  = &Face{Name: "NotoSansArabic", file: "NotoSansArabic-Regular.ttf"}
	notoHebrew  = &Face{Name: "NotoSansHebrew", file: "NotoSansHebrew-Regular.ttf"}
	droidCJK    = &Face{Name: "DroidSansFallback", file: "DroidSansFallbackFull.ttf"}
	nanumHangul = &Face{Name: "NanumSquare", file: "NanumSquareR.ttf"}
	kristi      = &Face{Name: "Kristi", file: "Kristi.ttf"}
	plainFaces  = []*Face{notoSans, notoArabic, notoHebrew, droidCJK, nanumHangul}
	handFaces   = []*Face{kristi, notoSans, notoArabic, notoHebrew, droidCJK, nanumHangul}
	styleFaces  = map[Style][]*Face{Plain: plainFaces, Handwriting: handFaces}
	// go-text faces and shapers are not safe for concurrent use; one
	// shaper keeps its compiled plans (a few MB per font) from call to call.
	shapingLock sync.Mutex
	shaper      shaping.HarfbuzzShaper
	segmenter   shaping.Segmenter
)

// HandwritingFont is the handwriting font's file, for the signing page to
// show a typed signature as it will be stamped.
func HandwritingFont() []byte {
	b, _ := files.ReadFile("fonts/" + kristi.file)
	return b
}

func (f *Face) load() error {
	f.once.Do(func() {
		if f.data, f.err = files.ReadFile("fonts/" + f.file); f.err != nil {
			return
		}
		f.face, f.err = font.ParseTTF(bytes.NewReader(f.data))
		if f.err != nil {
			f.err = fmt.Errorf("font %s: %w", f.file, f.err)
		}
	})
	return f.err
}

func (f *Face) has(r rune) bool {
	if f.load() != nil {
		return false
	}
	_, ok := f.face.NominalGlyph(r)
	return ok
}

// Advance is a glyph's advance width in thousandths of an em, as PDF
// font dictionaries give widths.
func (f *Face) Advance(gid uint16) float64 {
	shapingLock.Lock()
	defer shapingLock.Unlock()
	return float64(f.face.HorizontalAdvance(font.GID(gid))) * 1000 / float64(f.face.Upem())
}

// Extents are the font's ascent and descent in thousandths of an em.
func (f *Face) Extents() (ascent, descent float64) {
	shapingLock.Lock()
	defer shapingLock.Unlock()
	e, _ := f.face.FontHExtents()
	u := float64(f.face.Upem())
	return float64(e.Ascender) * 1000 / u, float64(e.Descender) * 1000 / u
}

// ignorable is a character that needs no glyph of its own: spaces,
// controls and format characters (joiners, direction marks). Combining
// marks do need one, or they would be drawn as empty boxes.
func ignorable(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}

// Unprintable is the first character of text that none of the style's
// fonts can draw, so that it is refused where a person typed it instead
// of being stamped as an empty box.
func Unprintable(text string, style Style) (rune, bool) {
	shapingLock.Lock()
	defer shapingLock.Unlock()
	for _, r := range text {
		if !ignorable(r) && faceFor(r, styleFaces[style]) == nil {
			return r, true
		}
	}
	return 0, false
}

func faceFor(r rune, faces []*Face) *Face {
	for _, f := range faces {
		if f.has(r) {
			return f
		}
	}
	return nil
}

// Glyph is one glyph of a shaped line.
type Glyph struct {
	Face *Face
	ID   uint16
	// X and Y place the glyph's origin, in ems from the line's start.
	X, Y float64
	// Text is the characters the glyph stands for; it is empty on the
	// second and later glyphs of one cluster.
	Text string
}

// Line is a text shaped for display, its glyphs left to right.
type Line struct {
	Glyphs []Glyph
	// Width is the line's advance in ems.
	Width float64
}

// fontmap resolves a character to the first face that has it, the first
// face when none has (those characters were replaced beforehand).
type fontmap struct{ faces []*Face }

func (m fontmap) ResolveFace(r rune) *font.Face {
	if f := faceFor(r, m.faces); f != nil {
		return f.face
	}
	return m.faces[0].face
}

// Shape lays text out in the style's fonts on one line. A character no
// font has is drawn as "?": people's input was checked with Unprintable
// before; what is left (a browser's user agent) is only described.
func Shape(text string, style Style) (Line, error) {
	faces := styleFaces[style]
	// The first face is the fallback; the others are parsed only when a
	// character needs them (the CJK font alone is 4 MB).
	if err := faces[0].load(); err != nil {
		return Line{}, err
	}
	shapingLock.Lock()
	defer shapingLock.Unlock()
	runes := []rune(text)
	for i, r := range runes {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			runes[i] = ' '
		case !ignorable(r) && faceFor(r, faces) == nil:
			runes[i] = '?'
		}
	}
	const upem = 1000 // shape at 1000 units to the em, as PDF widths count
	input := shaping.Input{
		Text: runes, RunEnd: len(runes), Direction: paragraphDirection(runes),
		Size: fixed.I(upem), Language: language.NewLanguage("und"), Script: language.Latin,
	}
	runs := segmenter.Split(input, fontmap{faces})
	outputs := make([]shaping.Output, len(runs))
	for i, run := range runs {
		outputs[i] = shaper.Shape(run)
	}
	var line Line
	byFace := map[*font.Face]*Face{}
	for _, f := range faces {
		if f.face != nil {
			byFace[f.face] = f
		}
	}
	for _, i := range visualOrder(runs, input.Direction) {
		face := byFace[runs[i].Face]
		seen := map[int]bool{}
		for _, g := range outputs[i].Glyphs {
			gl := Glyph{Face: face, ID: uint16(g.GlyphID),
				X: line.Width + float64(g.XOffset)/64/upem, Y: float64(g.YOffset) / 64 / upem}
			// A cluster's text goes with the first of its glyphs drawn.
			if end := g.ClusterIndex + g.RuneCount; !seen[g.ClusterIndex] && end <= len(runes) {
				gl.Text, seen[g.ClusterIndex] = string(runes[g.ClusterIndex:end]), true
			}
			line.Glyphs = append(line.Glyphs, gl)
			line.Width += float64(g.XAdvance) / 64 / upem
		}
	}
	return line, nil
}

// paragraphDirection is right to left when the first strong character is
// Arabic or Hebrew.
func paragraphDirection(runes []rune) di.Direction {
	for _, r := range runes {
		if unicode.In(r, unicode.Arabic, unicode.Hebrew) {
			return di.DirectionRTL
		}
		if unicode.IsLetter(r) {
			return di.DirectionLTR
		}
	}
	return di.DirectionLTR
}

// visualOrder is the order to draw runs in (Unicode's rule L2 for the two
// levels a line of names and values has): in a left-to-right paragraph
// each stretch of right-to-left runs is reversed; in a right-to-left one
// the whole line is, and stretches of left-to-right runs keep their order.
func visualOrder(runs []shaping.Input, base di.Direction) []int {
	order := make([]int, len(runs))
	for i := range order {
		order[i] = i
	}
	reverse := func(s []int) {
		for a, b := 0, len(s)-1; a < b; a, b = a+1, b-1 {
			s[a], s[b] = s[b], s[a]
		}
	}
	if base == di.DirectionRTL {
		reverse(order)
	}
	for i := 0; i < len(order); {
		j := i
		for j < len(order) && isRTL(runs[order[j]].Direction) != isRTL(base) {
			j++
		}
		reverse(order[i:j])
		i = max(j, i+1)
	}
	return order
}

func isRTL(d di.Direction) bool { return d == di.DirectionRTL }
