package signing_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/internal/documents/pdf"
	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/models"
)

// smartRequest is the valid request with a second signer (routing order
// 2) and fields of ada's (recipient 0) and bob's (recipient 2) with rules.
func smartRequest(fields ...signing.FieldRequest) signing.EnvelopeRequest {
	req := valid()
	req.Recipients = append(req.Recipients, signing.RecipientRequest{Name: "Bob", Email: "bob@example.com", Role: models.RoleSigner,
		RoutingOrder: ptr(2)})
	req.Fields = append(req.Fields, signing.FieldRequest{Recipient: ptr(2), Type: models.FieldSignature, Page: 1,
		X: ptr(0.5), Y: ptr(0.5), Width: ptr(0.3), Height: ptr(0.05)})
	for _, f := range fields {
		if f.Recipient == nil {
			f.Recipient = ptr(0)
		}
		f.Page, f.X, f.Y, f.Width, f.Height = 1, ptr(0.1), ptr(0.1), ptr(0.3), ptr(0.05)
		req.Fields = append(req.Fields, f)
	}
	return req
}

func TestPrepareChecksSmartFields(t *testing.T) {
	rules := signing.Rules{Limits: pdf.DefaultLimits}
	box := func(name string) signing.FieldRequest {
		return signing.FieldRequest{Type: models.FieldCheckbox, Name: name, Required: ptr(false)}
	}
	num := func(name, formula string) signing.FieldRequest {
		return signing.FieldRequest{Type: models.FieldNumber, Name: name, SmartRules: models.SmartRules{Formula: formula}, Required: ptr(false)}
	}
	if2 := func(f signing.FieldRequest, c models.Condition) signing.FieldRequest { f.ShowIf = &c; return f }
	grouped := func(name, group string, min, max *float64) signing.FieldRequest {
		f := box(name)
		f.Group, f.Min, f.Max = group, min, max
		return f
	}
	cases := []struct {
		name   string
		fields []signing.FieldRequest
		want   string
	}{
		{"shown when checked", []signing.FieldRequest{box("spouse"), if2(box("joint"), models.Condition{Field: "spouse", Is: models.IsChecked})}, ""},
		{"required when one of", []signing.FieldRequest{
			{Type: models.FieldRadio, Name: "plan", Options: []string{"free", "pro", "team"}},
			{Type: models.FieldText, Name: "vat", Required: ptr(false),
				SmartRules: models.SmartRules{RequiredIf: &models.Condition{Field: "plan", Is: models.IsOneOf, Values: []string{"pro", "team"}}}},
		}, ""},
		{"a formula of numbers", []signing.FieldRequest{num("qty", ""), num("price", ""), num("total", "round({qty} * {price}, 2)")}, ""},
		{"a later signer depends on an earlier", []signing.FieldRequest{box("spouse"),
			func() signing.FieldRequest {
				f := if2(box("bob's"), models.Condition{Field: "spouse", Is: models.IsChecked})
				f.Recipient = ptr(2)
				return f
			}()}, ""},
		{"a group of boxes", []signing.FieldRequest{grouped("a", "contact", ptr(1.0), ptr(2.0)), grouped("b", "contact", ptr(1.0), ptr(2.0))}, ""},
		{"text bounded in length", []signing.FieldRequest{{Type: models.FieldText, SmartRules: models.SmartRules{MinLength: ptr(2), MaxLength: ptr(10)}}}, ""},

		{"an unknown field", []signing.FieldRequest{if2(box("joint"), models.Condition{Field: "nobody", Is: models.IsFilled})}, "fields[2].show_if.field"},
		{"itself", []signing.FieldRequest{if2(box("joint"), models.Condition{Field: "joint", Is: models.IsFilled})}, "fields[2].show_if.field"},
		{"an unknown test", []signing.FieldRequest{box("spouse"), if2(box("joint"), models.Condition{Field: "spouse", Is: "maybe"})}, "fields[3].show_if.is"},
		{"checked on text", []signing.FieldRequest{{Type: models.FieldText, Name: "t", Required: ptr(false)}, if2(box("joint"), models.Condition{Field: "t", Is: models.IsChecked})}, "fields[3].show_if.is"},
		{"equals without a value", []signing.FieldRequest{box("spouse"), if2(box("joint"), models.Condition{Field: "spouse", Is: models.IsEquals})}, "fields[3].show_if.value"},
		{"one of without values", []signing.FieldRequest{box("spouse"), if2(box("joint"), models.Condition{Field: "spouse", Is: models.IsOneOf})}, "fields[3].show_if.values"},
		{"an earlier signer depends on a later", []signing.FieldRequest{
			func() signing.FieldRequest { f := box("bob's"); f.Recipient = ptr(2); return f }(),
			if2(box("ada's"), models.Condition{Field: "bob's", Is: models.IsChecked})}, "fields[3].show_if.field"},
		{"a circle", []signing.FieldRequest{if2(box("a"), models.Condition{Field: "b", Is: models.IsChecked}), if2(box("b"), models.Condition{Field: "a", Is: models.IsChecked})}, "fields[2]"},
		{"a formula circle", []signing.FieldRequest{num("a", "{b} + 1"), num("b", "{a} * 2")}, "fields[2]"},
		{"a formula on text", []signing.FieldRequest{{Type: models.FieldText, SmartRules: models.SmartRules{Formula: "1 + 1"}}}, "fields[2].formula"},
		{"a formula over a text field", []signing.FieldRequest{{Type: models.FieldText, Name: "t"}, num("n", "{t} + 1")}, "fields[3].formula"},
		{"a formula unreadable", []signing.FieldRequest{num("n", "1 +")}, "fields[2].formula"},
		{"a formula prefilled", []signing.FieldRequest{{Type: models.FieldNumber, SmartRules: models.SmartRules{Formula: "1"}, Value: "2"}}, "fields[2].formula"},
		{"a group on text", []signing.FieldRequest{{Type: models.FieldText, SmartRules: models.SmartRules{Group: "g"}}}, "fields[2].group"},
		{"a group across signers", []signing.FieldRequest{grouped("a", "g", nil, nil), func() signing.FieldRequest { f := grouped("b", "g", nil, nil); f.Recipient = ptr(2); return f }()}, "fields[3].group"},
		{"a group's bounds disagree", []signing.FieldRequest{grouped("a", "g", ptr(1.0), nil), grouped("b", "g", ptr(2.0), nil)}, "fields[3].group"},
		{"a group's max over its size", []signing.FieldRequest{grouped("a", "g", nil, ptr(3.0)), grouped("b", "g", nil, ptr(3.0))}, "fields[2].max"},
		{"bounds on a lone box", []signing.FieldRequest{{Type: models.FieldCheckbox, Min: ptr(1.0)}}, "fields[2].min"},
		{"length on a number", []signing.FieldRequest{{Type: models.FieldNumber, SmartRules: models.SmartRules{MaxLength: ptr(3)}}}, "fields[2].min_length"},
		{"min length over max", []signing.FieldRequest{{Type: models.FieldText, SmartRules: models.SmartRules{MinLength: ptr(5), MaxLength: ptr(2)}}}, "fields[2].max_length"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := signing.Prepare(smartRequest(tc.fields...), []signing.Upload{{Name: "contract.pdf", Data: contractPDF(t)}}, rules)
			if tc.want == "" {
				require.Empty(t, errs)
				return
			}
			require.NotEmpty(t, errs)
			require.Equal(t, tc.want, errs[0].Field, "%v", errs)
		})
	}
}

