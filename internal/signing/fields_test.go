package signing_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/jpeg"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/internal/documents/pdf"
	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/models"
)

// withField adds a second field of ada's to the valid request.
func withField(f signing.FieldRequest) func(*signing.EnvelopeRequest) {
	return func(r *signing.EnvelopeRequest) {
		f.Recipient, f.Page, f.X, f.Y, f.Width, f.Height = ptr(0), 1, ptr(0.1), ptr(0.1), ptr(0.3), ptr(0.05)
		r.Fields = append(r.Fields, f)
	}
}

func TestPrepareChecksFieldRules(t *testing.T) {
	rules := signing.Rules{Limits: pdf.DefaultLimits}
	cases := []struct {
		name  string
		field signing.FieldRequest
		want  string
	}{
		{"radio with options", signing.FieldRequest{Type: models.FieldRadio, Options: []string{"Yes", "No"}}, ""},
		{"dropdown in Chinese", signing.FieldRequest{Type: models.FieldDropdown, Options: []string{"北京", "上海", "深圳"}}, ""},
		{"number bounded", signing.FieldRequest{Type: models.FieldNumber, Min: ptr(0.0), Max: ptr(100.0)}, ""},
		{"text with pattern", signing.FieldRequest{Type: models.FieldText, Pattern: `[A-Z]{2}[0-9]{6}`}, ""},
		{"named", signing.FieldRequest{Type: models.FieldEmail, Name: "work_email"}, ""},
		{"radio with one option", signing.FieldRequest{Type: models.FieldRadio, Options: []string{"Yes"}}, "fields[1].options"},
		{"dropdown without options", signing.FieldRequest{Type: models.FieldDropdown}, "fields[1].options"},
		{"options twice", signing.FieldRequest{Type: models.FieldRadio, Options: []string{"Yes", "Yes"}}, "fields[1].options[1]"},
		{"empty option", signing.FieldRequest{Type: models.FieldDropdown, Options: []string{"", "No"}}, "fields[1].options[0]"},
		{"options on text", signing.FieldRequest{Type: models.FieldText, Options: []string{"a", "b"}}, "fields[1].options"},
		{"pattern on a number", signing.FieldRequest{Type: models.FieldNumber, Pattern: "[0-9]+"}, "fields[1].pattern"},
		{"pattern unreadable", signing.FieldRequest{Type: models.FieldText, Pattern: "(unclosed"}, "fields[1].pattern"},
		{"bounds on text", signing.FieldRequest{Type: models.FieldText, Max: ptr(3.0)}, "fields[1].min"},
		{"min over max", signing.FieldRequest{Type: models.FieldNumber, Min: ptr(5.0), Max: ptr(1.0)}, "fields[1].max"},
		{"name padded", signing.FieldRequest{Type: models.FieldText, Name: " amount"}, "fields[1].name"},
		{"unknown type", signing.FieldRequest{Type: "slider"}, "fields[1].type"},
		{"date in a range", signing.FieldRequest{Type: models.FieldDate, SmartRules: models.SmartRules{MinDate: "2027-01-01", MaxDate: "2027-12-31"}}, ""},
		{"date range on text", signing.FieldRequest{Type: models.FieldText, SmartRules: models.SmartRules{MinDate: "2027-01-01"}}, "fields[1].min_date"},
		{"date range unreadable", signing.FieldRequest{Type: models.FieldDate, SmartRules: models.SmartRules{MinDate: "01/02/2027"}}, "fields[1].min_date"},
		{"date range backwards", signing.FieldRequest{Type: models.FieldDate, SmartRules: models.SmartRules{MinDate: "2027-02-01", MaxDate: "2027-01-31"}}, "fields[1].max_date"},
		{"date prefilled out of range", signing.FieldRequest{Type: models.FieldDate, Value: "2026-12-31", SmartRules: models.SmartRules{MinDate: "2027-01-01"}}, "fields[1].value"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := valid()
			withField(tc.field)(&req)
			_, errs := signing.Prepare(req, []signing.Upload{{Name: "contract.pdf", Data: contractPDF(t)}}, rules)
			if tc.want == "" {
				require.Empty(t, errs)
				return
			}
			require.NotEmpty(t, errs)
			require.Equal(t, tc.want, errs[0].Field, "%v", errs)
		})
	}
	t.Run("names are unique", func(t *testing.T) {
		req := valid()
		req.Fields[0].Name = "sig"
		withField(signing.FieldRequest{Type: models.FieldText, Name: "sig"})(&req)
		_, errs := signing.Prepare(req, []signing.Upload{{Name: "contract.pdf", Data: contractPDF(t)}}, rules)
		require.Equal(t, "fields[1].name", errs[0].Field, "%v", errs)
	})
}

