package blob_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/internal/blob"
	"github.com/signflow/signflow/internal/keyring"
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

	// Blobs written before encryption was on read as they are.
	require.NoError(t, dir.Put(ctx, "envelopes/old/original.pdf", doc))
	got, err = store.Get(ctx, "envelopes/old/original.pdf")
	require.NoError(t, err)
	require.Equal(t, doc, got)

	_, err = store.Get(ctx, "envelopes/missing")
	require.ErrorIs(t, err, blob.ErrNotFound)
	require.NoError(t, store.Delete(ctx, "envelopes/old/original.pdf"))
	_, err = store.Get(ctx, "envelopes/old/original.pdf")
	require.ErrorIs(t, err, blob.ErrNotFound)
	require.NoError(t, store.Delete(ctx, "envelopes/old/original.pdf"), "deleting what is gone is done")
}
