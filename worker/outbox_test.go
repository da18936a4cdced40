package worker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Failed sends back off as the mail activities do: 5 s, doubling, at most
// a minute apart.
func TestOutboxBackoff(t *testing.T) {
	for attempts, want := range map[int]time.Duration{
		1: 5 * time.Second, 2: 10 * time.Second, 3: 20 * time.Second, 4: 40 * time.Second, 5: time.Minute, 50: time.Minute,
	} {
		require.Equal(t, want, backoff(attempts), "after %d attempts", attempts)
	}
}
