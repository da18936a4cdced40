package tests

import (
	"bytes"
	"image/png"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPagesAreDrawnForAVerifiedSession: the signing page gets each page
// as a PNG at the width it asks for, the height following the page, once
// the recipient is verified; widths and pages out of range are refused.
func TestPagesAreDrawnForAVerifiedSession(t *testing.T) {
	t.Parallel()
	status, created := postJSON(t, suite.apiURL+"/v1/envelopes", jsonEnvelope(t, []J{signer("alice", 1)}, []J{fieldAt(0, "signature", 1, aliceSig)}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	link, doc := str(created, "recipients", 0, "signing_api_url"), str(created, "documents", 0, "id")
	pages := link + "/documents/" + doc + "/pages/"

	status, _ = download(t, pages+"1")
	require.Equal(t, http.StatusUnauthorized, status, "not without a session")
	auth := session(t, link)
	get := func(url string) rawResponse {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", auth["Authorization"])
		return roundTrip(t, req)
	}
	for _, width := range []int{600, 600, 1200} { // the second is served from the cache
		page := get(pages + "1?width=" + strconv.Itoa(width))
		require.Equal(t, http.StatusOK, page.status, "%s", page.body)
		require.Equal(t, "image/png", page.header.Get("Content-Type"))
		img, err := png.Decode(bytes.NewReader(page.body))
		require.NoError(t, err)
		w, h := img.Bounds().Dx(), img.Bounds().Dy()
		require.Equal(t, width, w)
		pageW, pageH := at(created, "documents", 0, "pages", 0, "width").(float64), at(created, "documents", 0, "pages", 0, "height").(float64)
		require.InDelta(t, float64(width)*pageH/pageW, float64(h), 2, "the height follows the page")
		dark := 0
		for y := 0; y < h; y += 4 {
			for x := 0; x < w; x += 4 {
				if r, g, b, _ := img.At(x, y).RGBA(); (r+g+b)/3 < 0x8000 {
					dark++
				}
			}
		}
		require.Positive(t, dark, "the page's text is drawn")
	}
	require.Equal(t, http.StatusUnprocessableEntity, get(pages+"1?width=50").status)
	require.Equal(t, http.StatusUnprocessableEntity, get(pages+"1?width=601").status, "only the widths the engine draws")
	require.Equal(t, http.StatusNotFound, get(pages+"9").status)
	require.Equal(t, http.StatusNotFound, get(link+"/documents/nope/pages/1").status)
}
