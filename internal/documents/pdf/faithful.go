package pdf

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/filter"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Intake refuses what it cannot read faithfully. pdfcpu's relaxed reading
// repairs damage silently (it rebuilds a broken cross-reference table by
// scanning, and reads a missing object as null), and a signer would then
// sign something other than what the sender's viewer shows: a PDF cut
// short kept its page count and lost its text. These checks look at the
// file itself.

// maxIntakeDecodeBytes bounds what one stream may inflate to at intake, so
// that a compression bomb is refused rather than unpacked.
const maxIntakeDecodeBytes = 32 << 20

var (
	startXRef   = regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF`)
	objHeader   = regexp.MustCompile(`^\s*(\d+)\s+(\d+)\s+obj\b`)
	xrefSection = regexp.MustCompile(`^(\d+)\s+(\d+)\s*$`)
	prevOffset  = regexp.MustCompile(`/Prev\s+(\d+)`)
)

// checkCrossReferences follows the file's own cross-reference data from
// its last startxref: every classic table entry in use must point at its
// object, every table in the /Prev chain must be where it is said to be,
// and a cross-reference stream must be an object of type /XRef.
func checkCrossReferences(data []byte) error {
	tail := data[max(0, len(data)-4096):]
	m := startXRef.FindAllSubmatch(tail, -1)
	if m == nil {
		return reject("the PDF is damaged or truncated: it does not end with startxref and %%%%EOF")
	}
	offset, err := strconv.ParseInt(string(m[len(m)-1][1]), 10, 64)
	for seen := map[int64]bool{}; ; {
		if err != nil || offset <= 0 || offset >= int64(len(data)) || seen[offset] {
			return reject("the PDF's cross-reference data points outside the file")
		}
		seen[offset] = true
		rest := data[offset:]
		if !bytes.HasPrefix(bytes.TrimLeft(rest, " \t\r\n"), []byte("xref")) {
			return checkXRefStream(rest)
		}
		trailer, err := checkXRefTable(data, rest)
		if err != nil {
			return err
		}
		prev := prevOffset.FindSubmatch(trailer)
		if prev == nil {
			return nil
		}
		offset, err = strconv.ParseInt(string(prev[1]), 10, 64)
	}
}

// checkXRefTable checks one classic table and answers its trailer.
func checkXRefTable(data, table []byte) (trailer []byte, err error) {
	lines := bytes.Split(table, []byte("\n"))
	i := 1 // past "xref"
	for i < len(lines) {
		line := bytes.TrimSpace(lines[i])
		if bytes.HasPrefix(line, []byte("trailer")) {
			end := bytes.Index(table, []byte("startxref"))
			if end < 0 {
				end = len(table)
			}
			start := bytes.Index(table, []byte("trailer"))
			return table[start:max(start, end)], nil
		}
		sec := xrefSection.FindSubmatch(line)
		if sec == nil {
			return nil, reject("the PDF's cross-reference table is damaged")
		}
		first, _ := strconv.Atoi(string(sec[1]))
		count, _ := strconv.Atoi(string(sec[2]))
		if count < 0 || i+count >= len(lines) {
			return nil, reject("the PDF's cross-reference table is cut short")
		}
		for n := range count {
			fields := bytes.Fields(lines[i+1+n])
			if len(fields) != 3 || (string(fields[2]) != "n" && string(fields[2]) != "f") {
				return nil, reject("the PDF's cross-reference table is damaged")
			}
			if string(fields[2]) == "f" {
				continue
			}
			at, err := strconv.ParseInt(string(fields[0]), 10, 64)
			if err != nil || !objectAt(data, at, first+n) {
				return nil, reject("the PDF's cross-reference table does not match its objects (object %d)", first+n)
			}
		}
		i += count + 1
	}
	return nil, reject("the PDF's cross-reference table has no trailer")
}

// checkXRefStream checks that a cross-reference stream is where the file
// says.
func checkXRefStream(at []byte) error {
	if objHeader.Find(at[:min(len(at), 64)]) == nil {
		return reject("the PDF's cross-reference data is damaged")
	}
	head := at[:min(len(at), 4096)]
	if end := bytes.Index(head, []byte("stream")); end < 0 || !bytes.Contains(head[:end], []byte("/XRef")) {
		return reject("the PDF's cross-reference data is damaged")
	}
	return nil
}

// objectAt says whether object num starts at offset.
func objectAt(data []byte, offset int64, num int) bool {
	if offset < 0 || offset >= int64(len(data)) {
		return false
	}
	m := objHeader.FindSubmatch(data[offset:min(int64(len(data)), offset+64)])
	return m != nil && string(m[1]) == strconv.Itoa(num)
}

// checkObjects reads every object the cross-reference data says is in use:
// each must exist and parse, and each stream must decode within bounds.
func checkObjects(ctx *model.Context) error {
	for num, entry := range ctx.XRefTable.Table {
		if entry == nil || entry.Free || num == 0 {
			continue
		}
		gen := 0
		if entry.Generation != nil {
			gen = *entry.Generation
		}
		obj, err := ctx.Dereference(*types.NewIndirectRef(num, gen))
		if err != nil {
			return reject("object %d of the PDF cannot be read (%v)", num, err)
		}
		if obj == nil {
			return reject("object %d of the PDF is missing", num)
		}
		if sd, ok := obj.(types.StreamDict); ok {
			if err := decodes(sd); err != nil {
				return reject("a stream of the PDF (object %d) does not decode (%v)", num, err)
			}
		}
	}
	return nil
}

// decodes checks that sd decodes within maxIntakeDecodeBytes. A plain
// Flate stream, most of any PDF and every compression bomb, is inflated
// and counted without being kept; the rest are decoded by pdfcpu.
func decodes(sd types.StreamDict) error {
	if len(sd.FilterPipeline) != 1 || sd.FilterPipeline[0].Name != filter.Flate || sd.FilterPipeline[0].DecodeParms != nil {
		return sd.DecodeWithLimit(maxIntakeDecodeBytes)
	}
	z, err := zlib.NewReader(bytes.NewReader(sd.Raw))
	if err != nil {
		return fmt.Errorf("flate: %w", err)
	}
	n, err := io.Copy(io.Discard, io.LimitReader(z, maxIntakeDecodeBytes+1))
	switch {
	case n > maxIntakeDecodeBytes:
		return fmt.Errorf("it decodes to more than %d bytes", maxIntakeDecodeBytes)
	case err != nil && !errors.Is(err, io.ErrUnexpectedEOF): // as pdfcpu, tolerate a missing checksum
		return fmt.Errorf("flate: %w", err)
	}
	return nil
}

// checkPageContents checks that every page's content is present: a page
// whose content is lost would be signed blank. (checkObjects has decoded
// every stream already.)
func checkPageContents(ctx *model.Context) error {
	for nr := 1; nr <= ctx.PageCount; nr++ {
		d, _, _, err := ctx.PageDict(nr, false)
		if err != nil || d == nil {
			return reject("page %d of the PDF cannot be read", nr)
		}
		o, found := d.Find("Contents")
		if !found {
			continue // a blank page
		}
		obj, err := ctx.Dereference(o)
		if err != nil || obj == nil {
			return reject("the content of page %d of the PDF is missing", nr)
		}
		parts := []types.Object{obj}
		if arr, ok := obj.(types.Array); ok {
			parts = arr
		}
		for _, p := range parts {
			if sd, _, err := ctx.DereferenceStreamDict(p); err != nil || sd == nil {
				return reject("the content of page %d of the PDF is missing", nr)
			}
		}
	}
	return nil
}

// checkRoundTrip writes the document as stamping will and reads it back:
// every page must keep its content and every resource (font, image, ...)
// it names. pdfcpu drops what its validation finds damaged, and a page
// that loses a font would be signed with its text gone.
func checkRoundTrip(data []byte, validated *model.Context) error {
	var out bytes.Buffer
	if err := api.WriteContext(validated, &out); err != nil {
		return reject("the PDF cannot be rewritten for signing (%v)", err)
	}
	before, err := api.ReadContext(bytes.NewReader(data), configuration())
	if err != nil {
		return reject("the PDF is damaged and cannot be read (%v)", err)
	}
	after, err := api.ReadContext(bytes.NewReader(out.Bytes()), configuration())
	if err != nil {
		return reject("the PDF cannot be rewritten for signing (%v)", err)
	}
	for _, c := range []*model.Context{before, after} {
		if err := c.EnsurePageCount(); err != nil || c.PageCount != validated.PageCount {
			return reject("the PDF's page tree is damaged")
		}
	}
	for nr := 1; nr <= validated.PageCount; nr++ {
		want, err := pageParts(before, nr)
		if err != nil {
			return err
		}
		got, err := pageParts(after, nr)
		if err != nil {
			return err
		}
		for name, kind := range want.resources {
			if got.resources[name] != kind {
				return reject("page %d of the PDF uses %s, which is damaged and would be lost when it is signed", nr, name)
			}
		}
		if !bytes.Equal(want.content, got.content) {
			return reject("the content of page %d of the PDF is damaged and would change when it is signed", nr)
		}
	}
	return nil
}

// page is what a page shows: its decoded content and the kind of each
// resource it names ("Font/F1" -> "dict").
type page struct {
	content   []byte
	resources map[string]string
}

func pageParts(ctx *model.Context, nr int) (page, error) {
	d, _, inh, err := ctx.PageDict(nr, true)
	if err != nil || d == nil {
		return page{}, reject("page %d of the PDF cannot be read", nr)
	}
	p := page{resources: map[string]string{}}
	if p.content, err = ctx.PageContent(d, nr); err != nil && !errors.Is(err, model.ErrNoContent) {
		return page{}, reject("the content of page %d of the PDF does not decode (%v)", nr, err)
	}
	if inh == nil || inh.Resources == nil {
		return p, nil
	}
	for category, o := range inh.Resources {
		entries, err := ctx.DereferenceDict(o)
		if err != nil || entries == nil {
			continue
		}
		for name, ref := range entries {
			obj, err := ctx.Dereference(ref)
			kind := "missing"
			switch obj.(type) {
			case types.Dict:
				kind = "dict"
			case types.StreamDict:
				kind = "stream"
			case nil:
			default:
				kind = "other"
			}
			if err != nil {
				kind = "unreadable"
			}
			p.resources[category+"/"+name] = kind
		}
	}
	return p, nil
}
