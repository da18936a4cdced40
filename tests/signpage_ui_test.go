package tests

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

var (
	uiSigBox      = box{0.08, 0.70, 0.35, 0.06}
	uiInitialsBox = box{0.55, 0.70, 0.12, 0.05}
	uiDateBox     = box{0.08, 0.78, 0.25, 0.035}
	uiCompanyBox  = box{0.55, 0.78, 0.35, 0.035}
	uiOtherBox    = box{0.55, 0.86, 0.35, 0.035}
	uiOlaSigBox   = box{0.08, 0.86, 0.35, 0.05}
)

// uiEnvelope is an envelope whose first recipient, Ola, has signed already
// (a drawn signature and a typed value), and whose second is signed on the
// page: signature, initials, the date, a required text field. It returns
// the envelope and the second recipient's page.
func uiEnvelope(t *testing.T, locale string) (id, page string) {
	t.Helper()
	signerJ := withCode(J{"name": "Page Signer", "email": unique("ui"), "role": "signer", "meaning": "I agree to the terms"})
	if locale != "" {
		signerJ["locale"] = locale
	}
	status, created := postJSON(t, suite.apiURL+"/v1/envelopes", jsonEnvelope(t,
		[]J{withCode(J{"name": "Ola Nordmann", "email": unique("ola"), "role": "signer"}), signerJ},
		[]J{
			fieldAt(0, "signature", 1, uiOlaSigBox),
			{"recipient": 0, "type": "text", "page": 1, "name": "reference", "x": uiOtherBox.x, "y": uiOtherBox.y, "width": uiOtherBox.w, "height": uiOtherBox.h},
			fieldAt(1, "signature", 1, uiSigBox),
			fieldAt(1, "initials", 1, uiInitialsBox),
			fieldAt(1, "date_signed", 1, uiDateBox),
			{"recipient": 1, "type": "text", "page": 1, "name": "company", "x": uiCompanyBox.x, "y": uiCompanyBox.y, "width": uiCompanyBox.w, "height": uiCompanyBox.h},
		}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	ola := str(created, "recipients", 0, "signing_api_url")
	status, signed := sendWith(t, http.MethodPost, ola+"/sign", "application/json",
		jsonBody(t, J{"values": []J{{"field_id": str(created, "fields", 0, "id"), "image_png_base64": signatureImage(t)},
			{"field_id": str(created, "fields", 1, "id"), "text": "REF-2026-17"}}}), session(t, ola))
	require.Equal(t, http.StatusOK, status, "%v", signed)
	return str(created, "id"), str(created, "recipients", 1, "signing_url")
}

// screenshot keeps the whole page as a test artifact (go test -artifacts
// keeps them; make test does).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	// A full-page capture resizes the viewport for a moment: from the top,
	// the page is where it was afterwards, so later clicks land.
	_, err := chromedp.Run(ctx, chromedp.Evaluate[any](`window.scrollTo(0, 0)`))
	require.NoError(t, err)
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	require.NoError(t, err)
	path := filepath.Join(t.ArtifactDir(), name+".png")
	require.NoError(t, os.WriteFile(path, png, 0o644))
	t.Logf("screenshot %s", path)
}

// TestTheSigningPageFitsAPhoneAndADesktop signs on the rendered page at a
// desktop's width and at 360 px, drawing the signature with pointer
// events: the pages fit the width, every field control is at least 24 px
// square (WCAG 2.2 target size), the other signer's value shows where it
// will print, and the envelope completes.
func TestTheSigningPageFitsAPhoneAndADesktop(t *testing.T) {
	t.Parallel()
	for _, screen := range []struct {
		name          string
		width, height int64
		mobile        bool
	}{{"desktop", 1280, 900, false}, {"phone", 360, 740, true}} {
		t.Run(screen.name, func(t *testing.T) {
			t.Parallel()
			id, page := uiEnvelope(t, "")
			ctx := browser(t)
			opts := []chromedp.EmulateViewportOption{}
			if screen.mobile {
				opts = append(opts, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch)
			}
			_, err := chromedp.Run(ctx, chromedp.Steps(
				chromedp.EmulateViewport(screen.width, screen.height, opts...),
				confirmWithAccessCode(page),
				chromedp.WaitVisible(`#pages .page > img[src^="blob:"]`),
			))
			require.NoError(t, err)
			layout, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]float64](`(() => {
				const img = document.querySelector("#pages .page > img").getBoundingClientRect();
				let smallest = 1e9;
				for (const el of document.querySelectorAll("#pages .field > *")) {
					const r = el.getBoundingClientRect();
					smallest = Math.min(smallest, r.width, r.height);
				}
				return {scroll: document.documentElement.scrollWidth, viewport: window.innerWidth, image: img.width, smallest};
			})()`))
			require.NoError(t, err)
			require.LessOrEqual(t, layout["scroll"], layout["viewport"], "nothing scrolls sideways: %v", layout)
			require.LessOrEqual(t, layout["image"], layout["viewport"], "the page fits the width: %v", layout)
			require.GreaterOrEqual(t, layout["smallest"], 24.0, "every field can be tapped: %v", layout)
			_, err = chromedp.Run(ctx, chromedp.WaitVisible(`.other img[src^="blob:"]`))
			require.NoError(t, err, "the other signer's drawing is shown where it will print")
			others, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(".other"),
				(o) => o.textContent || o.querySelector("img").alt + " " + o.querySelector("img").naturalWidth)`))
			require.NoError(t, err)
			require.ElementsMatch(t, []string{"Signed by Ola Nordmann 300", "REF-2026-17"}, others,
				"the other signer's signature and value are where they will print")
			screenshot(t, ctx, screen.name+"-1-document")

			_, err = chromedp.Run(ctx, chromedp.Steps(
				chromedp.Click(`button[data-type="signature"]`),
				chromedp.WaitVisible("#adopt-heading"),
			))
			require.NoError(t, err)
			drawOnPad(t, ctx)
			screenshot(t, ctx, screen.name+"-2-adopt")
			// The drawing is the signature alone: the initials are drawn
			// apart, from their own box.
			_, err = chromedp.Run(ctx, chromedp.Steps(
				chromedp.Click("#adopt-use"),
				chromedp.WaitVisible(`button[data-type="signature"] img`),
			))
			require.NoError(t, err)
			placed, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('button[data-type="initials"]').dataset.adopted === "true"`))
			require.NoError(t, err)
			require.False(t, placed, "a signature never lands in a box the signer did not press")
			_, err = chromedp.Run(ctx, chromedp.Steps(chromedp.Click(`button[data-type="initials"]`), chromedp.WaitVisible("#adopt-heading")))
			require.NoError(t, err)
			heading, err := chromedp.Run(ctx, chromedp.Text("#adopt-heading"))
			require.NoError(t, err)
			require.Equal(t, "Adopt your initials", heading)
			drawOnPad(t, ctx)
			_, err = chromedp.Run(ctx, chromedp.Steps(
				chromedp.Click("#adopt-use"),
				chromedp.WaitVisible(`button[data-type="initials"] img`),
				chromedp.SendKeys(`input[aria-label^="company"]`, "Nordlicht AS"),
			))
			require.NoError(t, err)
			progress, err := chromedp.Run(ctx, chromedp.Text("#progress"))
			require.NoError(t, err)
			require.Contains(t, progress, "Every required field is filled in")
			screenshot(t, ctx, screen.name+"-3-filled")
			_, err = chromedp.Run(ctx, chromedp.Steps(chromedp.Click("#sign"), chromedp.WaitVisible("#done, #sign-error:not(:empty)")))
			require.NoError(t, err)
			problem, err := chromedp.Run(ctx, chromedp.Text("#sign-error"))
			require.NoError(t, err)
			require.Empty(t, problem)
			_, err = chromedp.Run(ctx, chromedp.WaitVisible("#copies a[download]"))
			require.NoError(t, err, "the signed copy is offered once it is written")
			screenshot(t, ctx, screen.name+"-4-done")
			require.Equal(t, "completed", awaitWorkflow(t, id).Status)
			status, form := getJSON(t, suite.apiURL+"/v1/envelopes/"+id+"/form-data")
			require.Equal(t, http.StatusOK, status)
			drawn := 0
			for _, f := range at(form, "fields").([]any) {
				if f.(J)["drawn"] == true {
					drawn++
				}
			}
			require.Equal(t, 3, drawn, "Ola's drawing, and this signer's signature and initials, each drawn: %v", form)
			done, err := chromedp.Run(ctx, chromedp.Text("#done"))
			require.NoError(t, err)
			require.Contains(t, done, "Everyone has signed")
			name, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#copies a").download`))
			require.NoError(t, err)
			require.Equal(t, "contract.pdf", name, "the signed copy is offered for download")
		})
	}
}

