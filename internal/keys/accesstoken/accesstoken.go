// Package accesstoken issues and checks the OAuth 2.0 access tokens of the
// API: JWTs in the RFC 9068 profile, signed with ES256 keys that rotate and
// are published as a JWKS. Tokens from an external identity provider are
// checked against its JWKS when one is configured.
package accesstoken

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"golang.org/x/sync/singleflight"

	"github.com/signflow/signflow/internal/keys/keyring"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/models/database"
)

// Principal is who a valid token speaks for.
type Principal struct {
	ClientID string
	TenantID string
	Scopes   []string
}

// Has says whether the token carries a scope.
func (p Principal) Has(scope string) bool { return slices.Contains(p.Scopes, scope) }

// ErrInvalid marks a token that is malformed, forged, expired, revoked or
// meant for someone else.
var ErrInvalid = errors.New("invalid access token")

// claims are RFC 9068's, plus the tenant the client belongs to.
type claims struct {
	jwt.RegisteredClaims
	ClientID string `json:"client_id"`
	Scope    string `json:"scope"`
	Tenant   string `json:"tenant"`
}

// Authority issues tokens and checks them.
type Authority struct {
	Store *database.Store
	// Issuer and Audience are the iss and aud of our tokens: the public URL.
	Issuer   string
	Audience string
	TTL      time.Duration
	// Rotation is how long a key signs before the next one takes over.
	Rotation time.Duration
	// External checks tokens of another issuer; nil accepts only ours.
	External *External
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Sealer encrypts the signing keys the authority keeps in the
	// database, so that a copy of it cannot mint tokens; nil keeps them in
	// clear (tests). Keys stored in clear before are still read.
	Sealer *keyring.Ring

	mu       sync.RWMutex
	keys     map[string]*ecdsa.PrivateKey
	loads    singleflight.Group
	loadedAt time.Time // of the last reload from the database
}

// reloadEvery bounds how often tokens naming an unknown key make the
// authority look in the database: a flood of made-up key IDs costs one
// query a second, shared by every request waiting on it.
const reloadEvery = time.Second

func (a *Authority) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// Issue signs a token for a client with the scopes granted.
func (a *Authority) Issue(ctx context.Context, c *models.APIClient, scopes []string) (string, error) {
	kid, key, err := a.signingKey(ctx)
	if err != nil {
		return "", err
	}
	now := a.now()
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: a.Issuer, Subject: c.ID, Audience: jwt.ClaimStrings{a.Audience},
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(a.TTL)), ID: uuid.NewString(),
		},
		ClientID: c.ID, Scope: strings.Join(scopes, " "), Tenant: c.TenantID,
	})
	tok.Header["typ"] = "at+jwt" // RFC 9068 section 2.1
	tok.Header["kid"] = kid
	signed, err := tok.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	return signed, nil
}

// Verify checks a bearer token and returns whom it speaks for. A token of
// ours must name a client that is not revoked.
func (a *Authority) Verify(ctx context.Context, raw string) (Principal, error) {
	var c claims
	_, err := jwt.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
		if typ, _ := t.Header["typ"].(string); !strings.EqualFold(typ, "at+jwt") {
			return nil, errors.New("not an access token (typ is not at+jwt)")
		}
		kid, _ := t.Header["kid"].(string)
		key, err := a.publicKey(ctx, kid)
		if err != nil {
			return nil, err
		}
		return &key.PublicKey, nil
	}, jwt.WithValidMethods([]string{"ES256"}), jwt.WithIssuer(a.Issuer), jwt.WithAudience(a.Audience),
		jwt.WithExpirationRequired(), jwt.WithTimeFunc(a.now), jwt.WithLeeway(5*time.Second))
	if err != nil {
		if a.External != nil && a.External.issues(raw) {
			return a.External.verify(raw, a.now)
		}
		return Principal{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	client, err := a.Store.GetClient(ctx, c.ClientID)
	if errors.Is(err, models.ErrNotFound) || (err == nil && client.RevokedAt != nil) {
		return Principal{}, fmt.Errorf("%w: client %s is revoked", ErrInvalid, c.ClientID)
	}
	if err != nil {
		return Principal{}, err
	}
	return Principal{ClientID: c.ClientID, TenantID: c.Tenant, Scopes: strings.Fields(c.Scope)}, nil
}

// JWKS is the public half of every key whose tokens may still be valid.
func (a *Authority) JWKS(ctx context.Context) ([]byte, error) {
	if _, _, err := a.signingKey(ctx); err != nil {
		return nil, err
	}
	stored, err := a.Store.TokenKeysSince(ctx, a.now().Add(-a.Rotation-a.TTL))
	if err != nil {
		return nil, err
	}
	set := jwkset.JWKSMarshal{Keys: []jwkset.JWKMarshal{}}
	for _, k := range stored {
		key, err := a.storedKey(ctx, k.ID)
		if err != nil {
			return nil, err
		}
		jwk, err := jwkset.NewJWKFromKey(&key.PublicKey, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{
			KID: k.ID, ALG: jwkset.AlgES256, USE: jwkset.UseSig}})
		if err != nil {
			return nil, fmt.Errorf("publish key %s: %w", k.ID, err)
		}
		set.Keys = append(set.Keys, jwk.Marshal())
	}
	return json.Marshal(set)
}

