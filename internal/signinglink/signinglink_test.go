package signinglink_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/internal/signinglink"
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
