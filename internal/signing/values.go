package signing

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/signflow/signflow/internal/documents/blob"
	"github.com/signflow/signflow/internal/documents/imagecheck"
	"github.com/signflow/signflow/models"
)

// Bounds of what a recipient may enter.
const (
	// MaxTextLength bounds a text field and a reason for declining or voiding.
	MaxTextLength      = 1000
	maxSignatureLength = 200
	maxImageBytes      = 1 << 20
)

// signatureImage bounds a drawn signature: a phone's full-screen pad at
// three device pixels per point is about 2600x1200.
var signatureImage = imagecheck.Budget{MaxSide: 4000, MaxDecodedBytes: 32 << 20}

// ValueInput is one field value a signer sends.
type ValueInput struct {
	FieldID        string `json:"field_id"`
	Text           string `json:"text,omitempty"`
	Checked        *bool  `json:"checked,omitempty"`
	ImagePNGBase64 string `json:"image_png_base64,omitempty"`
	// Attachment is the file of an attachment field.
	Attachment *AttachmentInput `json:"attachment,omitempty"`
}

// CheckValues matches the submitted values to the recipient's fields. PNG
// images are returned by blob key; the key holds the image's hash, so a
// later request can never replace an image an accepted signature points to.
func CheckValues(ctx context.Context, env *models.Envelope, recipientID string, specs []ValueInput) ([]models.FieldValue, map[string][]byte, FieldErrors) {
	var errs FieldErrors
	mine := map[string]models.Field{}
	for _, f := range env.Fields {
		if f.RecipientID == recipientID {
			mine[f.ID] = f
		}
	}
	given := map[string]bool{}
	images := map[string][]byte{}
	var values []models.FieldValue
	for i, v := range specs {
		field := fmt.Sprintf("values[%d]", i)
		f, ok := mine[v.FieldID]
		if !ok {
			errs.Add(field+".field_id", "%q is not one of your fields", v.FieldID)
			continue
		}
		if given[v.FieldID] {
			errs.Add(field+".field_id", "field %s is given twice", v.FieldID)
			continue
		}
		given[v.FieldID] = true
		if f.ReadOnly {
			errs.Add(field+".field_id", "%s is filled in by the sender and cannot be changed", describeField(f))
			continue
		}
		if f.Formula != "" {
			errs.Add(field+".field_id", "%s is computed from other fields; send no value for it", describeField(f))
			continue
		}
		fv, img, msg := checkValue(ctx, env, f, v)
		if msg != "" {
			errs.Add(field, "%s", msg)
			continue
		}
		if img != nil {
			if fv.ImageKey == "" { // a drawn signature; an attachment names its own
				sum := sha256.Sum256(img)
				fv.ImageKey = strings.TrimSuffix(blob.SignatureImageKey(env.ID, f.ID), ".png") + "-" + hex.EncodeToString(sum[:8]) + ".png"
			}
			images[fv.ImageKey] = img
		}
		// An empty value clears what the sender prefilled.
		if fv.Text != "" || fv.ImageKey != "" || f.Value != "" {
			values = append(values, fv)
		}
	}
	values, errs = applyRules(env, recipientID, values, errs)
	for key := range images { // a hidden field's image is not kept
		if !slices.ContainsFunc(values, func(v models.FieldValue) bool { return v.ImageKey == key }) {
			delete(images, key)
		}
	}
	return values, images, errs
}

// applyRules keeps of values what the envelope's smart fields allow once
// the recipient's values are in: a hidden field of theirs is cleared (it is
// not stamped), a formula field takes its computed value, and what is
// required, by itself or by a condition, must be filled.
func applyRules(env *models.Envelope, recipientID string, values []models.FieldValue, errs FieldErrors) ([]models.FieldValue, FieldErrors) {
	all := map[string]string{}
	for _, f := range env.Fields {
		all[f.ID] = f.Value
	}
	for _, v := range values {
		all[v.FieldID] = cmp.Or(v.Text, v.ImageKey)
	}
	rules := ApplyRules(env.Fields, all)
	for _, f := range env.Fields {
		if f.RecipientID != recipientID {
			continue
		}
		switch {
		case rules.Hidden[f.ID]:
			values = slices.DeleteFunc(values, func(v models.FieldValue) bool { return v.FieldID == f.ID })
			if f.Value != "" {
				values = append(values, models.FieldValue{FieldID: f.ID})
			}
		case f.Formula != "":
			if computed := rules.Computed[f.ID]; computed != "" || f.Value != "" {
				values = append(values, models.FieldValue{FieldID: f.ID, Text: computed})
			}
		case rules.Required[f.ID] && f.Type != models.FieldDateSigned && all[f.ID] == "":
			errs.Add("values", "%s is required", describeField(f))
		}
	}
	checkGroups(&errs, env.Fields, recipientID, all, rules)
	return values, errs
}