func TestSmartFieldsAtSign(t *testing.T) {
	f := func(id, typ string, set func(*models.Field)) models.Field {
		field := models.Field{ID: id, Name: id, RecipientID: "ada", Type: typ}
		if set != nil {
			set(&field)
		}
		return field
	}
	one := 1.0
	env := &models.Envelope{ID: "env", Fields: []models.Field{
		f("sig", models.FieldSignature, func(f *models.Field) { f.Required = true }),
		f("spouse", models.FieldCheckbox, nil),
		f("spouse name", models.FieldText, func(f *models.Field) {
			f.Required, f.ShowIf = true, &models.Condition{Field: "spouse", Is: models.IsChecked}
		}),
		f("plan", models.FieldRadio, func(f *models.Field) { f.Options = []string{"free", "pro"} }),
		f("vat", models.FieldText, func(f *models.Field) {
			f.RequiredIf = &models.Condition{Field: "plan", Is: models.IsEquals, Value: "pro"}
		}),
		f("qty", models.FieldNumber, nil),
		// prefilled by the sender: the total is 0 until qty is given
		f("price", models.FieldNumber, func(f *models.Field) { f.Value = "2.5" }),
		f("total", models.FieldNumber, func(f *models.Field) { f.Formula = "{qty} * {price}" }),
		f("email", models.FieldCheckbox, func(f *models.Field) { f.Group, f.MinValue, f.MaxValue = "contact", &one, &one }),
		f("phone", models.FieldCheckbox, func(f *models.Field) { f.Group, f.MinValue, f.MaxValue = "contact", &one, &one }),
		f("kept", models.FieldText, func(f *models.Field) {
			f.Value, f.HideIf = "sender's", &models.Condition{Field: "spouse", Is: models.IsChecked}
		}),
	}}
	yes, no := true, false
	sign := []signing.ValueInput{{FieldID: "sig", Text: "Ada"}, {FieldID: "email", Checked: &yes}}
	with := func(extra ...signing.ValueInput) []signing.ValueInput {
		return append(append([]signing.ValueInput{}, sign...), extra...)
	}
	cases := []struct {
		name   string
		values []signing.ValueInput
		err    string            // a word of the first error's message; "" when valid
		stored map[string]string // values stored, by field
	}{
		{"hidden required field is not asked for", with(), "", map[string]string{"sig": "Ada", "email": "true", "kept": "sender's", "total": "0"}},
		{"shown required field is", with(signing.ValueInput{FieldID: "spouse", Checked: &yes}), "spouse name", nil},
		{"a hidden field's value is dropped", with(signing.ValueInput{FieldID: "spouse name", Text: "Bo"}), "",
			map[string]string{"sig": "Ada", "email": "true", "kept": "sender's", "total": "0"}},
		{"hiding clears the sender's value", with(signing.ValueInput{FieldID: "spouse", Checked: &yes}, signing.ValueInput{FieldID: "spouse name", Text: "Bo"}), "",
			map[string]string{"sig": "Ada", "email": "true", "spouse": "true", "spouse name": "Bo", "kept": "", "total": "0"}},
		{"required if pro", with(signing.ValueInput{FieldID: "plan", Text: "pro"}), "vat", nil},
		{"not required if free", with(signing.ValueInput{FieldID: "plan", Text: "free"}), "",
			map[string]string{"sig": "Ada", "email": "true", "plan": "free", "kept": "sender's", "total": "0"}},
		{"a formula is computed", with(signing.ValueInput{FieldID: "qty", Text: "4"}), "",
			map[string]string{"sig": "Ada", "email": "true", "qty": "4", "total": "10", "kept": "sender's"}},
		{"a formula is not typed", with(signing.ValueInput{FieldID: "total", Text: "99"}), "computed", nil},
		{"too few in a group", []signing.ValueInput{{FieldID: "sig", Text: "Ada"}}, "at least 1", nil},
		{"too many in a group", with(signing.ValueInput{FieldID: "phone", Checked: &yes}), "at most 1", nil},
		{"an unchecked box counts nothing", with(signing.ValueInput{FieldID: "phone", Checked: &no}), "",
			map[string]string{"sig": "Ada", "email": "true", "kept": "sender's", "total": "0"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			values, _, errs := signing.CheckValues(context.Background(), env, "ada", tc.values)
			if tc.err != "" {
				require.NotEmpty(t, errs)
				require.Contains(t, errs[0].Message, tc.err, "%v", errs)
				return
			}
			require.Empty(t, errs)
			got := map[string]string{}
			for _, v := range values {
				got[v.FieldID] = v.Text
			}
			// The sender's prefilled value stays unless the signer's values clear it.
			if _, ok := got["kept"]; !ok {
				got["kept"] = "sender's"
			}
			require.Equal(t, tc.stored, got)
		})
	}
}
