package client

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestBackoffCeilingDoublesUpToTheCap(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		attempt int
		want    time.Duration
	}{
		{0, 200 * time.Millisecond},
		{1, 400 * time.Millisecond},
		{3, 1600 * time.Millisecond},
		{4, 2 * time.Second},
		// 200 ms << 36 overflows int64: the chaos test's 37th attempt
		// once panicked in rand.Int64N.
		{36, 2 * time.Second},
		{1000, 2 * time.Second},
	} {
		require.Equal(t, tc.want, backoffCeiling(200*time.Millisecond, 2*time.Second, tc.attempt), "attempt %d", tc.attempt)
	}
}
