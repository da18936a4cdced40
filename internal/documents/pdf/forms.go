package pdf

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/signflow/signflow/models"
)

// AcroForm field flags (PDF 32000-1, tables 226 and 228).
const (
	flagRadio      = 1 << 15
	flagPushbutton = 1 << 16
)

// maxFormFields bounds what one document's form may declare.
const maxFormFields = 500

// formFields lists the fields of the document's own form (its AcroForm),
// each placed as the viewer sees its page: text, checkbox, radio (with its
// options), dropdown (choice fields, with theirs) and signature fields.
// Push buttons are left out. A field with widgets on several pages is
// placed at its first.
func formFields(ctx *model.Context) ([]models.FormField, error) {
	catalog, err := ctx.Catalog()
	if err != nil {
		return nil, err
	}
	obj, found := catalog.Find("AcroForm")
	if !found {
		return nil, nil
	}
	acro, err := ctx.DereferenceDict(obj)
	if err != nil || acro == nil {
		return nil, nil // a broken form is no form: the pages still sign
	}
	roots, err := ctx.DereferenceArray(acro["Fields"])
	if err != nil {
		return nil, nil
	}
	w := formWalker{ctx: ctx, pageOf: widgetPages(ctx)}
	for _, root := range roots {
		w.walk(root, "", "", 0, nil, 0)
	}
	if len(w.fields) > maxFormFields {
		return nil, reject("the PDF's form has %d fields; the limit is %d", len(w.fields), maxFormFields)
	}
	return w.fields, nil
}

type formWalker struct {
	ctx    *model.Context
	pageOf map[int]int // widget object number -> page number
	fields []models.FormField
}

// walk visits a field dictionary and its kids; a field's kind, flags and
// options pass down to kids that do not set their own.
func (w *formWalker) walk(obj types.Object, parent, ft string, ff int, opt types.Array, depth int) {
	if depth > 32 {
		return
	}
	d, err := w.ctx.DereferenceDict(obj)
	if err != nil || d == nil {
		return
	}
	name := parent
	if t, err := w.ctx.DereferenceText(d["T"]); err == nil && t != "" {
		if name != "" {
			name += "."
		}
		name += t
	}
	if n := d.NameEntry("FT"); n != nil {
		ft = *n
	}
	if v, err := w.ctx.DereferenceInteger(d["Ff"]); err == nil && v != nil {
		ff = v.Value()
	}
	if a, err := w.ctx.DereferenceArray(d["Opt"]); err == nil && a != nil {
		opt = a
	}
	kids, _ := w.ctx.DereferenceArray(d["Kids"])
	var widgets []types.Object
	for _, k := range kids {
		kd, err := w.ctx.DereferenceDict(k)
		if err != nil || kd == nil {
			continue
		}
		if _, named := kd.Find("T"); named {
			w.walk(k, name, ft, ff, opt, depth+1)
		} else {
			widgets = append(widgets, k)
		}
	}
	if _, hasRect := d.Find("Rect"); hasRect {
		widgets = append(widgets, obj)
	}
	if name == "" || len(widgets) == 0 {
		return
	}
	if f, ok := w.field(name, ft, ff, opt, widgets); ok {
		w.fields = append(w.fields, f)
	}
}

