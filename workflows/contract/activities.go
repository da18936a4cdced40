package contract

import (
	"github.com/signflow/signflow/models"
)

// Activity types, as registered on the worker and recorded in histories.
// The workflows call activities by these names, so they depend on what an
// activity takes and returns, never on how it does its work.
const (
	// The envelope's state.
	ApplyTransitionActivity = "ApplyTransition"
	ReissueLinkActivity     = "ReissueLink"
	// Its final documents.
	RenderFinalDocumentsActivity = "RenderFinalDocuments"
	// Mail sent as activities, by envelopes started before the outbox
	// dispatchers sent it (outbox-sends-mail).
	QueueNotificationActivity = "QueueNotification"
	SendNotificationActivity  = "SendNotification"
	SendNotificationsActivity = "SendNotifications"
	// Webhook deliverers.
	NextWebhookDeliveryActivity    = "NextWebhookDelivery"
	AttemptWebhookDeliveryActivity = "AttemptWebhookDelivery"
	DeadLetterWebhookActivity      = "DeadLetterWebhook"
	// Bulk sends.
	SendBulkRowsActivity   = "SendBulkRows"
	FinishBulkSendActivity = "FinishBulkSend"
	// Retention.
	FindRetentionDueActivity = "FindRetentionDue"
	DeleteDocumentsActivity  = "DeleteDocuments"
	// Reconciliation.
	FindStrayEnvelopesActivity  = "FindStrayEnvelopes"
	VoidStrayActivity           = "VoidStray"
	FlagStrayActivity           = "FlagStray"
	WakeWaitingWebhooksActivity = "WakeWaitingWebhooks"
	ResumeBulkSendsActivity     = "ResumeBulkSends"
)

// ReissueRequest gives a recipient a new link generation, with corrected
// details when Name or Email are set.
type ReissueRequest struct {
	RecipientID string `json:"recipient_id"`
	Generation  int    `json:"generation"`
	Name        string `json:"name,omitempty"`
	Email       string `json:"email,omitempty"`
	// Authentication replaces the recipient's second factor, when set.
	Authentication string `json:"authentication,omitempty"`
}

// RenderRequest names the envelope whose final documents to produce.
type RenderRequest struct {
	EnvelopeID string `json:"envelope_id"`
	TenantID   string `json:"tenant_id"`
}

// FinalDocument is a completed document's fingerprint.
type FinalDocument struct {
	DocumentID string `json:"document_id"`
	SHA256     string `json:"sha256"`
	SizeBytes  int64  `json:"size_bytes"`
}

// RenderFailedErrorType is the error of a document that cannot be made
// final: retrying will not help until someone looks at it.
const RenderFailedErrorType = "RenderFailed"

// EnvelopeNotification is a notification of an envelope, as the activities
// that queued and sent mail took it. Sequence tells
// repeated messages of one kind apart (the n-th reminder).
type EnvelopeNotification struct {
	EnvelopeID  string `json:"envelope_id"`
	TenantID    string `json:"tenant_id"`
	RecipientID string `json:"recipient_id"`
	Kind        string `json:"kind"`
	Sequence    int    `json:"sequence"`
}

// MailRefusal is a message the mail server refused for good.
type MailRefusal struct {
	RecipientID string `json:"recipient_id"`
	Reason      string `json:"reason"`
}

// MailRefusedErrorType is the error of a message the mail server refused
// for good (a 5xx answer to the recipient or the message): retrying the
// same message to the same address cannot succeed.
const MailRefusedErrorType = "MailRefused"

// WebhookTask is the next delivery a deliverer sends.
type WebhookTask struct {
	DeliveryID string `json:"delivery_id"`
	Attempts   int    `json:"attempts"`
}

// WebhookAttemptRequest is one try at a delivery.
type WebhookAttemptRequest struct {
	DeliveryID string `json:"delivery_id"`
	Attempt    int    `json:"attempt"`
}

// WebhookResult says whether a delivery needs no more attempts: delivered,
// refused for good (410 Gone), or its subscription has gone.
type WebhookResult struct {
	Done bool `json:"done"`
}

// BulkBatch is rows From to To (not included) of a bulk send.
type BulkBatch struct {
	BulkID string `json:"bulk_id"`
	From   int    `json:"from"`
	To     int    `json:"to"`
}

// RetentionPlan is what a retention run is to do.
type RetentionPlan struct {
	Due []models.RetentionDue `json:"due"`
	// DryRun: the workers are set to list, not delete.
	DryRun bool `json:"dry_run"`
}

// Stray is an envelope in progress whose workflow is not running: Run says
// how it stands (RunMissing, or how it closed).
type Stray struct {
	EnvelopeID string `json:"envelope_id"`
	TenantID   string `json:"tenant_id"`
	Run        string `json:"run"`
}