func TestCheckValuesOfTypedFields(t *testing.T) {
	env := &models.Envelope{ID: "env", Fields: []models.Field{
		{ID: "sig", RecipientID: "ada", Type: models.FieldSignature, Required: true},
		{ID: "amount", Name: "amount", RecipientID: "ada", Type: models.FieldNumber, MinValue: ptr(0.0), MaxValue: ptr(1000.0)},
		{ID: "mail", RecipientID: "ada", Type: models.FieldEmail},
		{ID: "plan", RecipientID: "ada", Type: models.FieldRadio, Options: []string{"Basic", "Pro"}, Required: true},
		{ID: "city", RecipientID: "ada", Type: models.FieldDropdown, Options: []string{"القاهرة", "東京"}},
		{ID: "id", RecipientID: "ada", Type: models.FieldText, Pattern: `[A-Z]{2}[0-9]{4}`},
		{ID: "start", Name: "start", RecipientID: "ada", Type: models.FieldDate, SmartRules: models.SmartRules{MinDate: "2027-01-01", MaxDate: "2027-06-30"}},
	}}
	sig, plan := signing.ValueInput{FieldID: "sig", Text: "Ada"}, signing.ValueInput{FieldID: "plan", Text: "Pro"}
	cases := []struct {
		name   string
		value  signing.ValueInput
		want   string // the stored text; "" when refused
		errMsg string // part of the message that names the field
	}{
		{"number", signing.ValueInput{FieldID: "amount", Text: " 1250.50 "}, "", `"amount"`},
		{"number in bounds", signing.ValueInput{FieldID: "amount", Text: "12.50"}, "12.5", ""},
		{"negative under min", signing.ValueInput{FieldID: "amount", Text: "-1"}, "", "from 0 to 1000"},
		{"not a number", signing.ValueInput{FieldID: "amount", Text: "twelve"}, "", "takes a number"},
		{"infinity", signing.ValueInput{FieldID: "amount", Text: "Inf"}, "", "takes a number"},
		{"email", signing.ValueInput{FieldID: "mail", Text: "ada@example.com"}, "ada@example.com", ""},
		{"email with a name", signing.ValueInput{FieldID: "mail", Text: "Ada <ada@example.com>"}, "", "email address"},
		{"dropdown in Arabic", signing.ValueInput{FieldID: "city", Text: "القاهرة"}, "القاهرة", ""},
		{"dropdown off the list", signing.ValueInput{FieldID: "city", Text: "Paris"}, "", "one of"},
		{"pattern", signing.ValueInput{FieldID: "id", Text: "AB1234"}, "AB1234", ""},
		{"pattern is whole", signing.ValueInput{FieldID: "id", Text: "xAB1234"}, "", "must match"},
		{"checked on a number", signing.ValueInput{FieldID: "amount", Checked: ptr(true)}, "", "takes \"text\""},
		{"date in range", signing.ValueInput{FieldID: "start", Text: "2027-02-01"}, "2027-02-01", ""},
		{"date before its range", signing.ValueInput{FieldID: "start", Text: "2026-12-31"}, "", "from 2027-01-01 to 2027-06-30"},
		{"date after its range", signing.ValueInput{FieldID: "start", Text: "2027-07-01"}, "", "from 2027-01-01 to 2027-06-30"},
		{"date the American way", signing.ValueInput{FieldID: "start", Text: "02/01/2027"}, "", "YYYY-MM-DD"},
		{"no such day", signing.ValueInput{FieldID: "start", Text: "2027-02-30"}, "", "YYYY-MM-DD"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			values, _, errs := signing.CheckValues(context.Background(), env, "ada", []signing.ValueInput{sig, plan, tc.value})
			if tc.errMsg != "" {
				require.Len(t, errs, 1, "%v", errs)
				require.Equal(t, "values[2]", errs[0].Field)
				require.Contains(t, errs[0].Message, tc.errMsg)
				return
			}
			require.Empty(t, errs)
			require.Equal(t, tc.want, values[2].Text)
		})
	}
	t.Run("a radio group off its options", func(t *testing.T) {
		_, _, errs := signing.CheckValues(context.Background(), env, "ada", []signing.ValueInput{sig, {FieldID: "plan", Text: "Gold"}})
		require.Equal(t, "values[1]", errs[0].Field)
		require.Contains(t, errs[0].Message, "Basic, Pro")
	})
	t.Run("a required radio group left out", func(t *testing.T) {
		_, _, errs := signing.CheckValues(context.Background(), env, "ada", []signing.ValueInput{sig})
		require.Equal(t, "values", errs[0].Field)
		require.Contains(t, errs[0].Message, "plan")
	})
}

