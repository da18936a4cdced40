package repeat_test

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/internal/platform/repeat"
)

// Ticks come while the work runs and never after While returns; the
// work's error is While's.
func TestWhileTicksUntilTheWorkEnds(t *testing.T) {
	var ticks atomic.Int32
	release := make(chan struct{})
	boom := errors.New("boom")
	go func() {
		for ticks.Load() < 3 {
			time.Sleep(time.Millisecond)
		}
		close(release)
	}()
	err := repeat.While(time.Millisecond, func() { ticks.Add(1) }, func() error { <-release; return boom })
	require.ErrorIs(t, err, boom)
	after := ticks.Load()
	require.GreaterOrEqual(t, after, int32(3))
	time.Sleep(10 * time.Millisecond)
	require.Equal(t, after, ticks.Load(), "no tick after While returned")
}
