package signing

import (
	"slices"

	"github.com/nyaruka/phonenumbers"

	"github.com/signflow/signflow/models"
)

// NormalizePhone reads a phone number written in international form
// (+49 151 2345 6789, +1 (415) 555-0100) and answers it in E.164, or false
// when it is no valid number. libphonenumber's rules (nyaruka/phonenumbers)
// decide what is valid in each country.
func NormalizePhone(s string) (string, bool) {
	if len(s) == 0 || len(s) > 32 || s[0] != '+' {
		return "", false
	}
	n, err := phonenumbers.Parse(s, "")
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", false
	}
	return phonenumbers.Format(n, phonenumbers.E164), true
}

func normalizedPhone(s string) string {
	e164, _ := NormalizePhone(s)
	return e164
}

// validatePhone checks a recipient's number, and that one who is texted
// (a code by text, notifications by text) has one and a server that sends
// texts.
func validatePhone(errs *FieldErrors, field string, r RecipientRequest, sendsTexts bool) {
	if r.Phone != "" {
		if _, ok := NormalizePhone(r.Phone); !ok {
			errs.Add(field+".phone", "give a valid number in international form, such as +49 151 23456789")
		}
	}
	if r.Delivery != "" && !slices.Contains(models.Deliveries, r.Delivery) {
		errs.Add(field+".delivery", "email, sms or both")
	}
	texted := authentication(r) == models.AuthSMSOTP || r.Delivery == models.ChannelSMS || r.Delivery == models.DeliveryBoth
	switch {
	case !texted:
	case r.Phone == "":
		errs.Add(field+".phone", "a recipient reached or confirmed by text (delivery sms or both, authentication sms_otp) needs a phone number")
	case !sendsTexts && authentication(r) == models.AuthSMSOTP:
		errs.Add(field+".authentication", "this server sends no text messages (SIGNFLOW_SMS_PROVIDER is unset); choose email_otp or access_code")
	case !sendsTexts:
		errs.Add(field+".delivery", "this server sends no text messages (SIGNFLOW_SMS_PROVIDER is unset); deliver by email")
	}
}
