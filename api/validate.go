package api

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/signflow/signflow/internal/pdf"
	"github.com/signflow/signflow/models"
)

// Envelope timing defaults and bounds. Expiry follows the issue (30 days,
// at most a year); reminders every 3 days up to 3 times, a warning 3 days
// before expiry.
const (
	defaultExpiry           = 30 * 24 * time.Hour
	maxExpiry               = 365 * 24 * time.Hour
	minDuration             = time.Minute
	defaultReminderInterval = 3 * 24 * time.Hour
	defaultReminderCount    = 3
	maxReminderCount        = 10
	defaultExpiryWarning    = 3 * 24 * time.Hour
)

var (
	roles      = []string{models.RoleSigner, models.RoleApprover, models.RoleCC}
	fieldTypes = []string{models.FieldSignature, models.FieldInitials, models.FieldDateSigned, models.FieldText, models.FieldCheckbox}
)

// timing is the parsed settings of an envelope.
type timing struct {
	expiresIn, warning, reminderInterval time.Duration
	reminderCount                        int
}

// parseDuration reads "30d", "12h", "90m" or "45s".
func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, err
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

func durationSetting(errs *fieldErrors, field, value string, fallback time.Duration) time.Duration {
	if value == "" {
		return fallback
	}
	d, err := parseDuration(value)
	if err != nil {
		errs.add(field, "write a duration such as \"30d\", \"12h\" or \"90m\"")
		return fallback
	}
	return d
}

func validateSettings(errs *fieldErrors, s settingsSpec) timing {
	t := timing{
		expiresIn:        durationSetting(errs, "settings.expires_in", s.ExpiresIn, defaultExpiry),
		reminderInterval: durationSetting(errs, "settings.reminder_interval", s.ReminderInterval, defaultReminderInterval),
		reminderCount:    defaultReminderCount,
	}
	if t.expiresIn < minDuration || t.expiresIn > maxExpiry {
		errs.add("settings.expires_in", "must be between 1m and 365d")
	}
	if t.reminderInterval < minDuration {
		errs.add("settings.reminder_interval", "must be at least 1m")
	}
	if s.ReminderCount != nil {
		t.reminderCount = *s.ReminderCount
	}
	if t.reminderCount < 0 || t.reminderCount > maxReminderCount {
		errs.add("settings.reminder_count", "must be between 0 and %d", maxReminderCount)
	}
	t.warning = durationSetting(errs, "settings.expiry_warning", s.ExpiryWarning, min(defaultExpiryWarning, t.expiresIn/2))
	if t.warning < 0 || t.warning >= t.expiresIn {
		errs.add("settings.expiry_warning", "must be shorter than expires_in (use \"0s\" for no warning)")
	}
	return t
}

func validateRecipients(errs *fieldErrors, recipients []recipientSpec, allowNone bool) {
	if len(recipients) == 0 {
		errs.add("recipients", "add at least one recipient")
	}
	if len(recipients) > maxRecipients {
		errs.add("recipients", "at most %d recipients per envelope", maxRecipients)
	}
	acting := false
	for i, r := range recipients {
		field := fmt.Sprintf("recipients[%d]", i)
		if strings.TrimSpace(r.Name) == "" {
			errs.add(field+".name", "give the recipient's name")
		}
		if !validEmail(r.Email) {
			errs.add(field+".email", "give a plain email address such as ada@example.com")
		}
		if !slices.Contains(roles, r.Role) {
			errs.add(field+".role", "must be one of signer, approver, cc")
		}
		if len(r.Meaning) > 200 || (r.Meaning != "" && r.Role == models.RoleCC) {
			errs.add(field+".meaning", "say what the signature means in at most 200 characters; cc recipients do not sign")
		}
		validateAuthentication(errs, field, r, allowNone)
		if r.RoutingOrder != nil && *r.RoutingOrder < 1 {
			errs.add(field+".routing_order", "must be 1 or more")
		}
		acting = acting || r.Role == models.RoleSigner || r.Role == models.RoleApprover
	}
	if len(recipients) > 0 && !acting {
		errs.add("recipients", "add at least one signer or approver")
	}
}

