package tests

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// browser runs a headless Chromium (Debian's, installed by .ci/run).
func browser(t testing.TB) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is needed to drive the signing page: apt-get install chromium")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.Flag("disable-background-networking", true))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first run starts the browser and must not carry a deadline.
	_, err = chromedp.Run(ctx, chromedp.Navigate("about:blank"))
	require.NoError(t, err)
	// Seven browsers share two cores with the rest of the suite under
	// make test: each test has three minutes.
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancelTimeout)
	return ctx
}

// confirmWithAccessCode opens the signing page and confirms with the test
// access code.
func confirmWithAccessCode(page string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(page),
		chromedp.WaitVisible("#access-code"),
		chromedp.SendKeys("#access-code", testAccessCode),
		chromedp.Click("#confirm"),
	)
}

// signOnPage adopts a typed signature from the field on the page, signs,
// and waits for the page to confirm.
func signOnPage(name string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitVisible(`button[data-type="signature"]`),
		chromedp.Click(`button[data-type="signature"]`),
		chromedp.WaitVisible("#type-name"),
		chromedp.Clear("#type-name"),
		chromedp.SendKeys("#type-name", name),
		chromedp.Click("#adopt-use"),
		chromedp.WaitVisible(`button[data-type="signature"][data-adopted="true"]`),
		chromedp.Click("#sign"),
		chromedp.WaitVisible("#done"),
	)
}

// drawOnPad draws a stroke with the pointer across the adoption dialog's
// drawing area.
func drawOnPad(t *testing.T, ctx context.Context) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Steps(chromedp.Click("#tab-draw"), chromedp.WaitVisible("#pad")))
	require.NoError(t, err)
	box, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](
		`(() => { const r = document.querySelector("#pad").getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`))
	require.NoError(t, err)
	x, y, w, h := box[0], box[1], box[2], box[3]
	stroke := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(chromedp.MousePressed, x+0.1*w, y+0.7*h, chromedp.ButtonLeft)}
	for i := 1; i <= 20; i++ {
		f := float64(i) / 20
		stroke = append(stroke, chromedp.MouseEvent(chromedp.MouseMoved, x+(0.1+0.8*f)*w, y+(0.7-0.4*f)*h, chromedp.ButtonLeft))
	}
	stroke = append(stroke, chromedp.MouseEvent(chromedp.MouseReleased, x+0.9*w, y+0.3*h, chromedp.ButtonLeft))
	_, err = chromedp.Run(ctx, chromedp.Steps(stroke...))
	require.NoError(t, err)
}

