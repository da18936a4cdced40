package workflows_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/signflow/signflow/activities"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/workflows"
	"github.com/signflow/signflow/workflows/contract"
)

var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// harness runs EnvelopeWorkflow with mocked activities and records what
// the workflow asked them to do.
type harness struct {
	t   *testing.T
	env *testsuite.TestWorkflowEnvironment

	mu          sync.Mutex
	transitions []models.Transition
	notes       []contract.EnvelopeNotification
	sent        []contract.EnvelopeNotification
	renders     int
	outcomes    []outcome
	// refuse, when set, answers a send with an error (MailRefused for good).
	refuse func(contract.EnvelopeNotification) error
	// failRender, when set, answers the n-th render (from 1) with an error.
	failRender func(n int) error
	// slowStore, when set, delays storing a change by its real time.
	slowStore func(models.Transition) time.Duration
	arrivals  []int64 // versions in the order they reached the store
}

// outcome is the answer to one update sent during the run.
type outcome struct {
	name     string
	rejected error
	state    contract.State
}

func newHarness(t *testing.T) *harness { return newHarnessWithSlowOutbox(t, 0) }

// newHarnessWithSlowOutbox makes queueing a notification (with the change
// that owes it, or alone) take delay of workflow time, so actions can
// arrive while it is under way.
func newHarnessWithSlowOutbox(t *testing.T, delay time.Duration) *harness {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	h := &harness{t: t, env: suite.NewTestWorkflowEnvironment()}
	h.env.SetStartTime(t0)
	registerActivities(h.env)
	store := func(_ context.Context, tr models.Transition) error {
		if h.slowStore != nil {
			time.Sleep(h.slowStore(tr))
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		h.transitions = append(h.transitions, tr)
		h.arrivals = append(h.arrivals, tr.Version)
		for _, n := range tr.Notify { // queued in the change's own transaction
			req := contract.EnvelopeNotification{EnvelopeID: tr.EnvelopeID, TenantID: tr.TenantID,
				RecipientID: n.RecipientID, Kind: n.Kind, Sequence: n.Sequence}
			h.notes = append(h.notes, req)
			// The outbox dispatcher sends what it is given; a test reports
			// its refusals with UpdateDeliveryFailed.
			if tr.DispatchQueue != "" && (h.refuse == nil || h.refuse(req) == nil) {
				h.sent = append(h.sent, req)
			}
		}
		return nil
	}
	queuing := mock.MatchedBy(func(tr models.Transition) bool { return len(tr.Notify) > 0 })
	h.env.OnActivity(contract.ApplyTransitionActivity, mock.Anything, queuing).After(delay).Return(store)
	h.env.OnActivity(contract.ApplyTransitionActivity, mock.Anything, mock.Anything).Return(store)
	h.env.OnActivity(contract.QueueNotificationActivity, mock.Anything, mock.Anything).After(delay).Return(func(_ context.Context, n contract.EnvelopeNotification) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.notes = append(h.notes, n)
		return nil
	})
	sendOne := func(_ context.Context, n contract.EnvelopeNotification) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.refuse != nil {
			if err := h.refuse(n); err != nil {
				return err
			}
		}
		h.sent = append(h.sent, n)
		return nil
	}
	h.env.OnActivity(contract.SendNotificationActivity, mock.Anything, mock.Anything).Return(sendOne)
	h.env.OnActivity(contract.SendNotificationsActivity, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, ns []contract.EnvelopeNotification) ([]contract.MailRefusal, error) {
			var refused []contract.MailRefusal
			for _, n := range ns {
				var appErr *temporal.ApplicationError
				if err := sendOne(ctx, n); errors.As(err, &appErr) && appErr.Type() == contract.MailRefusedErrorType {
					refused = append(refused, contract.MailRefusal{RecipientID: n.RecipientID, Reason: appErr.Message()})
				} else if err != nil {
					return nil, err
				}
			}
			return refused, nil
		})
	h.env.OnActivity(contract.ReissueLinkActivity, mock.Anything, mock.Anything).Return(nil)
	h.env.OnActivity(contract.RenderFinalDocumentsActivity, mock.Anything, mock.Anything).Return(func(context.Context, contract.RenderRequest) ([]contract.FinalDocument, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.renders++
		if h.failRender != nil {
			if err := h.failRender(h.renders); err != nil {
				return nil, err
			}
		}
		return []contract.FinalDocument{{DocumentID: "doc", SHA256: "abc"}}, nil
	})
	return h
}

// at sends an update after delay of workflow time. Its outcome is kept in
// the order the updates were declared, whatever order they finish in.
func (h *harness) at(delay time.Duration, name string, arg any) {
	i := len(h.outcomes)
	h.outcomes = append(h.outcomes, outcome{name: name, rejected: errors.New("never answered")})
	record := func(r any, err error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		st, _ := r.(contract.State)
		h.outcomes[i] = outcome{name: name, rejected: err, state: st}
	}
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
			OnAccept:   func() {},
			OnReject:   func(err error) { record(nil, err) },
			OnComplete: record,
		}, arg)
	}, delay)
}

