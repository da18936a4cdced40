package signing

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/signflow/signflow/internal/documents/pdf"
	"github.com/signflow/signflow/models"
)

// Text tags place fields by anchors in a document's text, as integrators
// write them in Word or HTML templates:
//
//	{{type:recipient[:option]...}}
//
// type is signature, initials, date (the signing date), text, checkbox,
// number, email or attachment; recipient counts the request's recipients
// from 1; options are required or optional, name=<field name>, and
// w=<points> and h=<points> for the box. The box's top-left corner is the
// tag's; the final PDF covers the tag's own text.
var tagTypes = map[string]string{
	"signature": models.FieldSignature, "initials": models.FieldInitials, "date": models.FieldDateSigned,
	"date_signed": models.FieldDateSigned, "text": models.FieldText, "checkbox": models.FieldCheckbox,
	"number": models.FieldNumber, "email": models.FieldEmail, "attachment": models.FieldAttachment,
}

// tagSize is a type's box, in points, when the tag does not give one.
var tagSize = map[string][2]float64{
	models.FieldSignature: {160, 36}, models.FieldInitials: {60, 30}, models.FieldCheckbox: {12, 12},
	models.FieldDateSigned: {90, 0}, models.FieldAttachment: {150, 14},
}

const (
	defaultTagWidth = 150.0
	minTagHeight    = 14.0
	maxTagBoxPoints = 1000.0
)

// placeTextTags finds the tags of each document and makes them fields;
// covers are where the tags were, by document.
func placeTextTags(errs *FieldErrors, docs []Upload, infos []*pdf.Info) (fields []FieldRequest, covers [][]models.Box) {
	covers = make([][]models.Box, len(docs))
	for i, d := range docs {
		if infos[i] == nil {
			continue
		}
		tags, err := pdf.FindTextTags(d.Data)
		if err != nil {
			errs.Add(fmt.Sprintf("documents[%d]", i), "its text tags cannot be read: %v", err)
			continue
		}
		for _, tag := range tags {
			f, msg := tagField(tag, infos[i].Pages[tag.Box.Page-1])
			if msg != "" {
				errs.Add(fmt.Sprintf("documents[%d]", i), "tag %s on page %d: %s", tag.Text, tag.Box.Page, msg)
				continue
			}
			f.Document = &i
			fields = append(fields, f)
			covers[i] = append(covers[i], tag.Box)
		}
	}
	return fields, covers
}

// tagField reads one tag; msg says what is wrong with it.
func tagField(tag pdf.TextTag, page models.Page) (FieldRequest, string) {
	parts := strings.Split(strings.TrimSuffix(strings.TrimPrefix(tag.Text, "{{"), "}}"), ":")
	if len(parts) < 2 {
		return FieldRequest{}, "write it {{type:recipient}}, such as {{signature:1}}"
	}
	typ, ok := tagTypes[strings.TrimSpace(parts[0])]
	if !ok {
		return FieldRequest{}, "the type is one of signature, initials, date, text, checkbox, number, email, attachment"
	}
	n, err := strconv.Atoi(strings.TrimSpace(parts[1]))
	if err != nil || n < 1 {
		return FieldRequest{}, "the recipient is their number in the request's recipients, from 1"
	}
	recipient := n - 1
	size := tagSize[typ]
	w, h := size[0], size[1]
	if w == 0 {
		w = defaultTagWidth
	}
	if h == 0 {
		h = max(tag.Box.Height*page.Height, minTagHeight)
	}
	f := FieldRequest{Recipient: &recipient, Type: typ, Page: tag.Box.Page}
	for _, opt := range parts[2:] {
		key, value, _ := strings.Cut(strings.TrimSpace(opt), "=")
		switch key {
		case "required", "optional":
			req := key == "required"
			f.Required = &req
		case "name":
			f.Name = value
		case "w", "h":
			v, err := strconv.ParseFloat(value, 64)
			if err != nil || v <= 0 || v > maxTagBoxPoints {
				return FieldRequest{}, fmt.Sprintf("%s= takes a size in points from 1 to %g", key, maxTagBoxPoints)
			}
			if key == "w" {
				w = v
			} else {
				h = v
			}
		default:
			return FieldRequest{}, fmt.Sprintf("%q is not an option: use required, optional, name=, w= or h=", opt)
		}
	}
	width, height := min(w/page.Width, 1), min(h/page.Height, 1)
	// The box starts at the tag, moved in where it would leave the page.
	x, y := min(tag.Box.X, 1-width), min(tag.Box.Y, 1-height)
	f.X, f.Y, f.Width, f.Height = &x, &y, &width, &height
	return f, ""
}

// coversOf is where document i's text tags were.
func (p *Prepared) coversOf(i int) []models.Box {
	if i < len(p.covers) {
		return p.covers[i]
	}
	return nil
}

// FoundFields are the fields a document's own text tags and form fields
// suggest, for a person placing fields to adjust: each for the first
// recipient (or the one a tag names), where the tag or form field is.
// Tags that cannot be read are left out, not reported.
func FoundFields(docs []Upload, infos []*pdf.Info) []FieldRequest {
	var ignored FieldErrors
	found, _ := placeTextTags(&ignored, docs, infos)
	for i, info := range infos {
		if info == nil {
			continue
		}
		for _, ff := range info.FormFields {
			zero, doc := 0, i
			found = append(found, FieldRequest{Recipient: &zero, Document: &doc, Type: ff.Type, Page: ff.Page,
				X: &ff.X, Y: &ff.Y, Width: &ff.Width, Height: &ff.Height, Name: ff.Name, Options: ff.Options})
		}
	}
	return found
}

// PlaceFormFields gives fields that name a form field of their document
// its page, box, type and options, as an envelope made from them would.
func PlaceFormFields(fields []FieldRequest, infos []*pdf.Info) []FieldRequest {
	var ignored FieldErrors
	return placeFormFields(&ignored, fields, infos)
}
