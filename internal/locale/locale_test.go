package locale

import (
	"regexp"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var placeholder = regexp.MustCompile(`\{[a-z_]+\}`)

func placeholders(s string) []string {
	p := placeholder.FindAllString(s, -1)
	sort.Strings(p)
	return p
}

// TestEveryLanguageIsComplete: each file has every English message, with
// the same placeholders, and twelve months.
func TestEveryLanguageIsComplete(t *testing.T) {
	require.Subset(t, Supported(), []string{"de", "en", "es", "fr"})
	en := catalogs[Default]
	for _, tag := range Supported() {
		c := catalogs[tag]
		require.Len(t, c.months, 12, tag)
		for key, msg := range en.messages {
			got, ok := c.messages[key]
			require.True(t, ok, "%s lacks %s", tag, key)
			require.Equal(t, placeholders(msg), placeholders(got), "%s %s", tag, key)
		}
		require.Len(t, c.messages, len(en.messages), "%s has keys English lacks", tag)
	}
}

func TestForFallsBackAndFormatsDates(t *testing.T) {
	at := time.Date(2026, 3, 5, 14, 7, 0, 0, time.UTC)
	tests := []struct {
		tags []string
		want string
		date string
	}{
		{[]string{"de"}, "de", "5. März 2026, 14:07 UTC"},
		{[]string{"", "fr"}, "fr", "5 mars 2026, 14:07 UTC"},
		{[]string{"xx", "es"}, "es", "5 de marzo de 2026, 14:07 UTC"},
		{nil, "en", "5 March 2026, 14:07 UTC"},
	}
	for _, tc := range tests {
		c := For(tc.tags...)
		require.Equal(t, tc.want, c.Tag)
		require.Equal(t, tc.date, c.Date(at))
	}
	require.Equal(t, "Hallo Zoë,", For("de").T("email.hello", map[string]string{"name": "Zoë"}))
	c := &Catalog{Tag: "xx", messages: map[string]string{}}
	require.Equal(t, "Hello Ada,", c.T("email.hello", map[string]string{"name": "Ada"}), "a missing key is English")
}
