package tests

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// TestTheSigningPageSaysWhatComesNext: a signer whose turn has not come is
// told whose it is before any code; a voided envelope's page gives the
// sender's reason; ?lang= chooses the language; each state passes axe-core.
func TestTheSigningPageSaysWhatComesNext(t *testing.T) {
	t.Parallel()
	base := proxiedAPI(t)
	status, created := postJSON(t, base+"/v1/envelopes", jsonEnvelope(t,
		[]J{person("Ada Erste", 1), person("Bo Zweite", 2)},
		[]J{fieldAt(0, "signature", 1, aliceSig), fieldAt(1, "signature", 1, bobSig)}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	bo := strings.Replace(str(created, "recipients", 1, "signing_url"), suite.apiURL, base, 1)
	ctx := browser(t)

	_, err := chromedp.Run(ctx, chromedp.Steps(forwardedFor("198.51.100.71"), chromedp.Navigate(bo), chromedp.WaitVisible("#message:not(:empty)")))
	require.NoError(t, err)
	message, err := chromedp.Run(ctx, chromedp.Text("#message"))
	require.NoError(t, err)
	require.Equal(t, "It is not your turn yet: Ada Erste must act first. We will email you when it is your turn.", message)
	verifyShown, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.getElementById("verify").hidden`))
	require.NoError(t, err)
	require.False(t, verifyShown, "no code is asked for before the signer's turn")
	require.Empty(t, axe(t, ctx), "axe-core violations on the waiting page")

	_, err = chromedp.Run(ctx, chromedp.Steps(chromedp.Navigate(bo+"?lang=de"), chromedp.WaitVisible("#message:not(:empty)")))
	require.NoError(t, err)
	message, err = chromedp.Run(ctx, chromedp.Text("#message"))
	require.NoError(t, err)
	require.Contains(t, message, "Sie sind noch nicht an der Reihe: Zuerst muss Ada Erste handeln.", "?lang= chooses the page's language")
	lang, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang + " " + document.getElementById("language").value`))
	require.NoError(t, err)
	require.Equal(t, "de de", lang, "the switcher shows the language in use")

	// Arabic and Hebrew turn the page right to left, and stay accessible.
	for tag, words := range map[string]string{"ar": "لم يحن دورك بعد", "he": "התור שלכם עוד לא הגיע"} {
		_, err = chromedp.Run(ctx, chromedp.Steps(chromedp.Navigate(bo+"?lang="+tag), chromedp.WaitVisible("#message:not(:empty)")))
		require.NoError(t, err)
		got, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`({dir: document.documentElement.dir,
			message: document.getElementById("message").textContent, viewer: getComputedStyle(document.getElementById("viewer")).direction})`))
		require.NoError(t, err)
		require.Equal(t, "rtl", got["dir"], tag)
		require.Contains(t, got["message"], words, tag)
		require.Contains(t, got["message"], "Ada Erste", "the names stay as written")
		require.Equal(t, "ltr", got["viewer"], "the document's pages never turn")
		require.Empty(t, axe(t, ctx), "axe-core violations on the %s page", tag)
	}

	status, body := postJSON(t, base+"/v1/envelopes/"+str(created, "id")+"/void", J{"reason": "Wrong price; a new envelope follows"})
	require.Equal(t, http.StatusOK, status, "%v", body)
	_, err = chromedp.Run(ctx, chromedp.Steps(chromedp.Navigate(bo), chromedp.WaitVisible("#done-note:not(:empty)")))
	require.NoError(t, err)
	done, err := chromedp.Run(ctx, chromedp.Text("#done"))
	require.NoError(t, err)
	require.Contains(t, done, "The sender cancelled this envelope; nothing is left for you to sign.")
	require.Contains(t, done, "The sender's reason: Wrong price; a new envelope follows")
	require.NotContains(t, done, str(created, "id"), "no internal id")
	require.Empty(t, axe(t, ctx), "axe-core violations on the voided page")
}

