package signing

import (
	"fmt"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/signflow/signflow/internal/documents/pdf"
	"github.com/signflow/signflow/internal/keys/signinglink"
	"github.com/signflow/signflow/internal/locale"
	"github.com/signflow/signflow/models"
)

// EnvelopeRequest is the body of POST /v1/envelopes.
type EnvelopeRequest struct {
	Subject string `json:"subject"`
	Message string `json:"message"`
	// Locale is the language of recipients who name none of their own.
	Locale     string             `json:"locale,omitempty"`
	Documents  []DocumentRequest  `json:"documents"`
	Recipients []RecipientRequest `json:"recipients"`
	Fields     []FieldRequest     `json:"fields"`
	Settings   SettingsRequest    `json:"settings"`
	// TextTags places fields where the documents' text has tags such as
	// {{signature:1}} (see texttags.go).
	TextTags bool `json:"text_tags"`
	// TemplateID makes the envelope from a template (its newest version,
	// or TemplateVersion), with the people of Roles and the prefilled
	// Values, instead of documents, recipients and fields.
	TemplateID      string           `json:"template_id"`
	TemplateVersion int              `json:"template_version"`
	Roles           []RoleAssignment `json:"roles"`
	Values          []Prefill        `json:"values"`
}

// DocumentRequest is a document sent as base64 in a JSON request.
type DocumentRequest struct {
	Name          string `json:"name"`
	ContentBase64 string `json:"content_base64"`
}

// RecipientRequest is one recipient of a new envelope.
type RecipientRequest struct {
	Name         string `json:"name"`
	Email        string `json:"email"`
	Role         string `json:"role"`
	RoutingOrder *int   `json:"routing_order"`
	Meaning      string `json:"meaning"`
	// Locale is the language of the recipient's emails and signing page.
	Locale string `json:"locale,omitempty"`
	// Authentication is email_otp (default), access_code, both or none.
	Authentication string `json:"authentication"`
	AccessCode     string `json:"access_code"`
	// Phone is the recipient's mobile number, in international form; it
	// is stored in E.164.
	Phone string `json:"phone,omitempty"`
	// Delivery is how invitations, reminders and copies reach them:
	// email (default), sms or both.
	Delivery string `json:"delivery,omitempty"`
	// ClientUserID makes the recipient embedded: the integrator's own id of
	// the person, who signs inside the integrator's product through an
	// embedded session and is sent no email.
	ClientUserID string `json:"client_user_id,omitempty"`
	// IdentityVerification "required" means the integrator's
	// identity-verification provider must confirm the person (reported with
	// POST .../identity-verifications) before they act.
	IdentityVerification string `json:"identity_verification,omitempty"`
	// Reauthenticate asks the recipient to prove their second factor again
	// just before signing when their session is older than a few minutes.
	Reauthenticate bool `json:"reauthenticate,omitempty"`
}

// FieldRequest places a field. Recipient and Document are indexes into the
// request's recipients and documents, counted from 0.
type FieldRequest struct {
	Recipient *int     `json:"recipient"`
	Document  *int     `json:"document,omitempty"`
	Type      string   `json:"type,omitempty"`
	Page      int      `json:"page,omitempty"`
	X         *float64 `json:"x,omitempty"`
	Y         *float64 `json:"y,omitempty"`
	Width     *float64 `json:"width,omitempty"`
	Height    *float64 `json:"height,omitempty"`
	Required  *bool    `json:"required,omitempty"`
	// Name names the field in form data; unique in the envelope.
	Name string `json:"name,omitempty"`
	// Options are the choices of a radio group or dropdown.
	Options []string `json:"options,omitempty"`
	// Pattern is a regular expression (RE2) a text field's whole value
	// must match.
	Pattern string `json:"pattern,omitempty"`
	// Min and Max bound a number field.
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
	// FormField places the field where the document's own form has the
	// field of that name, with its type and options unless given.
	FormField string `json:"form_field,omitempty"`
	// Value prefills the field; with ReadOnly the recipient cannot change it.
	Value    string `json:"value,omitempty"`
	ReadOnly bool   `json:"read_only,omitempty"`
	// The field's smart rules (rules.go): conditions on other fields by
	// name, a formula, length bounds, a checkbox group.
	models.SmartRules
}

