package database_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/models/database"
)

func newStore(t *testing.T) *database.Store {
	t.Helper()
	store, err := database.Open(filepath.Join(t.TempDir(), "signflow.db"))
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	require.NoError(t, database.Migrate(store.DB))
	require.NoError(t, database.Migrate(store.DB), "migrating twice is a no-op")
	return store
}

func seed(t *testing.T, store *database.Store) *models.Envelope {
	t.Helper()
	now := time.Now().UTC()
	env := &models.Envelope{ID: "env", TenantID: "t", Subject: "s", Status: models.EnvelopeInProgress, Version: 1, CreatedAt: now,
		Recipients: []models.Recipient{{ID: "r1", TenantID: "t", Name: "A", Email: "a@example.com", Role: models.RoleSigner,
			RoutingOrder: 1, Status: models.RecipientWaiting, TokenHash: "h1"}},
		Fields: []models.Field{{ID: "f1", TenantID: "t", DocumentID: "d", RecipientID: "r1", Type: models.FieldText, Page: 1, Width: 0.1, Height: 0.1}},
	}
	require.NoError(t, store.CreateEnvelope(context.Background(), env, models.Event{Type: "envelope.created",
		ActorType: models.ActorAPI, Actor: "client", OccurredAt: now}))
	return env
}

func transition(version int64, status, recipientStatus string) models.Transition {
	return models.Transition{
		EnvelopeID: "env", TenantID: "t", Version: version, Status: status,
		Recipients: []models.RecipientState{{ID: "r1", Status: recipientStatus}},
		Event:      models.Event{Type: "e" + status, OccurredAt: time.Now().UTC()},
	}
}

func TestApplyTransitionIsIdempotentAndConverges(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	seed(t, store)
	newer := transition(3, models.EnvelopeCompleted, models.RecipientSigned)
	newer.Values = []models.FieldValue{{FieldID: "f1", Text: "PO-1"}}
	older := transition(2, models.EnvelopeInProgress, models.RecipientNotified)

	// Retried and out of order: the newest snapshot wins, each event once.
	var wg sync.WaitGroup
	for _, tr := range []models.Transition{newer, older, newer, older} {
		wg.Go(func() { require.NoError(t, store.ApplyTransition(ctx, tr)) })
	}
	wg.Wait()

	env, err := store.GetEnvelope(ctx, "t", "env")
	require.NoError(t, err)
	require.Equal(t, models.EnvelopeCompleted, env.Status)
	require.EqualValues(t, 3, env.Version)
	require.Equal(t, models.RecipientSigned, env.Recipients[0].Status)
	require.Equal(t, "PO-1", env.Fields[0].Value)
	events, err := store.Events(ctx, "env")
	require.NoError(t, err)
	require.Len(t, events, 3)
	for i, e := range events {
		require.EqualValues(t, i+1, e.Seq)
	}
	require.Nil(t, models.VerifyChain("env", events), "the chain holds under concurrent appends")
	_, err = store.GetEnvelope(ctx, "other-tenant", "env")
	require.ErrorIs(t, err, models.ErrNotFound)
}

func TestQueueNotificationOncePerKey(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	seed(t, store)
	n := models.QueuedNotification{EnvelopeID: "env", TenantID: "t", RecipientID: "r1", Kind: models.NotifyReminder, Sequence: 1, Email: "a@example.com", Subject: "s"}
	added, err := store.QueueNotification(ctx, n)
	require.NoError(t, err)
	require.True(t, added)
	added, err = store.QueueNotification(ctx, n)
	require.NoError(t, err)
	require.False(t, added, "a retry adds nothing")
	n.Sequence = 2
	added, err = store.QueueNotification(ctx, n)
	require.NoError(t, err)
	require.True(t, added, "the second reminder is a new message")
	all, err := store.Notifications(ctx, "env")
	require.NoError(t, err)
	require.Len(t, all, 2)
}

