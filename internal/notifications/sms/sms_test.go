package sms

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"
)

// TestTheWebhookIsSignedAndAnswered: the gateway can verify each text as
// a Standard Webhook; a 422 is a refusal for good, a 5xx is worth a retry.
func TestTheWebhookIsSignedAndAnswered(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	verifier, err := standardwebhooks.NewWebhook(secret)
	require.NoError(t, err)
	answer := http.StatusOK
	var got Message
	gateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := verifier.Verify(body, r.Header); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_ = json.Unmarshal(body, &got)
		w.WriteHeader(answer)
	}))
	defer gateway.Close()
	signer, err := standardwebhooks.NewWebhook(secret)
	require.NoError(t, err)
	hook := Webhook{URL: gateway.URL, Signer: signer}
	m := Message{ID: "msg-1", To: "+4915123456789", Body: "123456 is your code"}

	require.NoError(t, hook.Send(context.Background(), m))
	require.Equal(t, m, got)
	answer = http.StatusUnprocessableEntity
	require.ErrorIs(t, hook.Send(context.Background(), m), ErrRefused)
	answer = http.StatusBadGateway
	err = hook.Send(context.Background(), m)
	require.Error(t, err)
	require.False(t, errors.Is(err, ErrRefused), "a gateway's outage passes")
}

// TestTheCatcherShowsWhatWasSent: newest first, as JSON and as a page
// that escapes what a text says.
func TestTheCatcherShowsWhatWasSent(t *testing.T) {
	c := &Catcher{}
	for _, m := range []Message{{ID: "1", To: "+4915100000001", Body: "alpha"}, {ID: "2", To: "+4915100000002", Body: "<b>omega</b>"}} {
		require.NoError(t, c.Send(context.Background(), m))
	}
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Accept", "application/json")
	rec := httptest.NewRecorder()
	c.Handler().ServeHTTP(rec, req)
	var listed struct{ Texts []Message }
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &listed))
	require.Equal(t, []string{"2", "1"}, []string{listed.Texts[0].ID, listed.Texts[1].ID})
	rec = httptest.NewRecorder()
	c.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	require.Contains(t, rec.Body.String(), "&lt;b&gt;omega&lt;/b&gt;")
	require.Less(t, strings.Index(rec.Body.String(), "omega"), strings.Index(rec.Body.String(), "alpha"))
}

// TestTwilioSignatures follows the example of Twilio's documentation
// ("Validating signatures from Twilio"): the URL, then each parameter's
// name and value, sorted by name, under HMAC-SHA1 of the auth token.
func TestTwilioSignatures(t *testing.T) {
	form := url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+12349013030"}, "Digits": {"1234"},
		"From": {"+12349013030"}, "To": {"+18005551212"}}
	const token, address = "12345", "https://mycompany.com/myapp.php?foo=1&bar=2"
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(address + "CallSidCA1234567890ABCDECaller+12349013030Digits1234From+12349013030To+18005551212"))
	signature := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	require.True(t, TwilioSignatureValid(token, address, form, signature))
	form.Set("Digits", "1235")
	require.False(t, TwilioSignatureValid(token, address, form, signature), "a changed parameter")
	require.False(t, TwilioSignatureValid("54321", address, url.Values{}, signature), "another token")
}