// checkValue validates one value for its field's type; msg says what to fix.
func checkValue(ctx context.Context, env *models.Envelope, f models.Field, v ValueInput) (fv models.FieldValue, img []byte, msg string) {
	fv.FieldID = f.ID
	switch f.Type {
	case models.FieldDateSigned:
		return fv, nil, "the signing date is filled in by Signflow; send no value for this field"
	case models.FieldCheckbox:
		if v.Checked == nil || v.Text != "" || v.ImagePNGBase64 != "" || v.Attachment != nil {
			return fv, nil, "a checkbox takes \"checked\": true or false"
		}
		if *v.Checked {
			fv.Text = "true"
		}
		return fv, nil, ""
	case models.FieldAttachment:
		return checkAttachment(ctx, env, f, v)
	case models.FieldText, models.FieldNumber, models.FieldEmail, models.FieldRadio, models.FieldDropdown, models.FieldDate:
		fv.Text, msg = checkEntry(f, v)
		return fv, nil, msg
	}
	// signature and initials: typed text or a drawn PNG
	if (v.Text == "") == (v.ImagePNGBase64 == "") || v.Checked != nil || v.Attachment != nil {
		return fv, nil, "a " + f.Type + " takes either \"text\" (typed) or \"image_png_base64\" (drawn)"
	}
	if v.Text != "" {
		if len(v.Text) > maxSignatureLength {
			return fv, nil, fmt.Sprintf("a typed %s has at most %d characters", f.Type, maxSignatureLength)
		}
		fv.Text = strings.TrimSpace(v.Text)
		return fv, nil, unprintable(fv.Text)
	}
	img, err := base64.StdEncoding.DecodeString(v.ImagePNGBase64)
	if err != nil || len(img) > maxImageBytes {
		return fv, nil, fmt.Sprintf("image_png_base64 must be base64 of a PNG of at most %d bytes", maxImageBytes)
	}
	if _, _, err := imagecheck.Check(ctx, img, signatureImage, "png"); err != nil {
		return fv, nil, "image_png_base64 is refused: " + refusal(err)
	}
	return fv, img, ""
}

// refusal is why imagecheck refused an image, in words for the signer.
func refusal(err error) string {
	return strings.TrimPrefix(err.Error(), imagecheck.ErrRefused.Error()+": ")
}

// MaxDraftValues bounds a draft: one value per field at most.
const MaxDraftValues = maxFields

// CheckDraft checks what a recipient has entered so far, to keep as a
// draft: each value fits its field as it would at Sign, but nothing needs
// to be complete, and attached files are sent with the signature only.
func CheckDraft(ctx context.Context, env *models.Envelope, recipientID string, specs []ValueInput) FieldErrors {
	var errs FieldErrors
	if len(specs) > MaxDraftValues {
		errs.Add("values", "a draft holds at most %d values", MaxDraftValues)
		return errs
	}
	given := map[string]bool{}
	for i, v := range specs {
		field := fmt.Sprintf("values[%d]", i)
		j := slices.IndexFunc(env.Fields, func(f models.Field) bool { return f.ID == v.FieldID && f.RecipientID == recipientID })
		if j < 0 || given[v.FieldID] {
			errs.Add(field+".field_id", "%q is not one of your fields, or is given twice", v.FieldID)
			continue
		}
		given[v.FieldID] = true
		f := env.Fields[j]
		switch {
		case f.ReadOnly || f.Formula != "" || f.Type == models.FieldDateSigned:
			errs.Add(field+".field_id", "%s is not filled in by you", describeField(f))
		case f.Type == models.FieldAttachment || v.Attachment != nil:
			errs.Add(field+".attachment", "files are sent with your signature, not kept in a draft")
		default:
			if _, _, msg := checkValue(ctx, env, f, v); msg != "" {
				errs.Add(field, "%s", msg)
			}
		}
	}
	return errs
}
