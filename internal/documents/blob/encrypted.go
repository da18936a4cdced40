package blob

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/signflow/signflow/internal/keys/keyring"
)

// Encrypted is a Store that keeps everything encrypted in Inner, so a copy
// of the directory or the bucket alone reveals nothing. Each blob has a
// data key of its own (AES-256-GCM); the data key is kept beside it,
// wrapped by a key-encryption key from configuration. Rotating the
// key-encryption key re-encrypts nothing: new blobs are wrapped by the new
// key, and the old one, still listed, unwraps the blobs it wrapped.
//
// Each blob is bound to its key (the path), so one cannot be moved to
// stand in for another, and a blob without the header is refused: without
// that, anyone who can write to the directory or the bucket could plant a
// document with no key at all. Blobs written before encryption was on are
// read only while AcceptUnsealed is set, until `signflow blobs seal` has
// sealed them.
type Encrypted struct {
	Inner          Store
	Keys           *keyring.Ring
	AcceptUnsealed bool
}

// ErrUnsealed is a blob without the encryption header.
var ErrUnsealed = errors.New("the blob is not sealed: refused as possibly planted (see signflow blobs seal)")

// header marks an encrypted blob: then the key-encryption key's ID (one
// byte of length), the wrapped data key (two bytes of length), and the
// sealed bytes.
var header = []byte("SFENC1\n")

// Put encrypts data under a fresh data key and stores it.
func (e Encrypted) Put(ctx context.Context, key string, data []byte) error {
	dek := make([]byte, 32)
	_, _ = rand.Read(dek)
	aead, err := dataCipher(dek)
	if err != nil {
		return err
	}
	kekID, wrapped := e.Keys.Seal(dek, []byte("data-key:"+key))
	nonce := make([]byte, aead.NonceSize())
	_, _ = rand.Read(nonce)
	out := make([]byte, 0, len(header)+1+len(kekID)+2+len(wrapped)+len(nonce)+len(data)+aead.Overhead())
	out = append(out, header...)
	out = append(out, byte(len(kekID)))
	out = append(out, kekID...)
	out = binary.BigEndian.AppendUint16(out, uint16(len(wrapped)))
	out = append(out, wrapped...)
	out = append(out, nonce...)
	out = aead.Seal(out, nonce, data, []byte(key))
	return e.Inner.Put(ctx, key, out)
}

// Get reads and decrypts the blob under key.
func (e Encrypted) Get(ctx context.Context, key string) ([]byte, error) {
	stored, err := e.Inner.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	rest, ok := bytes.CutPrefix(stored, header)
	switch {
	case !ok && e.AcceptUnsealed:
		return stored, nil // written before encryption was on
	case !ok:
		return nil, fmt.Errorf("blob %s: %w", key, ErrUnsealed)
	}
	broken := fmt.Errorf("blob %s: the encrypted blob is damaged", key)
	if len(rest) < 1 || len(rest) < 1+int(rest[0])+2 {
		return nil, broken
	}
	kekID, rest := string(rest[1:1+int(rest[0])]), rest[1+int(rest[0]):]
	n := int(binary.BigEndian.Uint16(rest))
	if len(rest) < 2+n {
		return nil, broken
	}
	wrapped, sealed := rest[2:2+n], rest[2+n:]
	dek, err := e.Keys.Open(kekID, wrapped, []byte("data-key:"+key))
	if err != nil {
		return nil, fmt.Errorf("blob %s: unwrap its data key: %w", key, err)
	}
	aead, err := dataCipher(dek)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, broken
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(key))
	if err != nil {
		return nil, errors.Join(broken, err)
	}
	return plain, nil
}

// Seal encrypts the blob under key if it was stored before encryption was
// on, and reports whether it did; a sealed blob is left as it is, so a
// run that stopped halfway can simply run again.
func (e Encrypted) Seal(ctx context.Context, key string) (bool, error) {
	stored, err := e.Inner.Get(ctx, key)
	if err != nil || bytes.HasPrefix(stored, header) {
		return false, err
	}
	return true, e.Put(ctx, key, stored)
}

// SealAll seals every blob stored before encryption was on, answering
// how many it sealed of how many it saw; Inner must list its keys.
func (e Encrypted) SealAll(ctx context.Context) (sealed, seen int, err error) {
	walker, ok := e.Inner.(interface {
		Walk(context.Context, func(string) error) error
	})
	if !ok {
		return 0, 0, fmt.Errorf("the blob store cannot list its blobs")
	}
	err = walker.Walk(ctx, func(key string) error {
		seen++
		did, err := e.Seal(ctx, key)
		if did {
			sealed++
		}
		return err
	})
	return sealed, seen, err
}

// Delete removes the blob, its wrapped data key with it.
func (e Encrypted) Delete(ctx context.Context, key string) error { return e.Inner.Delete(ctx, key) }

func dataCipher(dek []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(dek)
	if err != nil {
		return nil, fmt.Errorf("data key: %w", err)
	}
	return cipher.NewGCM(block)
}