// TestSmartFieldsAndProgressSurviveAReload: fields show, hide and compute
// as the signer types; what they entered comes back after a reload; only
// Sign makes it a signature, which the server checks again.
func TestSmartFieldsAndProgressSurviveAReload(t *testing.T) {
	t.Parallel()
	base := proxiedAPI(t)
	field := func(typ, name string, y float64, extra J) J {
		f := J{"recipient": 0, "type": typ, "name": name, "page": 1, "x": 0.1, "y": y, "width": 0.3, "height": 0.035, "required": false}
		for k, v := range extra {
			f[k] = v
		}
		return f
	}
	status, created := postJSON(t, base+"/v1/envelopes", jsonEnvelope(t,
		[]J{person("Smart Page", 1)},
		[]J{fieldAt(0, "signature", 1, aliceSig),
			field("checkbox", "spouse", 0.10, J{"width": 0.04}),
			field("text", "spouse name", 0.15, J{"required": true, "show_if": J{"field": "spouse", "is": "checked"}}),
			field("number", "hours", 0.20, nil),
			field("number", "rate", 0.25, J{"value": "80", "read_only": true}),
			field("number", "total", 0.30, J{"formula": "{hours} * {rate}"}),
			field("radio", "plan", 0.35, J{"options": []string{"Basic", "Pro"}, "required": true}),
			field("date", "start", 0.40, J{"min_date": "2027-01-01", "max_date": "2027-06-30"}),
		}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	id := str(created, "id")
	page := strings.Replace(str(created, "recipients", 0, "signing_url"), suite.apiURL, base, 1)
	ctx := browser(t)
	hidden := func(name string) bool {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('[aria-label^="`+name+` ("]').parentElement.hidden`))
		require.NoError(t, err)
		return v
	}
	value := func(name string) string {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[aria-label^="`+name+` ("]').value`))
		require.NoError(t, err)
		return v
	}

	_, err := chromedp.Run(ctx, chromedp.Steps(forwardedFor("198.51.100.72"), confirmWithAccessCode(page),
		chromedp.WaitVisible(`#pages .field:not([hidden])`)))
	require.NoError(t, err)
	require.True(t, hidden("spouse name"), "shown only when spouse is checked")
	radios, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('fieldset.radios input[type=radio]').length`))
	require.NoError(t, err)
	require.Equal(t, 2, radios, "a radio field is radio buttons")
	_, err = chromedp.Run(ctx, chromedp.Steps(
		chromedp.Click(`[aria-label^="spouse ("]`),
		chromedp.WaitVisible(`[aria-label^="spouse name ("]`),
		chromedp.SendKeys(`[aria-label^="spouse name ("]`, "Bo"),
		chromedp.SendKeys(`[aria-label^="hours ("]`, "2.5"),
		chromedp.Click(`fieldset.radios input[value="Pro"]`),
		chromedp.SendKeys(`[aria-label^="start ("]`, "02012027"), // a date field, typed as a keyboard user does
	))
	require.NoError(t, err)
	require.Equal(t, "200", value("total"), "computed as the signer types")
	require.Equal(t, "2027-02-01", value("start"))
	bounds, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => { const d = document.querySelector('[aria-label^="start ("]'); return [d.type, d.min, d.max]; })()`))
	require.NoError(t, err)
	require.Equal(t, []string{"date", "2027-01-01", "2027-06-30"}, bounds, "the picker offers only the days the sender allows")
	require.Empty(t, axe(t, ctx), "axe-core violations with smart fields")
	_, err = chromedp.Run(ctx, chromedp.WaitVisible("#saved:not(:empty)"))
	require.NoError(t, err, "the entries are saved as the signer goes")

	// A reload, in the same browser: the session cookie or the access code
	// opens it again, and every entry is back.
	_, err = chromedp.Run(ctx, chromedp.Navigate(page))
	require.NoError(t, err)
	asked, err := chromedp.Run(ctx, chromedp.Poll[bool](`!document.getElementById("verify").hidden || !document.getElementById("signing").hidden`))
	require.NoError(t, err)
	asked, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.getElementById("verify").hidden`))
	require.NoError(t, err)
	if asked {
		_, err = chromedp.Run(ctx, chromedp.Steps(chromedp.SendKeys("#access-code", testAccessCode), chromedp.Click("#confirm")))
		require.NoError(t, err)
	}
	_, err = chromedp.Run(ctx, chromedp.WaitVisible(`[aria-label^="spouse name ("]`))
	require.NoError(t, err)
	require.Equal(t, "Bo", value("spouse name"))
	require.Equal(t, "2.5", value("hours"))
	require.Equal(t, "200", value("total"))
	pro, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('fieldset.radios input[value="Pro"]').checked`))
	require.NoError(t, err)
	require.True(t, pro)
	require.Equal(t, "2027-02-01", value("start"))
	_, form := getJSON(t, base+"/v1/envelopes/"+id+"/form-data")
	require.Nil(t, at(form, "fields", 2, "value"), "a draft is not a signature")

	// Unchecking hides the name again: it is not sent, and not stamped.
	_, err = chromedp.Run(ctx, chromedp.Steps(chromedp.Click(`[aria-label^="spouse ("]`), signOnPage("Smart Page")))
	require.NoError(t, err)
	require.Equal(t, "completed", awaitWorkflow(t, id).Status)
	_, form = getJSON(t, base+"/v1/envelopes/"+id+"/form-data")
	byName := map[string]any{}
	for _, f := range at(form, "fields").([]any) {
		name, _ := at(f, "name").(string)
		byName[name] = at(f, "value")
	}
	require.Nil(t, byName["spouse name"])
	require.EqualValues(t, 200, byName["total"])
	require.Equal(t, "Pro", byName["plan"])
	require.Equal(t, "2027-02-01", byName["start"])
	status, final := download(t, base+"/v1/envelopes/"+id+"/documents/"+str(created, "documents", 0, "id")+"/final")
	require.Equal(t, http.StatusOK, status)
	path := filepath.Join(t.TempDir(), "final.pdf")
	require.NoError(t, os.WriteFile(path, final, 0o600))
	require.Contains(t, pdfText(t, path, 1), "February 1, 2027", "the day is stamped as the page writes dates")
}