func (w *formWalker) field(name, ft string, ff int, opt types.Array, widgets []types.Object) (models.FormField, bool) {
	f := models.FormField{Name: name}
	switch {
	case ft == "Tx":
		f.Type = models.FieldText
	case ft == "Sig":
		f.Type = models.FieldSignature
	case ft == "Ch":
		f.Type, f.Options = models.FieldDropdown, w.choices(opt)
	case ft == "Btn" && ff&flagPushbutton != 0:
		return f, false
	case ft == "Btn" && ff&flagRadio != 0:
		f.Type = models.FieldRadio
		for _, wd := range widgets {
			if s := w.onState(wd); s != "" && !slices.Contains(f.Options, s) {
				f.Options = append(f.Options, s)
			}
		}
	case ft == "Btn":
		f.Type = models.FieldCheckbox
	default:
		return f, false
	}
	// The field's box: its widgets' on the first page they are on.
	var box *types.Rectangle
	for _, wd := range widgets {
		page, rect := w.place(wd)
		if rect == nil || (f.Page != 0 && page != f.Page) {
			continue
		}
		if f.Page == 0 {
			f.Page, box = page, rect
			continue
		}
		box = types.NewRectangle(math.Min(box.LL.X, rect.LL.X), math.Min(box.LL.Y, rect.LL.Y),
			math.Max(box.UR.X, rect.UR.X), math.Max(box.UR.Y, rect.UR.Y))
	}
	if f.Page == 0 {
		return f, false
	}
	f.X, f.Y, f.Width, f.Height = viewedBox(w.ctx, f.Page, *box)
	return f, f.Width > 0 && f.Height > 0
}

// place is the page and rectangle (user space) of a widget.
func (w *formWalker) place(obj types.Object) (int, *types.Rectangle) {
	d, err := w.ctx.DereferenceDict(obj)
	if err != nil || d == nil {
		return 0, nil
	}
	arr, err := w.ctx.DereferenceArray(d["Rect"])
	if err != nil || len(arr) != 4 {
		return 0, nil
	}
	rect, err := w.ctx.RectForArray(arr)
	if err != nil {
		return 0, nil
	}
	page := 0
	if ref, ok := obj.(types.IndirectRef); ok {
		page = w.pageOf[ref.ObjectNumber.Value()]
	}
	if page == 0 {
		if p, ok := d["P"].(types.IndirectRef); ok {
			page = w.pageNumber(p)
		}
	}
	return page, rect
}

// viewedBox turns a user-space rectangle of page nr into fractions of the
// page as the viewer sees it, from its top-left corner: the inverse of
// the stamps' mapping (viewedToUser).
func viewedBox(ctx *model.Context, nr int, r types.Rectangle) (x, y, width, height float64) {
	_, _, attrs, err := ctx.PageDict(nr, false)
	if err != nil || attrs == nil {
		return 0, 0, 0, 0
	}
	crop := attrs.CropBox
	if crop == nil {
		crop = attrs.MediaBox
	}
	if crop == nil {
		return 0, 0, 0, 0
	}
	llx, lly, cw, ch := crop.LL.X, crop.LL.Y, crop.Width(), crop.Height()
	rot := ((attrs.Rotate % 360) + 360) % 360
	toViewed := func(ux, uy float64) (float64, float64) {
		switch rot {
		case 90:
			return uy - lly, llx + cw - ux
		case 180:
			return llx + cw - ux, lly + ch - uy
		case 270:
			return lly + ch - uy, ux - llx
		}
		return ux - llx, uy - lly
	}
	vw, vh := cw, ch
	if rot == 90 || rot == 270 {
		vw, vh = ch, cw
	}
	ax, ay := toViewed(r.LL.X, r.LL.Y)
	bx, by := toViewed(r.UR.X, r.UR.Y)
	minX, maxX := clamp(math.Min(ax, bx)/vw), clamp(math.Max(ax, bx)/vw)
	minY, maxY := clamp(math.Min(ay, by)/vh), clamp(math.Max(ay, by)/vh)
	return round(minX), round(1 - maxY), round(maxX - minX), round(maxY - minY)
}

func clamp(v float64) float64 { return math.Max(0, math.Min(1, v)) }

// round keeps a fraction to 1/10,000 of the page, a few hundredths of a
// point, so a field placed from the form survives a round trip through JSON
// as the same box.
func round(v float64) float64 { return math.Floor(v*10000) / 10000 }

