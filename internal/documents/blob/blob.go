// Package blob stores document bytes apart from the database: Dir in a local
// directory (one host, `make run`), S3 in an S3-compatible bucket that every
// host shares.
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrNotFound is returned by Get for a key that holds nothing.
var ErrNotFound = errors.New("blob not found")

// Store keeps immutable byte strings under keys.
type Store interface {
	Put(ctx context.Context, key string, data []byte) error
	Get(ctx context.Context, key string) ([]byte, error)
	// Delete removes what key holds; a key that holds nothing is no error.
	Delete(ctx context.Context, key string) error
}

// OriginalKey is where an uploaded document is kept.
func OriginalKey(envelopeID, documentID string) string {
	return "envelopes/" + envelopeID + "/documents/" + documentID + "/original.pdf"
}

// TemplateDocumentKey is where a template's document is kept, by its
// SHA-256, so that versions sharing a document share its blob.
func TemplateDocumentKey(templateID, sha256 string) string {
	return "templates/" + templateID + "/documents/" + sha256 + ".pdf"
}

// FinalKey is where a document's completed, stamped PDF is kept.
func FinalKey(envelopeID, documentID string) string {
	return "envelopes/" + envelopeID + "/documents/" + documentID + "/final.pdf"
}

// EnvelopeKeys are the blobs an envelope holds: each document's original
// and final, and the drawn signatures named by imageKeys (empty ones
// skipped).
func EnvelopeKeys(envelopeID string, documentIDs, imageKeys []string) []string {
	var keys []string
	for _, d := range documentIDs {
		keys = append(keys, OriginalKey(envelopeID, d), FinalKey(envelopeID, d))
	}
	for _, k := range imageKeys {
		if k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

// AttachmentKey is where a signer's attachment to a field is kept, by a
// prefix of its hash, so a later request never replaces one a signature
// points to.
func AttachmentKey(envelopeID, fieldID, digest, ext string) string {
	return "envelopes/" + envelopeID + "/attachments/" + fieldID + "-" + digest + "." + ext
}

// SignatureImageKey is where a PNG drawn for a field is kept.
func SignatureImageKey(envelopeID, fieldID string) string {
	return "envelopes/" + envelopeID + "/fields/" + fieldID + ".png"
}

// ErrDigestMismatch is a blob whose bytes are not the ones recorded.
var ErrDigestMismatch = errors.New("the stored bytes do not match their recorded SHA-256")

// GetChecked reads the blob under key and checks it against the hex
// SHA-256 recorded for it, so that a document changed in storage is never
// shown, stamped or sealed as the one that was signed.
func GetChecked(ctx context.Context, s Store, key, sha256Hex string) ([]byte, error) {
	data, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != sha256Hex {
		return nil, fmt.Errorf("blob %s: %w", key, ErrDigestMismatch)
	}
	return data, nil
}

// Dir is a Store on the local file system.
type Dir struct {
	Root string
}

func (d Dir) path(key string) (string, error) {
	clean := filepath.Clean("/" + key)
	if clean == "/" || strings.Contains(key, "..") {
		return "", fmt.Errorf("invalid blob key %q", key)
	}
	return filepath.Join(d.Root, clean), nil
}

// Put writes data atomically: readers see the old bytes or the new, never a part.
func (d Dir) Put(_ context.Context, key string, data []byte) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return fmt.Errorf("create blob directory: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".put-*")
	if err != nil {
		return fmt.Errorf("create blob temp file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write blob %s: %w", key, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync blob %s: %w", key, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close blob %s: %w", key, err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("commit blob %s: %w", key, err)
	}
	return nil
}

// Delete removes the file under key.
func (d Dir) Delete(_ context.Context, key string) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete blob %s: %w", key, err)
	}
	return nil
}

// Walk calls fn with every key the directory holds.
func (d Dir) Walk(ctx context.Context, fn func(key string) error) error {
	return filepath.WalkDir(d.Root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || strings.HasPrefix(e.Name(), ".put-") {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(d.Root, p)
		if err != nil {
			return err
		}
		return fn(filepath.ToSlash(rel))
	})
}

// Get reads the bytes under key.
func (d Dir) Get(_ context.Context, key string) ([]byte, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", key, err)
	}
	return data, nil
}
