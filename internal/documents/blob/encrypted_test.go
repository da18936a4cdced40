package blob_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/internal/documents/blob"
	"github.com/signflow/signflow/internal/keys/keyring"
)

func ring(t *testing.T, spec string) *keyring.Ring {
	t.Helper()
	r, err := keyring.Parse(spec)
	require.NoError(t, err)
	return r
}

func TestEncryptedBlobsRevealNothingAtRest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := blob.Dir{Root: t.TempDir()}
	k1 := keyring.NewKey("k1")
	store := blob.Encrypted{Inner: dir, Keys: ring(t, k1)}
	doc := []byte("%PDF-1.7 the contract of Zofia Wrzesniewska")
	require.NoError(t, store.Put(ctx, "envelopes/e/documents/d/original.pdf", doc))

	raw, err := dir.Get(ctx, "envelopes/e/documents/d/original.pdf")
	require.NoError(t, err)
	require.False(t, bytes.Contains(raw, []byte("%PDF")), "the stored bytes are not the document")
	require.False(t, bytes.Contains(raw, []byte("Zofia")))
	got, err := store.Get(ctx, "envelopes/e/documents/d/original.pdf")
	require.NoError(t, err)
	require.Equal(t, doc, got)

	// Rotation: the new key wraps new blobs; the old one still opens its own.
	k2 := keyring.NewKey("k2")
	rotated := blob.Encrypted{Inner: dir, Keys: ring(t, k2+","+k1)}
	got, err = rotated.Get(ctx, "envelopes/e/documents/d/original.pdf")
	require.NoError(t, err)
	require.Equal(t, doc, got)
	require.NoError(t, rotated.Put(ctx, "envelopes/e/documents/d/final.pdf", doc))
	_, err = store.Get(ctx, "envelopes/e/documents/d/final.pdf")
	require.ErrorContains(t, err, `key "k2", which is not configured`, "the old ring cannot open what the new key wrapped")

	// A blob moved to stand in for another does not open.
	require.NoError(t, dir.Put(ctx, "envelopes/e/fields/f.png", raw))
	_, err = store.Get(ctx, "envelopes/e/fields/f.png")
	require.Error(t, err)

	// Damage anywhere is found, never returned as content.
	for _, cut := range []int{len(raw) - 1, 30, 8, 7} {
		require.NoError(t, dir.Put(ctx, "envelopes/e/cut", raw[:cut]))
		_, err = store.Get(ctx, "envelopes/e/cut")
		require.Error(t, err, "cut at %d", cut)
	}
	flipped := bytes.Clone(raw)
	flipped[len(flipped)-5] ^= 1
	require.NoError(t, dir.Put(ctx, "envelopes/e/flipped", flipped))
	_, err = store.Get(ctx, "envelopes/e/flipped")
	require.Error(t, err)

	// A blob without the header (planted, or written before encryption
	// was on) is refused; it is read only while unsealed ones are
	// accepted, until Seal has sealed it.
	require.NoError(t, dir.Put(ctx, "envelopes/old/original.pdf", doc))
	_, err = store.Get(ctx, "envelopes/old/original.pdf")
	require.ErrorIs(t, err, blob.ErrUnsealed)
	legacy := blob.Encrypted{Inner: dir, Keys: store.Keys, AcceptUnsealed: true}
	got, err = legacy.Get(ctx, "envelopes/old/original.pdf")
	require.NoError(t, err)
	require.Equal(t, doc, got)
	sealed, err := legacy.Seal(ctx, "envelopes/old/original.pdf")
	require.NoError(t, err)
	require.True(t, sealed)
	sealed, err = legacy.Seal(ctx, "envelopes/old/original.pdf")
	require.NoError(t, err)
	require.False(t, sealed, "sealing again changes nothing")
	got, err = store.Get(ctx, "envelopes/old/original.pdf")
	require.NoError(t, err, "sealed, it reads without accepting unsealed blobs")
	require.Equal(t, doc, got)

	_, err = store.Get(ctx, "envelopes/missing")
	require.ErrorIs(t, err, blob.ErrNotFound)
	require.NoError(t, store.Delete(ctx, "envelopes/old/original.pdf"))
	_, err = store.Get(ctx, "envelopes/old/original.pdf")
	require.ErrorIs(t, err, blob.ErrNotFound)
	require.NoError(t, store.Delete(ctx, "envelopes/old/original.pdf"), "deleting what is gone is done")
}

// An installation that stored documents before encryption seals them all
// in one run, which may stop and run again.
func TestSealAllSealsWhatWasStoredPlain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := blob.Dir{Root: t.TempDir()}
	store := blob.Encrypted{Inner: dir, Keys: ring(t, keyring.NewKey("k1"))}
	require.NoError(t, dir.Put(ctx, "envelopes/a/documents/d/original.pdf", []byte("%PDF-1.4 plain")))
	require.NoError(t, dir.Put(ctx, "templates/t/abc.pdf", []byte("%PDF-1.4 template")))
	require.NoError(t, store.Put(ctx, "envelopes/b/documents/d/original.pdf", []byte("%PDF-1.4 sealed")))

	sealed, seen, err := store.SealAll(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, sealed)
	require.Equal(t, 3, seen)
	for _, key := range []string{"envelopes/a/documents/d/original.pdf", "templates/t/abc.pdf"} {
		got, err := store.Get(ctx, key)
		require.NoError(t, err, key)
		require.Contains(t, string(got), "%PDF-1.4")
	}
	sealed, _, err = store.SealAll(ctx)
	require.NoError(t, err)
	require.Zero(t, sealed, "a second run finds nothing to seal")
}