func (h *harness) run(in contract.EnvelopeInput) contract.State {
	h.env.ExecuteWorkflow(workflows.EnvelopeWorkflow, in)
	require.True(h.t, h.env.IsWorkflowCompleted())
	require.NoError(h.t, h.env.GetWorkflowError())
	var st contract.State
	require.NoError(h.t, h.env.GetWorkflowResult(&st))
	// Commits run as concurrent activities; their versions are the order.
	slices.SortFunc(h.transitions, func(x, y models.Transition) int { return cmp.Compare(x.Version, y.Version) })
	return st
}

func (h *harness) eventTypes() []string {
	var types []string
	for _, tr := range h.transitions {
		types = append(types, tr.Event.Type)
		for _, also := range tr.Also {
			types = append(types, also.Type)
		}
	}
	return types
}

func (h *harness) notesOf(kind string) []contract.EnvelopeNotification {
	var out []contract.EnvelopeNotification
	for _, n := range h.notes {
		if n.Kind == kind {
			out = append(out, n)
		}
	}
	return out
}

// rejectedWith asserts the i-th update outcome was a validator rejection.
func (h *harness) rejectedWith(i int, text string) {
	h.t.Helper()
	require.Greater(h.t, len(h.outcomes), i)
	var appErr *temporal.ApplicationError
	require.True(h.t, errors.As(h.outcomes[i].rejected, &appErr), "outcome %d (%s) should be rejected, got %v", i, h.outcomes[i].name, h.outcomes[i].rejected)
	require.Equal(h.t, contract.RejectedErrorType, appErr.Type())
	require.Contains(h.t, appErr.Message(), text)
}

func (h *harness) accepted(i int) {
	h.t.Helper()
	require.Greater(h.t, len(h.outcomes), i)
	require.NoError(h.t, h.outcomes[i].rejected, "outcome %d (%s)", i, h.outcomes[i].name)
}

func recipient(id, role string, order int) contract.RecipientInput {
	return contract.RecipientInput{ID: id, Role: role, RoutingOrder: order}
}

func input(recipients ...contract.RecipientInput) contract.EnvelopeInput {
	return contract.EnvelopeInput{
		EnvelopeID: "env-1", TenantID: "default", Version: 1, Recipients: recipients,
		Settings: contract.Settings{ExpiresAt: t0.Add(30 * 24 * time.Hour)},
	}
}

func sign(id string) contract.SignRequest {
	return contract.SignRequest{RecipientID: id, Values: []models.FieldValue{{FieldID: "f-" + id, Text: id}}}
}

func TestParallelThenSequentialRouting(t *testing.T) {
	h := newHarness(t)
	h.at(time.Hour, contract.UpdateSign, sign("carol"))   // order 2: not yet due
	h.at(2*time.Hour, contract.UpdateSign, sign("alice")) // order 1
	h.at(3*time.Hour, contract.UpdateSign, sign("carol")) // still not due: bob has not signed
	h.at(4*time.Hour, contract.UpdateSign, sign("bob"))
	h.at(5*time.Hour, contract.UpdateSign, sign("carol"))

	st := h.run(input(recipient("alice", models.RoleSigner, 1), recipient("bob", models.RoleSigner, 1), recipient("carol", models.RoleSigner, 2)))

	require.Equal(t, models.EnvelopeCompleted, st.Status)
	h.rejectedWith(0, "not due yet")
	h.accepted(1)
	h.rejectedWith(2, "not due yet")
	h.accepted(3)
	h.accepted(4)
	require.Equal(t, 1, h.renders)

	// Alice and Bob are invited together at the start; Carol only after both signed.
	invites := h.notesOf(models.NotifyInvitation)
	require.Len(t, invites, 3)
	require.Equal(t, []string{"alice", "bob", "carol"}, []string{invites[0].RecipientID, invites[1].RecipientID, invites[2].RecipientID})
	require.Equal(t, []string{
		models.EventRecipientNotified, models.EventRecipientNotified, models.EventRecipientSigned, models.EventRecipientSigned,
		models.EventRecipientNotified, models.EventRecipientSigned, models.EventEnvelopeCompleted,
	}, h.eventTypes())
	require.Len(t, h.notesOf(models.NotifyCompleted), 3)
	require.ElementsMatch(t, h.notes, h.sent, "every queued notification is emailed")

	// Versions continue from the stored envelope's and never repeat.
	for i, tr := range h.transitions {
		require.Equal(t, int64(i+2), tr.Version)
	}
	last := h.transitions[len(h.transitions)-1]
	require.NotNil(t, last.CompletedAt)
	// Alice's and Bob's invitations are one change; Bob's signature,
	// which ends order 1, carries Carol's invitation.
	require.Len(t, h.transitions, 5)
	require.Len(t, h.transitions[0].Also, 1)
	require.Equal(t, []models.Notification{{RecipientID: "carol", Kind: models.NotifyInvitation, Sequence: 1}}, h.transitions[2].Notify)
	require.Equal(t, "carol", h.transitions[3].Event.RecipientID)
	require.Equal(t, []models.FieldValue{{FieldID: "f-carol", Text: "carol"}}, h.transitions[3].Values)
}

