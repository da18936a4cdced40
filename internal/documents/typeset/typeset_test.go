package typeset

import (
	"bytes"
	"strings"
	"testing"

	"github.com/go-text/typesetting/font"
	"github.com/stretchr/testify/require"
)

func TestShapePicksAFontPerScriptAndOrdersRightToLeft(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text string
		style      Style
		faces      []string // faces of the glyphs, in display order
		text2      string   // the glyphs' texts joined, in display order
	}{
		{"latin with diacritics", "Zoë Ł", Plain, []string{"NotoSans"}, "Zoë Ł"},
		{"greek and cyrillic", "Αθηνά Юлия", Plain, []string{"NotoSans"}, "Αθηνά Юлия"},
		{"chinese", "李小龙", Plain, []string{"DroidSansFallback"}, "李小龙"},
		{"japanese", "さくら 桜", Plain, []string{"DroidSansFallback"}, "さくら 桜"},
		{"korean", "김민준 똠", Plain, []string{"NanumSquare"}, "김민준 똠"},
		{"arabic, right to left", "زينب", Plain, []string{"NotoSansArabic"}, "بنيز"},
		{"hebrew, right to left", "שרה", Plain, []string{"NotoSansHebrew"}, "הרש"},
		{"hebrew inside latin keeps the latin order", "Sara שרה Levi", Plain, []string{"NotoSans", "NotoSansHebrew", "NotoSans"}, "Sara הרש Levi"},
		{"a number after an arabic name stands to its left", "زينب 123", Plain, []string{"NotoSansArabic"}, "123 بنيز"},
		{"a number inside arabic keeps its digits' order", "بيت 12 ب", Plain, []string{"NotoSansArabic"}, "ب 12 تيب"},
		{"latin and a number before hebrew", "Order 42 לוי", Plain, []string{"NotoSans", "NotoSansHebrew"}, "Order 42 יול"},
		{"typed signature in handwriting", "Ada Lovelace", Handwriting, []string{"Kristi"}, "Ada Lovelace"},
		{"handwriting falls back for other scripts", "Ada 李", Handwriting, []string{"Kristi", "DroidSansFallback"}, "Ada 李"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			line, err := Shape(tc.text, tc.style)
			require.NoError(t, err)
			var faces []string
			var text strings.Builder
			for _, g := range line.Glyphs {
				if len(faces) == 0 || faces[len(faces)-1] != g.Face.Name {
					faces = append(faces, g.Face.Name)
				}
				text.WriteString(g.Text)
			}
			// Spaces take the first face; compare the faces of the letters.
			require.Subset(t, faces, tc.faces)
			require.Equal(t, tc.text2, text.String())
			require.Greater(t, line.Width, 0.0)
		})
	}
}

func TestArabicLettersJoin(t *testing.T) {
	t.Parallel()
	isolated, err := Shape("ب", Plain)
	require.NoError(t, err)
	joined, err := Shape("بب", Plain)
	require.NoError(t, err)
	require.Len(t, joined.Glyphs, 2)
	for _, g := range joined.Glyphs {
		require.NotEqual(t, isolated.Glyphs[0].ID, g.ID, "a joined beh takes its initial or final form")
	}
}

func TestUnprintableNamesTheFirstCharacterNoFontHas(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		bad  rune
	}{
		{"Zoë 李小龙 زينب שרה Юлия", 0},
		{"Ada \u200d\u200fLovelace\u0301", 0},
		{"Ada 😀", '😀'},
		{"\U0001D11E clef", '\U0001D11E'},
	}
	for _, tc := range tests {
		r, bad := Unprintable(tc.text, Handwriting)
		require.Equal(t, tc.bad != 0, bad, tc.text)
		require.Equal(t, tc.bad, r, tc.text)
	}
	line, err := Shape("Ada 😀", Plain)
	require.NoError(t, err)
	require.Equal(t, "?", line.Glyphs[len(line.Glyphs)-1].Text, "what cannot be drawn is a question mark, never an empty box")
}

func TestSubsetKeepsOnlyTheGlyphsUsed(t *testing.T) {
	t.Parallel()
	line, err := Shape("李小龙", Plain)
	require.NoError(t, err)
	var ids []uint16
	for _, g := range line.Glyphs {
		ids = append(ids, g.ID)
	}
	data, gids, err := droidCJK.Subset(ids)
	require.NoError(t, err)
	require.Less(t, len(data), 20_000, "three glyphs of a 4 MB font")
	require.GreaterOrEqual(t, len(gids), 4, ".notdef, the three, and what they are composed of")
	sub, err := font.ParseTTF(bytes.NewReader(data))
	require.NoError(t, err)
	_, ok := sub.GlyphExtents(3)
	require.True(t, ok, "a kept glyph has its outline")
	for i, id := range ids {
		require.Equal(t, uint16(i+1), gids[id])
		require.InDelta(t, droidCJK.Advance(id), float64(sub.HorizontalAdvance(font.GID(i+1)))*1000/float64(sub.Upem()), 0.01)
	}
}
