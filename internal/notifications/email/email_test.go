package email

import (
	"bytes"
	"image"
	"image/png"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wneessen/go-mail"

	"github.com/signflow/signflow/models"
)

func logo(t *testing.T) []byte {
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 4, 4))))
	return buf.Bytes()
}

// writer answers a composed message as it goes to the SMTP server.
func writer(t *testing.T) func(*mail.Msg, error) string {
	return func(msg *mail.Msg, err error) string {
		t.Helper()
		require.NoError(t, err)
		var buf bytes.Buffer
		_, err = msg.WriteTo(&buf)
		require.NoError(t, err)
		return buf.String()
	}
}

// TestEmailsCarryTheSendersBrand: a branded tenant's invitation and code
// emails show its logo (embedded, so no image is fetched from elsewhere),
// its name and its colour on the button; an unbranded one reads as
// Signflow's, in Signflow's blue.
func TestEmailsCarryTheSendersBrand(t *testing.T) {
	brand := models.Branding{Name: "Nordlicht AS", Color: "#7a1f5c", Logo: logo(t)}
	composer, written := Composer{From: "signflow@example.com"}, writer(t)
	invitation := func(b models.Branding) string {
		return written(composer.Notification(Notification{Kind: models.NotifyInvitation, MessageID: "m1@signflow", To: "ada@example.com",
			Name: "Ada", Subject: "Lease", Link: "https://sign.example.com/s/abc", Locale: "de", ExpiresAt: time.Now(), Brand: b}))
	}
	tests := []struct {
		name  string
		brand models.Branding
		want  []string
		not   []string
	}{
		{"branded", brand,
			[]string{`src=3D"cid:logo.png"`, "Content-Id: <logo.png>", "Gesendet von Nordlicht AS", "background:#7a1f5c", "-- Nordlicht AS"},
			[]string{"#1d4ed8"}},
		{"unbranded", models.Branding{},
			[]string{"background:#1d4ed8", "-- Signflow"},
			[]string{"cid:", "Gesendet von"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := invitation(tc.brand)
			for _, w := range tc.want {
				require.Contains(t, text, w)
			}
			for _, n := range tc.not {
				require.NotContains(t, text, n)
			}
		})
	}
	code := written(composer.SigningCode(Code{To: "ada@example.com", Name: "Ada", Subject: "Lease", Code: "123456",
		Locale: "en", ValidFor: 10 * time.Minute, Brand: brand}))
	for _, w := range []string{`src=3D"cid:logo.png"`, "Sent by Nordlicht AS", "color:#7a1f5c", "123456"} {
		require.Contains(t, code, w)
	}
}
