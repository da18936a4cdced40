package verification

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/models"
)

func TestNeedsReauthentication(t *testing.T) {
	now := time.Date(2026, 12, 8, 12, 0, 0, 0, time.UTC)
	at := func(ago time.Duration) *time.Time { v := now.Add(-ago); return &v }
	tests := []struct {
		name       string
		asked      bool
		verifiedAt *time.Time
		want       bool
	}{
		{"not asked, an old session", false, at(time.Hour), false},
		{"asked, verified just now", true, at(time.Second), false},
		{"asked, verified five minutes ago", true, at(ReauthWindow), false},
		{"asked, verified a moment longer ago", true, at(ReauthWindow + time.Second), true},
		{"asked, no session", true, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &models.Recipient{Reauthenticate: tc.asked}
			require.Equal(t, tc.want, NeedsReauthentication(r, tc.verifiedAt, now))
		})
	}
}
