package workflows_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/signflow/signflow/activities"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/models/database"
	"github.com/signflow/signflow/workflows/contract"
)

// Every audit write succeeds, then its activity fails before reporting, as
// when a worker dies right after the commit. Temporal retries each one; the
// real store must still hold exactly one event per change, chained intact.
func TestFailureAfterTheAuditInsertAppendsOnce(t *testing.T) {
	store, err := database.Open(filepath.Join(t.TempDir(), "audit.db"))
	require.NoError(t, err)
	defer store.Close()
	require.NoError(t, database.Migrate(store.DB))
	env := &models.Envelope{ID: "env-1", TenantID: "default", Subject: "s", Status: models.EnvelopeInProgress, Version: 1, CreatedAt: t0,
		Recipients: []models.Recipient{
			{ID: "alice", TenantID: "default", Name: "A", Email: "a@example.com", Role: models.RoleSigner, RoutingOrder: 1, Status: models.RecipientWaiting, TokenHash: "a"},
			{ID: "bob", TenantID: "default", Name: "B", Email: "b@example.com", Role: models.RoleSigner, RoutingOrder: 1, Status: models.RecipientWaiting, TokenHash: "b"},
		}}
	require.NoError(t, store.CreateEnvelope(context.Background(), env, models.Event{Type: models.EventEnvelopeCreated, ActorType: models.ActorAPI, OccurredAt: t0}))

	real := &activities.Envelopes{Store: store}
	var mu sync.Mutex
	failedOnce := map[int64]bool{}
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	h := &harness{t: t, env: suite.NewTestWorkflowEnvironment()}
	h.env.SetStartTime(t0)
	registerActivities(h.env)
	h.env.OnActivity(contract.ApplyTransitionActivity, mock.Anything, mock.Anything).Return(func(ctx context.Context, tr models.Transition) error {
		if err := real.ApplyTransition(ctx, tr); err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		if !failedOnce[tr.Version] {
			failedOnce[tr.Version] = true
			return errors.New("worker lost before reporting success")
		}
		return nil
	})
	for _, fn := range []any{contract.QueueNotificationActivity, contract.SendNotificationActivity} {
		h.env.OnActivity(fn, mock.Anything, mock.Anything).Return(nil)
	}
	h.env.OnActivity(contract.RenderFinalDocumentsActivity, mock.Anything, mock.Anything).Return([]contract.FinalDocument{}, nil)
	// Two signers acting in the same instant: their commits race.
	h.at(time.Hour, contract.UpdateSign, sign("alice"))
	h.at(time.Hour, contract.UpdateSign, sign("bob"))

	st := h.run(input(recipient("alice", models.RoleSigner, 1), recipient("bob", models.RoleSigner, 1)))

	require.Equal(t, models.EnvelopeCompleted, st.Status)
	events, err := store.Events(context.Background(), "env-1")
	require.NoError(t, err)
	// created, 2 notified and their 2 invitations queued, 2 signed,
	// completed and its 2 copies queued: one each despite every write being
	// retried.
	require.Len(t, events, 10)
	require.Len(t, failedOnce, 4) // four changes: the two invitations are one
	require.Equal(t, 2, countType(events, models.EventRecipientNotified), "each folded invitation once")
	require.Nil(t, models.VerifyChain("env-1", events))
	stored, err := store.GetEnvelope(context.Background(), "default", "env-1")
	require.NoError(t, err)
	require.Equal(t, models.EnvelopeCompleted, stored.Status)
	require.EqualValues(t, st.Version, stored.Version)
}

func countType(events []models.Event, typ string) int {
	n := 0
	for _, e := range events {
		if e.Type == typ {
			n++
		}
	}
	return n
}
