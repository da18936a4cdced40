// Package keyring reads AES-256 keys that carry IDs, so they can rotate:
// written "id:base64key", comma-separated, newest first, the first seals
// and every listed key opens. The payload codec and the blob encryption
// both keep their keys this way.
package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/signflow/signflow/internal/platform/createonce"
)

// Ring is a set of keys, the first of them current.
type Ring struct {
	current string
	keys    map[string]cipher.AEAD
}

var keyID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Parse reads keys written as "id:base64key", comma-separated, newest
// first; each key is 32 bytes. Errors never show key material.
func Parse(spec string) (*Ring, error) {
	r := &Ring{keys: map[string]cipher.AEAD{}}
	for n, entry := range strings.Split(spec, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		id, encoded, ok := strings.Cut(entry, ":")
		if !ok || !keyID.MatchString(id) {
			return nil, fmt.Errorf("key %d: want id:base64key, the id of letters, digits, '.', '_' or '-'", n+1)
		}
		raw, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("key %s: want 32 bytes in standard base64", id)
		}
		if _, dup := r.keys[id]; dup {
			return nil, fmt.Errorf("key %s is listed twice", id)
		}
		block, _ := aes.NewCipher(raw)
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", id, err)
		}
		r.keys[id] = aead
		if r.current == "" {
			r.current = id
		}
	}
	if r.current == "" {
		return nil, errors.New("keys: none given")
	}
	return r, nil
}

// LoadOrCreate reads the keys in path, creating one key there on first
// start; processes starting together agree on it. For `make run` only:
// production gives the keys in configuration.
func LoadOrCreate(path string) (*Ring, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := createonce.File(path, []byte(NewKey("k"+strconv.FormatInt(time.Now().Unix(), 10))+"\n")); err != nil {
			return nil, err
		}
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read keys %s: %w", filepath.Base(path), err)
	}
	return Parse(string(data))
}

// NewKey is a fresh key with the given ID, in the form Parse reads.
func NewKey(id string) string {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	return id + ":" + base64.StdEncoding.EncodeToString(raw)
}

// Current is the ID and cipher of the key that seals.
func (r *Ring) Current() (string, cipher.AEAD) { return r.current, r.keys[r.current] }

// Key is the cipher of a listed key.
func (r *Ring) Key(id string) (cipher.AEAD, bool) {
	aead, ok := r.keys[id]
	return aead, ok
}

// Seal encrypts plain under the current key with a fresh nonce, binding
// aad; it returns the key's ID and nonce||ciphertext.
func (r *Ring) Seal(plain, aad []byte) (string, []byte) {
	id, aead := r.Current()
	out := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	_, _ = rand.Read(out)
	return id, aead.Seal(out, out, plain, aad)
}

// Open decrypts what Seal made under key id.
func (r *Ring) Open(id string, sealed, aad []byte) ([]byte, error) {
	aead, ok := r.keys[id]
	if !ok {
		return nil, fmt.Errorf("sealed with key %q, which is not configured", shorten(id))
	}
	if len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, errors.New("sealed data is truncated")
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], aad)
	if err != nil {
		return nil, fmt.Errorf("open data sealed with key %s: %w", id, err)
	}
	return plain, nil
}

func shorten(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}
