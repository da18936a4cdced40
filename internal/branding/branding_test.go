package branding

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	var logo bytes.Buffer
	require.NoError(t, png.Encode(&logo, image.NewRGBA(image.Rect(0, 0, 200, 60))))
	cases := []struct {
		name  string
		req   Request
		field string
	}{
		{"all of it", Request{Name: "Nordlicht AS", Color: "#1D4ED8", LogoPNGBase64: base64.StdEncoding.EncodeToString(logo.Bytes())}, ""},
		{"nothing", Request{}, ""},
		{"a name in Arabic", Request{Name: "شركة النور"}, ""},
		{"a long name", Request{Name: strings.Repeat("n", MaxName+1)}, "name"},
		{"a colour by name", Request{Color: "blue"}, "color"},
		{"too light for white text", Request{Color: "#ffcc00"}, "color"},
		{"just dark enough", Request{Color: "#767676"}, ""}, // 4.54:1
		{"a logo that is no PNG", Request{LogoPNGBase64: base64.StdEncoding.EncodeToString([]byte("GIF89a"))}, "logo_png_base64"},
		{"a logo not in base64", Request{LogoPNGBase64: "%%%"}, "logo_png_base64"},
		{"a logo too large", Request{LogoPNGBase64: base64.StdEncoding.EncodeToString(make([]byte, MaxLogoBytes+1))}, "logo_png_base64"},
	}
	for _, tc := range cases {
		b, errs := Check(context.Background(), "tenant", tc.req)
		if tc.field == "" {
			require.Empty(t, errs, tc.name)
			require.Equal(t, strings.ToLower(tc.req.Color), b.Color, tc.name)
			continue
		}
		require.NotEmpty(t, errs, tc.name)
		require.Equal(t, tc.field, errs[0].Field, tc.name)
	}
}
