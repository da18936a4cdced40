package workflows

// The envelope workflow's message contract: everything a client needs to
// start, query and act on an envelope process. api/ imports this file's
// names and types; nothing else of the workflow.

import (
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/signflow/signflow/models"
)

// Update, signal and query names.
const (
	UpdateSign    = "sign"
	UpdateApprove = "approve"
	UpdateDecline = "decline"
	UpdateVoid    = "void"
	UpdateResend  = "resend"
	UpdateCorrect = "correct_recipient"
	SignalViewed  = "viewed"
	QueryState    = "state"
)

// RejectedErrorType is the ApplicationError type of an update refused by
// its validator because the envelope is not in a state to accept it
// (recipient not yet due, already acted, envelope closed).
const RejectedErrorType = "Rejected"

// Search attributes kept current on every envelope workflow, so operators
// can filter in the Web UI, e.g. EnvelopeStatus = "in_progress".
var (
	EnvelopeStatusAttribute = temporal.NewSearchAttributeKeyKeyword("EnvelopeStatus")
	TenantIDAttribute       = temporal.NewSearchAttributeKeyKeyword("TenantId")
)

// WorkflowID is the one workflow ID of an envelope: starting it twice
// cannot create a second process.
func WorkflowID(envelopeID string) string {
	return "envelope-" + envelopeID
}

// EnvelopeInput starts an envelope workflow. The envelope is already stored
// at Version when the workflow starts.
type EnvelopeInput struct {
	EnvelopeID string           `json:"envelope_id"`
	TenantID   string           `json:"tenant_id"`
	Version    int64            `json:"version"`
	Recipients []RecipientInput `json:"recipients"`
	Settings   Settings         `json:"settings"`
}

// RecipientInput is what the workflow needs to route one recipient.
type RecipientInput struct {
	ID           string `json:"id"`
	Role         string `json:"role"`
	RoutingOrder int    `json:"routing_order"`
}

// Settings are the envelope's timers.
type Settings struct {
	ExpiresAt        time.Time     `json:"expires_at"`
	ExpiryWarning    time.Duration `json:"expiry_warning"`
	ReminderInterval time.Duration `json:"reminder_interval"`
	ReminderCount    int           `json:"reminder_count"`
}

// Client is who sent a request and from where, recorded with the event it
// causes. ClientID names the API client for sender actions.
type Client struct {
	ClientID  string `json:"client_id,omitempty"`
	IP        string `json:"ip,omitempty"`
	UserAgent string `json:"user_agent,omitempty"`
	// The verified signing session a recipient acted in, if one was needed.
	SessionID   string     `json:"session_id,omitempty"`
	AuthMethods []string   `json:"auth_methods,omitempty"`
	VerifiedAt  *time.Time `json:"verified_at,omitempty"`
}

// SignRequest is a signer's signature, with values for their fields.
type SignRequest struct {
	RecipientID string              `json:"recipient_id"`
	Values      []models.FieldValue `json:"values"`
	Client      Client              `json:"client"`
}

// ApproveRequest is an approver's approval.
type ApproveRequest struct {
	RecipientID string `json:"recipient_id"`
	Client      Client `json:"client"`
}

// DeclineRequest is a recipient's refusal, which ends the envelope.
type DeclineRequest struct {
	RecipientID string `json:"recipient_id"`
	Reason      string `json:"reason"`
	Client      Client `json:"client"`
}

// VoidRequest is the sender cancelling the envelope.
type VoidRequest struct {
	Reason string `json:"reason"`
	Client Client `json:"client"`
}

// ResendRequest asks for a new signing link for a recipient who has not
// acted yet; the old link stops working.
type ResendRequest struct {
	RecipientID string `json:"recipient_id"`
	Client      Client `json:"client"`
}

// CorrectRequest changes a recipient's name or email before they act;
// empty fields stay as they are. The old link stops working.
type CorrectRequest struct {
	RecipientID string `json:"recipient_id"`
	Name        string `json:"name,omitempty"`
	Email       string `json:"email,omitempty"`
	Client      Client `json:"client"`
}

// ViewedSignal says a recipient opened the envelope.
type ViewedSignal struct {
	RecipientID string `json:"recipient_id"`
	Client      Client `json:"client"`
}

// State is the live state of an envelope, answered by QueryState and by
// every update.
type State struct {
	Status       string                  `json:"status"`
	Version      int64                   `json:"version"`
	RoutingOrder int                     `json:"routing_order"`
	Recipients   []models.RecipientState `json:"recipients"`
}
