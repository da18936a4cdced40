// Package models holds Signflow's records (envelopes, recipients, fields,
// events, clients, webhooks), the changes the envelope workflow makes to
// them, and the names of their statuses and events, each defined once. It
// depends on nothing but the standard library and a UUID generator: the
// workflows, the API and package database all speak it, and only package
// database knows how it is stored.
package models

import "time"

// DefaultTenantID owns every row until tenants arrive with client credentials.
const DefaultTenantID = "default"

// Envelope statuses.
const (
	EnvelopeInProgress = "in_progress"
	EnvelopeCompleted  = "completed"
	EnvelopeDeclined   = "declined"
	EnvelopeVoided     = "voided"
	EnvelopeExpired    = "expired"
	// EnvelopeRenderFailed: everyone has acted but the final documents
	// could not be made; an operator retries after a fix, or voids it.
	EnvelopeRenderFailed = "render_failed"
)

// EnvelopeStatuses lists every envelope status, for validating filters.
var EnvelopeStatuses = []string{EnvelopeInProgress, EnvelopeCompleted, EnvelopeDeclined, EnvelopeVoided, EnvelopeExpired,
	EnvelopeRenderFailed}

// Recipient statuses.
const (
	RecipientWaiting  = "waiting"
	RecipientNotified = "notified"
	RecipientViewed   = "viewed"
	RecipientSigned   = "signed"
	RecipientApproved = "approved"
	RecipientDeclined = "declined"
	RecipientCopied   = "copied"
	// RecipientDeliveryFailed: the mail server refused the recipient's
	// address for good; the sender corrects it, and the rest go on.
	RecipientDeliveryFailed = "delivery_failed"
)

// Recipient roles.
const (
	RoleSigner   = "signer"
	RoleApprover = "approver"
	RoleCC       = "cc"
)

// Field types.
const (
	FieldSignature  = "signature"
	FieldInitials   = "initials"
	FieldDateSigned = "date_signed"
	FieldText       = "text"
	FieldCheckbox   = "checkbox"
	// FieldNumber, FieldEmail: text checked as a number (within MinValue
	// and MaxValue) or an email address.
	FieldNumber = "number"
	FieldEmail  = "email"
	// FieldRadio, FieldDropdown: one of the field's Options.
	FieldRadio    = "radio"
	FieldDropdown = "dropdown"
	// FieldAttachment: a file the recipient uploads (PDF, PNG or JPEG).
	FieldAttachment = "attachment"
	// FieldDate: a day the recipient picks, as DateSignedFormat, from
	// MinDate to MaxDate.
	FieldDate = "date"
)

// DateSignedFormat is how a date_signed field shows the signing date (UTC).
const DateSignedFormat = "2006-01-02"

// Channels a notification goes by; Recipient.Delivery names one or
// DeliveryBoth.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
	DeliveryBoth = "both"
)

// Deliveries are the values Recipient.Delivery may take.
var Deliveries = []string{ChannelEmail, ChannelSMS, DeliveryBoth}

// Notification kinds written to the outbox.
const (
	NotifyInvitation    = "invitation"
	NotifyReminder      = "reminder"
	NotifyExpiryWarning = "expiry_warning"
	NotifyCompleted     = "completed_copy"
)

// Envelope is one signing process over one or more documents.
type Envelope struct {
	ID       string `gorm:"primaryKey;size:36"`
	TenantID string `gorm:"size:64;not null;index"`
	Subject  string `gorm:"not null"`
	Message  string
	// Locale is the language of recipients who name none (internal/locale).
	Locale                  string `gorm:"size:16;not null;default:''"`
	Status                  string `gorm:"size:32;not null;index"`
	Version                 int64  `gorm:"not null"`
	ReminderIntervalSeconds int64
	ReminderCount           int
	ExpiryWarningSeconds    int64
	ExpiresAt               time.Time
	CompletedAt             *time.Time
	// EndedAt is when the envelope reached a final status.
	EndedAt *time.Time
	// DocumentsDeletedAt is when the retention policy deleted its
	// documents; the trail and their hashes stay.
	DocumentsDeletedAt *time.Time
	// LegalHoldReason, while set, keeps everything of the envelope.
	LegalHoldReason string
	// TemplateID and TemplateVersion: the template version it was made
	// from, if any.
	// AllowReassign lets a recipient hand their part to someone else.
	AllowReassign   bool   `gorm:"not null;default:false"`
	TemplateID      string `gorm:"size:36;not null;default:''"`
	TemplateVersion int    `gorm:"not null;default:0"`
	CreatedAt       time.Time
	UpdatedAt       time.Time
	Documents       []Document  `gorm:"foreignKey:EnvelopeID"`
	Recipients      []Recipient `gorm:"foreignKey:EnvelopeID"`
	Fields          []Field     `gorm:"foreignKey:EnvelopeID"`
}

