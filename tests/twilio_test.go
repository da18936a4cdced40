package tests

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"

	"github.com/signflow/signflow/internal/notifications/sms"
)

// fakeTwilio answers Twilio's Messages API as Twilio documents it, and
// checks each request as Twilio would: POST to the account's
// Messages.json, HTTP Basic with the account SID and auth token,
// form-encoded To, From and Body. The magic number Twilio's test
// credentials refuse (+15005550001, "not a valid phone number", code
// 21211) is refused for good here too. Every text it took is kept by
// number, and its fate reported to the request's StatusCallback as Twilio
// reports it, signed: sent, then delivered, or for
// twilioUndeliverableNumber undelivered (error 30003, unreachable). It
// signs with sms.TwilioSignature, which TestTwilioSignatures holds to
// Twilio's documented construction.
type fakeTwilio struct {
	*httptest.Server
	sid, token, from string

	mu    sync.Mutex
	sent  int
	texts map[string][]string // To -> bodies, oldest first
	wrong []string            // what it refused as malformed, for the test to see
}

const (
	twilioRefusedNumber       = "+15005550001"
	twilioUndeliverableNumber = "+15005550010"
)

func newFakeTwilio() *fakeTwilio {
	f := &fakeTwilio{sid: "AC00000000000000000000000000000001", token: "test-auth-token", from: "+15005550006",
		texts: map[string][]string{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	return f
}

func (f *fakeTwilio) serve(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/2010-04-01/Accounts/"+f.sid+"/Messages.json":
		f.refuse(w, http.StatusNotFound, 20404, "not found: "+r.Method+" "+r.URL.Path)
		return
	case !ok || user != f.sid || pass != f.token:
		f.refuse(w, http.StatusUnauthorized, 20003, "authenticate")
		return
	case !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
		f.refuse(w, http.StatusBadRequest, 21000, "not a form")
		return
	}
	if err := r.ParseForm(); err != nil {
		f.refuse(w, http.StatusBadRequest, 21000, err.Error())
		return
	}
	to, body, callback := r.PostForm.Get("To"), r.PostForm.Get("Body"), r.PostForm.Get("StatusCallback")
	fields := 3
	if callback != "" {
		fields++
	}
	switch {
	case r.PostForm.Get("From") != f.from || to == "" || body == "" || len(r.PostForm) != fields:
		f.refuse(w, http.StatusBadRequest, 21603, fmt.Sprintf("a message takes From, To, Body and StatusCallback only: %v", r.PostForm))
		return
	case to == twilioRefusedNumber:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]any{"code": 21211, "message": "The 'To' number " + to + " is not a valid phone number.", "status": 400})
		return
	}
	f.mu.Lock()
	f.texts[to] = append(f.texts[to], body)
	f.sent++
	sid := fmt.Sprintf("SM%032d", f.sent)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{"sid": sid, "status": "queued", "to": to, "from": f.from, "body": body})
	if callback != "" {
		go f.report(callback, sid, to)
	}
}

// report tells callback what became of a text, as Twilio does.
func (f *fakeTwilio) report(callback, sid, to string) {
	fates := []url.Values{{"MessageStatus": {"sent"}}, {"MessageStatus": {"delivered"}}}
	if to == twilioUndeliverableNumber {
		fates[1] = url.Values{"MessageStatus": {"undelivered"}, "ErrorCode": {"30003"}}
	}
	for _, fate := range fates {
		fate.Set("AccountSid", f.sid)
		fate.Set("ApiVersion", "2010-04-01")
		fate.Set("From", f.from)
		fate.Set("To", to)
		fate.Set("MessageSid", sid)
		fate.Set("SmsSid", sid)
		fate.Set("SmsStatus", fate.Get("MessageStatus"))
		req, _ := http.NewRequest(http.MethodPost, callback, strings.NewReader(fate.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", sms.TwilioSignature(f.token, callback, fate))
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = resp.Body.Close()
		}
	}
}

func (f *fakeTwilio) refuse(w http.ResponseWriter, status, code int, message string) {
	f.mu.Lock()
	f.wrong = append(f.wrong, message)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"code": code, "message": message, "status": status})
}

// textsTo are the texts the fake took for a number, oldest first.
func (f *fakeTwilio) textsTo(number string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.texts[number]...)
}

// malformed are the requests it refused as Twilio would refuse them.
func (f *fakeTwilio) malformed() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.wrong...)
}
