package signinglink_test

import (
	"crypto/rand"
	"encoding/base64"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/internal/keys/signinglink"
)

func TestTokensAreStablePerGenerationAndSecretPerKey(t *testing.T) {
	dir := t.TempDir()
	m, err := signinglink.Load(dir)
	require.NoError(t, err)
	again, err := signinglink.Load(dir)
	require.NoError(t, err)
	other, err := signinglink.Load(t.TempDir())
	require.NoError(t, err)

	token := m.Token("recipient-1", 1)
	require.Len(t, token, 43, "256 bits, base64url")
	require.Equal(t, token, again.Token("recipient-1", 1), "the worker derives the same link the API issued")
	require.NotEqual(t, token, m.Token("recipient-1", 2), "a new generation replaces the link")
	require.NotEqual(t, token, m.Token("recipient-2", 1))
	require.NotEqual(t, token, other.Token("recipient-1", 1), "another key, another token")
	require.Len(t, signinglink.Hash(token), 64)
	require.NotContains(t, signinglink.Hash(token), token)
}

func TestConcurrentFirstStartsShareOneKey(t *testing.T) {
	dir := t.TempDir()
	tokens := make([]string, 8)
	var wg sync.WaitGroup
	for i := range tokens {
		wg.Go(func() {
			m, err := signinglink.Load(dir)
			require.NoError(t, err)
			tokens[i] = m.Token("r", 1)
		})
	}
	wg.Wait()
	for _, tok := range tokens {
		require.Equal(t, tokens[0], tok)
	}
}

func TestCopyTokensNameTheirRecipientAndCannotBeForged(t *testing.T) {
	m, err := signinglink.Load(t.TempDir())
	require.NoError(t, err)
	other, err := signinglink.Load(t.TempDir())
	require.NoError(t, err)

	token := m.CopyToken("recipient-1")
	rid, ok := m.CopyRecipient(token)
	require.True(t, ok)
	require.Equal(t, "recipient-1", rid)
	require.NotEqual(t, token, m.Token("recipient-1", 1), "a copy token is not a signing token")

	for name, forged := range map[string]string{
		"another key":               other.CopyToken("recipient-1"),
		"a MAC moved to another ID": "recipient-2." + token[len("recipient-1."):],
		"no MAC":                    "recipient-1",
		"an empty MAC":              "recipient-1.",
	} {
		_, ok := m.CopyRecipient(forged)
		require.False(t, ok, name)
	}
}

func newKey() string {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	return base64.StdEncoding.EncodeToString(raw)
}

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, spec, wantErr string }{
		{"one", newKey(), ""},
		{"two with spaces", newKey() + " , " + newKey(), ""},
		{"none", " ,", "no signing link key"},
		{"short", base64.StdEncoding.EncodeToString([]byte("short")), "key 1: want at least 32 bytes"},
		{"not base64", newKey() + ",%%%", "key 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := signinglink.Parse(tc.spec)
			if tc.wantErr == "" {
				require.NoError(t, err)
			} else {
				require.ErrorContains(t, err, tc.wantErr)
			}
		})
	}
}

// After a rotation the new key mints; what the old key made (links already
// emailed, codes already stored, copy links) still works while it is listed.
func TestRotationKeepsWhatTheOldKeyMade(t *testing.T) {
	t.Parallel()
	oldKey, newKeyText := newKey(), newKey()
	old, err := signinglink.Parse(oldKey)
	require.NoError(t, err)
	rotated, err := signinglink.Parse(newKeyText + "," + oldKey)
	require.NoError(t, err)
	retired, err := signinglink.Parse(newKeyText)
	require.NoError(t, err)

	issued := old.Token("r1", 1)
	require.NotEqual(t, issued, rotated.Token("r1", 1), "new links come from the new key")
	require.Equal(t, issued, rotated.TokenFor("r1", 1, signinglink.Hash(issued)), "a reminder repeats the link the recipient has")
	fresh := rotated.Token("r2", 1)
	require.Equal(t, fresh, rotated.TokenFor("r2", 1, signinglink.Hash(fresh)))

	digest := old.Digest("otp:r1", "123456")
	require.True(t, rotated.DigestMatches("otp:r1", "123456", digest))
	require.False(t, rotated.DigestMatches("otp:r1", "654321", digest))
	require.False(t, retired.DigestMatches("otp:r1", "123456", digest), "a key dropped from the list checks nothing")

	copyToken := old.CopyToken("r1")
	rid, ok := rotated.CopyRecipient(copyToken)
	require.True(t, ok)
	require.Equal(t, "r1", rid)
	_, ok = retired.CopyRecipient(copyToken)
	require.False(t, ok)
}