func TestApproverAndCarbonCopy(t *testing.T) {
	h := newHarness(t)
	h.at(time.Hour, contract.UpdateSign, sign("dana")) // an approver cannot sign
	h.at(2*time.Hour, contract.UpdateApprove, contract.ApproveRequest{RecipientID: "dana"})
	h.at(3*time.Hour, contract.UpdateApprove, contract.ApproveRequest{RecipientID: "cc"})
	h.at(4*time.Hour, contract.UpdateSign, sign("erin"))

	st := h.run(input(recipient("dana", models.RoleApprover, 1), recipient("cc", models.RoleCC, 1), recipient("erin", models.RoleSigner, 2)))

	require.Equal(t, models.EnvelopeCompleted, st.Status)
	h.rejectedWith(0, "is a approver")
	h.accepted(1)
	h.rejectedWith(2, "is a cc")
	h.accepted(3)
	require.Equal(t, []string{models.RecipientApproved, models.RecipientCopied, models.RecipientSigned},
		[]string{st.Recipients[0].Status, st.Recipients[1].Status, st.Recipients[2].Status})
	// The cc is never invited to act, but gets the completed copy.
	for _, n := range h.notesOf(models.NotifyInvitation) {
		require.NotEqual(t, "cc", n.RecipientID)
	}
	var copies []string
	for _, n := range h.notesOf(models.NotifyCompleted) {
		copies = append(copies, n.RecipientID)
	}
	require.ElementsMatch(t, []string{"dana", "cc", "erin"}, copies)
}

func TestDeclineAndVoidEndTheEnvelope(t *testing.T) {
	tests := []struct {
		name       string
		updateName string
		arg        any
		status     string
		events     []string
	}{
		{"decline", contract.UpdateDecline, contract.DeclineRequest{RecipientID: "alice", Reason: "wrong amount"},
			models.EnvelopeDeclined, []string{models.EventRecipientDeclined, models.EventEnvelopeDeclined}},
		{"void", contract.UpdateVoid, contract.VoidRequest{Reason: "sent by mistake"},
			models.EnvelopeVoided, []string{models.EventEnvelopeVoided}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			// The follow-ups arrive while the closing action is still being stored.
			h.at(time.Hour, tc.updateName, tc.arg)
			h.at(time.Hour, contract.UpdateSign, sign("bob"))
			h.at(time.Hour, contract.UpdateVoid, contract.VoidRequest{Reason: "again"})

			st := h.run(input(recipient("alice", models.RoleSigner, 1), recipient("bob", models.RoleSigner, 1)))

			require.Equal(t, tc.status, st.Status)
			h.accepted(0)
			h.rejectedWith(1, "accepts no more actions")
			h.rejectedWith(2, "can no longer be voided")
			require.Zero(t, h.renders)
			require.Equal(t, tc.events, h.eventTypes()[2:])
			require.Equal(t, tc.status, h.transitions[len(h.transitions)-1].Status)
		})
	}
}

func TestInvalidUpdatesAreRejected(t *testing.T) {
	h := newHarness(t)
	h.at(time.Hour, contract.UpdateSign, sign("mallory"))
	h.at(time.Hour+time.Minute, contract.UpdateDecline, contract.DeclineRequest{RecipientID: "cc", Reason: "no"})
	h.at(2*time.Hour, contract.UpdateSign, sign("alice"))
	h.at(2*time.Hour, contract.UpdateDecline, contract.DeclineRequest{RecipientID: "alice", Reason: "changed my mind"})
	h.at(3*time.Hour, contract.UpdateSign, sign("bob"))

	h.run(input(recipient("alice", models.RoleSigner, 1), recipient("cc", models.RoleCC, 1), recipient("bob", models.RoleSigner, 2)))

	h.rejectedWith(0, "not on this envelope")
	h.rejectedWith(1, "is a cc")
	h.accepted(2)
	h.rejectedWith(3, "has already signed")
	h.accepted(4)
	// Rejected updates leave no trace in the envelope's history.
	require.NotContains(t, h.eventTypes(), models.EventRecipientDeclined)
}

