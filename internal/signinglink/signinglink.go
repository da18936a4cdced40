// Package signinglink makes the secret links recipients sign with. A token
// is HMAC-SHA256(key, recipient ID "/" generation): 256 bits no one can
// guess without the key, that the worker can derive again when it emails a
// link, and that a new generation replaces. Only its hash is stored.
package signinglink

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/signflow/signflow/internal/createonce"
)

// KeyFile is the key's file under the data directory.
const KeyFile = "signing-link.key"

// Minter derives tokens.
type Minter struct {
	key []byte
}

// Load reads dir/signing-link.key, creating it on first start; processes
// starting together agree on one key.
func Load(dir string) (*Minter, error) {
	path := filepath.Join(dir, KeyFile)
	key, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		fresh := make([]byte, 32)
		_, _ = rand.Read(fresh)
		if err := createonce.File(path, fresh); err != nil {
			return nil, err
		}
		key, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read signing link key: %w", err)
	}
	if len(key) < 32 {
		return nil, fmt.Errorf("signing link key %s is shorter than 32 bytes", path)
	}
	return &Minter{key: key}, nil
}

// Token is the recipient's token of a generation.
func (m *Minter) Token(recipientID string, generation int) string {
	mac := hmac.New(sha256.New, m.key)
	mac.Write([]byte(recipientID + "/" + strconv.Itoa(generation)))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// Digest is a keyed hash of a short secret such as a one-time code:
// without the key, a stolen table cannot be searched for the codes.
func (m *Minter) Digest(purpose, secret string) string {
	mac := hmac.New(sha256.New, m.key)
	mac.Write([]byte(purpose + ":" + secret))
	return hex.EncodeToString(mac.Sum(nil))
}

// Path is the signing page a recipient opens, below the public URL.
func Path(token string) string {
	return "/sign/" + token
}

// APIPath is the JSON API behind the signing page, for integrators who
// embed signing in their own interface.
func APIPath(token string) string {
	return "/v1/signing/" + token
}

// CopyToken grants a recipient the completed documents once the signing
// link is spent. It carries the recipient ID in the clear, so it can be
// checked without a lookup, and a MAC no one can forge without the key.
func (m *Minter) CopyToken(recipientID string) string {
	return recipientID + "." + m.copyMAC(recipientID)
}

// CopyRecipient is the recipient a copy token was minted for; ok is false
// for a token the key did not make.
func (m *Minter) CopyRecipient(token string) (recipientID string, ok bool) {
	recipientID, mac, found := strings.Cut(token, ".")
	if !found || !hmac.Equal([]byte(mac), []byte(m.copyMAC(recipientID))) {
		return "", false
	}
	return recipientID, true
}

func (m *Minter) copyMAC(recipientID string) string {
	mac := hmac.New(sha256.New, m.key)
	mac.Write([]byte("completed-copy/" + recipientID))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// CopyValidity is how long after completion a copy token downloads the
// completed documents.
const CopyValidity = 30 * 24 * time.Hour

// CopyPath is where a completed document is downloaded with a copy token.
func CopyPath(token, documentID string) string {
	return "/v1/copies/" + token + "/documents/" + documentID
}

// Hash is what is stored to find a recipient by token.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