// Box is a rectangle on a page, in fractions of the page as the viewer
// sees it, from its top-left corner.
type Box struct {
	Page   int     `json:"page"`
	X      float64 `json:"x"`
	Y      float64 `json:"y"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

// FormField is a field of a document's own PDF form (AcroForm), placed
// like a Signflow field: fractions of its page as the viewer sees it.
type FormField struct {
	Name    string   `json:"name"`
	Type    string   `json:"type"`
	Page    int      `json:"page"`
	X       float64  `json:"x"`
	Y       float64  `json:"y"`
	Width   float64  `json:"width"`
	Height  float64  `json:"height"`
	Options []string `json:"options,omitempty"`
}

// Document is one PDF of an envelope. The bytes live in the blob store.
type Document struct {
	ID         string `gorm:"primaryKey;size:36"`
	EnvelopeID string `gorm:"size:36;not null;index"`
	TenantID   string `gorm:"size:64;not null"`
	Position   int    `gorm:"not null"`
	Name       string `gorm:"not null"`
	SizeBytes  int64  `gorm:"not null"`
	SHA256     string `gorm:"size:64;not null"`
	PageCount  int    `gorm:"not null"`
	Pages      []Page `gorm:"serializer:json"`
	// FormFields are the fields of the PDF's own form, found at intake.
	FormFields []FormField `gorm:"serializer:json"`
	// TagBoxes are where text tags were: the final PDF covers them.
	TagBoxes       []Box  `gorm:"serializer:json"`
	FinalSHA256    string `gorm:"size:64"`
	FinalSizeBytes int64
	CreatedAt      time.Time
}

// Page is a page's geometry as the viewer sees it: width and height after
// the page's /Rotate is applied, in PDF points.
type Page struct {
	Width    float64 `json:"width"`
	Height   float64 `json:"height"`
	Rotation int     `json:"rotation"`
}

// How a recipient proves who they are before signing, besides holding the link.
const (
	AuthEmailOTP   = "email_otp"
	AuthSMSOTP     = "sms_otp" // a one-time code texted to the recipient's phone
	AuthAccessCode = "access_code"
	AuthBoth       = "both"
	AuthNone       = "none"
)

// AuthIntegrator is the factor of an embedded session: the integrator
// vouched for the person it had authenticated itself. It is never a
// recipient's setting.
const AuthIntegrator = "integrator"

// AuthMethods lists the authentication settings a recipient may have.
var AuthMethods = []string{AuthEmailOTP, AuthSMSOTP, AuthAccessCode, AuthBoth, AuthNone}

// Methods is what a setting requires, in the order they are checked.
func Methods(setting string) []string {
	switch setting {
	case AuthEmailOTP:
		return []string{AuthEmailOTP}
	case AuthSMSOTP:
		return []string{AuthSMSOTP}
	case AuthAccessCode:
		return []string{AuthAccessCode}
	case AuthBoth:
		return []string{AuthEmailOTP, AuthAccessCode}
	}
	return nil
}

// Recipient is a person who signs, approves or receives a copy.
type Recipient struct {
	ID         string `gorm:"primaryKey;size:36"`
	EnvelopeID string `gorm:"size:36;not null;index"`
	TenantID   string `gorm:"size:64;not null"`
	Position   int    `gorm:"not null"`
	Name       string `gorm:"not null"`
	Email      string `gorm:"not null"`
	// Phone is the recipient's mobile number in E.164, for codes and
	// notifications by text; personal data, erased with the email address.
	Phone string `gorm:"size:20;not null;default:''"`
	// Delivery is how notifications reach them: ChannelEmail (also when
	// empty), ChannelSMS or DeliveryBoth.
	Delivery     string `gorm:"size:8;not null;default:''"`
	Role         string `gorm:"size:16;not null"`
	RoutingOrder int    `gorm:"not null"`
	Meaning      string
	// Locale is the language of the recipient's emails and signing page;
	// empty, the envelope's, then the browser's.
	Locale         string `gorm:"size:16;not null;default:''"`
	Authentication string `gorm:"size:16;not null;default:email_otp"`
	AccessCodeHash string
	// ClientUserID is the integrator's own id of an embedded recipient, who
	// signs inside the integrator's product and is sent no email; empty for
	// everyone else.
	ClientUserID string `gorm:"size:200;not null;default:''"`
	// IdentityVerification is IdentityRequired when the integrator's
	// identity-verification provider must confirm the person before they
	// act; empty otherwise.
	IdentityVerification string `gorm:"size:16;not null;default:''"`
	// Reauthenticate: the recipient proves their second factor again just
	// before they sign, when their session was verified longer ago than
	// verification.ReauthWindow (21 CFR 11.200(a)(1)).
	Reauthenticate bool   `gorm:"not null;default:false"`
	Status         string `gorm:"size:16;not null"`
	TokenHash      string `gorm:"size:64;not null;uniqueIndex"`
	LinkGeneration int    `gorm:"not null;default:1"`
	// OpenedGeneration is the last link generation whose opening was audited.
	OpenedGeneration int `gorm:"not null;default:0"`
	DeclineReason    string
	NotifiedAt       *time.Time
	ViewedAt         *time.Time
	ActedAt          *time.Time
	// ErasedAt and ErasedReason: the person's data was erased at their
	// request (GDPR article 17); name and email are placeholders since.
	ErasedAt     *time.Time
	ErasedReason string
}

// IdentityRequired is Recipient.IdentityVerification when the person's
// identity must be confirmed by the integrator's provider before they act.
const IdentityRequired = "required"

// Identity check results (EventIdentityVerified's details.result).
const (
	IdentityPassed = "passed"
	IdentityFailed = "failed"
)

// Channels are the channels r's notifications go by.
func (r *Recipient) Channels() []string {
	switch r.Delivery {
	case ChannelSMS:
		return []string{ChannelSMS}
	case DeliveryBoth:
		return []string{ChannelEmail, ChannelSMS}
	}
	return []string{ChannelEmail}
}

// Embedded says the recipient signs inside the integrator's product.
func (r *Recipient) Embedded() bool { return r.ClientUserID != "" }

// Field is a box on a page that one recipient fills. Coordinates are
// fractions of the page as the viewer sees it, origin top-left.
type Field struct {
	ID          string  `gorm:"primaryKey;size:36"`
	EnvelopeID  string  `gorm:"size:36;not null;index"`
	TenantID    string  `gorm:"size:64;not null"`
	DocumentID  string  `gorm:"size:36;not null"`
	RecipientID string  `gorm:"size:36;not null"`
	Position    int     `gorm:"not null"`
	Type        string  `gorm:"size:16;not null"`
	Page        int     `gorm:"not null"`
	X           float64 `gorm:"not null"`
	Y           float64 `gorm:"not null"`
	Width       float64 `gorm:"not null"`
	Height      float64 `gorm:"not null"`
	Required    bool    `gorm:"not null"`
	// Name is the sender's name for the field, as form data reports it.
	Name string `gorm:"not null;default:''"`
	// Options are a radio group's or a dropdown's choices.
	Options []string `gorm:"serializer:json"`
	// Pattern is a regular expression a text field's whole value matches.
	Pattern            string `gorm:"not null;default:''"`
	MinValue, MaxValue *float64
	// ReadOnly: the sender's prefilled Value, which the recipient cannot
	// change.
	ReadOnly bool `gorm:"not null;default:false"`
	SmartRules
	Value    string
	ImageKey string
}

// SmartRules are what a field does beyond its type: MinLength and
// MaxLength bound a text or email field's characters; ShowIf and HideIf
// make it appear only while another field's value meets (or does not meet)
// a condition, and a hidden field takes no value and is not stamped;
// RequiredIf makes it required while one does; Formula computes a number
// field from others by name, such as "round({hours} * {rate}, 2)", and the
// signer does not type it; Group joins checkboxes whose checked count the
// field's MinValue and MaxValue bound (every member carries the same);
// MinDate and MaxDate bound a date field.
// Requests, stored fields and views share them.
type SmartRules struct {
	MinLength  *int       `json:"min_length,omitempty"`
	MaxLength  *int       `json:"max_length,omitempty"`
	ShowIf     *Condition `json:"show_if,omitempty" gorm:"serializer:json"`
	HideIf     *Condition `json:"hide_if,omitempty" gorm:"serializer:json"`
	RequiredIf *Condition `json:"required_if,omitempty" gorm:"serializer:json"`
	Formula    string     `json:"formula,omitempty" gorm:"not null;default:''"`
	Group      string     `json:"group,omitempty" gorm:"column:group_name;size:100;not null;default:''"`
	// MinDate and MaxDate bound a date field's day, as DateSignedFormat.
	MinDate string `json:"min_date,omitempty" gorm:"size:10;not null;default:''"`
	MaxDate string `json:"max_date,omitempty" gorm:"size:10;not null;default:''"`
}

// Condition is a test of another field of the envelope, named by its Name:
// Is "filled" (any value), "checked" (a ticked checkbox), "equals" Value,
// or "one_of" Values. A hidden field's value is empty to every condition.
type Condition struct {
	Field  string   `json:"field"`
	Is     string   `json:"is"`
	Value  string   `json:"value,omitempty"`
	Values []string `json:"values,omitempty"`
}

// Condition tests (Condition.Is).
const (
	IsFilled  = "filled"
	IsChecked = "checked"
	IsEquals  = "equals"
	IsOneOf   = "one_of"
)

// DocumentIDs are the IDs of docs, in order.
func DocumentIDs(docs []Document) []string {
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	return ids
}

// ImageKeys are the blob keys of fields' drawn signatures and
// attachments, empty where none.
func ImageKeys(fields []Field) []string {
	keys := make([]string, len(fields))
	for i, f := range fields {
		keys[i] = f.ImageKey
	}
	return keys
}

// FieldValue is what a recipient put in a field: text (typed signature,
// initials, text, the signing date, "true" for a ticked checkbox) or the
// blob key of a PNG signature image.
type FieldValue struct {
	FieldID  string `json:"field_id"`
	Text     string `json:"text,omitempty"`
	ImageKey string `json:"image_key,omitempty"`
}

// Actor types of events.
const (
	ActorAPI       = "api"
	ActorRecipient = "recipient"
	ActorSystem    = "system"
)

// Event is one entry of an envelope's audit trail. Events are append-only
// (database triggers refuse UPDATE and DELETE) and hash-chained per
// envelope: Hash = SHA-256(PrevHash || canonical JSON), see audit.go.
type Event struct {
	ID              string         `gorm:"primaryKey;size:36" json:"id"`
	EnvelopeID      string         `gorm:"size:36;not null;uniqueIndex:idx_events_envelope_seq,priority:1;uniqueIndex:idx_events_envelope_key,priority:1" json:"envelope_id"`
	TenantID        string         `gorm:"size:64;not null" json:"-"`
	Seq             int64          `gorm:"not null;uniqueIndex:idx_events_envelope_seq,priority:2" json:"seq"`
	Key             string         `gorm:"size:128;not null;uniqueIndex:idx_events_envelope_key,priority:2" json:"-"`
	Type            string         `gorm:"size:48;not null" json:"type"`
	ActorType       string         `gorm:"size:16;not null" json:"actor_type"`
	Actor           string         `json:"actor"`
	RecipientID     string         `gorm:"size:36" json:"recipient_id,omitempty"`
	IP              string         `gorm:"size:64" json:"ip,omitempty"`
	UserAgent       string         `json:"user_agent,omitempty"`
	EnvelopeStatus  string         `gorm:"size:32;not null" json:"envelope_status"`
	EnvelopeVersion int64          `gorm:"not null" json:"envelope_version"`
	DocumentSHA256  []string       `gorm:"serializer:json" json:"document_sha256,omitempty"`
	Details         map[string]any `gorm:"serializer:json" json:"details,omitempty"`
	OccurredAt      time.Time      `gorm:"not null" json:"occurred_at"`
	PrevHash        string         `gorm:"size:64;not null" json:"prev_hash"`
	Hash            string         `gorm:"size:64;not null" json:"hash"`
	// Sealed holds the actor, IP, user agent and details of an event about
	// a recipient, encrypted under that recipient's own key; the columns
	// of those stay empty. Erasing the key erases them, and the hash,
	// which covers Sealed, still verifies.
	Sealed string `gorm:"not null;default:''" json:"sealed,omitempty"`
}

// OTPCode is a one-time code emailed to a recipient: hashed, short-lived,
// ended by five wrong tries.
type OTPCode struct {
	ID          string `gorm:"primaryKey;size:36"`
	TenantID    string `gorm:"size:64;not null"`
	RecipientID string `gorm:"size:36;not null;index"`
	CodeHash    string `gorm:"size:64;not null"`
	// LinkGeneration is the link the code was sent for; a new link (resend,
	// correction) makes it useless.
	LinkGeneration int `gorm:"not null;default:0"`
	Attempts       int `gorm:"not null"`
	ExpiresAt      time.Time
	UsedAt         *time.Time
	CreatedAt      time.Time
}

// SigningSession is a verified recipient's short-lived right to sign.
type SigningSession struct {
	ID          string   `gorm:"primaryKey;size:36"`
	TenantID    string   `gorm:"size:64;not null"`
	RecipientID string   `gorm:"size:36;not null;index"`
	TokenHash   string   `gorm:"size:64;not null;uniqueIndex"`
	Methods     []string `gorm:"serializer:json"`
	// LinkGeneration is the link the session was opened on; a new link
	// ends it.
	LinkGeneration int       `gorm:"not null;default:0"`
	VerifiedAt     time.Time `gorm:"not null"`
	ExpiresAt      time.Time `gorm:"not null"`
	CreatedAt      time.Time
}

// QueuedNotification is a Notification in the outbox, addressed and
// waiting for (or done with) its dispatch. The unique key makes queueing
// idempotent under retries.
type QueuedNotification struct {
	ID          string `gorm:"primaryKey;size:36"`
	EnvelopeID  string `gorm:"size:36;not null;uniqueIndex:idx_notifications_key,priority:1"`
	TenantID    string `gorm:"size:64;not null"`
	RecipientID string `gorm:"size:36;not null;uniqueIndex:idx_notifications_key,priority:2"`
	Kind        string `gorm:"size:32;not null;uniqueIndex:idx_notifications_key,priority:3"`
	Sequence    int    `gorm:"not null;uniqueIndex:idx_notifications_key,priority:4"`
	// Channel is ChannelEmail (to Email) or ChannelSMS (to Phone).
	Channel   string `gorm:"size:8;not null;default:email;uniqueIndex:idx_notifications_key,priority:5"`
	Email     string `gorm:"not null"`
	Phone     string `gorm:"size:20;not null;default:''"`
	Subject   string `gorm:"not null"`
	CreatedAt time.Time
	SentAt    *time.Time
	// DispatchQueue is the task queue whose workers' outbox dispatchers
	// send the row; empty for rows of envelopes that send their mail as
	// activities of their own.
	DispatchQueue string `gorm:"size:200;not null;default:''"`
	Attempts      int    `gorm:"not null;default:0"`
	// NextAttemptAt is when the row may be tried (again): a dispatcher
	// claims a row by moving it past the send's timeout, and backs off
	// after a failure. Nil means at once.
	NextAttemptAt *time.Time
	// RefusedAt is when the mail server refused the row for good.
	RefusedAt *time.Time
}

// TableName keeps the outbox table's name from before the type was named
// for what it holds.
func (QueuedNotification) TableName() string { return "notifications" }

// IsTerminal reports whether an envelope status is final.
func IsTerminal(status string) bool {
	return status != EnvelopeInProgress && status != EnvelopeRenderFailed
}

// SealVerdict is what a check finds about one seal (embedded signature)
// of a PDF.
type SealVerdict struct {
	Signer          string    `json:"signer"`
	Valid           bool      `json:"valid"`
	ByThisSignflow  bool      `json:"by_this_signflow"`
	CoversWholeFile bool      `json:"covers_whole_file"`
	SignedAt        time.Time `json:"signed_at,omitzero"`
	// TimestampedAt and TimestampedBy are the time and authority of the
	// seal's RFC 3161 timestamp, when it has one.
	TimestampedAt time.Time `json:"timestamped_at,omitzero"`
	TimestampedBy string    `json:"timestamped_by,omitempty"`
	// LongTermValidation: the document's security store holds the seal's
	// certificate and revocation data (PAdES B-LT).
	LongTermValidation bool   `json:"long_term_validation"`
	Problem            string `json:"problem,omitempty"`
}
