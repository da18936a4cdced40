package database_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/models"
)

func TestEventsAreAppendOnlyInTheDatabase(t *testing.T) {
	store := newStore(t)
	seed(t, store)
	for _, stmt := range []string{
		"UPDATE events SET type = 'forged' WHERE envelope_id = 'env'",
		"DELETE FROM events WHERE envelope_id = 'env'",
	} {
		err := store.DB.Exec(stmt).Error
		require.ErrorContains(t, err, "append-only", stmt)
	}
}

func TestRetriedTransitionAppendsOnce(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	seed(t, store)
	tr := transition(2, models.EnvelopeInProgress, models.RecipientSigned)
	tr.Event.ActorType, tr.Event.RecipientID, tr.Event.IP = models.ActorRecipient, "r1", "192.0.2.7"
	// The first attempt committed but its result was lost; Temporal retries.
	require.NoError(t, store.ApplyTransition(ctx, tr))
	require.NoError(t, store.ApplyTransition(ctx, tr))

	events, err := store.Events(ctx, "env")
	require.NoError(t, err)
	require.Len(t, events, 2)
	signed := events[1]
	require.Equal(t, "a@example.com", signed.Actor, "the actor is the recipient's email")
	require.Equal(t, "192.0.2.7", signed.IP)
	require.Equal(t, events[0].Hash, signed.PrevHash)
	require.Equal(t, "env", events[0].PrevHash, "the first event is chained to the envelope ID")
	require.Nil(t, models.VerifyChain("env", events))
}

func TestVerifyChainNamesTheFirstAlteredEvent(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	seed(t, store)
	for v := int64(2); v <= 4; v++ {
		require.NoError(t, store.ApplyTransition(ctx, transition(v, models.EnvelopeInProgress, models.RecipientNotified)))
	}
	// Someone with database access removes the trigger and edits event 3.
	require.NoError(t, store.DB.Exec("DROP TRIGGER events_no_update").Error)
	require.NoError(t, store.DB.Exec(`UPDATE events SET ip = '10.9.9.9' WHERE envelope_id = 'env' AND seq = 3`).Error)

	events, err := store.Events(ctx, "env")
	require.NoError(t, err)
	brk := models.VerifyChain("env", events)
	require.NotNil(t, brk)
	require.EqualValues(t, 3, brk.Seq)
	require.Contains(t, brk.Reason, "changed after it was recorded")

	// A removed event is caught at the event that follows the gap.
	gap := models.VerifyChain("env", append(events[:1:1], events[2:]...))
	require.NotNil(t, gap)
	require.EqualValues(t, 3, gap.Seq)
	require.Contains(t, gap.Reason, "missing")
}
