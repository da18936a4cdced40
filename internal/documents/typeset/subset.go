package typeset

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
)

// Subset is the face's TrueType font cut down to .notdef and the glyphs
// given, numbered 1, 2, ... in that order; glyphs that composite glyphs
// are built from come after them. gids maps each glyph of the full font
// kept to its number in the subset. A document then carries a few
// kilobytes of font for a name instead of the whole font (4 MB for CJK).
func (f *Face) Subset(glyphs []uint16) (subset []byte, gids map[uint16]uint16, err error) {
	if err := f.load(); err != nil {
		return nil, nil, err
	}
	t, err := readTables(f.data)
	if err != nil {
		return nil, nil, fmt.Errorf("font %s: %w", f.file, err)
	}
	for _, tag := range []string{"head", "hhea", "maxp", "hmtx", "loca", "glyf"} {
		if t[tag] == nil {
			return nil, nil, fmt.Errorf("font %s: no %s table", f.file, tag)
		}
	}
	if len(t["head"]) < 54 || len(t["hhea"]) < 36 || len(t["maxp"]) < 6 {
		return nil, nil, fmt.Errorf("font %s: short header tables", f.file)
	}
	numGlyphs := int(binary.BigEndian.Uint16(t["maxp"][4:]))
	longLoca := binary.BigEndian.Uint16(t["head"][50:]) == 1
	offsets, err := locations(t["loca"], numGlyphs, longLoca)
	if err != nil {
		return nil, nil, fmt.Errorf("font %s: %w", f.file, err)
	}
	glyf := t["glyf"]
	outline := func(gid uint16) []byte {
		if int(gid) >= numGlyphs || offsets[gid] > offsets[gid+1] || int(offsets[gid+1]) > len(glyf) {
			return nil
		}
		return glyf[offsets[gid]:offsets[gid+1]]
	}

	gids = map[uint16]uint16{0: 0}
	order := []uint16{0}
	keep := func(gid uint16) {
		if _, ok := gids[gid]; !ok && int(gid) < numGlyphs {
			gids[gid] = uint16(len(order))
			order = append(order, gid)
		}
	}
	for _, g := range glyphs {
		keep(g)
	}
	// Components of composite glyphs, and theirs, in turn.
	for i := 0; i < len(order); i++ {
		for _, c := range components(outline(order[i])) {
			keep(binary.BigEndian.Uint16(outline(order[i])[c:]))
		}
	}

	numHMetrics := int(binary.BigEndian.Uint16(t["hhea"][34:]))
	hmtx := t["hmtx"]
	metric := func(gid uint16) (advance, lsb []byte) {
		g := min(int(gid), numHMetrics-1)
		if 4*g+4 > len(hmtx) {
			return []byte{0, 0}, []byte{0, 0}
		}
		advance = hmtx[4*g : 4*g+2]
		lsb = hmtx[4*g+2 : 4*g+4]
		if int(gid) >= numHMetrics {
			at := 4*numHMetrics + 2*(int(gid)-numHMetrics)
			if at+2 <= len(hmtx) {
				lsb = hmtx[at : at+2]
			}
		}
		return advance, lsb
	}

	var newGlyf, newLoca, newHmtx []byte
	for _, old := range order {
		newLoca = binary.BigEndian.AppendUint32(newLoca, uint32(len(newGlyf)))
		g := append([]byte(nil), outline(old)...)
		for _, c := range components(g) {
			binary.BigEndian.PutUint16(g[c:], gids[binary.BigEndian.Uint16(g[c:])])
		}
		newGlyf = append(newGlyf, g...)
		for len(newGlyf)%4 != 0 {
			newGlyf = append(newGlyf, 0)
		}
		advance, lsb := metric(old)
		newHmtx = append(append(newHmtx, advance...), lsb...)
	}
	newLoca = binary.BigEndian.AppendUint32(newLoca, uint32(len(newGlyf)))

	head := append([]byte(nil), t["head"]...)
	binary.BigEndian.PutUint32(head[8:], 0)  // checkSumAdjustment, not kept up
	binary.BigEndian.PutUint16(head[50:], 1) // long offsets in loca
	hhea := append([]byte(nil), t["hhea"]...)
	binary.BigEndian.PutUint16(hhea[34:], uint16(len(order)))
	maxp := append([]byte(nil), t["maxp"]...)
	binary.BigEndian.PutUint16(maxp[4:], uint16(len(order)))

	out := map[string][]byte{"head": head, "hhea": hhea, "maxp": maxp, "hmtx": newHmtx, "loca": newLoca, "glyf": newGlyf,
		"cmap": emptyCmap}
	// Hinting programs are global; the outlines' instructions call them.
	for _, tag := range []string{"cvt ", "fpgm", "prep"} {
		if t[tag] != nil {
			out[tag] = t[tag]
		}
	}
	return writeTables(out), gids, nil
}