// TestASignerSignsWithTheKeyboardAlone: the access code, the signature
// (typed in the dialog), a text field and the final click, by Tab, typing
// and Enter, with focus always on something visible.
func TestASignerSignsWithTheKeyboardAlone(t *testing.T) {
	t.Parallel()
	id, page := uiEnvelope(t, "")
	ctx := browser(t)
	active := func() string {
		t.Helper()
		el, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.id`))
		require.NoError(t, err)
		return el
	}
	key := func(keys string) {
		t.Helper()
		_, err := chromedp.Run(ctx, chromedp.KeyEvent(keys))
		require.NoError(t, err)
	}
	_, err := chromedp.Run(ctx, chromedp.Steps(chromedp.Navigate(page), chromedp.WaitVisible("#access-code")))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return active() == "access-code" }, 10*time.Second, 50*time.Millisecond, "focus starts on the code")
	key(testAccessCode)
	key("\r")
	_, err = chromedp.Run(ctx, chromedp.WaitVisible(`#pages button[data-type="signature"]`))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return strings.HasPrefix(active(), "field-") }, 10*time.Second, 50*time.Millisecond,
		"after the code, focus is on the first required field")
	typ, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.dataset.type`))
	require.NoError(t, err)
	require.Equal(t, "signature", typ)
	key("\r") // opens the dialog, focus on its first tab
	require.Equal(t, "tab-type", active())
	key("\t")
	require.Equal(t, "type-name", active())
	key("\t")
	require.Equal(t, "type-initials", active())
	key("\t")
	require.Equal(t, "adopt-use", active())
	key("\r")
	// Typing adopted the initials too; they go where the signer presses.
	typ, err = chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.dataset.type`))
	require.NoError(t, err)
	require.Equal(t, "initials", typ, "after adopting, focus moves to the next required field")
	key("\r")
	typ, err = chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.dataset.type`))
	require.NoError(t, err)
	require.Equal(t, "text", typ, "placed with one press, then on to the next")
	key("Nordlicht AS")
	for i := 0; i < 12 && active() != "sign"; i++ {
		key("\t")
	}
	require.Equal(t, "sign", active(), "Tab reaches the sign button")
	outline, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.activeElement).outlineStyle`))
	require.NoError(t, err)
	require.Equal(t, "solid", outline, "focus is visible")
	key("\r")
	_, err = chromedp.Run(ctx, chromedp.WaitVisible("#done"))
	require.NoError(t, err)
	require.Equal(t, "done", active(), "the confirmation takes focus")
	require.Equal(t, "completed", awaitWorkflow(t, id).Status)
}

