// Package contract is everything a caller needs to start, query and act on
// Signflow's workflows: their names, inputs, messages, state, errors and
// IDs, and a typed Client over Temporal. The API knows Temporal only
// through this package; the workflows implement what it names.
package contract

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/signflow/signflow/models"
)

// Workflow types, as registered on the worker and recorded in histories.
const (
	EnvelopeWorkflowType  = "EnvelopeWorkflow"
	WebhookDelivererType  = "WebhookDeliverer"
	ReconcileWorkflowType = "Reconcile"
	RetentionWorkflowType = "Retention"
)

// BackgroundQueue is the task queue of the work nobody waits on (emails,
// rendering), beside taskQueue, which serves the workflows and so every
// signature: its own workers keep a burst of background work from queueing
// ahead of a person signing.
func BackgroundQueue(taskQueue string) string { return taskQueue + "-background" }

// ReconcileScheduleID is the Temporal Schedule that runs the
// reconciliation; operators see it and its runs in the Web UI.
const ReconcileScheduleID = "signflow-reconcile"

// ReconcileInput is one reconciliation run: envelopes and deliveries that
// have not moved for StaleAfter are checked against their workflows.
type ReconcileInput struct {
	StaleAfter time.Duration `json:"stale_after"`
}

// ReconcileReport is what a run found and did.
type ReconcileReport struct {
	Voided  []string `json:"voided"`  // in progress with no workflow: ended
	Flagged []string `json:"flagged"` // in progress, workflow ended otherwise: for an operator
	Woken   int      `json:"woken"`   // envelopes whose pending webhooks had no deliverer
	// BulkResumed counts bulk sends stored but never started.
	BulkResumed int `json:"bulk_resumed,omitempty"`
}

// RetentionScheduleID is the Temporal Schedule that applies the tenants'
// retention policies; operators see it and its runs in the Web UI.
const RetentionScheduleID = "signflow-retention"

// RetentionInput is one retention run: at most Limit envelopes, and with
// DryRun (or workers set to dry-run) only the list of what would go.
type RetentionInput struct {
	Limit  int  `json:"limit"`
	DryRun bool `json:"dry_run"`
}

// RetentionReport is what a run found and did.
type RetentionReport struct {
	DryRun  bool     `json:"dry_run"`
	Due     []string `json:"due"`     // envelopes past their period
	Deleted []string `json:"deleted"` // whose documents this run deleted
	Held    []string `json:"held"`    // put under a legal hold meanwhile: kept
}

// Findings counts what needed repair or attention.
func (r ReconcileReport) Findings() int64 {
	return int64(len(r.Voided) + len(r.Flagged) + r.Woken + r.BulkResumed)
}

// The envelope workflow's update, signal and query names.
const (
	UpdateSign    = "sign"
	UpdateApprove = "approve"
	UpdateDecline = "decline"
	UpdateVoid    = "void"
	UpdateResend  = "resend"
	UpdateCorrect = "correct_recipient"
	// UpdateReassign hands a due recipient's part to someone else.
	UpdateReassign = "reassign"
	// UpdateViewed records a due recipient's first view; a view that
	// changes nothing is refused by the validator and never reaches the
	// workflow's history.
	UpdateViewed = "mark_viewed"
	// UpdateRetryRender renders a render_failed envelope again.
	UpdateRetryRender = "retry_render"
	// UpdateDeliveryFailed is how the outbox dispatcher reports a message
	// the mail server refused for good; a refusal that changes nothing
	// (the recipient acted, or was marked already) is refused.
	UpdateDeliveryFailed = "delivery_failed"
	// SignalViewed is how views were sent before UpdateViewed; workflows
	// still read it so that histories recorded with it replay.
	SignalViewed = "viewed"
	QueryState   = "state"
)

// SignalWebhookWake tells a webhook deliverer that new deliveries may be
// waiting.
const SignalWebhookWake = "wake"

// RejectedErrorType is the ApplicationError type of an update refused by
// its validator because the envelope is not in a state to accept it
// (recipient not yet due, already acted, envelope closed).
const RejectedErrorType = "Rejected"

var (
	// ErrRejected is an action the envelope refused; the *Rejection that
	// wraps it says why.
	ErrRejected = errors.New("the envelope refused the request")
	// ErrNotRunning is an action on an envelope whose workflow has ended
	// or never started.
	ErrNotRunning = errors.New("the envelope's workflow is not running")
)

// Rejection is an action the envelope refused, with the reason meant for
// the person who asked.
type Rejection struct{ Reason string }

func (r *Rejection) Error() string        { return ErrRejected.Error() + ": " + r.Reason }
func (r *Rejection) Is(target error) bool { return target == ErrRejected }

// Search attributes kept current on every envelope workflow, so operators
// can filter in the Web UI, e.g. EnvelopeStatus = "in_progress".
var (
	EnvelopeStatusAttribute = temporal.NewSearchAttributeKeyKeyword("EnvelopeStatus")
	TenantIDAttribute       = temporal.NewSearchAttributeKeyKeyword("TenantId")
	// ReconcileFindingsAttribute is set on each reconciliation run, so that
	// "ReconcileFindings > 0" lists the runs that repaired or flagged.
	ReconcileFindingsAttribute = temporal.NewSearchAttributeKeyInt64("ReconcileFindings")
)

// EnvelopeWorkflowID is the one workflow ID of an envelope: starting it
// twice cannot create a second process.
func EnvelopeWorkflowID(envelopeID string) string {
	return envelopeIDPrefix + envelopeID
}

