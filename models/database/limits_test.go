package database_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestHitsAreCountedOnceEachAndWindowsRestart(t *testing.T) {
	store := newStore(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	seen := make(chan int, 30)
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := store.Hit(ctx, "b", time.Minute, now)
			require.NoError(t, err)
			seen <- n
		}()
	}
	wg.Wait()
	close(seen)
	counts := map[int]bool{}
	for n := range seen {
		require.False(t, counts[n], "two hits saw count %d", n)
		counts[n] = true
	}
	require.Len(t, counts, 30, "every parallel hit got its own count")

	n, err := store.Hit(ctx, "b", time.Minute, now.Add(59*time.Second))
	require.NoError(t, err)
	require.Equal(t, 31, n, "still the same window")
	n, err = store.Hit(ctx, "b", time.Minute, now.Add(time.Minute))
	require.NoError(t, err)
	require.Equal(t, 1, n, "the window has closed: a new one opens")
	require.NoError(t, store.Unhit(ctx, "b"))
	n, err = store.Hit(ctx, "b", time.Minute, now.Add(61*time.Second))
	require.NoError(t, err)
	require.Equal(t, 1, n, "an unhit hit does not count")
}

func TestWindowsHoldWhateverTheLocalZone(t *testing.T) {
	// Times are stored in UTC: a clock east of UTC must not stretch or
	// shrink a window (SQLite compares stored times as text).
	local := time.Local
	time.Local = time.FixedZone("UTC+9", 9*3600)
	defer func() { time.Local = local }()
	store := newStore(t)
	ctx := context.Background()
	now := time.Now()
	for i := 1; i <= 3; i++ {
		n, err := store.Hit(ctx, "zone", 15*time.Minute, now)
		require.NoError(t, err)
		require.Equal(t, i, n)
	}
}

func TestALinkIsMarkedOpenedOncePerGeneration(t *testing.T) {
	store := newStore(t)
	seed(t, store)
	ctx := context.Background()
	first, err := store.MarkLinkOpened(ctx, "r1", 1)
	require.NoError(t, err)
	require.True(t, first)
	again, err := store.MarkLinkOpened(ctx, "r1", 1)
	require.NoError(t, err)
	require.False(t, again)
	require.NoError(t, store.UnmarkLinkOpened(ctx, "r1", 1))
	retried, err := store.MarkLinkOpened(ctx, "r1", 1)
	require.NoError(t, err)
	require.True(t, retried, "a mark taken back can be set again")
	next, err := store.MarkLinkOpened(ctx, "r1", 2)
	require.NoError(t, err)
	require.True(t, next, "a new link generation is marked anew")
}