// choices are a choice field's options: the text shown for each.
func (w *formWalker) choices(opt types.Array) []string {
	var out []string
	for _, o := range opt {
		if pair, err := w.ctx.DereferenceArray(o); err == nil && len(pair) == 2 {
			o = pair[1]
		}
		if s, err := w.ctx.DereferenceText(o); err == nil && s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// onState is the name of a radio widget's "on" appearance: its option.
func (w *formWalker) onState(obj types.Object) string {
	d, err := w.ctx.DereferenceDict(obj)
	if err != nil || d == nil {
		return ""
	}
	ap, err := w.ctx.DereferenceDict(d["AP"])
	if err != nil || ap == nil {
		return ""
	}
	n, err := w.ctx.DereferenceDict(ap["N"])
	if err != nil || n == nil {
		return ""
	}
	for k := range n {
		if k != "Off" {
			return k
		}
	}
	return ""
}

func (w *formWalker) pageNumber(ref types.IndirectRef) int {
	for nr := 1; nr <= w.ctx.PageCount; nr++ {
		_, pageRef, _, err := w.ctx.PageDict(nr, false)
		if err == nil && pageRef != nil && pageRef.ObjectNumber == ref.ObjectNumber {
			return nr
		}
	}
	return 0
}

// widgetPages maps each annotation on a page to that page.
func widgetPages(ctx *model.Context) map[int]int {
	out := map[int]int{}
	for nr := 1; nr <= ctx.PageCount; nr++ {
		d, _, _, err := ctx.PageDict(nr, false)
		if err != nil || d == nil {
			continue
		}
		annots, err := ctx.DereferenceArray(d["Annots"])
		if err != nil {
			continue
		}
		for _, a := range annots {
			if ref, ok := a.(types.IndirectRef); ok {
				out[ref.ObjectNumber.Value()] = nr
			}
		}
	}
	return out
}

// flattenForm removes the document's form: its AcroForm and every widget
// annotation, so that the final PDF holds values as page content only
// (stamped by Signflow for the fields it placed) and nothing stays
// fillable. A widget no field of Signflow's covers keeps what it showed:
// the text value of a text or choice field comes back as a stamp (their
// appearance streams are often empty, left for the viewer to draw), other
// widgets' appearances are drawn into the page.
func flattenForm(ctx *model.Context, placed map[int][]Stamp) ([]Stamp, error) {
	catalog, err := ctx.Catalog()
	if err != nil {
		return nil, err
	}
	obj, found := catalog.Find("AcroForm")
	if !found {
		return nil, nil
	}
	var values []Stamp
	// An appearance may take its fonts from the form's default resources;
	// drawn as page content it needs them as its own.
	var defaults types.Object
	if acro, err := ctx.DereferenceDict(obj); err == nil && acro != nil {
		defaults = acro["DR"]
	}
	catalog.Delete("AcroForm")
	for nr := 1; nr <= ctx.PageCount; nr++ {
		d, _, _, err := ctx.PageDict(nr, false)
		if err != nil || d == nil {
			continue
		}
		annots, err := ctx.DereferenceArray(d["Annots"])
		if err != nil || len(annots) == 0 {
			continue
		}
		var kept types.Array
		var drawn bytes.Buffer
		xobjects := types.Dict{}
		for i, a := range annots {
			ad, err := ctx.DereferenceDict(a)
			if err != nil || ad == nil || ad.NameEntry("Subtype") == nil || *ad.NameEntry("Subtype") != "Widget" {
				kept = append(kept, a)
				continue
			}
			rect, ap := widgetAppearance(ctx, ad)
			if rect == nil || covered(ctx, nr, *rect, placed[nr]) {
				continue
			}
			if text := textValue(ctx, ad); text != "" {
				x, y, w, h := viewedBox(ctx, nr, *rect)
				values = append(values, Stamp{Page: nr, X: x, Y: y, W: w, H: h, Text: text, Font: FontPlain})
				continue
			}
			if ap == nil {
				continue
			}
			if sd, _, err := ctx.DereferenceStreamDict(*ap); err == nil && sd != nil && defaults != nil {
				if _, own := sd.Find("Resources"); !own {
					sd.Insert("Resources", defaults)
				}
			}
			name := fmt.Sprintf("SFW%d", i)
			xobjects[name] = *ap
			fmt.Fprintf(&drawn, "q 1 0 0 1 %.4f %.4f cm /%s Do Q\n", rect.LL.X, rect.LL.Y, name)
		}
		if len(kept) == 0 {
			d.Delete("Annots")
		} else {
			d.Update("Annots", kept)
		}
		if drawn.Len() == 0 {
			continue
		}
		if err := drawAppearances(ctx, nr, d, drawn.Bytes(), xobjects); err != nil {
			return nil, fmt.Errorf("page %d: %w", nr, err)
		}
	}
	return values, nil
}

// textValue is the value a text or choice widget's field holds, looked up
// on the widget or the field it belongs to.
func textValue(ctx *model.Context, ad types.Dict) string {
	for d, depth := ad, 0; d != nil && depth < 8; depth++ {
		if ft := d.NameEntry("FT"); ft != nil && *ft != "Tx" && *ft != "Ch" {
			return ""
		}
		if v, found := d.Find("V"); found {
			if s, err := ctx.DereferenceText(v); err == nil {
				return strings.TrimSpace(s)
			}
			return ""
		}
		parent, err := ctx.DereferenceDict(d["Parent"])
		if err != nil {
			return ""
		}
		d = parent
	}
	return ""
}

// widgetAppearance is a widget's rectangle and the normal appearance it
// shows now (for a checkbox or radio button, the one of its state).
func widgetAppearance(ctx *model.Context, ad types.Dict) (*types.Rectangle, *types.IndirectRef) {
	arr, err := ctx.DereferenceArray(ad["Rect"])
	if err != nil || len(arr) != 4 {
		return nil, nil
	}
	rect, err := ctx.RectForArray(arr)
	if err != nil {
		return nil, nil
	}
	apd, err := ctx.DereferenceDict(ad["AP"])
	if err != nil || apd == nil {
		return rect, nil
	}
	n := apd["N"]
	if ref, ok := n.(types.IndirectRef); ok {
		if sd, _, err := ctx.DereferenceStreamDict(ref); err == nil && sd != nil {
			return rect, &ref
		}
	}
	states, err := ctx.DereferenceDict(n)
	if err != nil || states == nil {
		return rect, nil
	}
	state := ad.NameEntry("AS")
	if state == nil || *state == "Off" {
		return rect, nil
	}
	if ref, ok := states[*state].(types.IndirectRef); ok {
		return rect, &ref
	}
	return rect, nil
}

// covered says whether Signflow stamps over the widget's rectangle.
func covered(ctx *model.Context, nr int, r types.Rectangle, stamps []Stamp) bool {
	x, y, w, h := viewedBox(ctx, nr, r)
	for _, s := range stamps {
		if x < s.X+s.W && s.X < x+w && y < s.Y+s.H && s.Y < y+h {
			return true
		}
	}
	return false
}

// drawAppearances adds a content stream drawing widgets' appearances (form
// XObjects) in the page's user space, after its own content.
func drawAppearances(ctx *model.Context, nr int, d types.Dict, content []byte, xobjects types.Dict) error {
	_, _, inherited, err := ctx.PageDict(nr, false)
	if err != nil {
		return err
	}
	res, err := pageResources(ctx, d, inherited)
	if err != nil {
		return err
	}
	xo, err := subDict(ctx, res, "XObject")
	if err != nil {
		return err
	}
	for k, v := range xobjects {
		xo[k] = v
	}
	ours, err := newStream(ctx, types.Dict{}, append([]byte("q\n"), append(content, []byte("Q\n")...)...), false)
	if err != nil {
		return err
	}
	d.Update("Contents", append(pageContents(ctx, d), *ours))
	return nil
}