// axe runs axe-core on the page as it is and returns the WCAG 2.2 A and
// AA violations.
func axe(t *testing.T, ctx context.Context) []map[string]any {
	t.Helper()
	path := filepath.Join("..", "bin", "axe", "node_modules", "axe-core", "axe.min.js")
	source, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("axe-core is needed to check accessibility (make test installs it: npm install --prefix bin/axe axe-core@4.14.1): %v", err)
	}
	_, err = chromedp.Run(ctx, chromedp.Evaluate[any](string(source)+";0"))
	require.NoError(t, err)
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {runOnly: {type: "tag",
		values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}}).then((r) => JSON.stringify(r.violations.map((v) =>
		({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" "))}))))`, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	var violations []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &violations))
	return violations
}

// TestTheSigningPageHasNoAccessibilityViolations checks each step of
// signing with axe-core at WCAG 2.2 level AA: confirming, the document
// with its fields, the adoption dialog, a problem announced, the end.
func TestTheSigningPageHasNoAccessibilityViolations(t *testing.T) {
	t.Parallel()
	_, page := uiEnvelope(t, "")
	ctx := browser(t)
	steps := []struct {
		name   string
		action chromedp.Action[chromedp.Void]
	}{
		{"confirming", chromedp.Steps(chromedp.Navigate(page), chromedp.WaitVisible("#access-code"))},
		{"document and fields", chromedp.Steps(chromedp.SendKeys("#access-code", testAccessCode), chromedp.Click("#confirm"),
			chromedp.WaitVisible(`#pages .page > img[src^="blob:"]`))},
		{"a problem announced", chromedp.Steps(chromedp.Click("#sign"), chromedp.WaitVisible("#sign-error:not(:empty)"))},
		{"adoption dialog", chromedp.Steps(chromedp.Click(`button[data-type="signature"]`), chromedp.WaitVisible("#type-name"))},
		{"phone width", chromedp.Steps(chromedp.Click("#adopt-use"), chromedp.EmulateViewport(360, 740))},
		{"signed", chromedp.Steps(chromedp.Click(`button[data-type="initials"]`), chromedp.SendKeys(`input[aria-label^="company"]`, "Nordlicht AS"),
			chromedp.Click("#sign"), chromedp.WaitVisible("#done"))},
	}
	checked := 0
	for _, step := range steps {
		_, err := chromedp.Run(ctx, step.action)
		require.NoError(t, err, step.name)
		require.Empty(t, axe(t, ctx), "axe-core violations (WCAG 2.2 AA) while %s", step.name)
		checked++
	}
	t.Logf("axe-core: 0 violations at WCAG 2.2 A and AA in %d states of the page", checked)
}

