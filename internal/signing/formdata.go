package signing

import (
	"cmp"
	"strconv"
	"time"

	"github.com/signflow/signflow/models"
)

// FormValue is one field's value as integrators read it back: typed by the
// field (a number for number fields, true or false for checkboxes, text
// otherwise), set when its recipient signed.
type FormValue struct {
	ID          string `json:"id"`
	Name        string `json:"name,omitempty"`
	Type        string `json:"type"`
	RecipientID string `json:"recipient_id"`
	DocumentID  string `json:"document_id"`
	Page        int    `json:"page"`
	// Value is nil until the recipient signs, and for a drawn signature.
	Value any `json:"value"`
	// Drawn: the signature or initials is an image, not typed text.
	Drawn bool       `json:"drawn,omitempty"`
	SetAt *time.Time `json:"set_at"`
	// Rule says which smart-field rule hid, required or computed the
	// field, for the values as stored.
	Rule string `json:"rule,omitempty"`
}

// FormData lists the value of every field of an envelope, in the order the
// fields were placed.
func FormData(env *models.Envelope) []FormValue {
	signedAt := map[string]*time.Time{}
	for _, r := range env.Recipients {
		if r.Status == models.RecipientSigned && r.ActedAt != nil {
			at := r.ActedAt.UTC()
			signedAt[r.ID] = &at
		}
	}
	values := map[string]string{}
	for _, f := range env.Fields {
		values[f.ID] = cmp.Or(f.Value, f.ImageKey)
	}
	rules := ApplyRules(env.Fields, values)
	out := make([]FormValue, 0, len(env.Fields))
	for _, f := range env.Fields {
		v := FormValue{ID: f.ID, Name: f.Name, Type: f.Type, RecipientID: f.RecipientID, DocumentID: f.DocumentID, Page: f.Page,
			SetAt: signedAt[f.RecipientID], Rule: rules.Applied[f.ID]}
		if v.SetAt != nil {
			v.Value, v.Drawn = formValue(f, *v.SetAt)
		}
		out = append(out, v)
	}
	return out
}

func formValue(f models.Field, signedAt time.Time) (any, bool) {
	switch {
	case f.Type == models.FieldAttachment:
		if a, ok := models.ParseAttachment(f.Value); ok {
			return a, false
		}
		return nil, false
	case f.ImageKey != "":
		return nil, true
	case f.Type == models.FieldDateSigned:
		return signedAt.Format(models.DateSignedFormat), false
	case f.Type == models.FieldCheckbox:
		return f.Value == "true", false
	case f.Type == models.FieldNumber && f.Value != "":
		if n, err := strconv.ParseFloat(f.Value, 64); err == nil {
			return n, false
		}
	case f.Value == "":
		return nil, false
	}
	return f.Value, false
}
