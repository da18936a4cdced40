package database_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/models"
)

func TestIdempotencyKeyLifecycle(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	now := time.Now().UTC()
	key := func(tenant, k, fp string, at time.Time) models.IdempotencyKey {
		return models.IdempotencyKey{TenantID: tenant, Key: k, Fingerprint: fp, CreatedAt: at, ExpiresAt: at.Add(24 * time.Hour)}
	}
	const lock = 2 * time.Minute

	_, claimed, err := store.ClaimIdempotencyKey(ctx, key("t1", "k", "a", now), lock)
	require.NoError(t, err)
	require.True(t, claimed, "the first request does the work")

	stored, claimed, err := store.ClaimIdempotencyKey(ctx, key("t1", "k", "a", now), lock)
	require.NoError(t, err)
	require.False(t, claimed)
	require.True(t, stored.Running(), "a retry meanwhile finds it running")

	_, claimed, err = store.ClaimIdempotencyKey(ctx, key("t2", "k", "b", now), lock)
	require.NoError(t, err)
	require.True(t, claimed, "keys are per tenant")

	done := key("t1", "k", "a", now)
	done.Status, done.ContentType, done.Body = 201, "application/json", []byte(`{"id":"e1"}`)
	require.NoError(t, store.FinishIdempotencyKey(ctx, done))
	stored, claimed, err = store.ClaimIdempotencyKey(ctx, key("t1", "k", "a", now.Add(time.Hour)), lock)
	require.NoError(t, err)
	require.False(t, claimed)
	require.False(t, stored.Running())
	require.Equal(t, `{"id":"e1"}`, string(stored.Body))

	_, claimed, err = store.ClaimIdempotencyKey(ctx, key("t2", "k", "b", now.Add(5*time.Minute)), lock)
	require.NoError(t, err)
	require.True(t, claimed, "a request whose process died frees its key once the lock passes")

	_, claimed, err = store.ClaimIdempotencyKey(ctx, key("t1", "k", "c", now.Add(25*time.Hour)), lock)
	require.NoError(t, err)
	require.True(t, claimed, "after 24 h the key is new again")
	var left int64
	require.NoError(t, store.DB.Model(&models.IdempotencyKey{}).Count(&left).Error)
	require.EqualValues(t, 1, left, "expired keys of every tenant are swept")
}

func TestATakenOverKeyKeepsItsResource(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	now := time.Now().UTC()
	const lease = 10 * time.Second
	first := models.IdempotencyKey{TenantID: "t", Key: "k", Fingerprint: "a", ResourceID: "env-1", CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
	_, claimed, err := store.ClaimIdempotencyKey(ctx, first, lease)
	require.NoError(t, err)
	require.True(t, claimed)

	retry := first
	retry.ResourceID, retry.CreatedAt = "env-2", now.Add(time.Second)
	_, claimed, err = store.ClaimIdempotencyKey(ctx, retry, lease)
	require.NoError(t, err)
	require.False(t, claimed, "the lease is alive")
	require.NoError(t, store.RenewIdempotencyKey(ctx, "t", "k", now.Add(lease+5*time.Second)))
	retry.CreatedAt = now.Add(lease + time.Second)
	_, claimed, err = store.ClaimIdempotencyKey(ctx, retry, lease)
	require.NoError(t, err)
	require.False(t, claimed, "a renewed lease is still alive")

	other := retry
	other.Fingerprint, other.CreatedAt = "b", now.Add(time.Minute)
	stored, claimed, err := store.ClaimIdempotencyKey(ctx, other, lease)
	require.NoError(t, err)
	require.False(t, claimed, "another request never takes a key over")
	require.Equal(t, "a", stored.Fingerprint)

	retry.CreatedAt = now.Add(time.Minute)
	stored, claimed, err = store.ClaimIdempotencyKey(ctx, retry, lease)
	require.NoError(t, err)
	require.True(t, claimed, "the holder is known dead once its lease passes")
	require.Equal(t, "env-1", stored.ResourceID, "the retry finishes the first request's resource")

	require.NoError(t, store.ReleaseIdempotencyKey(ctx, "t", "k", now.Add(time.Minute)))
	retry.CreatedAt = now.Add(time.Minute + time.Millisecond)
	stored, claimed, err = store.ClaimIdempotencyKey(ctx, retry, lease)
	require.NoError(t, err)
	require.True(t, claimed, "a released key is taken over at once")
	require.Equal(t, "env-1", stored.ResourceID)
}
