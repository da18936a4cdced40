package tests

import (
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/internal/verification"
	"github.com/signflow/signflow/models"
)

var codeInMail = regexp.MustCompile(`\b(\d{6})\b`)

// requestOTP asks for a code and returns it as the email carries it.
func requestOTP(t *testing.T, link, email string, nth int) string {
	t.Helper()
	status, body := postJSON(t, link+"/otp", J{})
	require.Equal(t, http.StatusAccepted, status, "%v", body)
	mails := awaitMail(t, suite.mailAPI, "to:"+email+` subject:"signing code"`, nth, time.Minute)
	require.NotRegexp(t, codeInMail, mails[0].Subject, "the code is never in the subject")
	return codeInMail.FindString(readMail(t, suite.mailAPI, mails[0].ID).Text) // Mailpit lists the newest first
}

func otpEnvelope(t *testing.T, base string, emails ...string) []string {
	t.Helper()
	var recipients, fields []J
	for i, e := range emails {
		recipients = append(recipients, J{"name": "Person", "email": e, "role": "signer"}) // default: email_otp
		fields = append(fields, fieldAt(i, "signature", 1, box{0.1, 0.1 + 0.1*float64(i), 0.3, 0.05}))
	}
	status, created := postJSON(t, base+"/v1/envelopes", jsonEnvelope(t, recipients, fields))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	var links []string
	for i := range emails {
		links = append(links, str(created, "recipients", i, "signing_api_url"))
	}
	return links
}

func TestEmailedCodeOpensASessionForThatRecipientOnly(t *testing.T) {
	t.Parallel()
	a, b := unique("otp-a"), unique("otp-b")
	links := otpEnvelope(t, suite.apiURL, a, b)
	status, body := postJSON(t, links[0]+"/sign", J{"values": []J{}})
	require.Equal(t, http.StatusUnauthorized, status, "signing without a session: %v", body)

	code := requestOTP(t, links[0], a, 1)
	require.Len(t, code, 6)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	for range 5 {
		status, _ = postJSON(t, links[0]+"/session", J{"code": wrong})
		require.Equal(t, http.StatusUnauthorized, status)
	}
	status, body = postJSON(t, links[0]+"/session", J{"code": code})
	require.Equal(t, http.StatusUnauthorized, status, "five wrong tries end the code")
	require.Contains(t, str(body, "detail"), "4 attempts remain", "one answer for every reason, with what is left of the budget")

	code = requestOTP(t, links[0], a, 2)
	var resp *http.Response
	require.Eventually(t, func() bool { // past five failures, attempts are spaced out
		r, err := http.Post(links[0]+"/session", "application/json", strings.NewReader(`{"code":"`+code+`"}`))
		require.NoError(t, err)
		r.Body.Close()
		resp = r
		return r.StatusCode != http.StatusTooManyRequests
	}, 10*time.Second, 200*time.Millisecond)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	cookie := resp.Header.Get("Set-Cookie")
	for _, attr := range []string{"signflow_session=", "HttpOnly", "Secure", "SameSite=Strict"} {
		require.Contains(t, cookie, attr)
	}
	token := strings.TrimPrefix(strings.Split(cookie, ";")[0], "signflow_session=")
	bearer := map[string]string{"Authorization": "Bearer " + token}

	// A's session does not let anyone act as B, or see B's fields.
	status, viewB := sendWith(t, http.MethodGet, links[1], "", nil, bearer)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, false, viewB["verified"], "%v", viewB)
	require.Nil(t, viewB["fields"])
	status, _ = sendWith(t, http.MethodPost, links[1]+"/sign", "application/json",
		jsonBody(t, J{"values": []J{{"field_id": "x", "text": "B"}}}), bearer)
	require.Equal(t, http.StatusUnauthorized, status)

	_, view := sendWith(t, http.MethodGet, links[0], "", nil, bearer)
	sigA := J{"values": []J{{"field_id": str(view, "fields", 0, "id"), "text": "A"}}}

	status, body = sendWith(t, http.MethodPost, links[0]+"/sign", "application/json", jsonBody(t, sigA), bearer)
	require.Equal(t, http.StatusOK, status, "%v", body)

	// The code never reaches the log.
	logs, err := readTestLog()
	require.NoError(t, err)
	require.NotContains(t, logs, code)
}

func TestExpiredCodesAndTooManyCodesAreRefused(t *testing.T) {
	t.Parallel()
	s := testSettings(taskQueue)
	var skew *atomic.Int64
	s.Now, skew = skewedClock()
	base := serveAPI(t, suite.deps, s)

	email := unique("otp-expiry")
	link := otpEnvelope(t, base, email)[0]
	code := requestOTP(t, link, email, 1)
	skew.Store(int64(11 * time.Minute))
	status, body := postJSON(t, link+"/session", J{"code": code})
	require.Equal(t, http.StatusUnauthorized, status)
	require.Contains(t, str(body, "detail"), "expired")

	for i := 2; i <= 5; i++ {
		requestOTP(t, link, email, i)
	}
	status, _ = postJSON(t, link+"/otp", J{})
	require.Equal(t, http.StatusTooManyRequests, status, "at most 5 codes an hour")
}

