package models

// Event types: every kind of entry in the audit trail, defined here once.
// Their values are stored in audit chains and sent to integrators, so a
// value never changes once released.
const (
	// The envelope's life, written by the envelope workflow.
	EventEnvelopeCreated   = "envelope.created"
	EventEnvelopeCompleted = "envelope.completed"
	EventEnvelopeDeclined  = "envelope.declined"
	EventEnvelopeVoided    = "envelope.voided"
	EventEnvelopeExpired   = "envelope.expired"
	// EventEnvelopeFlagged: the reconciliation found the envelope in
	// progress while its workflow had ended; an operator acts on it.
	EventEnvelopeFlagged = "envelope.flagged"
	// The final documents could not be made, and an operator's retry.
	EventEnvelopeRenderFailed  = "envelope.render_failed"
	EventEnvelopeRenderRetried = "envelope.render_retried"

	// Recipients' progress and actions.
	EventRecipientNotified     = "recipient.notified"
	EventRecipientViewed       = "recipient.viewed"
	EventRecipientSigned       = "recipient.signed"
	EventRecipientApproved     = "recipient.approved"
	EventRecipientDeclined     = "recipient.declined"
	EventRecipientLinkReissued = "recipient.link_reissued"
	EventRecipientCorrected    = "recipient.corrected"
	// EventRecipientReassigned: a recipient handed their part to someone
	// else, as the sender allowed.
	EventRecipientReassigned = "recipient.reassigned"
	// The mail server refused a recipient's message for good.
	EventRecipientDeliveryFailed = "recipient.delivery_failed"

	// Nudges the workflow sends while recipients have not acted.
	EventReminderSent      = "reminder.sent"
	EventExpiryWarningSent = "expiry_warning.sent"

	// The outbox of notification emails.
	EventNotificationQueued = "notification.queued"
	EventNotificationSent   = "notification.sent"

	// Evidence of access, recorded by the API.
	EventLinkOpened         = "link.opened"
	EventDocumentDownloaded = "document.downloaded"
	EventDocumentFinalized  = "document.finalized"
	// EventAttachmentUploaded: a recipient attached a file to a field; the
	// event holds its name, type, size and SHA-256.
	EventAttachmentUploaded = "attachment.uploaded"

	// A recipient proving who they are.
	EventOTPSent        = "otp.sent"
	EventSessionStarted = "session.started"
	// EventAuthFailed is a wrong code; counted for rate limits.
	EventAuthFailed = "auth.failed"
	// EventIdentityAsserted: an integrator vouched for who an embedded
	// recipient is (which client, how it authenticated them, when, from
	// where), or that they signed in person before a host.
	EventIdentityAsserted = "identity.asserted"
	// EventIdentityVerified: an integrator reported what its
	// identity-verification provider found of a recipient (provider,
	// method, reference, result passed or failed, when).
	EventIdentityVerified = "identity.verified"
	// EventLinkLocked: a link spent its failure budget and opens no more
	// until the sender sends a new one.
	EventLinkLocked = "recipient.link_locked"

	// Records kept and let go: the retention policy deleting an ended
	// envelope's documents, and a legal hold that keeps them.
	EventDocumentsDeleted  = "documents.deleted"
	EventLegalHoldPlaced   = "legal_hold.placed"
	EventLegalHoldReleased = "legal_hold.released"
	// A person's data erased at their request (GDPR article 17); the event
	// names the recipient by ID only.
	EventDataSubjectErased = "data_subject.erased"
)

// FeedTypes are the events integrators are told about, in the events feed
// and by webhooks; the rest of the audit trail is evidence, not news.
var FeedTypes = []string{
	EventEnvelopeCreated, EventRecipientNotified, EventRecipientViewed, EventRecipientSigned, EventRecipientApproved,
	EventRecipientDeclined, EventEnvelopeCompleted, EventEnvelopeDeclined, EventEnvelopeVoided, EventEnvelopeExpired,
	EventReminderSent, EventRecipientDeliveryFailed, EventEnvelopeRenderFailed, EventRecipientReassigned,
	EventLinkLocked,
}

// DetailLocale is the detail of a recipient's event naming the language
// of the signing page they acted on: the final document states the date
// and the meaning of their signature in it, as the page showed them.
const DetailLocale = "locale"

// LocaleOf is the language an event says its recipient acted in, or "".
func LocaleOf(e Event) string {
	l, _ := e.Details[DetailLocale].(string)
	return l
}

// ActedEvents are the events of a recipient's final action, which the
// certificate of completion reports.
var ActedEvents = []string{EventRecipientSigned, EventRecipientApproved, EventRecipientDeclined}