// TestAGermanRecipientSeesGerman: a recipient whose locale is de gets the
// invitation and the page in German, with the date written the German
// way; a recipient who names no language gets the envelope's.
func TestAGermanRecipientSeesGerman(t *testing.T) {
	t.Parallel()
	email := unique("de")
	spec := jsonEnvelope(t,
		[]J{
			withCode(J{"name": "Jürgen Groß", "email": email, "role": "signer", "locale": "de"}),
			withCode(J{"name": "Lucía Pérez", "email": unique("es"), "role": "signer"}),
		},
		[]J{fieldAt(0, "signature", 1, uiSigBox), fieldAt(0, "date_signed", 1, uiDateBox), fieldAt(1, "signature", 1, uiInitialsBox)})
	spec["subject"], spec["locale"] = "Arbeitsvertrag", "es"
	status, created := postJSON(t, suite.apiURL+"/v1/envelopes", spec)
	require.Equal(t, http.StatusCreated, status, "%v", created)
	require.Equal(t, "es", str(created, "locale"))
	require.Equal(t, "de", str(created, "recipients", 0, "locale"))

	mail := awaitMail(t, suite.mailAPI, "to:"+email+` subject:"Bitte unterschreiben"`, 1, time.Minute)[0]
	body := readMail(t, suite.mailAPI, mail.ID).Text
	require.Contains(t, body, "Hallo Jürgen Groß,")
	require.Contains(t, body, "Sie wurden gebeten, „Arbeitsvertrag“ zu unterschreiben.")

	status, view := getJSON(t, str(created, "recipients", 1, "signing_api_url"))
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "es", str(view, "recipient", "locale"), "no language of her own: the envelope's")

	ctx := browser(t)
	_, err := chromedp.Run(ctx, chromedp.Steps(
		confirmWithAccessCode(str(created, "recipients", 0, "signing_url")),
		chromedp.WaitVisible(`#pages button[data-type="signature"]`),
	))
	require.NoError(t, err)
	texts, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`({
		lang: document.documentElement.lang,
		sign: document.getElementById("sign").textContent,
		field: document.querySelector('#pages button[data-type="signature"]').textContent,
		date: document.querySelector('#pages input[data-type="date_signed"]').value,
		next: document.getElementById("next-field").textContent,
	})`))
	require.NoError(t, err)
	require.Equal(t, "de", texts["lang"])
	require.Equal(t, "Unterschreiben", texts["sign"])
	require.Equal(t, "Hier unterschreiben", texts["field"])
	require.Equal(t, "Nächstes Pflichtfeld", texts["next"])
	months := []string{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"}
	require.Contains(t, texts["date"], months[time.Now().Month()-1], "the date the German way: %q", texts["date"])
}