// SettingsRequest is a new envelope's timers, as durations such as "30d".
type SettingsRequest struct {
	ExpiresIn        string `json:"expires_in,omitempty"`
	ExpiryWarning    string `json:"expiry_warning,omitempty"`
	ReminderInterval string `json:"reminder_interval,omitempty"`
	ReminderCount    *int   `json:"reminder_count,omitempty"`
	// AllowReassign lets a recipient hand their part to someone else.
	AllowReassign bool `json:"allow_reassign,omitempty"`
}

// Upload is one document's bytes with the name it arrived under.
type Upload struct {
	Name string
	Data []byte
}

const (
	// MaxDocuments is the most documents an envelope may hold.
	MaxDocuments  = 10
	maxRecipients = 50
	maxFields     = 500
	// MaxRequestJSONBytes bounds the envelope JSON of a creation request.
	MaxRequestJSONBytes = 1 << 20
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
	roles = []string{models.RoleSigner, models.RoleApprover, models.RoleCC}
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

func durationSetting(errs *FieldErrors, field, value string, fallback time.Duration) time.Duration {
	if value == "" {
		return fallback
	}
	d, err := parseDuration(value)
	if err != nil {
		errs.Add(field, "write a duration such as \"30d\", \"12h\" or \"90m\"")
		return fallback
	}
	return d
}

func validateSettings(errs *FieldErrors, s SettingsRequest) timing {
	t := timing{
		expiresIn:        durationSetting(errs, "settings.expires_in", s.ExpiresIn, defaultExpiry),
		reminderInterval: durationSetting(errs, "settings.reminder_interval", s.ReminderInterval, defaultReminderInterval),
		reminderCount:    defaultReminderCount,
	}
	if t.expiresIn < minDuration || t.expiresIn > maxExpiry {
		errs.Add("settings.expires_in", "must be between 1m and 365d")
	}
	if t.reminderInterval < minDuration {
		errs.Add("settings.reminder_interval", "must be at least 1m")
	}
	if s.ReminderCount != nil {
		t.reminderCount = *s.ReminderCount
	}
	if t.reminderCount < 0 || t.reminderCount > maxReminderCount {
		errs.Add("settings.reminder_count", "must be between 0 and %d", maxReminderCount)
	}
	t.warning = durationSetting(errs, "settings.expiry_warning", s.ExpiryWarning, min(defaultExpiryWarning, t.expiresIn/2))
	if t.warning < 0 || t.warning >= t.expiresIn {
		errs.Add("settings.expiry_warning", "must be shorter than expires_in (use \"0s\" for no warning)")
	}
	return t
}

func validateRecipients(errs *FieldErrors, recipients []RecipientRequest, rules Rules) {
	if len(recipients) == 0 {
		errs.Add("recipients", "add at least one recipient")
	}
	if len(recipients) > maxRecipients {
		errs.Add("recipients", "at most %d recipients per envelope", maxRecipients)
	}
	acting := false
	for i, r := range recipients {
		field := fmt.Sprintf("recipients[%d]", i)
		if strings.TrimSpace(r.Name) == "" {
			errs.Add(field+".name", "give the recipient's name")
		}
		CheckPrintable(errs, field+".name", r.Name)
		CheckPrintable(errs, field+".meaning", r.Meaning)
		CheckLocale(errs, field+".locale", r.Locale)
		if !ValidEmail(r.Email) {
			errs.Add(field+".email", "give a plain email address such as ada@example.com")
		}
		if !slices.Contains(roles, r.Role) {
			errs.Add(field+".role", "must be one of signer, approver, cc")
		}
		if len(r.Meaning) > 200 || (r.Meaning != "" && r.Role == models.RoleCC) {
			errs.Add(field+".meaning", "say what the signature means in at most 200 characters; cc recipients do not sign")
		}
		validateAuthentication(errs, field, r, rules.AllowNoSecondFactor)
		validatePhone(errs, field, r, rules.SendsTexts)
		CheckPrintable(errs, field+".client_user_id", r.ClientUserID)
		if len(r.ClientUserID) > 200 || (r.ClientUserID != "" && strings.TrimSpace(r.ClientUserID) != r.ClientUserID) {
			errs.Add(field+".client_user_id", "give your own id of the person in at most 200 characters, without surrounding spaces")
		}
		if r.RoutingOrder != nil && *r.RoutingOrder < 1 {
			errs.Add(field+".routing_order", "must be 1 or more")
		}
		if r.Reauthenticate && (r.Role == models.RoleCC || authentication(r) == models.AuthNone) {
			errs.Add(field+".reauthenticate", "only a signer or approver with a second factor (email_otp, access_code or both) proves it again before signing")
		}
		if r.IdentityVerification != "" && (r.IdentityVerification != models.IdentityRequired || r.Role == models.RoleCC) {
			errs.Add(field+".identity_verification", "\"required\" for a signer or approver whose identity your provider must confirm, or leave it out")
		}
		acting = acting || r.Role == models.RoleSigner || r.Role == models.RoleApprover
	}
	if len(recipients) > 0 && !acting {
		errs.Add("recipients", "add at least one signer or approver")
	}
}

func validateFields(errs *FieldErrors, spec EnvelopeRequest, docs []*pdf.Info) {
	if len(spec.Fields) > maxFields {
		errs.Add("fields", "at most %d fields per envelope", maxFields)
	}
	hasSignature := make([]bool, len(spec.Recipients))
	names := map[string]bool{}
	for i, f := range spec.Fields {
		field := fmt.Sprintf("fields[%d]", i)
		if !slices.Contains(FieldTypes, f.Type) {
			errs.Add(field+".type", "must be one of %s", strings.Join(FieldTypes, ", "))
		}
		validateFieldRules(errs, field, f)
		validatePrefill(errs, field, f)
		if f.Name != "" {
			if names[f.Name] {
				errs.Add(field+".name", "%q names another field already; give each field its own name", f.Name)
			}
			names[f.Name] = true
		}
		switch {
		case f.Recipient == nil:
			errs.Add(field+".recipient", "give the index of the recipient who fills this field")
		case *f.Recipient < 0 || *f.Recipient >= len(spec.Recipients):
			errs.Add(field+".recipient", "no recipient at index %d; recipients has %d entries, counted from 0", *f.Recipient, len(spec.Recipients))
		default:
			switch spec.Recipients[*f.Recipient].Role {
			case models.RoleCC:
				errs.Add(field+".recipient", "recipient %d is a cc and fills no fields", *f.Recipient)
			case models.RoleApprover:
				errs.Add(field+".recipient", "recipient %d is an approver and approves without fields", *f.Recipient)
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
			errs.Add(field+".document", "no document at index %d; documents has %d entries, counted from 0", doc, len(docs))
			continue
		}
		if docs[doc] == nil {
			continue // the document itself was refused
		}
		validateBox(errs, field, f, docs[doc])
	}
	smart := make([]smartRequest, len(spec.Fields))
	for i, f := range spec.Fields {
		smart[i] = smartRequest{FieldRequest: f}
		if f.Recipient != nil && *f.Recipient >= 0 && *f.Recipient < len(spec.Recipients) {
			smart[i].order = routingOrder(spec.Recipients[*f.Recipient])
		}
	}
	validateSmartFields(errs, smart)
	for i, r := range spec.Recipients {
		if r.Role == models.RoleSigner && !hasSignature[i] {
			errs.Add(fmt.Sprintf("recipients[%d]", i), "a signer needs at least one signature field")
		}
	}
}

func validateBox(errs *FieldErrors, field string, f FieldRequest, doc *pdf.Info) {
	if f.Page < 1 || f.Page > len(doc.Pages) {
		errs.Add(field+".page", "page %d does not exist; the document has %d page(s), counted from 1", f.Page, len(doc.Pages))
	}
	coords := []struct {
		name string
		v    *float64
	}{{"x", f.X}, {"y", f.Y}, {"width", f.Width}, {"height", f.Height}}
	for _, c := range coords {
		if c.v == nil || *c.v < 0 || *c.v > 1 {
			errs.Add(field+"."+c.name, "give a fraction of the page between 0 and 1 (origin top-left)")
			return
		}
	}
	if *f.Width == 0 || *f.Height == 0 {
		errs.Add(field, "width and height must be greater than 0")
	}
	if *f.X+*f.Width > 1 || *f.Y+*f.Height > 1 {
		errs.Add(field, "the box reaches outside the page: x+width and y+height must be at most 1")
	}
}

// authentication is the recipient's setting, with the default applied:
// cc recipients never sign, so they need no second factor.
func authentication(r RecipientRequest) string {
	switch {
	case r.Authentication != "":
		return r.Authentication
	case r.Role == models.RoleCC:
		return models.AuthNone
	}
	return models.AuthEmailOTP
}

func validateAuthentication(errs *FieldErrors, field string, r RecipientRequest, allowNone bool) {
	auth := authentication(r)
	needsCode := auth == models.AuthAccessCode || auth == models.AuthBoth
	switch {
	case !slices.Contains(models.AuthMethods, auth):
		errs.Add(field+".authentication", "must be one of %s", strings.Join(models.AuthMethods, ", "))
	case auth == models.AuthNone && r.Role != models.RoleCC && !allowNone && r.ClientUserID == "":
		errs.Add(field+".authentication", "this account requires a second factor for signers and approvers; choose email_otp, access_code or both")
	case needsCode && r.AccessCode != placeholderCode && weakAccessCode(r.AccessCode) != "":
		errs.Add(field+".access_code", "give an access code you will tell the recipient yourself: %s", weakAccessCode(r.AccessCode))
	case !needsCode && r.AccessCode != "":
		errs.Add(field+".access_code", "an access code is only used with authentication access_code or both")
	}
}

// inspectDocuments checks every upload and records its geometry.
func inspectDocuments(docs []Upload, limits pdf.Limits) ([]*pdf.Info, FieldErrors) {
	var errs FieldErrors
	if len(docs) == 0 {
		errs.Add("documents", "add at least one PDF document")
	}
	infos := make([]*pdf.Info, len(docs))
	for i, d := range docs {
		field := fmt.Sprintf("documents[%d]", i)
		if strings.TrimSpace(d.Name) == "" {
			errs.Add(field+".name", "give the document a file name")
		}
		CheckPrintable(&errs, field+".name", d.Name)
		info, err := pdf.Inspect(d.Data, limits)
		if err != nil {
			errs.Add(field, "%v", err)
			continue
		}
		infos[i] = info
	}
	return infos, errs
}

// ValidEmail accepts a plain address such as ada@example.com, nothing more.
func ValidEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && !strings.ContainsAny(s, " <>")
}

// Rules are the account's choices that bound what a sender may ask for.
type Rules struct {
	Limits pdf.Limits
	// AllowNoSecondFactor lets senders choose "none" for a recipient.
	AllowNoSecondFactor bool
	// SendsTexts: an SMS provider is configured, so codes may go by text.
	SendsTexts bool
}

// Prepared is an envelope request that passed every check.
type Prepared struct {
	spec   EnvelopeRequest
	docs   []Upload
	infos  []*pdf.Info
	timing timing
	// covers are where each document's text tags were.
	covers [][]models.Box
}

// Prepare checks an envelope request and its documents: each problem is
// named by the field to fix.
func Prepare(spec EnvelopeRequest, docs []Upload, rules Rules) (*Prepared, FieldErrors) {
	infos, errs := inspectDocuments(docs, rules.Limits)
	if strings.TrimSpace(spec.Subject) == "" || len(spec.Subject) > 200 {
		errs.Add("subject", "give a subject of 1 to 200 characters")
	}
	CheckPrintable(&errs, "subject", spec.Subject)
	CheckLocale(&errs, "locale", spec.Locale)
	if len(spec.Message) > 5000 {
		errs.Add("message", "keep the message under 5000 characters")
	}
	validateRecipients(&errs, spec.Recipients, rules)
	spec.Fields = placeFormFields(&errs, spec.Fields, infos)
	var covers [][]models.Box
	if spec.TextTags && len(errs) == 0 {
		var tagged []FieldRequest
		tagged, covers = placeTextTags(&errs, docs, infos)
		spec.Fields = append(spec.Fields, tagged...)
	}
	validateFields(&errs, spec, infos)
	t := validateSettings(&errs, spec.Settings)
	if len(errs) > 0 {
		return nil, errs
	}
	return &Prepared{spec: spec, docs: docs, infos: infos, timing: t, covers: covers}, nil
}

// Build makes envelope id of tenant as of now; each recipient's first link
// is links.Token(recipient ID, 1), stored as its hash. Routing order
// defaults to 1, the meaning to the role's, and access codes are stored
// only as hashes.
func (p *Prepared) Build(links *signinglink.Minter, tenant, id string, now time.Time) (*models.Envelope, error) {
	spec, docs, infos, t := p.spec, p.docs, p.infos, p.timing
	now = now.UTC().Truncate(time.Millisecond)
	env := &models.Envelope{
		ID: id, TenantID: tenant, TemplateID: spec.TemplateID, TemplateVersion: spec.TemplateVersion,
		Subject: spec.Subject, Message: spec.Message, Locale: spec.Locale, AllowReassign: spec.Settings.AllowReassign,
		Status: models.EnvelopeInProgress, Version: 1,
		ReminderIntervalSeconds: int64(t.reminderInterval / time.Second), ReminderCount: t.reminderCount,
		ExpiryWarningSeconds: int64(t.warning / time.Second), ExpiresAt: now.Add(t.expiresIn),
		CreatedAt: now, UpdatedAt: now,
	}
	for i, info := range infos {
		env.Documents = append(env.Documents, models.Document{
			ID: models.NewID(), EnvelopeID: env.ID, TenantID: tenant, Position: i, Name: docs[i].Name,
			SizeBytes: info.Size, SHA256: info.SHA256, PageCount: len(info.Pages), Pages: info.Pages, FormFields: info.FormFields, TagBoxes: p.coversOf(i), CreatedAt: now,
		})
	}
	for i, r := range spec.Recipients {
		order := routingOrder(r)
		rid := models.NewID()
		meaning := r.Meaning
		if meaning == "" {
			meaning = locale.For(r.Locale, spec.Locale).DefaultMeaning(r.Role)
		}
		codeHash := ""
		if r.AccessCode != "" {
			codeHash = AccessCodeHash(links, rid, r.AccessCode)
		}
		env.Recipients = append(env.Recipients, models.Recipient{
			ID: rid, EnvelopeID: env.ID, TenantID: tenant, Position: i, Name: r.Name, Email: r.Email, Phone: normalizedPhone(r.Phone), Delivery: r.Delivery,
			Role: r.Role, RoutingOrder: order, Meaning: meaning, Locale: r.Locale, Status: models.RecipientWaiting,
			TokenHash: signinglink.Hash(links.Token(rid, 1)), LinkGeneration: 1,
			Authentication: authentication(r), AccessCodeHash: codeHash, ClientUserID: r.ClientUserID,
			IdentityVerification: r.IdentityVerification, Reauthenticate: r.Reauthenticate,
		})
	}
	for i, f := range spec.Fields {
		doc := 0
		if f.Document != nil {
			doc = *f.Document
		}
		env.Fields = append(env.Fields, models.Field{
			ID: models.NewID(), EnvelopeID: env.ID, TenantID: tenant, Position: i,
			DocumentID: env.Documents[doc].ID, RecipientID: env.Recipients[*f.Recipient].ID,
			Type: f.Type, Page: f.Page, X: *f.X, Y: *f.Y, Width: *f.Width, Height: *f.Height,
			Required: f.Required == nil || *f.Required,
			Name:     f.Name, Options: f.Options, Pattern: f.Pattern, MinValue: f.Min, MaxValue: f.Max,
			Value: prefill(f), ReadOnly: f.ReadOnly, SmartRules: f.SmartRules,
		})
	}
	return env, nil
}

// routingOrder is a recipient's order, 1 unless given.
func routingOrder(r RecipientRequest) int {
	if r.RoutingOrder != nil {
		return *r.RoutingOrder
	}
	return 1
}

// CheckLocale refuses a language Signflow has no messages for.
func CheckLocale(errs *FieldErrors, field, tag string) {
	if tag != "" && !locale.Known(tag) {
		errs.Add(field, "one of %s, or none", strings.Join(locale.Supported(), ", "))
	}
}