// Envelopes started before lean commits still read views sent as signals.
func TestViewedSignalMarksOnlyDueRecipients(t *testing.T) {
	h := newHarness(t)
	h.env.OnGetVersion("lean-commits", workflow.DefaultVersion, 3).Return(workflow.DefaultVersion)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(contract.SignalViewed, contract.ViewedRequest{RecipientID: "bob"})   // not due
		h.env.SignalWorkflow(contract.SignalViewed, contract.ViewedRequest{RecipientID: "alice"}) // due
	}, time.Hour)
	h.at(2*time.Hour, contract.UpdateSign, sign("alice"))
	h.at(3*time.Hour, contract.UpdateSign, sign("bob"))

	h.run(input(recipient("alice", models.RoleSigner, 1), recipient("bob", models.RoleSigner, 2)))

	var viewed []string
	for _, tr := range h.transitions {
		if tr.Event.Type == models.EventRecipientViewed {
			viewed = append(viewed, tr.Event.RecipientID)
			require.NotNil(t, tr.Recipients[0].ViewedAt)
		}
	}
	require.Equal(t, []string{"alice"}, viewed)
}

func TestViewsThatChangeNothingAreRefusedBeforeHistory(t *testing.T) {
	h := newHarness(t)
	view := func(id string) contract.ViewedRequest { return contract.ViewedRequest{RecipientID: id} }
	h.at(time.Hour, contract.UpdateViewed, view("bob"))               // 0: not due
	h.at(time.Hour+time.Minute, contract.UpdateViewed, view("alice")) // 1: due
	for n := range 20 {                                               // 2..21: again and again
		h.at(time.Hour+time.Duration(2+n)*time.Minute, contract.UpdateViewed, view("alice"))
	}
	h.at(2*time.Hour, contract.UpdateSign, sign("alice"))
	h.at(3*time.Hour, contract.UpdateSign, sign("bob"))

	h.run(input(recipient("alice", models.RoleSigner, 1), recipient("bob", models.RoleSigner, 2)))

	h.rejectedWith(0, "not due yet")
	h.accepted(1)
	for n := range 20 {
		h.rejectedWith(2+n, "viewed the envelope already")
	}
	viewed := 0
	for _, tr := range h.transitions {
		if tr.Event.Type == models.EventRecipientViewed {
			viewed++
		}
	}
	require.Equal(t, 1, viewed, "one view, one event")
}

func TestRemindersWarningAndExpiry(t *testing.T) {
	h := newHarness(t)
	in := input(recipient("alice", models.RoleSigner, 1), recipient("bob", models.RoleSigner, 1))
	in.Settings = contract.Settings{
		ExpiresAt:        t0.Add(10 * 24 * time.Hour),
		ExpiryWarning:    3 * 24 * time.Hour,
		ReminderInterval: 2 * 24 * time.Hour,
		ReminderCount:    3,
	}
	h.at(time.Hour, contract.UpdateSign, sign("bob")) // bob signs, alice never does

	st := h.run(in)

	require.Equal(t, models.EnvelopeExpired, st.Status)
	// Only alice, who has not acted, is reminded: on days 2, 4 and 6, then
	// warned on day 7, and the envelope expires on day 10.
	reminders := h.notesOf(models.NotifyReminder)
	require.Len(t, reminders, 3)
	for i, n := range reminders {
		require.Equal(t, "alice", n.RecipientID)
		require.Equal(t, i+1, n.Sequence)
	}
	warnings := h.notesOf(models.NotifyExpiryWarning)
	require.Len(t, warnings, 1)
	require.Equal(t, "alice", warnings[0].RecipientID)

	var at []string
	for _, tr := range h.transitions[2:] { // after the invitations and Bob's signature
		at = append(at, fmt.Sprintf("%s@%s", tr.Event.Type, tr.Event.OccurredAt.Sub(t0)))
	}
	require.Equal(t, []string{
		"reminder.sent@48h0m0s", "reminder.sent@96h0m0s", "reminder.sent@144h0m0s",
		"expiry_warning.sent@168h0m0s", "envelope.expired@240h0m0s",
	}, at)
	require.Zero(t, h.renders)
	require.Empty(t, h.notesOf(models.NotifyCompleted))
}

func TestQueryState(t *testing.T) {
	h := newHarness(t)
	h.env.RegisterDelayedCallback(func() {
		v, err := h.env.QueryWorkflow(contract.QueryState)
		require.NoError(t, err)
		var st contract.State
		require.NoError(t, v.Get(&st))
		require.Equal(t, models.EnvelopeInProgress, st.Status)
		require.Equal(t, models.RecipientNotified, st.Recipients[0].Status)
	}, time.Hour)
	h.at(2*time.Hour, contract.UpdateSign, sign("alice"))
	h.run(input(recipient("alice", models.RoleSigner, 1)))
}

func TestNextOrderIsDueAsSoonAsTheLastOfTheOrderActs(t *testing.T) {
	h := newHarness(t)
	// Both arrive in the same instant: carol is due because alice's
	// signature has already moved the envelope to order 2.
	h.at(time.Hour, contract.UpdateSign, sign("alice"))
	h.at(time.Hour, contract.UpdateSign, sign("carol"))

	st := h.run(input(recipient("alice", models.RoleSigner, 1), recipient("carol", models.RoleSigner, 2)))

	h.accepted(0)
	h.accepted(1)
	require.Equal(t, models.EnvelopeCompleted, st.Status)
	require.Equal(t, models.RecipientSigned, st.Recipients[1].Status)
}