func TestNoSecondFactorOnlyWhenTheAccountAllowsIt(t *testing.T) {
	t.Parallel()
	spec := jsonEnvelope(t, []J{{"name": "N", "email": unique("none"), "role": "signer", "authentication": "none"}},
		[]J{fieldAt(0, "signature", 1, aliceSig)})
	status, body := postJSON(t, suite.apiURL+"/v1/envelopes", spec)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, "recipients[0].authentication", str(body, "errors", 0, "field"))

	s := testSettings(taskQueue)
	s.AllowNoSecondFactor = true
	base := serveAPI(t, suite.deps, s)
	status, created := postJSON(t, base+"/v1/envelopes", spec)
	require.Equal(t, http.StatusCreated, status, "%v", created)
	link := str(created, "recipients", 0, "signing_api_url")
	_, view := getJSON(t, link)
	status, body = postJSON(t, link+"/sign", J{"values": []J{{"field_id": str(view, "fields", 0, "id"), "text": "N"}}})
	require.Equal(t, http.StatusOK, status, "no session needed: %v", body)
	awaitWorkflow(t, str(created, "id"))
	status, cert := download(t, base+"/v1/envelopes/"+str(created, "id")+"/certificate")
	require.Equal(t, http.StatusOK, status)
	path := t.TempDir() + "/certificate.pdf"
	require.NoError(t, os.WriteFile(path, cert, 0o600))
	require.Contains(t, pdfText(t, path, 1), "no second factor")
}

func TestRepeatedFailuresAreAuditedAndLimited(t *testing.T) {
	t.Parallel()
	s := testSettings(taskQueue)
	var skew *atomic.Int64
	s.Now, skew = skewedClock()
	base := serveAPI(t, suite.deps, s)
	id, link := oneSignerEnvelope(t, base) // access code recipient
	for range 5 {
		status, _ := postJSON(t, link+"/session", J{"access_code": "guess"})
		require.Equal(t, http.StatusUnauthorized, status, "five typos in a row are answered at once")
	}
	status, problem := postJSON(t, link+"/session", J{"access_code": "guess"})
	require.Equal(t, http.StatusUnauthorized, status)
	require.Contains(t, str(problem, "detail"), "4 attempts remain")
	status, _ = postJSON(t, link+"/session", J{"access_code": testAccessCode})
	require.Equal(t, http.StatusTooManyRequests, status, "from the sixth failure on, attempts are spaced out")
	for range verification.FailureBudget - 6 {
		skew.Add(int64(5 * time.Minute))
		status, _ := postJSON(t, link+"/session", J{"access_code": "guess"})
		require.Contains(t, []int{http.StatusUnauthorized, http.StatusForbidden}, status)
	}
	// Hours later (less than a day: rate counters of other tests' servers
	// must not be swept by this server's clock), no window has forgiven.
	skew.Add(int64(6 * time.Hour))
	status, problem = postJSON(t, link+"/session", J{"access_code": testAccessCode})
	require.Equal(t, http.StatusForbidden, status, "hours later, even the right code: the link is locked")
	require.Equal(t, "urn:signflow:problem:link-locked", str(problem, "type"))
	_, gate := getJSON(t, link)
	require.Equal(t, true, at(gate, "verification", "locked"), "the page can say so: %v", gate)
	failed, locked := 0, 0
	for _, e := range auditEvents(t, base, id) {
		switch str(e, "type") {
		case models.EventAuthFailed:
			failed++
			require.Equal(t, "access_code", str(e, "details", "method"))
			require.NotContains(t, e.(J)["details"], "access_code", "the code tried is never recorded")
		case models.EventLinkLocked:
			locked++
		}
	}
	require.Equal(t, verification.FailureBudget, failed)
	require.Equal(t, 1, locked, "the lock is audited once")
}

func TestParallelWrongCodesAreLimitedExactly(t *testing.T) {
	t.Parallel()
	s := testSettings(taskQueue)
	s.TrustedProxies = []string{"127.0.0.1/32"} // the attempts come from an address of their own
	// The clock stands still: on a loaded machine the flood may outlast the
	// one-second spacing after the sixth failure, which would rightly let a
	// seventh attempt through.
	stopped := time.Now()
	s.Now = func() time.Time { return stopped }
	base := serveAPI(t, suite.deps, s)
	id, link := oneSignerEnvelope(t, base)
	answers := flood(t, 30, func() *http.Request {
		req, _ := http.NewRequest(http.MethodPost, link+"/session", strings.NewReader(`{"access_code": "guess"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", "198.51.100.30")
		return req
	})
	require.Equal(t, map[int]int{http.StatusUnauthorized: 6, http.StatusTooManyRequests: 24}, answers,
		"five typos are free, the sixth failure spaces out the rest")
	failed := 0
	for _, e := range auditEvents(t, base, id) {
		if str(e, "type") == "auth.failed" {
			failed++
		}
	}
	require.Equal(t, 6, failed, "exactly what was tried is audited")
}
