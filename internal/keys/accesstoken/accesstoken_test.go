package accesstoken_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/signflow/signflow/internal/keys/accesstoken"
	"github.com/signflow/signflow/internal/keys/keyring"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/models/database"
)

// storeWithClient is a migrated SQLite store holding one client of tenant t1.
func storeWithClient(tb testing.TB) (*database.Store, models.APIClient) {
	tb.Helper()
	store, err := database.Open(filepath.Join(tb.TempDir(), "keys.db"))
	require.NoError(tb, err)
	tb.Cleanup(func() { store.Close() })
	require.NoError(tb, database.Migrate(store.DB))
	client, _ := accesstoken.NewClient("t1", "test", models.Scopes, time.Now())
	require.NoError(tb, store.CreateClient(context.Background(), client))
	return store, client
}

func TestKeysRotateAndOldTokensLiveOut(t *testing.T) {
	ctx := context.Background()
	store, client := storeWithClient(t)

	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	auth := &accesstoken.Authority{Store: store, Issuer: "https://sf.example", Audience: "https://sf.example",
		TTL: 15 * time.Minute, Rotation: 24 * time.Hour, Now: func() time.Time { return now }}
	kids := func() []string {
		data, err := auth.JWKS(ctx)
		require.NoError(t, err)
		var set struct {
			Keys []struct {
				Kid string `json:"kid"`
				Alg string `json:"alg"`
			} `json:"keys"`
		}
		require.NoError(t, json.Unmarshal(data, &set))
		var out []string
		for _, k := range set.Keys {
			require.Equal(t, "ES256", k.Alg)
			out = append(out, k.Kid)
		}
		return out
	}

	old, err := auth.Issue(ctx, &client, client.Scopes)
	require.NoError(t, err)
	first := kids()
	require.Len(t, first, 1)

	now = now.Add(12*time.Hour + 5*time.Minute) // five minutes into the next key's day
	fresh, err := auth.Issue(ctx, &client, client.Scopes)
	require.NoError(t, err)
	second := kids()
	require.Len(t, second, 2, "the old key stays published while its tokens may live")
	require.Contains(t, second, first[0])
	p, err := auth.Verify(ctx, fresh)
	require.NoError(t, err)
	require.Equal(t, "t1", p.TenantID)
	_, err = auth.Verify(ctx, old)
	require.ErrorIs(t, err, accesstoken.ErrInvalid, "expired by now, whatever its key")

	now = now.Add(24 * time.Hour)
	third := kids()
	require.Len(t, third, 2)
	require.NotContains(t, third, first[0], "a key is withdrawn once every token it signed has expired")
	_, err = auth.Verify(ctx, fresh)
	require.ErrorIs(t, err, accesstoken.ErrInvalid)
}

// BenchmarkVerify is the per-request cost of checking a token: ES256 and
// the revocation lookup (SQLite here).
func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	store, client := storeWithClient(b)
	auth := &accesstoken.Authority{Store: store, Issuer: "https://sf.example", Audience: "https://sf.example",
		TTL: 15 * time.Minute, Rotation: 24 * time.Hour}
	token, err := auth.Issue(ctx, &client, client.Scopes)
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := auth.Verify(ctx, token); err != nil {
			b.Fatal(err)
		}
	}
}

func TestMadeUpKeyIDsCostOneLookupASecond(t *testing.T) {
	ctx := context.Background()
	store, client := storeWithClient(t)
	auth := &accesstoken.Authority{Store: store, Issuer: "https://sf.example", Audience: "https://sf.example",
		TTL: 15 * time.Minute, Rotation: 24 * time.Hour}
	good, err := auth.Issue(ctx, &client, client.Scopes)
	require.NoError(t, err)
	var lookups atomic.Int64
	require.NoError(t, store.DB.Callback().Query().After("gorm:query").Register("count_key_lookups", func(db *gorm.DB) {
		if db.Statement.Table == "token_keys" {
			lookups.Add(1)
		}
	}))
	// A token that names a key nobody made, signed by a key nobody has.
	forged := func(kid string) string {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"iss": "https://sf.example", "aud": "https://sf.example",
			"exp": time.Now().Add(time.Minute).Unix(), "client_id": client.ID})
		tok.Header["kid"], tok.Header["typ"] = kid, "at+jwt"
		s, err := tok.SignedString(key)
		require.NoError(t, err)
		return s
	}
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			_, err := auth.Verify(ctx, forged(fmt.Sprintf("k%d", i)))
			require.ErrorIs(t, err, accesstoken.ErrInvalid)
		})
	}
	wg.Wait()
	require.LessOrEqual(t, lookups.Load(), int64(3), "200 made-up key IDs looked up %d times", lookups.Load())
	_, err = auth.Verify(ctx, good)
	require.NoError(t, err, "a real token still verifies")
}

// A copy of the database alone cannot mint tokens: signing keys are stored
// sealed under the data keys, and opened by every API given the same ones.
// A key stored in clear before sealing was on is still read.
func TestSigningKeysAreSealedAtRest(t *testing.T) {
	ctx := context.Background()
	store, client := storeWithClient(t)
	ring, err := keyring.Parse(keyring.NewKey("k1"))
	require.NoError(t, err)
	authority := func(sealer *keyring.Ring, now time.Time) *accesstoken.Authority {
		return &accesstoken.Authority{Store: store, Issuer: "https://sf.example", Audience: "https://sf.example",
			TTL: time.Hour, Rotation: 24 * time.Hour, Sealer: sealer, Now: func() time.Time { return now }}
	}
	now := time.Now()
	_, err = authority(nil, now.Add(-24*time.Hour)).Issue(ctx, &client, client.Scopes)
	require.NoError(t, err)
	token, err := authority(ring, now).Issue(ctx, &client, client.Scopes)
	require.NoError(t, err)

	var stored []models.TokenKey
	require.NoError(t, store.DB.Order("created_at").Find(&stored).Error)
	require.Len(t, stored, 2)
	require.Contains(t, stored[0].PrivateKeyPEM, "PRIVATE KEY", "the key from before sealing")
	require.NotContains(t, stored[1].PrivateKeyPEM, "PRIVATE KEY")
	require.Contains(t, stored[1].PrivateKeyPEM, "sealed:k1:")

	other := authority(ring, now)
	p, err := other.Verify(ctx, token)
	require.NoError(t, err, "another API with the same keys accepts it")
	require.Equal(t, client.ID, p.ClientID)
	_, err = other.JWKS(ctx)
	require.NoError(t, err, "clear and sealed keys side by side")
	_, err = authority(nil, now).Verify(ctx, token)
	require.ErrorContains(t, err, "SIGNFLOW_DATA_KEYS", "without the keys it cannot be opened, and says why")
}