func TestBacklogCountsWhatWaits(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	empty, err := store.Backlog(ctx)
	require.NoError(t, err)
	require.Equal(t, models.Backlog{}, empty)

	seed(t, store)
	queued := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
	n := models.QueuedNotification{EnvelopeID: "env", TenantID: "t", RecipientID: "r1", Kind: models.NotifyInvitation, Sequence: 1,
		Email: "a@example.com", Subject: "s", CreatedAt: queued}
	_, err = store.QueueNotification(ctx, n)
	require.NoError(t, err)
	b, err := store.Backlog(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 1, b.OpenEnvelopes)
	require.EqualValues(t, 1, b.PendingEmails)
	require.WithinDuration(t, queued, b.OldestPendingEmail, time.Second)
	require.True(t, b.OldestPendingWebhook.IsZero())

	refused := transition(2, models.EnvelopeInProgress, models.RecipientDeliveryFailed)
	require.NoError(t, store.ApplyTransition(ctx, refused))
	b, err = store.Backlog(ctx)
	require.NoError(t, err)
	require.Zero(t, b.PendingEmails, "mail refused for good waits for nothing")
	require.NoError(t, store.ApplyTransition(ctx, transition(3, models.EnvelopeVoided, models.RecipientDeliveryFailed)))
	b, err = store.Backlog(ctx)
	require.NoError(t, err)
	require.Zero(t, b.OpenEnvelopes)
}

func TestRetentionListsWhatIsPastItsPeriodAndHonoursLegalHolds(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	seed(t, store)
	now := time.Now().UTC()
	require.NoError(t, store.ApplyTransition(ctx, transition(2, models.EnvelopeCompleted, models.RecipientSigned)))
	due, err := store.DueForRetention(ctx, "", now.Add(100*24*time.Hour), 10)
	require.NoError(t, err)
	require.Empty(t, due, "no policy keeps everything")

	require.NoError(t, store.SetRetentionPolicy(ctx, models.RetentionPolicy{TenantID: "t", CompletedDays: 90, OtherDays: 30}))
	for _, tc := range []struct {
		name string
		at   time.Time
		want int
	}{
		{"within the period", now.Add(89 * 24 * time.Hour), 0},
		{"past the completed period", now.Add(91 * 24 * time.Hour), 1},
	} {
		due, err := store.DueForRetention(ctx, "t", tc.at, 10)
		require.NoError(t, err)
		require.Len(t, due, tc.want, tc.name)
	}
	later := now.Add(91 * 24 * time.Hour)

	env, err := store.SetLegalHold(ctx, "t", "env", "litigation 2026-114", models.Event{ActorType: models.ActorAPI, Actor: "client"})
	require.NoError(t, err)
	require.Equal(t, "env", env.ID)
	_, err = store.SetLegalHold(ctx, "t", "env", "again", models.Event{ActorType: models.ActorAPI, Actor: "client"})
	require.NoError(t, err, "placing a hold twice records it once")
	due, err = store.DueForRetention(ctx, "t", later, 10)
	require.NoError(t, err)
	require.Empty(t, due, "a legal hold keeps the documents")
	_, err = store.MarkDocumentsDeleted(ctx, "env", models.SystemEvent("", nil))
	require.ErrorIs(t, err, models.ErrLegalHold)
	_, err = store.SetLegalHold(ctx, "other-tenant", "env", "", models.Event{})
	require.ErrorIs(t, err, models.ErrNotFound)

	_, err = store.SetLegalHold(ctx, "t", "env", "", models.Event{ActorType: models.ActorAPI, Actor: "client"})
	require.NoError(t, err)
	marked, err := store.MarkDocumentsDeleted(ctx, "env", models.SystemEvent("", map[string]any{"policy_days": 90}))
	require.NoError(t, err)
	require.True(t, marked)
	marked, err = store.MarkDocumentsDeleted(ctx, "env", models.SystemEvent("", nil))
	require.NoError(t, err)
	require.False(t, marked, "once")
	due, err = store.DueForRetention(ctx, "t", later, 10)
	require.NoError(t, err)
	require.Empty(t, due)

	events, err := store.Events(ctx, "env")
	require.NoError(t, err)
	var types []string
	for _, e := range events {
		types = append(types, e.Type)
	}
	require.Equal(t, []string{"envelope.created", "ecompleted", models.EventLegalHoldPlaced, models.EventLegalHoldReleased, models.EventDocumentsDeleted}, types)
	require.Nil(t, models.VerifyChain("env", events), "the chain holds")
}

// The SQLite linked in is kept current: modernc.org/sqlite is pinned in
// go.mod above what glebarez/sqlite asks for (SQLite 3.41, from 2023).
func TestTheEmbeddedSQLiteIsCurrent(t *testing.T) {
	store := newStore(t)
	var version string
	require.NoError(t, store.DB.Raw("SELECT sqlite_version()").Scan(&version).Error)
	var major, minor int
	_, err := fmt.Sscanf(version, "%d.%d", &major, &minor)
	require.NoError(t, err)
	require.GreaterOrEqual(t, major*100+minor, 349, "SQLite %s", version)
}
