package signing_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/png"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/models"
)

func pngBase64(t *testing.T, w, h int) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, image.NewGray(image.Rect(0, 0, w, h))))
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

func TestCheckValues(t *testing.T) {
	env := &models.Envelope{ID: "env", Fields: []models.Field{
		{ID: "sig", RecipientID: "ada", Type: models.FieldSignature, Required: true},
		{ID: "text", RecipientID: "ada", Type: models.FieldText},
		{ID: "box", RecipientID: "ada", Type: models.FieldCheckbox},
		{ID: "date", RecipientID: "ada", Type: models.FieldDateSigned, Required: true},
		{ID: "bobs", RecipientID: "bob", Type: models.FieldSignature, Required: true},
	}}
	yes, no := true, false
	long := string(bytes.Repeat([]byte("x"), signing.MaxTextLength+1))
	cases := []struct {
		name   string
		values []signing.ValueInput
		field  string // the first error's field; "" when valid
		stored int    // values kept when valid
		images int
	}{
		{"typed signature", []signing.ValueInput{{FieldID: "sig", Text: " Ada "}}, "", 1, 0},
		{"drawn signature", []signing.ValueInput{{FieldID: "sig", ImagePNGBase64: pngBase64(t, 40, 20)}}, "", 1, 1},
		{"checked box kept, unchecked dropped", []signing.ValueInput{{FieldID: "sig", Text: "Ada"}, {FieldID: "box", Checked: &yes}, {FieldID: "text", Text: ""}}, "", 2, 0},
		{"unchecked box", []signing.ValueInput{{FieldID: "sig", Text: "Ada"}, {FieldID: "box", Checked: &no}}, "", 1, 0},
		{"required missing", nil, "values", 0, 0},
		{"another's field", []signing.ValueInput{{FieldID: "bobs", Text: "Bob"}}, "values[0].field_id", 0, 0},
		{"given twice", []signing.ValueInput{{FieldID: "sig", Text: "A"}, {FieldID: "sig", Text: "B"}}, "values[1].field_id", 0, 0},
		{"date is Signflow's", []signing.ValueInput{{FieldID: "sig", Text: "A"}, {FieldID: "date", Text: "today"}}, "values[1]", 0, 0},
		{"both text and image", []signing.ValueInput{{FieldID: "sig", Text: "A", ImagePNGBase64: pngBase64(t, 2, 2)}}, "values[0]", 0, 0},
		{"not a PNG", []signing.ValueInput{{FieldID: "sig", ImagePNGBase64: base64.StdEncoding.EncodeToString([]byte("GIF89a"))}}, "values[0]", 0, 0},
		{"image too large", []signing.ValueInput{{FieldID: "sig", ImagePNGBase64: pngBase64(t, 4001, 1)}}, "values[0]", 0, 0},
		{"text too long", []signing.ValueInput{{FieldID: "sig", Text: "A"}, {FieldID: "text", Text: long}}, "values[1]", 0, 0},
		{"checkbox as text", []signing.ValueInput{{FieldID: "sig", Text: "A"}, {FieldID: "box", Text: "yes"}}, "values[1]", 0, 0},
		{"names in every script", []signing.ValueInput{{FieldID: "sig", Text: "李小龙"}, {FieldID: "text", Text: "زينب · שרה · Юлия · Αθηνά · 김민준 · さくら"}}, "", 2, 0},
		{"a signature no font can print", []signing.ValueInput{{FieldID: "sig", Text: "Ada 🖋"}}, "values[0]", 0, 0},
		{"a value no font can print", []signing.ValueInput{{FieldID: "sig", Text: "Ada"}, {FieldID: "text", Text: "𓀀"}}, "values[1]", 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			values, images, errs := signing.CheckValues(context.Background(), env, "ada", tc.values)
			if tc.field != "" {
				require.NotEmpty(t, errs)
				require.Equal(t, tc.field, errs[0].Field, "%v", errs)
				return
			}
			require.Empty(t, errs)
			require.Len(t, values, tc.stored)
			require.Len(t, images, tc.images)
			for _, v := range values {
				if v.ImageKey != "" {
					require.Contains(t, images, v.ImageKey, "the image is stored under the key the value names")
					require.Contains(t, v.ImageKey, "env", "image keys live under their envelope")
				}
				require.NotEqual(t, " Ada ", v.Text, "typed text is trimmed")
			}
		})
	}
}
