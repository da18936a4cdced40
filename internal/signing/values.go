package signing

import (
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
	Text           string `json:"text"`
	Checked        *bool  `json:"checked"`
	ImagePNGBase64 string `json:"image_png_base64"`
	// Attachment is the file of an attachment field.
	Attachment *AttachmentInput `json:"attachment"`
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
	for _, f := range env.Fields {
		kept := f.Value != "" && !given[f.ID]
		filled := kept || slices.ContainsFunc(values, func(v models.FieldValue) bool { return v.FieldID == f.ID && (v.Text != "" || v.ImageKey != "") })
		if f.RecipientID == recipientID && f.Required && f.Type != models.FieldDateSigned && !filled {
			errs.Add("values", "%s is required", describeField(f))
		}
	}
	return values, images, errs
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
	case models.FieldText, models.FieldNumber, models.FieldEmail, models.FieldRadio, models.FieldDropdown:
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
