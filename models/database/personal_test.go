package database_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/internal/keys/keyring"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/models/database"
)

func sealedStore(t *testing.T) *database.Store {
	t.Helper()
	store := newStore(t)
	ring, err := keyring.Parse(keyring.NewKey("k1"))
	require.NoError(t, err)
	store.PersonalDataKeys = ring
	return store
}

func TestPersonalDataIsSealedPerRecipientAndErasedWithTheChainIntact(t *testing.T) {
	ctx := context.Background()
	store := sealedStore(t)
	seed(t, store)
	viewed := models.Event{EnvelopeID: "env", TenantID: "t", Key: "viewed", Type: models.EventRecipientViewed, RecipientID: "r1",
		ActorType: models.ActorRecipient, Actor: "a@example.com", IP: "203.0.113.7", UserAgent: "Firefox/140",
		Details: map[string]any{"reason": "Zainab's words"}, OccurredAt: time.Now()}
	require.NoError(t, store.AppendEvent(ctx, viewed))

	var raw models.Event
	require.NoError(t, store.DB.Where("envelope_id = ? AND key = ?", "env", "viewed").Take(&raw).Error)
	require.Empty(t, raw.Actor)
	require.Empty(t, raw.IP)
	require.Empty(t, raw.UserAgent)
	require.Empty(t, raw.Details)
	require.Contains(t, raw.Sealed, "v1:")
	require.NotContains(t, raw.Sealed, "203.0.113.7")

	events, err := store.Events(ctx, "env")
	require.NoError(t, err)
	require.Nil(t, models.VerifyChain("env", events))
	opened := events[len(events)-1]
	require.Equal(t, "a@example.com", opened.Actor, "opened for those with the keys")
	require.Equal(t, "203.0.113.7", opened.IP)
	require.Equal(t, "Zainab's words", opened.Details["reason"])

	_, err = store.EraseRecipient(ctx, "t", "r1", "request 7", models.Event{ActorType: models.ActorAPI, Actor: "client"})
	require.ErrorIs(t, err, models.ErrStillOpen, "an envelope in progress keeps its recipients")
	require.NoError(t, store.ApplyTransition(ctx, transition(2, models.EnvelopeVoided, models.RecipientViewed)))
	_, err = store.SetLegalHold(ctx, "t", "env", "litigation", models.Event{ActorType: models.ActorAPI, Actor: "client"})
	require.NoError(t, err)
	_, err = store.EraseRecipient(ctx, "t", "r1", "request 7", models.Event{ActorType: models.ActorAPI, Actor: "client"})
	require.ErrorIs(t, err, models.ErrLegalHold)
	_, err = store.SetLegalHold(ctx, "t", "env", "", models.Event{ActorType: models.ActorAPI, Actor: "client"})
	require.NoError(t, err)
	_, err = store.EraseRecipient(ctx, "other-tenant", "r1", "request 7", models.Event{})
	require.ErrorIs(t, err, models.ErrNotFound)

	for range 2 { // erasing twice is harmless
		_, err = store.EraseRecipient(ctx, "t", "r1", "request 7", models.Event{ActorType: models.ActorAPI, Actor: "client"})
		require.NoError(t, err)
	}
	events, err = store.Events(ctx, "env")
	require.NoError(t, err)
	require.Nil(t, models.VerifyChain("env", events), "every hash still holds")
	for _, e := range events {
		if e.RecipientID == "r1" {
			require.Empty(t, e.IP)
			require.Empty(t, e.Actor)
			require.Equal(t, models.ErasedDetails, e.Details)
		}
	}
	require.Equal(t, models.EventDataSubjectErased, events[len(events)-1].Type)
	env, err := store.GetEnvelope(ctx, "t", "env")
	require.NoError(t, err)
	require.Equal(t, models.ErasedName, env.Recipients[0].Name)
	require.Equal(t, models.ErasedEmail("r1"), env.Recipients[0].Email)
	require.NotNil(t, env.Recipients[0].ErasedAt)
	require.Equal(t, "request 7", env.Recipients[0].ErasedReason)
}

// Without the data keys the sealed trail cannot be read, and says so.
func TestASealedTrailNeedsTheKeys(t *testing.T) {
	ctx := context.Background()
	store := sealedStore(t)
	seed(t, store)
	require.NoError(t, store.AppendEvent(ctx, models.Event{EnvelopeID: "env", TenantID: "t", Key: "viewed", Type: models.EventRecipientViewed,
		RecipientID: "r1", ActorType: models.ActorRecipient, Actor: "a@example.com", OccurredAt: time.Now()}))
	store.PersonalDataKeys = nil
	_, err := store.Events(ctx, "env")
	require.ErrorContains(t, err, "SIGNFLOW_DATA_KEYS")
}

// A change beneath the trail to a sealed event's personal columns, which
// the seal makes empty, is reported by the chain like any other.
func TestAlteringASealedEventIsFound(t *testing.T) {
	ctx := context.Background()
	store := sealedStore(t)
	seed(t, store)
	require.NoError(t, store.AppendEvent(ctx, models.Event{EnvelopeID: "env", TenantID: "t", Key: "viewed", Type: models.EventRecipientViewed,
		RecipientID: "r1", ActorType: models.ActorRecipient, Actor: "a@example.com", IP: "203.0.113.7", OccurredAt: time.Now()}))
	require.NoError(t, store.DB.Exec("DROP TRIGGER events_no_update").Error)
	require.NoError(t, store.DB.Exec("UPDATE events SET ip = '10.0.0.1' WHERE key = 'viewed'").Error)
	events, err := store.Events(ctx, "env")
	require.NoError(t, err)
	broken := models.VerifyChain("env", events)
	require.NotNil(t, broken)
	require.EqualValues(t, 2, broken.Seq)
}
