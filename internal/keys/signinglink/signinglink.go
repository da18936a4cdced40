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

	"github.com/signflow/signflow/internal/platform/createonce"
)

// KeyFile is the key's file under the data directory, for `make run`.
const KeyFile = "signing-link.key"

// Minter derives tokens. Its first key makes new tokens and digests; the
// others, kept after a rotation, still check what they made.
type Minter struct {
	keys [][]byte
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
	return &Minter{keys: [][]byte{key}}, nil
}

// Parse reads keys given in configuration: standard base64, at least 32
// bytes each, comma-separated, newest first.
func Parse(spec string) (*Minter, error) {
	m := &Minter{}
	for n, encoded := range strings.Split(spec, ",") {
		if encoded = strings.TrimSpace(encoded); encoded == "" {
			continue
		}
		key, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil || len(key) < 32 {
			return nil, fmt.Errorf("signing link key %d: want at least 32 bytes in standard base64", n+1)
		}
		m.keys = append(m.keys, key)
	}
	if len(m.keys) == 0 {
		return nil, errors.New("no signing link key given")
	}
	return m, nil
}

func mac(key []byte, message string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(message))
	return h.Sum(nil)
}

func tokenMessage(recipientID string, generation int) string {
	return recipientID + "/" + strconv.Itoa(generation)
}

// Token is the recipient's token of a generation, under the newest key.
func (m *Minter) Token(recipientID string, generation int) string {
	return base64.RawURLEncoding.EncodeToString(mac(m.keys[0], tokenMessage(recipientID, generation)))
}

// TokenFor derives again the token whose hash is stored, under whichever
// key made it, so a reminder sent after a key rotation carries the link
// the recipient already has.
func (m *Minter) TokenFor(recipientID string, generation int, storedHash string) string {
	for _, key := range m.keys[1:] {
		token := base64.RawURLEncoding.EncodeToString(mac(key, tokenMessage(recipientID, generation)))
		if Hash(token) == storedHash {
			return token
		}
	}
	return m.Token(recipientID, generation)
}

// Digest is a keyed hash of a short secret such as a one-time code:
// without the key, a stolen table cannot be searched for the codes.
func (m *Minter) Digest(purpose, secret string) string {
	return hex.EncodeToString(mac(m.keys[0], purpose+":"+secret))
}

// DigestMatches says, in constant time per key, whether secret is the one
// a stored digest was made of, under any configured key.
func (m *Minter) DigestMatches(purpose, secret, digest string) bool {
	matched := false
	for _, key := range m.keys {
		if hmac.Equal([]byte(hex.EncodeToString(mac(key, purpose+":"+secret))), []byte(digest)) {
			matched = true
		}
	}
	return matched
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
	return recipientID + "." + copyMAC(m.keys[0], recipientID)
}

// CopyRecipient is the recipient a copy token was minted for; ok is false
// for a token the key did not make.
func (m *Minter) CopyRecipient(token string) (recipientID string, ok bool) {
	recipientID, given, found := strings.Cut(token, ".")
	if !found {
		return "", false
	}
	for _, key := range m.keys {
		if hmac.Equal([]byte(given), []byte(copyMAC(key, recipientID))) {
			return recipientID, true
		}
	}
	return "", false
}

func copyMAC(key []byte, recipientID string) string {
	return base64.RawURLEncoding.EncodeToString(mac(key, "completed-copy/"+recipientID))
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

// RandomToken is a fresh bearer token of 256 random bits, for a session,
// ticket or editor: only its Hash is ever stored.
func RandomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
