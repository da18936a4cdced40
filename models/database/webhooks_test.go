package database_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/models"
)

// A webhook secret signs deliveries, so it is kept whole: sealed under the
// data keys, so that a copy of the database cannot forge deliveries, and
// bound to its subscription.
func TestWebhookSecretsAreStoredSealed(t *testing.T) {
	ctx := context.Background()
	store := sealedStore(t)
	raw := func(id string) (secret, previous string) {
		row := map[string]any{}
		require.NoError(t, store.DB.Table("webhook_subscriptions").Where("id = ?", id).Take(&row).Error)
		previous, _ = row["previous_secret"].(string)
		return row["secret"].(string), previous
	}

	w := models.WebhookSubscription{ID: "wh_1", TenantID: "t", URL: "https://example.com/hook", Secret: "whsec_first", CreatedAt: time.Now()}
	require.NoError(t, store.CreateWebhook(ctx, w))
	stored, _ := raw("wh_1")
	require.NotContains(t, stored, "whsec_first")
	got, err := store.GetWebhook(ctx, "t", "wh_1")
	require.NoError(t, err)
	require.Equal(t, "whsec_first", got.Secret)

	until := time.Now().Add(time.Hour)
	require.NoError(t, store.UpdateWebhook(ctx, got, map[string]any{"secret": "whsec_second", "previous_secret": got.Secret, "previous_secret_until": until}))
	require.Equal(t, "whsec_second", got.Secret, "the caller keeps the clear secret")
	stored, previous := raw("wh_1")
	require.NotContains(t, stored+previous, "whsec_")
	byID, err := store.WebhookByID(ctx, "wh_1")
	require.NoError(t, err)
	require.Equal(t, []string{"whsec_second", "whsec_first"}, []string{byID.Secret, byID.PreviousSecret})

	// A row sealed for one subscription does not open as another's.
	require.NoError(t, store.CreateWebhook(ctx, models.WebhookSubscription{ID: "wh_2", TenantID: "t", URL: "https://example.com/2", Secret: "x", CreatedAt: time.Now()}))
	require.NoError(t, store.DB.Table("webhook_subscriptions").Where("id = ?", "wh_2").Update("secret", stored).Error)
	_, err = store.WebhookByID(ctx, "wh_2")
	require.Error(t, err)

	// Secrets stored in clear before sealing are sealed by one call.
	require.NoError(t, store.DB.Table("webhook_subscriptions").Where("id = ?", "wh_2").Update("secret", "whsec_legacy").Error)
	legacy, err := store.WebhookByID(ctx, "wh_2")
	require.NoError(t, err)
	require.Equal(t, "whsec_legacy", legacy.Secret, "a clear secret still reads")
	require.NoError(t, store.SealWebhookSecrets(ctx))
	stored, _ = raw("wh_2")
	require.NotContains(t, stored, "whsec_legacy")
	legacy, err = store.WebhookByID(ctx, "wh_2")
	require.NoError(t, err)
	require.Equal(t, "whsec_legacy", legacy.Secret)
}