func TestActionDuringInvitationIsNotOverwritten(t *testing.T) {
	h := newHarnessWithSlowOutbox(t, time.Hour)
	// Alice signs while her invitation is still being queued.
	h.at(time.Minute, contract.UpdateSign, sign("alice"))
	h.at(2*time.Minute, contract.UpdateSign, sign("bob"))

	st := h.run(input(recipient("alice", models.RoleSigner, 1), recipient("bob", models.RoleSigner, 2)))

	h.accepted(0)
	h.accepted(1)
	require.Equal(t, models.EnvelopeCompleted, st.Status)
	require.Equal(t, models.RecipientSigned, st.Recipients[0].Status)
}

func TestResendAndCorrectOnlyBeforeActing(t *testing.T) {
	h := newHarness(t)
	h.at(time.Hour, contract.UpdateResend, contract.ResendRequest{RecipientID: "alice"})
	h.at(2*time.Hour, contract.UpdateCorrect, contract.CorrectRequest{RecipientID: "cc", Email: "new-cc@example.com"})
	h.at(3*time.Hour, contract.UpdateResend, contract.ResendRequest{RecipientID: "bob"}) // not due
	h.at(4*time.Hour, contract.UpdateCorrect, contract.CorrectRequest{RecipientID: "bob", Email: "bob2@example.com"})
	h.at(5*time.Hour, contract.UpdateSign, sign("alice"))
	h.at(6*time.Hour, contract.UpdateCorrect, contract.CorrectRequest{RecipientID: "alice", Name: "Alicia"})
	h.at(7*time.Hour, contract.UpdateSign, sign("bob"))

	st := h.run(input(recipient("alice", models.RoleSigner, 1), recipient("cc", models.RoleCC, 1), recipient("bob", models.RoleSigner, 2)))

	h.accepted(0)
	require.Equal(t, 2, h.outcomes[0].state.Recipients[0].Generation, "the resend moved alice to a new link")
	h.accepted(1)
	h.rejectedWith(2, "not due yet")
	h.accepted(3) // bob has not acted: his details may change before his turn
	h.accepted(4)
	h.rejectedWith(5, "already signed")
	h.accepted(6)
	require.Equal(t, models.EnvelopeCompleted, st.Status)
	// Alice got a second invitation (sequence 2, her new link); bob, corrected
	// before his turn, is invited once, at his turn.
	var aliceInvites, bobInvites []int
	for _, n := range h.notesOf(models.NotifyInvitation) {
		switch n.RecipientID {
		case "alice":
			aliceInvites = append(aliceInvites, n.Sequence)
		case "bob":
			bobInvites = append(bobInvites, n.Sequence)
		}
	}
	require.ElementsMatch(t, []int{1, 2}, aliceInvites)
	require.Equal(t, []int{1}, bobInvites)
	require.Contains(t, h.eventTypes(), models.EventRecipientLinkReissued)
	require.Contains(t, h.eventTypes(), models.EventRecipientCorrected)
}

// A refusal for good reaches the envelope from the outbox dispatcher as an
// update (outbox-dispatch 1), or, for envelopes started before, as the
// result of their mail activity.
func TestARefusedAddressMarksItsRecipientAndTheRestGoOn(t *testing.T) {
	for _, dispatch := range []workflow.Version{1, workflow.DefaultVersion} {
		t.Run(fmt.Sprintf("outbox-dispatch %d", dispatch), func(t *testing.T) { refusedAddress(t, dispatch) })
	}
}