func TestASignerSignsOnTheSigningPage(t *testing.T) {
	t.Parallel()
	id, page := oneSignerPage(t)
	ctx := browser(t)

	_, err := chromedp.Run(ctx, chromedp.Steps(
		confirmWithAccessCode(page),
		// The document is on the page, drawn by the API page by page.
		chromedp.WaitVisible(`#pages .page > img[src^="blob:"]`),
		signOnPage("Page Signer"),
	))
	require.NoError(t, err)
	drawn, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelector("#pages .page > img").naturalWidth`))
	require.NoError(t, err)
	require.Greater(t, drawn, 99, "the page image loaded")
	done, err := chromedp.Run(ctx, chromedp.Text("#done"))
	require.NoError(t, err)
	require.Contains(t, done, "You have signed")
	st := awaitWorkflow(t, id)
	require.Equal(t, "completed", st.Status)

	events := auditEvents(t, suite.apiURL, id)
	signed := eventOf(events, "recipient.signed")
	require.NotNil(t, signed)
	require.Contains(t, str(signed, "user_agent"), "HeadlessChrome", "the signature is tied to the browser's request")
	require.NotNil(t, eventOf(events, "session.started"))
	require.NotNil(t, eventOf(events, "link.opened"))

	// Reopened in the session it was signed in, the link says the envelope
	// is complete and offers the signed copy.
	_, err = chromedp.Run(ctx, chromedp.Steps(chromedp.Navigate(page), chromedp.WaitVisible("#copies a[download]")))
	require.NoError(t, err)
	done, err = chromedp.Run(ctx, chromedp.Text("#done-text"))
	require.NoError(t, err)
	require.Equal(t, "Everyone has signed. Your copy of the completed documents:", done)
	status, body := getJSON(t, apiLink(page))
	require.Equal(t, http.StatusGone, status)
	require.Nil(t, at(body, "closed_link", "copies"), "the link alone offers no copy")
}

func TestASignerConfirmsWithAnEmailedCodeOnTheSigningPage(t *testing.T) {
	t.Parallel()
	email := unique("page-otp")
	status, created := postJSON(t, suite.apiURL+"/v1/envelopes", jsonEnvelope(t,
		[]J{{"name": "Code Signer", "email": email, "role": "signer"}}, // default: email_otp
		[]J{fieldAt(0, "signature", 1, box{0.1, 0.1, 0.3, 0.05})}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	ctx := browser(t)

	_, err := chromedp.Run(ctx, chromedp.Steps(
		chromedp.Navigate(str(created, "recipients", 0, "signing_url")),
		chromedp.WaitVisible("#send-code"),
	))
	require.NoError(t, err)
	sentTo, err := chromedp.Run(ctx, chromedp.Text("#sent-to"))
	require.NoError(t, err)
	_, err = chromedp.Run(ctx, chromedp.Click("#send-code"))
	require.NoError(t, err)
	require.Regexp(t, `^We send the code to p\*+@example\.com\.$`, sentTo, "the page says where the code goes, masked")
	mail := awaitMail(t, suite.mailAPI, "to:"+email+` subject:"signing code"`, 1, time.Minute)[0]
	code := codeInMail.FindString(readMail(t, suite.mailAPI, mail.ID).Text)
	require.Len(t, code, 6)
	_, err = chromedp.Run(ctx, chromedp.Steps(
		chromedp.SendKeys("#code", code),
		chromedp.Click("#confirm"),
		signOnPage("Code Signer"),
	))
	require.NoError(t, err)
	st := awaitWorkflow(t, str(created, "id"))
	require.Equal(t, "completed", st.Status)
	started := eventOf(auditEvents(t, suite.apiURL, str(created, "id")), "session.started")
	require.NotNil(t, started)
	require.Contains(t, fmt.Sprint(at(started, "details")), "email_otp")
}

// TestASignerDrawsTheSignatureOnThePage draws a stroke with the pointer
// in the adoption dialog and signs: the signature is the drawn image, not
// text.
func TestASignerDrawsTheSignatureOnThePage(t *testing.T) {
	t.Parallel()
	id, page := oneSignerPage(t)
	ctx := browser(t)
	_, err := chromedp.Run(ctx, chromedp.Steps(
		confirmWithAccessCode(page),
		chromedp.WaitVisible(`button[data-type="signature"]`),
		chromedp.Click(`button[data-type="signature"]`),
	))
	require.NoError(t, err)
	drawOnPad(t, ctx)
	_, err = chromedp.Run(ctx, chromedp.Steps(chromedp.Click("#adopt-use"),
		chromedp.WaitVisible(`button[data-type="signature"] img`), chromedp.Click("#sign"), chromedp.WaitVisible("#done")))
	require.NoError(t, err)
	require.Equal(t, "completed", awaitWorkflow(t, id).Status)
	status, form := getJSON(t, suite.apiURL+"/v1/envelopes/"+id+"/form-data")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, true, at(form, "fields", 0, "drawn"), "the signature is the drawing: %v", form)
}

// TestALockedLinkSaysSoOnThePage: a link locked after its failure budget
// tells its holder, without a field or a document, to ask for a new one.
func TestALockedLinkSaysSoOnThePage(t *testing.T) {
	t.Parallel()
	s := testSettings(taskQueue)
	s.TrustedProxies = []string{"127.0.0.1/32"} // the guesses come from an address of their own
	var skew *atomic.Int64
	s.Now, skew = skewedClock()
	base := serveAPI(t, suite.deps, s)
	status, created := postJSON(t, base+"/v1/envelopes", jsonEnvelope(t, []J{signer("locked", 1)}, []J{fieldAt(0, "signature", 1, aliceSig)}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	link := str(created, "recipients", 0, "signing_api_url")
	for locked := false; !locked; skew.Add(int64(5 * time.Minute)) {
		status, _ := sendWith(t, http.MethodPost, link+"/session", "application/json", jsonBody(t, J{"access_code": "wrong-guess"}),
			map[string]string{"X-Forwarded-For": "198.51.100.201"})
		require.Contains(t, []int{http.StatusUnauthorized, http.StatusTooManyRequests, http.StatusForbidden}, status)
		locked = status == http.StatusForbidden
	}
	ctx := browser(t)
	page := strings.Replace(str(created, "recipients", 0, "signing_url"), suite.apiURL, base, 1)
	_, err := chromedp.Run(ctx, chromedp.Steps(chromedp.Navigate(page), chromedp.WaitVisible("#message:not(:empty)")))
	require.NoError(t, err)
	message, err := chromedp.Run(ctx, chromedp.Text("#message"))
	require.NoError(t, err)
	require.Contains(t, message, "locked")
	require.Contains(t, message, "Ask the sender")
	verifyShown, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.getElementById("verify").hidden`))
	require.NoError(t, err)
	signingShown, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.getElementById("signing").hidden`))
	require.NoError(t, err)
	require.False(t, verifyShown, "no code entry on a locked link")
	require.False(t, signingShown)
	require.Empty(t, axe(t, ctx), "axe-core violations on the locked page")
}

// forwardedFor has the tab's requests come from addr, through an API that
// trusts the loopback proxy (proxiedAPI), so that its link routes are
// paced apart from the rest of the suite, which shares the loopback
// address.
func forwardedFor(addr string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return chromedp.Void{}, err
		}
		_, err := cdp.Call(ctx, t, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"X-Forwarded-For": addr}})
		return chromedp.Void{}, err
	}
}

// proxiedAPI is an API of its own that takes X-Forwarded-For from the
// loopback address, for a browser test whose tab says where it is.
func proxiedAPI(t testing.TB) string {
	t.Helper()
	s := testSettings(taskQueue)
	s.TrustedProxies = []string{"127.0.0.1/32"}
	return serveAPI(t, suite.deps, s)
}