// TestASignerUploadsASignatureAndAnotherDeclinesOnThePage: an image
// uploaded in the dialog becomes the drawn signature; a decline on the
// page takes a reason, which the envelope keeps.
func TestASignerUploadsASignatureAndAnotherDeclinesOnThePage(t *testing.T) {
	t.Parallel()
	data, err := base64.StdEncoding.DecodeString(signatureImage(t))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "signature.png")
	require.NoError(t, os.WriteFile(path, data, 0o600))

	id, page := oneSignerPage(t)
	ctx := browser(t)
	_, err = chromedp.Run(ctx, chromedp.Steps(
		confirmWithAccessCode(page),
		chromedp.WaitVisible(`button[data-type="signature"]`),
		chromedp.Click(`button[data-type="signature"]`),
		chromedp.Click("#tab-upload"),
		chromedp.SetUploadFiles("#upload", []string{path}),
		chromedp.WaitReady(`#pad[data-drawn="true"]`),
		chromedp.Click("#adopt-use"),
		chromedp.WaitVisible(`button[data-type="signature"] img`),
		chromedp.Click("#sign"),
		chromedp.WaitVisible("#done"),
	))
	require.NoError(t, err)
	require.Equal(t, "completed", awaitWorkflow(t, id).Status)
	status, form := getJSON(t, suite.apiURL+"/v1/envelopes/"+id+"/form-data")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, true, at(form, "fields", 0, "drawn"), "the uploaded image is the signature: %v", form)

	id, page = oneSignerPage(t)
	_, err = chromedp.Run(ctx, chromedp.Steps(
		confirmWithAccessCode(page),
		chromedp.WaitVisible("#decline"),
		chromedp.Click("#decline"),
		chromedp.Click("#decline-send"),
		chromedp.WaitVisible("#sign-error:not(:empty)"),
	))
	require.NoError(t, err)
	problem, err := chromedp.Run(ctx, chromedp.Text("#sign-error"))
	require.NoError(t, err)
	require.Equal(t, "Say why you decline.", problem, "a decline needs a reason")
	_, err = chromedp.Run(ctx, chromedp.Steps(
		chromedp.SendKeys("#reason", "Wrong start date"),
		chromedp.Click("#decline-send"),
		chromedp.WaitVisible("#done"),
	))
	require.NoError(t, err)
	done, err := chromedp.Run(ctx, chromedp.Text("#done"))
	require.NoError(t, err)
	require.Contains(t, done, "You have declined")
	require.Equal(t, "declined", awaitWorkflow(t, id).Status)
	status, env := getJSON(t, suite.apiURL+"/v1/envelopes/"+id)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "Wrong start date", str(env, "recipients", 0, "decline_reason"))
}

