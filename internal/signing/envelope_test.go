package signing_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/internal/documents/pdf"
	"github.com/signflow/signflow/internal/keys/signinglink"
	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/models"
)

func contractPDF(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "tests", "testdata", "contract.pdf"))
	require.NoError(t, err)
	return data
}

func ptr[T any](v T) *T { return &v }

// valid is a request every case starts from: one signer with a signature
// field, one cc.
func valid() signing.EnvelopeRequest {
	return signing.EnvelopeRequest{
		Subject: "Contract",
		Recipients: []signing.RecipientRequest{
			{Name: "Ada", Email: "ada@example.com", Role: models.RoleSigner},
			{Name: "Cy", Email: "cy@example.com", Role: models.RoleCC},
		},
		Fields: []signing.FieldRequest{{Recipient: ptr(0), Type: models.FieldSignature, Page: 1,
			X: ptr(0.1), Y: ptr(0.7), Width: ptr(0.3), Height: ptr(0.05)}},
	}
}

func TestPrepareNamesTheFieldToFix(t *testing.T) {
	rules := signing.Rules{Limits: pdf.DefaultLimits}
	cases := []struct {
		name   string
		change func(*signing.EnvelopeRequest)
		rules  signing.Rules
		field  string
	}{
		{"valid", func(*signing.EnvelopeRequest) {}, rules, ""},
		{"no subject", func(r *signing.EnvelopeRequest) { r.Subject = " " }, rules, "subject"},
		{"bad email", func(r *signing.EnvelopeRequest) { r.Recipients[0].Email = "Ada <ada@example.com>" }, rules, "recipients[0].email"},
		{"unknown role", func(r *signing.EnvelopeRequest) { r.Recipients[0].Role = "witness" }, rules, "recipients[0].role"},
		{"routing order 0", func(r *signing.EnvelopeRequest) { r.Recipients[0].RoutingOrder = ptr(0) }, rules, "recipients[0].routing_order"},
		{"no second factor", func(r *signing.EnvelopeRequest) { r.Recipients[0].Authentication = models.AuthNone }, rules, "recipients[0].authentication"},
		{"no second factor when allowed", func(r *signing.EnvelopeRequest) { r.Recipients[0].Authentication = models.AuthNone },
			signing.Rules{Limits: pdf.DefaultLimits, AllowNoSecondFactor: true}, ""},
		{"a fresh proof", func(r *signing.EnvelopeRequest) { r.Recipients[0].Reauthenticate = true }, rules, ""},
		{"a fresh proof of no factor", func(r *signing.EnvelopeRequest) {
			r.Recipients[0].Reauthenticate, r.Recipients[0].Authentication = true, models.AuthNone
		}, signing.Rules{Limits: pdf.DefaultLimits, AllowNoSecondFactor: true}, "recipients[0].reauthenticate"},
		{"identity checked", func(r *signing.EnvelopeRequest) { r.Recipients[0].IdentityVerification = "required" }, rules, ""},
		{"identity checked somehow", func(r *signing.EnvelopeRequest) { r.Recipients[0].IdentityVerification = "maybe" }, rules,
			"recipients[0].identity_verification"},
		{"access code missing", func(r *signing.EnvelopeRequest) { r.Recipients[0].Authentication = models.AuthAccessCode }, rules, "recipients[0].access_code"},
		{"access code unused", func(r *signing.EnvelopeRequest) { r.Recipients[0].AccessCode = "1234" }, rules, "recipients[0].access_code"},
		{"cc fills a field", func(r *signing.EnvelopeRequest) { r.Fields[0].Recipient = ptr(1) }, rules, "fields[0].recipient"},
		{"field off the page", func(r *signing.EnvelopeRequest) { r.Fields[0].X = ptr(0.9) }, rules, "fields[0]"},
		{"page missing", func(r *signing.EnvelopeRequest) { r.Fields[0].Page = 9 }, rules, "fields[0].page"},
		{"unknown document", func(r *signing.EnvelopeRequest) { r.Fields[0].Document = ptr(3) }, rules, "fields[0].document"},
		{"signer without signature", func(r *signing.EnvelopeRequest) { r.Fields[0].Type = models.FieldText }, rules, "recipients[0]"},
		{"expiry too long", func(r *signing.EnvelopeRequest) { r.Settings.ExpiresIn = "400d" }, rules, "settings.expires_in"},
		{"warning after expiry", func(r *signing.EnvelopeRequest) { r.Settings.ExpiresIn, r.Settings.ExpiryWarning = "2d", "3d" }, rules, "settings.expiry_warning"},
		{"duration unreadable", func(r *signing.EnvelopeRequest) { r.Settings.ReminderInterval = "often" }, rules, "settings.reminder_interval"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := valid()
			tc.change(&req)
			prepared, errs := signing.Prepare(req, []signing.Upload{{Name: "contract.pdf", Data: contractPDF(t)}}, tc.rules)
			if tc.field == "" {
				require.Empty(t, errs)
				require.NotNil(t, prepared)
				return
			}
			require.Nil(t, prepared)
			require.NotEmpty(t, errs)
			require.Equal(t, tc.field, errs[0].Field, "%v", errs)
		})
	}
}

