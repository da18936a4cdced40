package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/workflows/contract"
)

func TestBackoffDoublesToItsCapAndNeverWraps(t *testing.T) {
	policy := contract.WebhookPolicy{InitialInterval: 5 * time.Second, MaxInterval: time.Hour}
	require.Equal(t, 5*time.Second, nominalDelay(policy, 1))
	require.Equal(t, 40*time.Second, nominalDelay(policy, 4))
	for _, n := range []int{11, 31, 32, 33, 40, 64, 65, 1000} {
		require.Equal(t, time.Hour, nominalDelay(policy, n), "attempt %d", n)
	}
	huge := contract.WebhookPolicy{InitialInterval: time.Duration(1) << 61, MaxInterval: time.Duration(1<<63 - 1)}
	require.Positive(t, nominalDelay(huge, 5), "doubling near the largest duration does not wrap below zero")
}