// signatureImage is a 300 by 100 PNG of a stroke, as base64.
func signatureImage(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 300, 100))
	for x := 20; x < 280; x++ {
		img.Set(x, 50+(x%20)-10, color.RGBA{0x10, 0x20, 0x5a, 0xff})
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

// TestOnAPhoneFieldsScaleWithThePageAndNeverClip opens the page on a
// 390x844 phone at twice its pixel density: the text on each field is
// sized with the page (as the final PDF stamps it), so zooming doubles
// page, boxes and text together; no value or label is cut off, a long
// company name included; and the zoomed page is drawn again at the
// screen's density, so it stays sharp.
func TestOnAPhoneFieldsScaleWithThePageAndNeverClip(t *testing.T) {
	t.Parallel()
	_, page := uiEnvelope(t, "")
	ctx := browser(t)
	_, err := chromedp.Run(ctx, chromedp.Steps(
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch),
		confirmWithAccessCode(page),
		chromedp.WaitVisible(`#pages .page > img[src^="blob:"]`),
		chromedp.SendKeys(`input[aria-label^="company"]`, "Nordlicht Maritime Holdings AS of Bergen"),
	))
	require.NoError(t, err)

	type measure struct {
		Page, Box, Text float64
		Clipped         []string
	}
	const measureJS = `(() => {
		const signature = document.querySelector('button[data-type="signature"]');
		const reference = Array.from(document.querySelectorAll("#pages .other")).find((o) => o.textContent === "REF-2026-17");
		const clipped = [];
		for (const el of document.querySelectorAll("#pages .field > input:not([type=checkbox]), #pages .field > button, #pages .other")) {
			if (el.scrollWidth > el.clientWidth + 1) clipped.push(el.getAttribute("aria-label") || el.textContent);
		}
		return {Page: document.querySelector("#pages .page").clientWidth, Box: signature.getBoundingClientRect().height,
			Text: parseFloat(getComputedStyle(reference).fontSize), Clipped: clipped};
	})()`
	before, err := chromedp.Run(ctx, chromedp.Evaluate[measure](measureJS))
	require.NoError(t, err)
	require.Empty(t, before.Clipped, "every value and label fits its box on a phone")
	screenshot(t, ctx, "phone-fitted")

	_, err = chromedp.Run(ctx, chromedp.Steps(chromedp.Click("#zoom-in"), chromedp.Click("#zoom-in")))
	require.NoError(t, err)
	sharp, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => {
		const img = document.querySelector("#pages .page > img");
		return img.naturalWidth >= img.getBoundingClientRect().width * devicePixelRatio;
	})()`, chromedp.WithPollingTimeout(30*time.Second)))
	require.NoError(t, err)
	require.True(t, sharp, "the zoomed page is drawn again at the screen's density")
	after, err := chromedp.Run(ctx, chromedp.Evaluate[measure](measureJS))
	require.NoError(t, err)
	require.Empty(t, after.Clipped, "nothing is cut off at twice the size either")
	require.InDelta(t, 2, after.Page/before.Page, 0.05, "the page doubles: %+v then %+v", before, after)
	require.InDelta(t, 2, after.Box/before.Box, 0.1, "its fields double with it")
	require.InDelta(t, 2, after.Text/before.Text, 0.1, "and so does the text on them")
	screenshot(t, ctx, "phone-zoomed")

	// The pad fills the phone's screen; each stroke can be undone.
	_, err = chromedp.Run(ctx, chromedp.Steps(chromedp.Click(`button[data-type="signature"]`), chromedp.WaitVisible("#adopt-heading")))
	require.NoError(t, err)
	drawOnPad(t, ctx)
	drawOnPad(t, ctx)
	type padState struct {
		Width          float64
		Drawn, CanUndo bool
	}
	const padJS = `({Width: document.querySelector("#pad").getBoundingClientRect().width,
		Drawn: document.querySelector("#pad").dataset.drawn === "true", CanUndo: !document.querySelector("#pad-undo").disabled})`
	state, err := chromedp.Run(ctx, chromedp.Evaluate[padState](padJS))
	require.NoError(t, err)
	require.True(t, state.Drawn && state.CanUndo, "%+v", state)
	require.GreaterOrEqual(t, state.Width, 340.0, "the pad is as wide as the phone")
	_, err = chromedp.Run(ctx, chromedp.Click("#pad-undo"))
	require.NoError(t, err)
	state, err = chromedp.Run(ctx, chromedp.Evaluate[padState](padJS))
	require.NoError(t, err)
	require.True(t, state.Drawn && state.CanUndo, "one stroke is left: %+v", state)
	_, err = chromedp.Run(ctx, chromedp.Click("#pad-undo"))
	require.NoError(t, err)
	state, err = chromedp.Run(ctx, chromedp.Evaluate[padState](padJS))
	require.NoError(t, err)
	require.False(t, state.Drawn || state.CanUndo, "none is left: %+v", state)
}