func TestPrepareRefusesDocumentsIntakeCannotRead(t *testing.T) {
	cases := map[string][]signing.Upload{
		"none":      nil,
		"not a PDF": {{Name: "a.pdf", Data: []byte("hello")}},
		"no name":   {{Name: " ", Data: contractPDF(t)}},
	}
	for name, docs := range cases {
		t.Run(name, func(t *testing.T) {
			_, errs := signing.Prepare(valid(), docs, signing.Rules{Limits: pdf.DefaultLimits})
			require.NotEmpty(t, errs)
			require.Contains(t, errs[0].Field, "documents")
		})
	}
}

func TestBuildAppliesDefaultsAndHashesCodes(t *testing.T) {
	links, err := signinglink.Load(t.TempDir())
	require.NoError(t, err)
	req := valid()
	req.Recipients[0].Authentication, req.Recipients[0].AccessCode = models.AuthAccessCode, "s3cret"
	req.Settings = signing.SettingsRequest{ExpiresIn: "10d", ReminderInterval: "2d", ReminderCount: ptr(2)}
	prepared, errs := signing.Prepare(req, []signing.Upload{{Name: "contract.pdf", Data: contractPDF(t)}}, signing.Rules{Limits: pdf.DefaultLimits})
	require.Empty(t, errs)
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	env, err := prepared.Build(links, "tenant-a", "env-1", now)
	require.NoError(t, err)

	require.Equal(t, now.Add(10*24*time.Hour), env.ExpiresAt)
	require.Equal(t, int64(2*24*3600), env.ReminderIntervalSeconds)
	require.Equal(t, 2, env.ReminderCount)
	require.Equal(t, int64(3*24*3600), env.ExpiryWarningSeconds, "the warning defaults to 3 days")
	require.Equal(t, "env-1", env.ID)
	signer, cc := env.Recipients[0], env.Recipients[1]
	require.Equal(t, 1, signer.RoutingOrder, "routing order defaults to 1")
	require.Equal(t, "I approve this document", signer.Meaning)
	require.Equal(t, models.AuthNone, cc.Authentication, "a cc never signs, so needs no second factor")
	require.NotContains(t, signer.AccessCodeHash, "s3cret", "only a hash of the access code is kept")
	require.Equal(t, signing.AccessCodeHash(links, signer.ID, "s3cret"), signer.AccessCodeHash, "the hash is keyed and bound to the recipient")
	require.Equal(t, signinglink.Hash(links.Token(signer.ID, 1)), signer.TokenHash, "the first link is generation 1")
	for _, r := range env.Recipients {
		require.Equal(t, "tenant-a", r.TenantID)
	}
	require.Equal(t, env.Documents[0].ID, env.Fields[0].DocumentID)
	require.True(t, env.Fields[0].Required, "fields are required unless said otherwise")
}
