package accesstoken

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"time"

	"github.com/signflow/signflow/models"
)

// NewClient makes an API client and its secret. The secret is returned
// once and only its hash is kept.
func NewClient(tenant, name string, scopes []string, now time.Time) (models.APIClient, string) {
	id, secret := make([]byte, 12), make([]byte, 32)
	_, _ = rand.Read(id)
	_, _ = rand.Read(secret)
	plain := "sfs_" + base64.RawURLEncoding.EncodeToString(secret)
	return models.APIClient{ID: "sfc_" + hex.EncodeToString(id), TenantID: tenant, Name: name,
		SecretHash: HashSecret(plain), Scopes: scopes, CreatedAt: now}, plain
}

// HashSecret is how client secrets are stored: they are 256 random bits,
// so a fast hash is enough and a slow one would only slow every token.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// SecretMatches compares in constant time.
func SecretMatches(c *models.APIClient, secret string) bool {
	return subtle.ConstantTimeCompare([]byte(c.SecretHash), []byte(HashSecret(secret))) == 1
}
