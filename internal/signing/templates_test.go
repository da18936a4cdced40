package signing_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/internal/documents/pdf"
	"github.com/signflow/signflow/internal/keys/signinglink"
	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/models"
)

func template() signing.TemplateDefinition {
	return signing.TemplateDefinition{
		Subject: "Offer",
		Roles: []signing.TemplateRole{
			{Name: "Employee", Role: models.RoleSigner, Authentication: models.AuthAccessCode},
			{Name: "HR", Role: models.RoleCC},
		},
		Fields: []signing.FieldRequest{
			{Recipient: ptr(0), Type: models.FieldSignature, Page: 1, X: ptr(0.1), Y: ptr(0.7), Width: ptr(0.3), Height: ptr(0.05)},
			{Recipient: ptr(0), Type: models.FieldNumber, Name: "salary", Page: 1, X: ptr(0.1), Y: ptr(0.1), Width: ptr(0.3), Height: ptr(0.05)},
		},
	}
}

func TestFromTemplate(t *testing.T) {
	people := []signing.RoleAssignment{
		{Role: "HR", Name: "Hal", Email: "hal@example.com"},
		{Role: "Employee", Name: "Ada", Email: "ada@example.com", AccessCode: "2468-1357"},
	}
	cases := []struct {
		name  string
		req   signing.EnvelopeRequest
		field string
	}{
		{"roles in any order", signing.EnvelopeRequest{Roles: people}, ""},
		{"a role left out", signing.EnvelopeRequest{Roles: people[:1]}, "roles"},
		{"an unknown role", signing.EnvelopeRequest{Roles: append([]signing.RoleAssignment{{Role: "CEO"}}, people...)}, "roles[0].role"},
		{"a role twice", signing.EnvelopeRequest{Roles: append(people, people[0])}, "roles[2].role"},
		{"an unknown value", signing.EnvelopeRequest{Roles: people, Values: []signing.Prefill{{Name: "bonus", Value: "1"}}}, "values[0].name"},
		{"recipients as well", signing.EnvelopeRequest{Roles: people, Recipients: []signing.RecipientRequest{{Name: "X"}}}, "template_id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, errs := signing.FromTemplate(template(), tc.req)
			if tc.field != "" {
				require.NotEmpty(t, errs)
				require.Equal(t, tc.field, errs[0].Field, "%v", errs)
				return
			}
			require.Empty(t, errs)
			require.Equal(t, "Ada", out.Recipients[0].Name, "recipients follow the roles' order, as the fields count them")
			require.Equal(t, models.AuthAccessCode, out.Recipients[0].Authentication)
			require.Equal(t, "Offer", out.Subject)
		})
	}
	t.Run("prefilled values are checked like entered ones", func(t *testing.T) {
		out, errs := signing.FromTemplate(template(), signing.EnvelopeRequest{Roles: people,
			Values: []signing.Prefill{{Name: "salary", Value: "lots", ReadOnly: ptr(true)}}})
		require.Empty(t, errs)
		_, errs = signing.Prepare(out, []signing.Upload{{Name: "c.pdf", Data: contractPDF(t)}}, signing.Rules{Limits: pdf.DefaultLimits})
		require.Equal(t, "fields[1].value", errs[0].Field, "%v", errs)
	})
}

func TestPrepareTemplateNamesRoles(t *testing.T) {
	def := template()
	req := signing.TemplateRequest{Name: "Offer", Subject: def.Subject, Roles: def.Roles, Fields: def.Fields}
	docs := []signing.Upload{{Name: "c.pdf", Data: contractPDF(t)}}
	rules := signing.Rules{Limits: pdf.DefaultLimits}
	require.Empty(t, signing.PrepareTemplate(req, docs, rules), "access codes come with each sending")
	req.Roles[1].Role = "witness"
	require.Equal(t, "roles[1].role", signing.PrepareTemplate(req, docs, rules)[0].Field)
	req.Roles[1] = signing.TemplateRole{Name: "Employee", Role: models.RoleCC}
	require.Equal(t, "roles[1].name", signing.PrepareTemplate(req, docs, rules)[0].Field)
}

// A template's smart fields reach every envelope made from it (by the API
// and by bulk sending, which both go through FromTemplate and Prepare).
func TestATemplateCarriesItsSmartFields(t *testing.T) {
	def := template()
	def.Fields = append(def.Fields,
		signing.FieldRequest{Recipient: ptr(0), Type: models.FieldNumber, Name: "bonus", Page: 1, X: ptr(0.1), Y: ptr(0.2), Width: ptr(0.3), Height: ptr(0.05),
			Required:   ptr(false),
			SmartRules: models.SmartRules{Formula: "round({salary} * 0.1, 2)", ShowIf: &models.Condition{Field: "salary", Is: models.IsFilled}}})
	people := []signing.RoleAssignment{{Role: "HR", Name: "Hal", Email: "hal@example.com"},
		{Role: "Employee", Name: "Ada", Email: "ada@example.com", AccessCode: "2468-1357"}}
	out, errs := signing.FromTemplate(def, signing.EnvelopeRequest{Roles: people})
	require.Empty(t, errs)
	prepared, errs := signing.Prepare(out, []signing.Upload{{Name: "c.pdf", Data: contractPDF(t)}}, signing.Rules{Limits: pdf.DefaultLimits})
	require.Empty(t, errs)
	links, err := signinglink.Load(t.TempDir())
	require.NoError(t, err)
	env, err := prepared.Build(links, "tenant-a", "env-1", time.Now())
	require.NoError(t, err)
	bonus := env.Fields[2]
	require.Equal(t, "round({salary} * 0.1, 2)", bonus.Formula)
	require.Equal(t, &models.Condition{Field: "salary", Is: models.IsFilled}, bonus.ShowIf)

	out, errs = signing.FromTemplate(def, signing.EnvelopeRequest{Roles: people, Values: []signing.Prefill{{Name: "bonus", Value: "5"}}})
	require.Empty(t, errs)
	_, errs = signing.Prepare(out, []signing.Upload{{Name: "c.pdf", Data: contractPDF(t)}}, signing.Rules{Limits: pdf.DefaultLimits})
	require.Equal(t, "fields[2].formula", errs[0].Field, "a computed field is not prefilled: %v", errs)
}