// signingKey is the key of the current rotation period, created by the
// first process that needs it. Its ID names the period, so processes that
// rotate at once agree on one key.
func (a *Authority) signingKey(ctx context.Context) (string, *ecdsa.PrivateKey, error) {
	period := a.now().Truncate(a.Rotation)
	kid := "k" + strconv.FormatInt(period.Unix(), 10)
	if key, err := a.publicKey(ctx, kid); err == nil {
		return kid, key, nil
	}
	fresh, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", nil, fmt.Errorf("generate token key: %w", err)
	}
	der, err := x509.MarshalECPrivateKey(fresh)
	if err != nil {
		return "", nil, fmt.Errorf("encode token key: %w", err)
	}
	block := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
	if err := a.Store.AddTokenKey(ctx, models.TokenKey{ID: kid, PrivateKeyPEM: a.seal(kid, block), CreatedAt: period}); err != nil {
		return "", nil, err
	}
	key, err := a.storedKey(ctx, kid)
	return kid, key, err
}

// storedKey is a key known to be in the database: it is reloaded at once
// if this process has not seen it yet.
func (a *Authority) storedKey(ctx context.Context, kid string) (*ecdsa.PrivateKey, error) {
	if key, ok := a.cached(kid); ok {
		return key, nil
	}
	if err := a.reload(ctx); err != nil {
		return nil, err
	}
	if key, ok := a.cached(kid); ok {
		return key, nil
	}
	return nil, fmt.Errorf("unknown key %q", kid)
}

// publicKey finds a key by ID, from memory or else from the database.
// The lock is never held across a query: concurrent misses share one
// reload, and reloads happen at most once every reloadEvery.
func (a *Authority) publicKey(ctx context.Context, kid string) (*ecdsa.PrivateKey, error) {
	if key, ok := a.cached(kid); ok {
		return key, nil
	}
	_, err, _ := a.loads.Do("reload", func() (any, error) {
		a.mu.RLock()
		recent := time.Since(a.loadedAt) < reloadEvery
		a.mu.RUnlock()
		if recent {
			return nil, nil
		}
		return nil, a.reload(ctx)
	})
	if err != nil {
		return nil, err
	}
	if key, ok := a.cached(kid); ok {
		return key, nil
	}
	return nil, fmt.Errorf("unknown key %q", kid)
}

func (a *Authority) cached(kid string) (*ecdsa.PrivateKey, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	key, ok := a.keys[kid]
	return key, ok
}

// reload reads the keys still in use from the database.
func (a *Authority) reload(ctx context.Context) error {
	stored, err := a.Store.TokenKeysSince(ctx, a.now().Add(-a.Rotation-a.TTL))
	if err != nil {
		return err
	}
	parsed := map[string]*ecdsa.PrivateKey{}
	for _, k := range stored {
		if key, ok := a.cached(k.ID); ok {
			parsed[k.ID] = key
			continue
		}
		opened, err := a.open(k)
		if err != nil {
			return err
		}
		block, _ := pem.Decode(opened)
		if block == nil {
			return fmt.Errorf("token key %s is not PEM", k.ID)
		}
		key, err := x509.ParseECPrivateKey(block.Bytes)
		if err != nil {
			return fmt.Errorf("token key %s: %w", k.ID, err)
		}
		parsed[k.ID] = key
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.keys == nil {
		a.keys = map[string]*ecdsa.PrivateKey{}
	}
	for id, key := range parsed {
		a.keys[id] = key
	}
	a.loadedAt = time.Now()
	return nil
}

// sealedPrefix marks a stored key encrypted under the sealer: then the
// sealing key's ID and the sealed PEM in base64.
const sealedPrefix = "sealed:"

// seal is what is stored of a signing key.
func (a *Authority) seal(kid string, pemBlock []byte) string {
	if a.Sealer == nil {
		return string(pemBlock)
	}
	keyID, sealed := a.Sealer.Seal(pemBlock, []byte("token-key:"+kid))
	return sealedPrefix + keyID + ":" + base64.StdEncoding.EncodeToString(sealed)
}

// open reads a stored signing key's PEM.
func (a *Authority) open(k models.TokenKey) ([]byte, error) {
	rest, sealed := strings.CutPrefix(k.PrivateKeyPEM, sealedPrefix)
	if !sealed {
		return []byte(k.PrivateKeyPEM), nil
	}
	keyID, encoded, _ := strings.Cut(rest, ":")
	data, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil || a.Sealer == nil {
		return nil, fmt.Errorf("token key %s is sealed and cannot be opened here: give this process the same SIGNFLOW_DATA_KEYS", k.ID)
	}
	opened, err := a.Sealer.Open(keyID, data, []byte("token-key:"+k.ID))
	if err != nil {
		return nil, fmt.Errorf("token key %s: %w", k.ID, err)
	}
	return opened, nil
}
