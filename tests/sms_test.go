package tests

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/internal/notifications/sms"
)

// mobile is a German mobile number of this test run's own, as a sender
// might write it, and in E.164.
func mobile() (written, e164 string) {
	n := rand.IntN(90_000_000) + 10_000_000
	return fmt.Sprintf("+49 151 %d", n), fmt.Sprintf("+49151%d", n)
}

// TestACodeByText: a signer who confirms with a code by text (sms_otp) is
// sent it through Twilio, as Twilio documents its Messages API, with the
// envelope's subject and nothing else of theirs; the code opens a session
// and the signature goes. The number is stored in E.164; a number that is
// none, or sms_otp without a number, is refused by field.
func TestACodeByText(t *testing.T) {
	t.Parallel()
	written, e164 := mobile()
	status, problem := postJSON(t, suite.apiURL+"/v1/envelopes", jsonEnvelope(t,
		[]J{{"name": "Sam Text", "email": unique("sam"), "role": "signer", "authentication": "sms_otp", "phone": "0151 1234"}},
		[]J{fieldAt(0, "signature", 1, aliceSig)}))
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, "recipients[0].phone", str(problem, "errors", 0, "field"))
	status, problem = postJSON(t, suite.apiURL+"/v1/envelopes", jsonEnvelope(t,
		[]J{{"name": "Sam Text", "email": unique("sam"), "role": "signer", "authentication": "sms_otp"}},
		[]J{fieldAt(0, "signature", 1, aliceSig)}))
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, "recipients[0].phone", str(problem, "errors", 0, "field"), "a code by text needs a number")

	status, created := postJSON(t, suite.apiURL+"/v1/envelopes", jsonEnvelope(t,
		[]J{{"name": "Sam Text", "email": unique("sam"), "role": "signer", "authentication": "sms_otp", "phone": written}},
		[]J{fieldAt(0, "signature", 1, aliceSig)}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	require.Equal(t, e164, str(created, "recipients", 0, "phone"))
	link := str(created, "recipients", 0, "signing_api_url")
	_, gate := getJSON(t, link)
	masked := e164[:3] + "•••••••••" + e164[len(e164)-2:]
	require.Equal(t, masked, str(gate, "recipient", "code_sent_to"), "the gate shows where the code goes, masked")

	status, sent := postJSON(t, link+"/otp", J{})
	require.Equal(t, http.StatusAccepted, status, "%v", sent)
	require.Equal(t, masked, str(sent, "sent_to"))
	texts := suite.twilio.textsTo(e164)
	require.Len(t, texts, 1, "one text, to the number in E.164; refused requests: %v", suite.twilio.malformed())
	require.Regexp(t, `^\d{6} is your code to sign “Consulting agreement”\. It works once, for 10 minutes\.$`, texts[0])

	// On the page, as Sam would: a code by text, in the words of a text.
	ctx := browser(t)
	_, err := chromedp.Run(ctx, chromedp.Steps(chromedp.Navigate(str(created, "recipients", 0, "signing_url")), chromedp.WaitVisible("#send-code")))
	require.NoError(t, err)
	words, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[document.getElementById("send-code").textContent,
		document.getElementById("code-label").textContent, document.getElementById("sent-to").textContent]`))
	require.NoError(t, err)
	require.Equal(t, []string{"Text me a code", "6-digit code from the text message", "We send the code to " + masked + "."}, words)
	_, err = chromedp.Run(ctx, chromedp.Click("#send-code"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(suite.twilio.textsTo(e164)) == 2 }, 30*time.Second, 50*time.Millisecond)
	code := codeInMail.FindString(suite.twilio.textsTo(e164)[1])
	_, err = chromedp.Run(ctx, chromedp.Steps(chromedp.SendKeys("#code", code), chromedp.Click("#confirm"), signOnPage("Sam Text")))
	require.NoError(t, err)
	_, events := getJSON(t, suite.apiURL+"/v1/envelopes/"+str(created, "id")+"/audit")
	var methods any
	for _, e := range at(events, "events").([]any) {
		if str(e, "type") == "recipient.signed" {
			methods = at(e, "details", "auth_methods")
		}
	}
	require.Equal(t, []any{"sms_otp"}, methods, "the signature names the factor it rests on")
}

// TestTextsHaveCaps: a number the provider refuses for good is said so,
// for the sender to correct; and an envelope's recipients are sent at
// most ten texts an hour together: the eleventh is refused with a clear
// error, whoever asks for it.
func TestTextsHaveCaps(t *testing.T) {
	t.Parallel()
	var recipients, fields []J
	for i := range 3 {
		written, _ := mobile()
		recipients = append(recipients, J{"name": fmt.Sprintf("Text %d", i), "email": unique("text"), "role": "signer",
			"authentication": "sms_otp", "phone": written})
		fields = append(fields, fieldAt(i, "signature", 1, box{0.1, 0.1 + 0.1*float64(i), 0.3, 0.05}))
	}
	recipients = append(recipients, J{"name": "Refused", "email": unique("refused"), "role": "signer", "authentication": "sms_otp",
		"phone": twilioRefusedNumber})
	fields = append(fields, fieldAt(3, "signature", 1, box{0.1, 0.5, 0.3, 0.05}))
	status, created := postJSON(t, suite.apiURL+"/v1/envelopes", jsonEnvelope(t, recipients, fields))
	require.Equal(t, http.StatusCreated, status, "%v", created)

	status, problem := postJSON(t, str(created, "recipients", 3, "signing_api_url")+"/otp", J{})
	require.Equal(t, http.StatusConflict, status, "%v", problem)
	require.Equal(t, "urn:signflow:problem:number-refused", str(problem, "type"))

	sent := 0
	for i := range 2 {
		link := str(created, "recipients", i, "signing_api_url")
		for range 5 {
			status, body := postJSON(t, link+"/otp", J{})
			require.Equal(t, http.StatusAccepted, status, "%v", body)
			sent++
		}
		status, problem = postJSON(t, link+"/otp", J{})
		require.Equal(t, http.StatusTooManyRequests, status, "five codes an hour for one recipient")
		require.Equal(t, "urn:signflow:problem:too-many-codes", str(problem, "type"))
	}
	require.Equal(t, 10, sent)
	status, problem = postJSON(t, str(created, "recipients", 2, "signing_api_url")+"/otp", J{})
	require.Equal(t, http.StatusTooManyRequests, status, "the eleventh text of the envelope's hour: %v", problem)
	require.Equal(t, "urn:signflow:problem:too-many-texts", str(problem, "type"))
}

// textWith waits for a text to number whose body matches re and answers
// its submatches.
func textWith(t *testing.T, number string, re *regexp.Regexp) []string {
	t.Helper()
	var found []string
	require.Eventually(t, func() bool {
		for _, body := range suite.twilio.textsTo(number) {
			if m := re.FindStringSubmatch(body); m != nil {
				found = m
				return true
			}
		}
		return false
	}, time.Minute, 50*time.Millisecond, "no text to %s matches %s: %v", number, re, suite.twilio.textsTo(number))
	return found
}

// TestAnEnvelopeDeliveredByTextAlone: a signer reached by text only
// (delivery sms) is invited by a text carrying their link and sent no
// email; they confirm with a code by text, sign, and get their copy's link
// by text. A signer whose number the provider refuses for good is marked
// delivery_failed, alone: the other signer of that envelope is invited.
func TestAnEnvelopeDeliveredByTextAlone(t *testing.T) {
	t.Parallel()
	written, e164 := mobile()
	status, created := postJSON(t, suite.apiURL+"/v1/envelopes", jsonEnvelope(t,
		[]J{{"name": "Tess Text", "email": unique("tess"), "role": "signer", "authentication": "sms_otp", "phone": written, "delivery": "sms"}},
		[]J{fieldAt(0, "signature", 1, aliceSig)}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	id := str(created, "id")
	require.Equal(t, "sms", str(created, "recipients", 0, "delivery"))

	invited := textWith(t, e164, regexp.MustCompile(`^(.+) asks you to sign “Consulting agreement”: (\S+)$`))
	require.Equal(t, str(created, "recipients", 0, "signing_url"), invited[2], "the text carries the signer's own link")
	link := str(created, "recipients", 0, "signing_api_url")
	status, sent := postJSON(t, link+"/otp", J{})
	require.Equal(t, http.StatusAccepted, status, "%v", sent)
	code := textWith(t, e164, regexp.MustCompile(`^(\d{6}) is your code`))[1]
	status, opened := postJSON(t, link+"/session", J{"code": code})
	require.Equal(t, http.StatusOK, status, "%v", opened)
	status, signed := sendWith(t, http.MethodPost, link+"/sign", "application/json",
		jsonBody(t, J{"values": []J{{"field_id": str(created, "fields", 0, "id"), "text": "Tess Text"}}}),
		map[string]string{"Authorization": "Bearer " + str(opened, "session_token")})
	require.Equal(t, http.StatusOK, status, "%v", signed)
	require.Equal(t, "completed", awaitWorkflow(t, id).Status)
	copied := textWith(t, e164, regexp.MustCompile(`^“Consulting agreement” is signed by everyone\. Your copy: (\S+)$`))
	require.Equal(t, invited[2], copied[1])

	// By text alone: every notification of hers was queued for the text
	// channel, none for email.
	queued := 0
	for _, e := range auditEvents(t, suite.apiURL, id) {
		if str(e, "type") == "notification.queued" {
			require.Equal(t, "sms", str(e, "details", "channel"), "%v", e)
			queued++
		}
	}
	require.Equal(t, 2, queued, "the invitation and the copy")

	other := unique("olga")
	status, created = postJSON(t, suite.apiURL+"/v1/envelopes", jsonEnvelope(t,
		[]J{withCode(J{"name": "Rex Refused", "email": unique("rex"), "role": "signer", "phone": twilioRefusedNumber, "delivery": "sms"}),
			withCode(J{"name": "Olga Other", "email": other, "role": "signer"})},
		[]J{fieldAt(0, "signature", 1, aliceSig), fieldAt(1, "signature", 1, bobSig)}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	id = str(created, "id")
	require.Eventually(t, func() bool {
		_, env := getJSON(t, suite.apiURL+"/v1/envelopes/"+id)
		return str(env, "recipients", 0, "status") == "delivery_failed"
	}, time.Minute, 100*time.Millisecond)
	failed := eventOf(auditEvents(t, suite.apiURL, id), "recipient.delivery_failed")
	require.Contains(t, str(failed, "details", "reason"), "SMS provider refused")
	awaitMail(t, suite.mailAPI, "to:"+other+` subject:"Please sign"`, 1, time.Minute)
	_, env := getJSON(t, suite.apiURL+"/v1/envelopes/"+id)
	require.Equal(t, "in_progress", str(env, "status"), "the envelope goes on")
}

// TestATextTwilioCouldNotDeliver: Twilio took the invitation, then
// reported it undelivered (its StatusCallback, signed): the recipient is
// marked delivery_failed with Twilio's error. A report whose signature
// does not match is refused and changes nothing.
func TestATextTwilioCouldNotDeliver(t *testing.T) {
	t.Parallel()
	status, created := postJSON(t, suite.apiURL+"/v1/envelopes", jsonEnvelope(t,
		[]J{withCode(J{"name": "Una Reachable", "email": unique("una"), "role": "signer", "phone": twilioUndeliverableNumber, "delivery": "sms"})},
		[]J{fieldAt(0, "signature", 1, aliceSig)}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	id := str(created, "id")
	require.Eventually(t, func() bool {
		_, env := getJSON(t, suite.apiURL+"/v1/envelopes/"+id)
		return str(env, "recipients", 0, "status") == "delivery_failed"
	}, time.Minute, 100*time.Millisecond)
	failed := eventOf(auditEvents(t, suite.apiURL, id), "recipient.delivery_failed")
	require.Equal(t, "the SMS provider could not deliver the invitation text: undelivered (error 30003)", str(failed, "details", "reason"))

	forged := url.Values{"MessageSid": {"SM00000000000000000000000000000001"}, "MessageStatus": {"undelivered"}}
	req, err := http.NewRequest(http.MethodPost, suite.apiURL+"/sms/twilio/status", strings.NewReader(forged.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", sms.TwilioSignature("not-the-token", suite.apiURL+"/sms/twilio/status", forged))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
}