func refusedAddress(t *testing.T, dispatch workflow.Version) {
	h := newHarness(t)
	h.env.OnGetVersion("outbox-dispatch", workflow.DefaultVersion, 1).Return(dispatch)
	h.refuse = func(n contract.EnvelopeNotification) error {
		if n.RecipientID == "alice" && n.Kind == models.NotifyInvitation && n.Sequence == 1 {
			return temporal.NewNonRetryableApplicationError("550 no such user", contract.MailRefusedErrorType, nil)
		}
		return nil
	}
	// Bob, in the same order, is invited and signs while Alice's address is
	// refused; the sender corrects Alice's address and she signs.
	refusal := contract.DeliveryFailedRequest{RecipientID: "alice", Reason: "550 no such user"}
	first := 0
	if dispatch == 1 {
		// The dispatcher's report; a second one, and one about a recipient
		// who signed, change nothing.
		h.at(time.Minute, contract.UpdateDeliveryFailed, refusal)
		h.at(2*time.Minute, contract.UpdateDeliveryFailed, refusal)
		h.at(time.Hour+time.Minute, contract.UpdateDeliveryFailed, contract.DeliveryFailedRequest{RecipientID: "bob", Reason: "550"})
		first = 2
	}
	h.at(time.Hour, contract.UpdateSign, sign("bob"))
	h.at(2*time.Hour, contract.UpdateCorrect, contract.CorrectRequest{RecipientID: "alice", Email: "alice@right.example"})
	h.at(3*time.Hour, contract.UpdateSign, sign("alice"))

	st := h.run(input(recipient("alice", models.RoleSigner, 1), recipient("bob", models.RoleSigner, 1)))

	require.Equal(t, models.EnvelopeCompleted, st.Status)
	if dispatch == 1 {
		h.accepted(0)
		require.Equal(t, models.RecipientDeliveryFailed, h.outcomes[0].state.Recipient("alice").Status)
		h.rejectedWith(1, "alice is delivery_failed; a refused message changes nothing")
		h.rejectedWith(2, "bob is signed")
		h.outcomes = slices.Delete(h.outcomes, 2, 3)
	}
	h.accepted(first)
	h.accepted(first + 1)
	require.Equal(t, models.RecipientNotified, h.outcomes[first+1].state.Recipient("alice").Status, "invited again at the corrected address")
	h.accepted(first + 2)
	require.Contains(t, h.eventTypes(), models.EventRecipientDeliveryFailed)
	var failed models.Transition
	for _, tr := range h.transitions {
		if tr.Event.Type == models.EventRecipientDeliveryFailed {
			failed = tr
		}
	}
	require.Equal(t, "alice", failed.Event.RecipientID)
	require.Equal(t, models.RecipientDeliveryFailed, failed.Recipients[0].Status)
	require.Equal(t, models.EnvelopeInProgress, failed.Status, "the envelope goes on")
	var bobInvited bool
	for _, n := range h.sent {
		bobInvited = bobInvited || (n.RecipientID == "bob" && n.Kind == models.NotifyInvitation)
	}
	require.True(t, bobInvited)
}

func TestADocumentThatCannotBeRenderedWaitsForAnOperator(t *testing.T) {
	h := newHarness(t)
	h.failRender = func(n int) error {
		if n == 1 {
			return temporal.NewNonRetryableApplicationError("seal: broken font", contract.RenderFailedErrorType, nil)
		}
		return nil
	}
	h.at(time.Hour, contract.UpdateRetryRender, contract.RetryRenderRequest{}) // 0: nothing failed yet
	h.at(2*time.Hour, contract.UpdateSign, sign("alice"))
	h.at(3*time.Hour, contract.UpdateRetryRender, contract.RetryRenderRequest{}) // 2: after the fix

	st := h.run(input(recipient("alice", models.RoleSigner, 1)))

	h.rejectedWith(0, "only an envelope whose documents could not be rendered")
	h.accepted(2)
	require.Equal(t, models.EnvelopeCompleted, st.Status)
	require.Equal(t, 2, h.renders)
	types := h.eventTypes()
	require.Equal(t, []string{models.EventEnvelopeRenderFailed, models.EventEnvelopeRenderRetried, models.EventEnvelopeCompleted}, types[len(types)-3:])
}

func TestAnEnvelopeThatCannotBeRenderedCanBeVoided(t *testing.T) {
	h := newHarness(t)
	h.failRender = func(int) error {
		return temporal.NewNonRetryableApplicationError("stamp: damaged page", contract.RenderFailedErrorType, nil)
	}
	h.at(time.Hour, contract.UpdateSign, sign("alice"))
	h.at(2*time.Hour, contract.UpdateVoid, contract.VoidRequest{Reason: "the file is damaged"})

	st := h.run(input(recipient("alice", models.RoleSigner, 1)))

	h.accepted(1)
	require.Equal(t, models.EnvelopeVoided, st.Status)
	require.Equal(t, 1, h.renders, "no silent retry loop")
}

func TestTheAuditTrailFollowsTheWorkflowsOrder(t *testing.T) {
	h := newHarness(t)
	// Storing a signature is slow: without ordering, a later change (Carol's
	// signature, or the completion) would reach the store (and the audit
	// trail) before an earlier one. Carol's invitation is part of Bob's
	// signature.
	h.slowStore = func(tr models.Transition) time.Duration {
		if tr.Event.Type == models.EventRecipientSigned {
			return 50 * time.Millisecond
		}
		return 0
	}
	h.at(time.Hour, contract.UpdateSign, sign("alice"))
	h.at(2*time.Hour, contract.UpdateSign, sign("bob"))
	h.at(3*time.Hour, contract.UpdateSign, sign("carol"))
	h.run(input(recipient("alice", models.RoleSigner, 1), recipient("bob", models.RoleSigner, 1), recipient("carol", models.RoleSigner, 2)))

	require.True(t, slices.IsSorted(h.arrivals), "changes reach the store in the workflow's order: %v", h.arrivals)
	require.Len(t, h.arrivals, 5)
}

