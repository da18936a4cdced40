package tests

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// waiverTemplate is a template of one role, the visitor.
func waiverTemplate(t *testing.T) J {
	return J{
		"name":      "Climbing waiver",
		"subject":   "Your climbing waiver",
		"documents": []J{{"name": "waiver.pdf", "content_base64": base64.StdEncoding.EncodeToString(contractPDF(t))}},
		"roles":     []J{{"name": "Climber", "role": "signer"}},
		"fields":    []J{fieldAt(0, "signature", 1, aliceSig)},
	}
}

// TestASelfServeLinkIsUsedByTwoPeople: a template's link, bounded to two
// uses, shows only the template's name and documents; two people each give
// a name and an email, get an envelope of their own, prove the email by an
// emailed code and sign (the first on the page, in Chromium); a third is
// refused, as are a rotated-out link and a link turned off, alike.
func TestASelfServeLinkIsUsedByTwoPeople(t *testing.T) {
	t.Parallel()
	base := proxiedAPI(t)
	api := newTenantAPI(t, base).call
	status, two := api(http.MethodPost, "/v1/templates", employmentTemplate(t, "Two roles"))
	require.Equal(t, http.StatusCreated, status, "%v", two)
	status, problem := api(http.MethodPut, "/v1/templates/"+str(two, "id")+"/public-link", J{"enabled": true})
	require.Equal(t, http.StatusUnprocessableEntity, status, "a template of two roles has no self-serve link: %v", problem)

	status, tmpl := api(http.MethodPost, "/v1/templates", waiverTemplate(t))
	require.Equal(t, http.StatusCreated, status, "%v", tmpl)
	path := "/v1/templates/" + str(tmpl, "id") + "/public-link"
	status, _ = api(http.MethodGet, path, nil)
	require.Equal(t, http.StatusNotFound, status)
	status, link := api(http.MethodPut, path, J{"enabled": true, "max_uses": 2, "expires_at": time.Now().Add(time.Hour)})
	require.Equal(t, http.StatusOK, status, "%v", link)
	page := str(link, "url")
	token := page[strings.LastIndex(page, "/")+1:]
	public := base + "/v1/public/" + token
	status, offer := getJSON(t, public)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, J{"name": "Climbing waiver", "documents": []any{J{"name": "waiver.pdf"}}}, offer, "the link shows the name and documents alone")
	status, problem = postJSON(t, public+"/start", J{"name": "", "email": "not an address"})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, "name", str(problem, "errors", 0, "field"))

	// The first person, in a browser: the page, then the signing page's gate.
	first := unique("climber")
	ctx := browser(t)
	require.NoError(t, chromedp.Do(ctx, forwardedFor("198.51.100.213"),
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.CSS("#visitor-name")),
	))
	title, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#name")))
	require.NoError(t, err)
	require.Equal(t, "Climbing waiver", title)
	require.Empty(t, axe(t, ctx), "the self-serve page has no accessibility violations")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#visitor-name"), "Cleo Climber"),
		chromedp.SendKeys(chromedp.CSS("#visitor-email"), first),
		chromedp.Click(chromedp.CSS("#go")),
		chromedp.WaitVisible(chromedp.CSS("#send-code")),
	))
	signing, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(signing, "/sign/"), "the visitor lands on the signing page: %s", signing)
	firstLink := base + "/v1/signing/" + strings.TrimPrefix(signing, "/sign/")

	// The second person, through the API behind the page.
	second := unique("climber")
	status, started := postJSON(t, public+"/start", J{"name": "Dev Climber", "email": second})
	require.Equal(t, http.StatusCreated, status, "%v", started)
	secondLink := strings.Replace(str(started, "signing_url"), "/sign/", "/v1/signing/", 1)
	status, problem = postJSON(t, public+"/start", J{"name": "Third", "email": unique("climber")})
	require.Equal(t, http.StatusNotFound, status, "two uses, then no more: %v", problem)

	for _, p := range []struct{ link, email string }{{firstLink, first}, {secondLink, second}} {
		code := requestOTP(t, p.link, p.email, 1)
		status, s := postJSON(t, p.link+"/session", J{"code": code})
		require.Equal(t, http.StatusOK, status, "%v", s)
		auth := map[string]string{"Authorization": "Bearer " + str(s, "session_token")}
		_, view := sendWith(t, http.MethodGet, p.link, "", nil, auth)
		status, signed := sendWith(t, http.MethodPost, p.link+"/sign", "application/json",
			jsonBody(t, J{"values": []J{{"field_id": str(view, "fields", 0, "id"), "text": "Climber"}}}), auth)
		require.Equal(t, http.StatusOK, status, "%v", signed)
		require.Equal(t, "completed", awaitWorkflow(t, str(view, "envelope", "id")).Status)
	}
	status, link = api(http.MethodGet, path, nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, float64(2), link["uses"])
	status, list := api(http.MethodGet, "/v1/envelopes", nil)
	require.Equal(t, http.StatusOK, status)
	require.Len(t, at(list, "data"), 2, "each use is an envelope of its own")

	// Rotated, the old link is gone; off, the new one too; both alike.
	status, rotated := api(http.MethodPost, path+"/rotate", nil)
	require.Equal(t, http.StatusOK, status)
	require.NotEqual(t, page, str(rotated, "url"))
	status, gone := getJSON(t, public)
	require.Equal(t, http.StatusNotFound, status)
	newToken := str(rotated, "url")[strings.LastIndex(str(rotated, "url"), "/")+1:]
	status, _ = api(http.MethodPut, path, J{"enabled": false})
	require.Equal(t, http.StatusOK, status)
	status, off := getJSON(t, base+"/v1/public/"+newToken)
	require.Equal(t, http.StatusNotFound, status)
	require.Equal(t, str(gone, "detail"), str(off, "detail"), "a visitor cannot tell a rotated link from one turned off")
}
