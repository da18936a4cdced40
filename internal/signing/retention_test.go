package signing_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/internal/signing"
)

func TestCheckRetentionPolicy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name             string
		completed, other int
		fields           []string
	}{
		{"keep everything", 0, 0, nil},
		{"90 and 30 days", 90, 30, nil},
		{"the longest", signing.MaxRetentionDays, 1, nil},
		{"negative", -1, 30, []string{"completed_documents_days"}},
		{"too long", 90, signing.MaxRetentionDays + 1, []string{"other_documents_days"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var fields []string
			for _, e := range signing.CheckRetentionPolicy(tc.completed, tc.other) {
				fields = append(fields, e.Field)
			}
			require.Equal(t, tc.fields, fields)
		})
	}
}

func TestCheckReason(t *testing.T) {
	t.Parallel()
	for reason, ok := range map[string]bool{"litigation 2026-114": true, "": false, strings.Repeat("ß", 500): true, strings.Repeat("x", 501): false} {
		require.Equal(t, ok, len(signing.CheckReason(reason, "the envelope is held")) == 0, "%.20q", reason)
	}
}