// emptyCmap maps no character: a PDF reaches glyphs by number, but font
// parsers want the table. It is a Windows Unicode subtable of format 4
// with the one segment that ends every such table.
var emptyCmap = []byte{
	0, 0, 0, 1, // version, one subtable
	0, 3, 0, 1, 0, 0, 0, 12, // platform 3, encoding 1, at offset 12
	0, 4, 0, 24, 0, 0, // format 4, length 24, language
	0, 2, 0, 2, 0, 0, 0, 0, // segCountX2 1 segment, searchRange, entrySelector, rangeShift
	0xff, 0xff, 0, 0, // endCode, reservedPad
	0xff, 0xff, 0, 1, 0, 0, // startCode, idDelta, idRangeOffset
}

// readTables is the font's tables by tag.
func readTables(data []byte) (map[string][]byte, error) {
	if len(data) < 12 {
		return nil, errors.New("not a font")
	}
	if v := binary.BigEndian.Uint32(data); v != 0x00010000 && v != 0x74727565 { // 'true'
		return nil, errors.New("not a TrueType font")
	}
	n := int(binary.BigEndian.Uint16(data[4:]))
	if 12+16*n > len(data) {
		return nil, errors.New("truncated table directory")
	}
	tables := map[string][]byte{}
	for i := 0; i < n; i++ {
		rec := data[12+16*i:]
		off, length := binary.BigEndian.Uint32(rec[8:]), binary.BigEndian.Uint32(rec[12:])
		if uint64(off)+uint64(length) > uint64(len(data)) {
			return nil, fmt.Errorf("table %q runs past the file", rec[:4])
		}
		tables[string(rec[:4])] = data[off : off+length]
	}
	return tables, nil
}

func locations(loca []byte, numGlyphs int, long bool) ([]uint32, error) {
	offsets := make([]uint32, numGlyphs+1)
	for i := range offsets {
		switch {
		case long && 4*i+4 <= len(loca):
			offsets[i] = binary.BigEndian.Uint32(loca[4*i:])
		case !long && 2*i+2 <= len(loca):
			offsets[i] = 2 * uint32(binary.BigEndian.Uint16(loca[2*i:]))
		default:
			return nil, errors.New("loca table shorter than the glyph count")
		}
	}
	return offsets, nil
}

// components is where each component's glyph index sits in a composite
// glyph's outline; none for a simple glyph.
func components(g []byte) []int {
	if len(g) < 10 || int16(binary.BigEndian.Uint16(g)) >= 0 {
		return nil
	}
	const (
		argsAreWords   = 0x0001
		haveScale      = 0x0008
		moreComponents = 0x0020
		haveXYScale    = 0x0040
		haveTwoByTwo   = 0x0080
	)
	var at []int
	for p := 10; p+4 <= len(g); {
		flags := binary.BigEndian.Uint16(g[p:])
		at = append(at, p+2)
		p += 4
		if flags&argsAreWords != 0 {
			p += 4
		} else {
			p += 2
		}
		switch {
		case flags&haveScale != 0:
			p += 2
		case flags&haveXYScale != 0:
			p += 4
		case flags&haveTwoByTwo != 0:
			p += 8
		}
		if flags&moreComponents == 0 {
			break
		}
	}
	return at
}

// writeTables is a TrueType file of the tables, in tag order as the
// format asks, each padded to four bytes and checksummed.
func writeTables(tables map[string][]byte) []byte {
	tags := make([]string, 0, len(tables))
	for tag := range tables {
		tags = append(tags, tag)
	}
	sort.Strings(tags)
	n := len(tags)
	entrySelector := 0
	for 1<<(entrySelector+1) <= n {
		entrySelector++
	}
	searchRange := 16 << entrySelector
	out := binary.BigEndian.AppendUint32(nil, 0x00010000)
	out = binary.BigEndian.AppendUint16(out, uint16(n))
	out = binary.BigEndian.AppendUint16(out, uint16(searchRange))
	out = binary.BigEndian.AppendUint16(out, uint16(entrySelector))
	out = binary.BigEndian.AppendUint16(out, uint16(16*n-searchRange))
	offset := 12 + 16*n
	var body []byte
	for _, tag := range tags {
		data := tables[tag]
		out = append(out, tag...)
		out = binary.BigEndian.AppendUint32(out, checksum(data))
		out = binary.BigEndian.AppendUint32(out, uint32(offset+len(body)))
		out = binary.BigEndian.AppendUint32(out, uint32(len(data)))
		body = append(body, data...)
		for len(body)%4 != 0 {
			body = append(body, 0)
		}
	}
	return append(out, body...)
}

func checksum(data []byte) uint32 {
	var sum uint32
	for i := 0; i < len(data); i += 4 {
		var word [4]byte
		copy(word[:], data[i:])
		sum += binary.BigEndian.Uint32(word[:])
	}
	return sum
}
