package models_test

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