const envelopeIDPrefix = "envelope-"

// WebhookDelivererID is a deliverer's workflow ID: one per (subscription,
// envelope), so that an envelope's events reach an endpoint in order while
// other envelopes' events flow on.
func WebhookDelivererID(subscriptionID, envelopeID string) string {
	return "webhooks-" + subscriptionID + "-" + envelopeID
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
	// Embedded recipients sign inside the integrator's product: they are
	// sent no email (the integrator hears of their turn from the
	// recipient.notified event).
	Embedded bool `json:"embedded,omitempty"`
}

// Settings are the envelope's timers.
type Settings struct {
	ExpiresAt        time.Time     `json:"expires_at"`
	ExpiryWarning    time.Duration `json:"expiry_warning"`
	ReminderInterval time.Duration `json:"reminder_interval"`
	ReminderCount    int           `json:"reminder_count"`
	// AllowReassign lets a due recipient hand their part to someone else.
	AllowReassign bool `json:"allow_reassign,omitempty"`
}

// Origin is who sent a request and from where, recorded with the event it
// causes. ClientID names the API client for sender actions. The JSON name
// "client" is kept so recorded histories still decode.
type Origin struct {
	ClientID  string `json:"client_id,omitempty"`
	IP        string `json:"ip,omitempty"`
	UserAgent string `json:"user_agent,omitempty"`
	// The verified signing session a recipient acted in, if one was needed.
	SessionID   string     `json:"session_id,omitempty"`
	AuthMethods []string   `json:"auth_methods,omitempty"`
	VerifiedAt  *time.Time `json:"verified_at,omitempty"`
	// Locale is the language of the page the recipient acted on.
	Locale string `json:"locale,omitempty"`
}

// SignRequest is a signer's signature, with values for their fields.
type SignRequest struct {
	RecipientID string              `json:"recipient_id"`
	Values      []models.FieldValue `json:"values"`
	Origin      Origin              `json:"client"`
}

// ApproveRequest is an approver's approval.
type ApproveRequest struct {
	RecipientID string `json:"recipient_id"`
	Origin      Origin `json:"client"`
}

// DeclineRequest is a recipient's refusal, which ends the envelope.
type DeclineRequest struct {
	RecipientID string `json:"recipient_id"`
	Reason      string `json:"reason"`
	Origin      Origin `json:"client"`
}

// VoidRequest is the sender cancelling the envelope.
type VoidRequest struct {
	Reason string `json:"reason"`
	Origin Origin `json:"client"`
}

// ResendRequest asks for a new signing link for a recipient who has not
// acted yet; the old link stops working.
type ResendRequest struct {
	RecipientID string `json:"recipient_id"`
	Origin      Origin `json:"client"`
}

// CorrectRequest changes a recipient's name or email before they act;
// empty fields stay as they are. The old link stops working.
type CorrectRequest struct {
	RecipientID string `json:"recipient_id"`
	Name        string `json:"name,omitempty"`
	Email       string `json:"email,omitempty"`
	Origin      Origin `json:"client"`
}

// ReassignRequest hands a recipient's part to another person, who gets a
// link and second factor of their own; the old link stops working.
type ReassignRequest struct {
	RecipientID string `json:"recipient_id"`
	Name        string `json:"name"`
	Email       string `json:"email"`
	Reason      string `json:"reason"`
	Origin      Origin `json:"client"`
}

// DeliveryFailedRequest says the mail server refused, for good, a message
// to a recipient, and why.
type DeliveryFailedRequest struct {
	RecipientID string `json:"recipient_id"`
	Reason      string `json:"reason"`
}

// ViewedRequest says a recipient opened the envelope; SignalViewed
// carried the same message.
type ViewedRequest struct {
	RecipientID string `json:"recipient_id"`
	Origin      Origin `json:"client"`
}

// RetryRenderRequest is an operator's request to render the final
// documents again, after fixing what made them fail.
type RetryRenderRequest struct {
	Origin Origin `json:"client"`
}

// State is the live state of an envelope, answered by QueryState and by
// every update.
type State struct {
	Status       string                  `json:"status"`
	Version      int64                   `json:"version"`
	RoutingOrder int                     `json:"routing_order"`
	Recipients   []models.RecipientState `json:"recipients"`
}

// Recipient is the state of one recipient, or nil when none has that ID.
func (s State) Recipient(id string) *models.RecipientState {
	for i := range s.Recipients {
		if s.Recipients[i].ID == id {
			return &s.Recipients[i]
		}
	}
	return nil
}

// WebhookPolicy is how long and how often a delivery is retried: from
// InitialInterval, doubling, capped at MaxInterval, each delay jittered,
// until Window has passed since the first attempt; then it is dead-lettered.
type WebhookPolicy struct {
	InitialInterval time.Duration `json:"initial_interval"`
	MaxInterval     time.Duration `json:"max_interval"`
	Window          time.Duration `json:"window"`
}

// DefaultWebhookPolicy: 5 s doubling to 1 h, for 3 days.
var DefaultWebhookPolicy = WebhookPolicy{InitialInterval: 5 * time.Second, MaxInterval: time.Hour, Window: 72 * time.Hour}

// WebhookDelivererInput names the one queue a deliverer drains: one
// subscription's deliveries of one envelope.
type WebhookDelivererInput struct {
	SubscriptionID string        `json:"subscription_id"`
	EnvelopeID     string        `json:"envelope_id"`
	Policy         WebhookPolicy `json:"policy"`
}
