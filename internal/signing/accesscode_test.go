package signing_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/internal/signing"
)

func TestWeakAccessCodes(t *testing.T) {
	for _, tc := range []struct {
		code, why string
	}{
		{"2468-1357", ""},
		{"s3cret", ""},
		{"Blue horse 7", ""},
		{"1234", "6 to 64 characters"},
		{"12345", "6 to 64 characters"},
		{"كلمة", "6 to 64 characters"}, // four letters, eight bytes
		{"000000", "not one character repeated"},
		{"aaaaaaaa", "not one character repeated"},
		{"123456", "not a run"},
		{"987654321", "not a run"},
		{"ABCDEF", "not a run"},
		{"Password", "not a well-known password"},
		{"qwerty", "not a well-known password"},
	} {
		t.Run(tc.code, func(t *testing.T) {
			why := signing.WeakAccessCode(tc.code)
			if tc.why == "" {
				require.Empty(t, why)
				return
			}
			require.Contains(t, why, tc.why)
		})
	}
}
