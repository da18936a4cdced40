package database_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/models"
)

// The outbox rows a change owes carry its dispatch queue; dispatchers of
// that queue alone see them, one claim wins among many, and a row comes
// back only once its claim or backoff has run out, until sent or refused.
func TestOutboxRowsAreClaimedOnceAndComeBackUntilDone(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	seed(t, store)
	tr := transition(2, models.EnvelopeInProgress, models.RecipientNotified)
	tr.Notify = []models.Notification{{RecipientID: "r1", Kind: models.NotifyInvitation, Sequence: 1}}
	tr.DispatchQueue = "q"
	require.NoError(t, store.ApplyTransition(ctx, tr))
	legacy := transition(3, models.EnvelopeInProgress, models.RecipientNotified)
	legacy.Notify = []models.Notification{{RecipientID: "r1", Kind: models.NotifyReminder, Sequence: 1}}
	require.NoError(t, store.ApplyTransition(ctx, legacy)) // sent by the envelope's own activity

	now := time.Now()
	other, err := store.DueNotifications(ctx, "another-queue", now, 10)
	require.NoError(t, err)
	require.Empty(t, other)
	due, err := store.DueNotifications(ctx, "q", now, 10)
	require.NoError(t, err)
	require.Len(t, due, 1, "only the dispatched row")
	require.Equal(t, models.NotifyInvitation, due[0].Kind)
	row := due[0]

	// Eight dispatchers at once: one claim.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		n := due[0]
		wg.Go(func() {
			claimed, err := store.ClaimNotification(ctx, &n, now, now.Add(2*time.Minute))
			require.NoError(t, err)
			if claimed {
				wins.Add(1)
				require.Equal(t, 1, n.Attempts)
			}
		})
	}
	wg.Wait()
	require.EqualValues(t, 1, wins.Load())

	// Claimed: not due until the claim runs out.
	for _, at := range []time.Time{now, now.Add(time.Minute)} {
		due, err = store.DueNotifications(ctx, "q", at, 10)
		require.NoError(t, err)
		require.Empty(t, due)
	}
	// Renewed while the attempt runs; then, unrenewed, it runs out.
	require.NoError(t, store.PutOffNotification(ctx, row.ID, now.Add(3*time.Minute)))
	due, err = store.DueNotifications(ctx, "q", now.Add(150*time.Second), 10)
	require.NoError(t, err)
	require.Empty(t, due)
	due, err = store.DueNotifications(ctx, "q", now.Add(4*time.Minute), 10)
	require.NoError(t, err)
	require.Len(t, due, 1, "a dispatcher that died mid-send leaves it to the others")

	// A failed attempt backs off; then it is due again, and a refusal ends it.
	require.NoError(t, store.PutOffNotification(ctx, due[0].ID, now.Add(5*time.Second)))
	due, err = store.DueNotifications(ctx, "q", now.Add(time.Second), 10)
	require.NoError(t, err)
	require.Empty(t, due)
	due, err = store.DueNotifications(ctx, "q", now.Add(6*time.Second), 10)
	require.NoError(t, err)
	require.Len(t, due, 1)
	require.Equal(t, 1, due[0].Attempts)
	refused := due[0]
	require.NoError(t, store.MarkRefused(ctx, refused.ID, now))
	due, err = store.DueNotifications(ctx, "q", now.Add(time.Hour), 10)
	require.NoError(t, err)
	require.Empty(t, due)
	claimed, err := store.ClaimNotification(ctx, &refused, now.Add(time.Hour), now.Add(2*time.Hour))
	require.NoError(t, err)
	require.False(t, claimed)
}
