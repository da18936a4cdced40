package certificate_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/internal/documents/certificate"
	"github.com/signflow/signflow/internal/documents/pdf"
	"github.com/signflow/signflow/models"
)

func sample(events int) certificate.Data {
	now := time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)
	d := certificate.Data{
		EnvelopeID: "01a2-envelope", Subject: "Supply agreement", Status: "completed", GeneratedAt: now,
		Documents: []certificate.Document{{Name: "contract.pdf", OriginalSHA256: strings.Repeat("a", 64)}},
		Recipients: []certificate.Recipient{
			{Name: "Alice Adams", Email: "alice@example.com", Role: "signer", Status: "signed", Meaning: "I approve this document",
				Authentication: "signing link sent by email", TypedSignature: "Alice Adams", IP: "192.0.2.10",
				UserAgent: strings.Repeat("Mozilla/5.0 (X11; Linux x86_64) ", 5), SentAt: &now, ActedAt: &now},
			{Name: "Carol Chen", Email: "carol@example.com", Role: "cc", Status: "copied"},
		},
	}
	for i := range events {
		d.Events = append(d.Events, certificate.Event{Seq: int64(i + 1), At: now, Type: "recipient.notified", Actor: "signflow", Hash: fmt.Sprintf("%064d", i)})
	}
	return d
}

func text(t *testing.T, doc []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.pdf")
	require.NoError(t, os.WriteFile(path, doc, 0o600))
	out, err := exec.Command("pdftotext", "-layout", path, "-").Output()
	require.NoError(t, err, "pdftotext (poppler-utils) reads the certificate independently")
	return string(out)
}

func TestCertificatePagesListRecipientsAndEvents(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "tests", "testdata", "contract.pdf"))
	require.NoError(t, err)
	d := sample(80) // enough events to need a second page
	original, err := pdf.Inspect(doc, pdf.DefaultLimits)
	require.NoError(t, err)

	out, err := pdf.Render(doc, original.Pages, nil, certificate.Sheets(d))
	require.NoError(t, err)
	require.NoError(t, api.Validate(bytes.NewReader(out), nil))
	info, err := pdf.Inspect(out, pdf.DefaultLimits)
	require.NoError(t, err)
	require.Greater(t, len(info.Pages), 2, "80 events take more than one certificate page")
	withDocument := len(info.Pages)
	all := text(t, out)
	for _, want := range []string{"Certificate of completion", "01a2-envelope", "Alice Adams <alice@example.com>",
		"I approve this document", "192.0.2.10", "Carol Chen <carol@example.com>", fmt.Sprintf("%064d", 79)} {
		require.Contains(t, all, want)
	}

	alone, err := certificate.Standalone(doc, original.Pages, d)
	require.NoError(t, err)
	info, err = pdf.Inspect(alone, pdf.DefaultLimits)
	require.NoError(t, err)
	require.Len(t, info.Pages, withDocument-1, "the certificate alone, without the document's page")
	require.Contains(t, text(t, alone), "Certificate of completion")
}

func TestALongTrailIsSummarisedNotListed(t *testing.T) {
	env := &models.Envelope{ID: "env", Subject: "s", Status: models.EnvelopeInProgress,
		Recipients: []models.Recipient{{ID: "r", Name: "Ann", Email: "ann@example.com", Role: models.RoleSigner}}}
	var events []models.Event
	for i := range 5000 {
		events = append(events, models.Event{Seq: int64(i + 1), Type: models.EventLinkOpened, RecipientID: "r", Hash: fmt.Sprintf("%064d", i),
			UserAgent: strings.Repeat("x", 900_000/5000)})
	}
	events = append(events, models.Event{Seq: 5001, Type: models.EventRecipientSigned, RecipientID: "r", Hash: "h", UserAgent: strings.Repeat("é", 10_000)})
	d, err := certificate.Build(env, events, nil)
	require.NoError(t, err)
	require.Len(t, d.Events, certificate.MaxListedEvents)
	require.Equal(t, 5001-certificate.MaxListedEvents, d.Omitted)
	require.Equal(t, int64(1), d.Events[0].Seq, "the trail's start is listed")
	require.Equal(t, int64(5001), d.Events[len(d.Events)-1].Seq, "and its end")
	require.LessOrEqual(t, len(d.Recipients[0].UserAgent), 512+len("..."), "a huge user agent is cut")

	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "tests", "testdata", "contract.pdf"))
	require.NoError(t, err)
	original, err := pdf.Inspect(doc, pdf.DefaultLimits)
	require.NoError(t, err)
	out, err := certificate.Standalone(doc, original.Pages, d)
	require.NoError(t, err)
	require.Contains(t, text(t, out), fmt.Sprintf("%d events omitted here", d.Omitted))
}