// A lean envelope stores every change with the mail it owes in one
// activity (versions 1 and 2: a local activity), and emails and renders on
// the background queue. An envelope started before keeps queueing each
// notification with an activity of its own, as its history recorded.
func TestLeanEnvelopesStoreEachChangeWithItsMail(t *testing.T) {
	three := input(recipient("alice", models.RoleSigner, 1), recipient("bob", models.RoleSigner, 1), recipient("carol", models.RoleSigner, 2))
	for _, tc := range []struct {
		name     string
		version  workflow.Version
		queued   int // QueueNotification activities
		sends    int // SendNotification activities
		batches  int // SendNotifications activities
		folded   workflow.Version
		dispatch workflow.Version
		changes  int // ApplyTransition activities
	}{
		// No mail activity at all: the outbox dispatchers send it.
		{"lean, mail sent by the outbox dispatchers", 3, 0, 0, 0, 1, 1, 5},
		// Alice's and Bob's invitations in one change, Carol's with Bob's
		// signature, the three completed copies.
		{"lean, invitations folded into the change that makes them due", 3, 0, 0, 3, 1, workflow.DefaultVersion, 5},
		// Alice's and Bob's invitations, Carol's, the three completed copies.
		{"lean, the mail of a change in one activity", 3, 0, 0, 4, workflow.DefaultVersion, workflow.DefaultVersion, 7},
		{"lean, writes as local activities", 2, 0, 0, 4, workflow.DefaultVersion, workflow.DefaultVersion, 7},
		{"lean, one activity a message", 1, 0, 6, 0, workflow.DefaultVersion, workflow.DefaultVersion, 7},
		{"started before", workflow.DefaultVersion, 6, 6, 0, workflow.DefaultVersion, workflow.DefaultVersion, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.env.OnGetVersion("lean-commits", workflow.DefaultVersion, 3).Return(tc.version)
			h.env.OnGetVersion("folded-invitations", workflow.DefaultVersion, 1).Return(tc.folded)
			h.env.OnGetVersion("outbox-dispatch", workflow.DefaultVersion, 1).Return(tc.dispatch)
			var mu sync.Mutex
			remote, local := map[string]int{}, map[string]int{}
			queues := map[string]bool{}
			h.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
				mu.Lock()
				defer mu.Unlock()
				remote[info.ActivityType.Name]++
				if name := info.ActivityType.Name; name == "SendNotification" || name == "SendNotifications" || name == "RenderFinalDocuments" {
					queues[info.TaskQueue] = true
				}
			})
			h.env.SetOnLocalActivityStartedListener(func(info *activity.Info, _ context.Context, _ []any) {
				mu.Lock()
				defer mu.Unlock()
				local[info.ActivityType.Name]++
			})
			for _, id := range []string{"alice", "bob", "carol"} {
				h.at(time.Hour, contract.UpdateSign, sign(id))
			}
			h.at(2*time.Hour, contract.UpdateSign, sign("carol"))

			st := h.run(three)

			require.Equal(t, models.EnvelopeCompleted, st.Status)
			require.Len(t, h.notesOf(models.NotifyInvitation), 3)
			require.Len(t, h.notesOf(models.NotifyCompleted), 3)
			require.ElementsMatch(t, h.notes, h.sent, "every queued notification is emailed")
			require.Len(t, h.transitions, tc.changes)
			require.Equal(t, []string{
				models.EventRecipientNotified, models.EventRecipientNotified, models.EventRecipientSigned, models.EventRecipientSigned,
				models.EventRecipientNotified, models.EventRecipientSigned, models.EventEnvelopeCompleted,
			}, h.eventTypes(), "the same events in the same order, folded or not")
			require.Equal(t, tc.sends, remote["SendNotification"])
			require.Equal(t, tc.batches, remote["SendNotifications"])
			require.Equal(t, 1, remote["RenderFinalDocuments"])
			require.Equal(t, tc.queued, remote["QueueNotification"])
			for _, tr := range h.transitions {
				if tc.dispatch == 1 {
					require.Equal(t, "default-test-taskqueue", tr.DispatchQueue, "the queue whose dispatchers send its mail")
				} else {
					require.Empty(t, tr.DispatchQueue)
				}
			}
			if tc.version >= 1 {
				require.Equal(t, map[string]bool{contract.BackgroundQueue("default-test-taskqueue"): true}, queues)
			}
			if tc.version == 1 || tc.version == 2 {
				require.Equal(t, len(h.transitions), local["ApplyTransition"])
				require.Zero(t, remote["ApplyTransition"])
			} else {
				require.Equal(t, len(h.transitions), remote["ApplyTransition"])
				require.Zero(t, local["ApplyTransition"])
			}
		})
	}
}