func TestFormDataIsTyped(t *testing.T) {
	acted := mustTime(t, "2026-12-01T10:00:00Z")
	env := &models.Envelope{
		Recipients: []models.Recipient{{ID: "ada", Status: models.RecipientSigned, ActedAt: &acted}, {ID: "bob", Status: models.RecipientNotified}},
		Fields: []models.Field{
			{ID: "f1", RecipientID: "ada", Type: models.FieldNumber, Value: "12.5"},
			{ID: "f2", RecipientID: "ada", Type: models.FieldCheckbox},
			{ID: "f3", RecipientID: "ada", Type: models.FieldDateSigned},
			{ID: "f4", RecipientID: "ada", Type: models.FieldSignature, ImageKey: "img.png"},
			{ID: "f5", RecipientID: "ada", Type: models.FieldText},
			{ID: "f6", RecipientID: "bob", Type: models.FieldRadio, Value: ""},
		},
	}
	got := signing.FormData(env)
	require.Equal(t, 12.5, got[0].Value)
	require.Equal(t, false, got[1].Value)
	require.Equal(t, "2026-12-01", got[2].Value)
	require.Nil(t, got[3].Value)
	require.True(t, got[3].Drawn)
	require.Nil(t, got[4].Value, "an empty optional field has no value")
	require.Equal(t, acted, *got[4].SetAt)
	require.Nil(t, got[5].SetAt, "bob has not signed")
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err)
	return at
}

func TestAttachmentsAreCheckedByTheirBytes(t *testing.T) {
	env := &models.Envelope{ID: "env", Fields: []models.Field{
		{ID: "sig", RecipientID: "ada", Type: models.FieldSignature, Required: true},
		{ID: "file", Name: "id_card", RecipientID: "ada", Type: models.FieldAttachment},
	}}
	var jpg bytes.Buffer
	require.NoError(t, jpeg.Encode(&jpg, image.NewRGBA(image.Rect(0, 0, 8, 8)), nil))
	attach := func(name string, data []byte) []signing.ValueInput {
		return []signing.ValueInput{{FieldID: "sig", Text: "Ada"},
			{FieldID: "file", Attachment: &signing.AttachmentInput{Name: name, ContentBase64: base64.StdEncoding.EncodeToString(data)}}}
	}
	png := pngBase64(t, 20, 10)
	pngData, _ := base64.StdEncoding.DecodeString(png)
	for _, tc := range []struct {
		name, file string
		data       []byte
		kind       string // the stored content type; "" when refused
	}{
		{"png", "scan.png", pngData, "image/png"},
		{"jpeg named .pdf", "scan.pdf", jpg.Bytes(), "image/jpeg"},
		{"text", "notes.txt", []byte("hello"), ""},
		{"too large", "big.png", bytes.Repeat([]byte{0}, signing.MaxAttachmentBytes+1), ""},
		{"empty", "empty.png", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			values, blobs, errs := signing.CheckValues(context.Background(), env, "ada", attach(tc.file, tc.data))
			if tc.kind == "" {
				require.Len(t, errs, 1, "%v", errs)
				require.Contains(t, errs[0].Message, `"id_card"`)
				return
			}
			require.Empty(t, errs)
			a, ok := models.ParseAttachment(values[1].Text)
			require.True(t, ok)
			require.Equal(t, tc.kind, a.ContentType, "the type comes from the bytes, not the name")
			require.Equal(t, tc.data, blobs[values[1].ImageKey])
		})
	}
}