// TestASenderBrandsTheSigningPage: a tenant's name, colour and logo are
// what its signers see, before the code is asked for; a colour white text
// cannot be read on is refused.
func TestASenderBrandsTheSigningPage(t *testing.T) {
	t.Parallel()
	base := proxiedAPI(t)
	tenant := newTenantAPI(t, base)
	var logo bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 120, 40))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.RGBA{15, 81, 50, 255}}, image.Point{}, draw.Src)
	require.NoError(t, png.Encode(&logo, img))

	status, body := tenant.call(http.MethodPut, "/v1/branding", J{"color": "#ffee00"})
	require.Equal(t, http.StatusUnprocessableEntity, status, "%v", body)
	require.Equal(t, "color", str(body, "errors", 0, "field"))
	status, body = tenant.call(http.MethodPut, "/v1/branding", J{"name": "Nordlicht AS", "color": "#0f5132",
		"logo_png_base64": base64.StdEncoding.EncodeToString(logo.Bytes())})
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Equal(t, true, at(body, "has_logo"))

	status, created := tenant.call(http.MethodPost, "/v1/envelopes", jsonEnvelope(t,
		[]J{person("Brand Signer", 1)}, []J{fieldAt(0, "signature", 1, aliceSig)}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	status, gate := getJSON(t, str(created, "recipients", 0, "signing_api_url"))
	require.Equal(t, http.StatusOK, status, "%v", gate)
	require.Equal(t, "Nordlicht AS", str(gate, "sender", "name"), "the sender is named before any code")

	page := strings.Replace(str(created, "recipients", 0, "signing_url"), suite.apiURL, base, 1)
	ctx := browser(t)
	_, err := chromedp.Run(ctx, chromedp.Steps(forwardedFor("198.51.100.73"), chromedp.Navigate(page), chromedp.WaitVisible("#sender-logo")))
	require.NoError(t, err)
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("sender-logo").naturalWidth === 120`))
	require.NoError(t, err, "the logo is drawn")
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`({name: document.getElementById("sender-name").textContent,
		button: getComputedStyle(document.getElementById("confirm")).backgroundColor})`))
	require.NoError(t, err)
	require.Equal(t, "Sent by Nordlicht AS", shown["name"])
	require.Equal(t, "rgb(15, 81, 50)", shown["button"], "the buttons take the sender's colour")
	require.Empty(t, axe(t, ctx), "axe-core violations on a branded page")
}