func validateFields(errs *fieldErrors, spec envelopeSpec, docs []*pdf.Info) {
	if len(spec.Fields) > maxFields {
		errs.add("fields", "at most %d fields per envelope", maxFields)
	}
	hasSignature := make([]bool, len(spec.Recipients))
	for i, f := range spec.Fields {
		field := fmt.Sprintf("fields[%d]", i)
		if !slices.Contains(fieldTypes, f.Type) {
			errs.add(field+".type", "must be one of %s", strings.Join(fieldTypes, ", "))
		}
		switch {
		case f.Recipient == nil:
			errs.add(field+".recipient", "give the index of the recipient who fills this field")
		case *f.Recipient < 0 || *f.Recipient >= len(spec.Recipients):
			errs.add(field+".recipient", "no recipient at index %d; recipients has %d entries, counted from 0", *f.Recipient, len(spec.Recipients))
		default:
			switch spec.Recipients[*f.Recipient].Role {
			case models.RoleCC:
				errs.add(field+".recipient", "recipient %d is a cc and fills no fields", *f.Recipient)
			case models.RoleApprover:
				errs.add(field+".recipient", "recipient %d is an approver and approves without fields", *f.Recipient)
			}
			if f.Type == models.FieldSignature {
				hasSignature[*f.Recipient] = true
			}
		}
		doc := 0
		if f.Document != nil {
			doc = *f.Document
		}
		if doc < 0 || doc >= len(docs) {
			errs.add(field+".document", "no document at index %d; documents has %d entries, counted from 0", doc, len(docs))
			continue
		}
		if docs[doc] == nil {
			continue // the document itself was refused
		}
		validateBox(errs, field, f, docs[doc])
	}
	for i, r := range spec.Recipients {
		if r.Role == models.RoleSigner && !hasSignature[i] {
			errs.add(fmt.Sprintf("recipients[%d]", i), "a signer needs at least one signature field")
		}
	}
}

func validateBox(errs *fieldErrors, field string, f fieldSpec, doc *pdf.Info) {
	if f.Page < 1 || f.Page > len(doc.Pages) {
		errs.add(field+".page", "page %d does not exist; the document has %d page(s), counted from 1", f.Page, len(doc.Pages))
	}
	coords := []struct {
		name string
		v    *float64
	}{{"x", f.X}, {"y", f.Y}, {"width", f.Width}, {"height", f.Height}}
	for _, c := range coords {
		if c.v == nil || *c.v < 0 || *c.v > 1 {
			errs.add(field+"."+c.name, "give a fraction of the page between 0 and 1 (origin top-left)")
			return
		}
	}
	if *f.Width == 0 || *f.Height == 0 {
		errs.add(field, "width and height must be greater than 0")
	}
	if *f.X+*f.Width > 1 || *f.Y+*f.Height > 1 {
		errs.add(field, "the box reaches outside the page: x+width and y+height must be at most 1")
	}
}

// authentication is the recipient's setting, with the default applied:
// cc recipients never sign, so they need no second factor.
func authentication(r recipientSpec) string {
	switch {
	case r.Authentication != "":
		return r.Authentication
	case r.Role == models.RoleCC:
		return models.AuthNone
	}
	return models.AuthEmailOTP
}

func validateAuthentication(errs *fieldErrors, field string, r recipientSpec, allowNone bool) {
	auth := authentication(r)
	needsCode := auth == models.AuthAccessCode || auth == models.AuthBoth
	switch {
	case !slices.Contains(models.AuthMethods, auth):
		errs.add(field+".authentication", "must be one of %s", strings.Join(models.AuthMethods, ", "))
	case auth == models.AuthNone && r.Role != models.RoleCC && !allowNone:
		errs.add(field+".authentication", "this account requires a second factor for signers and approvers; choose email_otp, access_code or both")
	case needsCode && (len(r.AccessCode) < 4 || len(r.AccessCode) > 64):
		errs.add(field+".access_code", "give the access code (4 to 64 characters) you will tell the recipient yourself")
	case !needsCode && r.AccessCode != "":
		errs.add(field+".access_code", "an access code is only used with authentication access_code or both")
	}
}