func TestReassignOnlyWhenAllowedAndDue(t *testing.T) {
	reassign := func(id string) contract.ReassignRequest {
		return contract.ReassignRequest{RecipientID: id, Name: "Bo Berg", Email: "bo@example.com", Reason: "Bo signs for us"}
	}
	t.Run("not allowed", func(t *testing.T) {
		h := newHarness(t)
		h.at(time.Hour, contract.UpdateReassign, reassign("alice"))
		h.at(2*time.Hour, contract.UpdateSign, sign("alice"))
		h.run(input(recipient("alice", models.RoleSigner, 1)))
		h.rejectedWith(0, "does not allow")
	})
	t.Run("allowed", func(t *testing.T) {
		h := newHarness(t)
		h.at(time.Hour, contract.UpdateReassign, reassign("bob")) // not due
		h.at(2*time.Hour, contract.UpdateReassign, reassign("alice"))
		h.at(3*time.Hour, contract.UpdateSign, sign("alice"))
		h.at(4*time.Hour, contract.UpdateReassign, reassign("alice")) // already signed
		h.at(5*time.Hour, contract.UpdateSign, sign("bob"))
		in := input(recipient("alice", models.RoleSigner, 1), recipient("bob", models.RoleSigner, 2))
		in.Settings.AllowReassign = true
		st := h.run(in)
		h.rejectedWith(0, "not due yet")
		h.accepted(1)
		require.Equal(t, 2, h.outcomes[1].state.Recipients[0].Generation, "the new person has a link of their own")
		h.rejectedWith(3, "already signed")
		require.Equal(t, models.EnvelopeCompleted, st.Status)
		require.Contains(t, h.eventTypes(), models.EventRecipientReassigned)
		var invites []int
		for _, n := range h.notesOf(models.NotifyInvitation) {
			if n.RecipientID == "alice" {
				invites = append(invites, n.Sequence)
			}
		}
		require.ElementsMatch(t, []int{1, 2}, invites, "the new person is invited")
	})
}

// From reissue-in-transition 1, a resend, a correction and a reassign are
// each one change that stores the new link with its invitation, which the
// outbox dispatchers send like every other message; envelopes started
// before keep their link and mail activities.
func TestAReissueStoresItsLinkAndInvitationInOneChange(t *testing.T) {
	for _, version := range []workflow.Version{1, workflow.DefaultVersion} {
		t.Run(fmt.Sprintf("reissue-in-transition %d", version), func(t *testing.T) {
			h := newHarness(t)
			h.env.OnGetVersion("reissue-in-transition", workflow.DefaultVersion, 1).Return(version)
			var mu sync.Mutex
			remote := map[string]int{}
			h.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
				mu.Lock()
				defer mu.Unlock()
				remote[info.ActivityType.Name]++
			})
			h.at(time.Hour, contract.UpdateResend, contract.ResendRequest{RecipientID: "alice"})
			h.at(2*time.Hour, contract.UpdateCorrect, contract.CorrectRequest{RecipientID: "alice", Email: "alicia@example.com"})
			h.at(3*time.Hour, contract.UpdateSign, sign("alice"))
			in := input(recipient("alice", models.RoleSigner, 1))
			st := h.run(in)

			require.Equal(t, models.EnvelopeCompleted, st.Status)
			var invites []int
			for _, n := range h.notesOf(models.NotifyInvitation) {
				invites = append(invites, n.Sequence)
			}
			require.Equal(t, []int{1, 2, 3}, invites, "the first link, the resent one, the corrected one")
			require.ElementsMatch(t, h.notes, h.sent, "every invitation is sent")
			var reissued []models.Reissue
			for _, tr := range h.transitions {
				if tr.Reissue != nil {
					reissued = append(reissued, *tr.Reissue)
					require.Len(t, tr.Notify, 1, "the invitation is stored with its link")
					require.Equal(t, tr.Reissue.Generation, tr.Notify[0].Sequence)
				}
			}
			if version == 1 {
				require.Equal(t, []models.Reissue{{RecipientID: "alice", Generation: 2}, {RecipientID: "alice", Generation: 3, Email: "alicia@example.com"}}, reissued)
				require.Zero(t, remote["ReissueLink"])
				require.Zero(t, remote["QueueNotification"])
				require.Zero(t, remote["SendNotifications"], "no mail activity at all: the dispatchers send it")
				return
			}
			require.Empty(t, reissued)
			require.Equal(t, 2, remote["ReissueLink"])
			require.Equal(t, 2, remote["QueueNotification"])
		})
	}
}

// registerActivities registers every activity by its name, for the tests
// to mock.
func registerActivities(env *testsuite.TestWorkflowEnvironment) {
	for _, group := range []any{&activities.Envelopes{}, &activities.Render{}, &activities.Mail{}, &activities.Webhooks{},
		&activities.Bulk{}, &activities.Retention{}, &activities.Reconcile{}} {
		env.RegisterActivity(group)
	}
}
