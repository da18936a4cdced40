// Package branding checks a tenant's branding: the sender's name its
// signers see, a colour for the signing page's buttons that white text
// stays readable on, and a small PNG logo.
package branding

import (
	"context"
	"encoding/base64"
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/signflow/signflow/internal/documents/imagecheck"
	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/models"
)

// Bounds of a tenant's branding.
const (
	MaxName      = 100
	MaxLogoBytes = 100 << 10
	// MinContrast is WCAG 2.2 AA's least contrast for text (1.4.3): white
	// button labels on the colour.
	MinContrast = 4.5
)

var logoBudget = imagecheck.Budget{MaxSide: 1000, MaxDecodedBytes: 4 << 20}

var hexColor = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// Request is a tenant's branding as the API takes it; an empty logo keeps
// none.
type Request struct {
	Name          string `json:"name"`
	Color         string `json:"color"`
	LogoPNGBase64 string `json:"logo_png_base64"`
}

// Check turns a request into the tenant's branding, naming each field to
// fix.
func Check(ctx context.Context, tenantID string, r Request) (models.Branding, signing.FieldErrors) {
	var errs signing.FieldErrors
	b := models.Branding{TenantID: tenantID, Name: strings.TrimSpace(r.Name), Color: strings.ToLower(r.Color)}
	if utf8.RuneCountInString(b.Name) > MaxName {
		errs.Add("name", "give a name of at most %d characters", MaxName)
	}
	signing.CheckPrintable(&errs, "name", b.Name)
	if b.Color != "" {
		switch {
		case !hexColor.MatchString(b.Color):
			errs.Add("color", "give a colour as #rrggbb, such as #1d4ed8")
		case contrastWithWhite(b.Color) < MinContrast:
			errs.Add("color", "white text on %s has a contrast of %.1f:1; choose a darker colour (at least %.1f:1)",
				b.Color, contrastWithWhite(b.Color), MinContrast)
		}
	}
	if r.LogoPNGBase64 != "" {
		logo, err := base64.StdEncoding.DecodeString(r.LogoPNGBase64)
		switch {
		case err != nil || len(logo) > MaxLogoBytes:
			errs.Add("logo_png_base64", "give base64 of a PNG of at most %d KB", MaxLogoBytes>>10)
		default:
			if _, _, err := imagecheck.Check(ctx, logo, logoBudget, "png"); err != nil {
				if !errors.Is(err, imagecheck.ErrRefused) {
					errs.Add("logo_png_base64", "the logo could not be checked now; send it again")
				} else {
					errs.Add("logo_png_base64", "%s", strings.TrimPrefix(err.Error(), imagecheck.ErrRefused.Error()+": "))
				}
			}
			b.Logo = logo
		}
	}
	return b, errs
}

// contrastWithWhite is the WCAG contrast ratio of white on colour c.
func contrastWithWhite(c string) float64 {
	channel := func(hex string) float64 {
		v, _ := strconv.ParseUint(hex, 16, 8)
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	l := 0.2126*channel(c[1:3]) + 0.7152*channel(c[3:5]) + 0.0722*channel(c[5:7])
	return 1.05 / (l + 0.05)
}
