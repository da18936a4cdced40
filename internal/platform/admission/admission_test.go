package admission

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// gate is a Gate whose backlog and clock the test sets.
func gate(behind *time.Duration, now *time.Time) *Gate {
	return &Gate{
		Backlog:    func(context.Context) (time.Duration, error) { return *behind, nil },
		MaxBacklog: 2 * time.Second,
		Log:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:        func() time.Time { return *now },
	}
}

func TestAdmit(t *testing.T) {
	type step struct {
		at     time.Duration // since t0
		behind time.Duration
		tenant string
		admit  bool
		retry  time.Duration // when refused
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"everyone while the workers keep up", []step{
			{0, 0, "a", true, 0}, {0, 0, "a", true, 0}, {0, time.Second, "b", true, 0},
		}},
		{"the tenant behind the backlog waits, with a time to retry", []step{
			{0, 0, "a", true, 0}, {0, 0, "a", true, 0},
			{time.Second, 5500 * time.Millisecond, "a", false, 4 * time.Second},
		}},
		{"another tenant still gets its share", []step{
			{0, 0, "a", true, 0}, {0, 0, "a", true, 0}, {0, 0, "a", true, 0},
			{time.Second, time.Minute, "a", false, 58 * time.Second},
			{time.Second, time.Minute, "b", true, 0},                 // none yet: in
			{time.Second, time.Minute, "b", true, 0},                 // 1 of 4, share 2: in
			{time.Second, time.Minute, "b", true, 0},                 // 2 of 5, share 2.5: in
			{time.Second, time.Minute, "b", false, 58 * time.Second}, // as many as a
			{time.Second, time.Minute, "a", false, 58 * time.Second},
		}},
		{"a retry a second over the limit waits a second", []step{
			{0, 0, "a", true, 0}, {time.Second, 2100 * time.Millisecond, "a", false, time.Second},
		}},
		{"admissions count for two windows, then a tenant gets one more", []step{
			{0, 0, "a", true, 0},
			{11 * time.Second, time.Minute, "a", false, 58 * time.Second}, // last window's
			{21 * time.Second, time.Minute, "a", true, 0},                 // forgotten
			{22 * time.Second, time.Minute, "a", false, 58 * time.Second},
		}},
		{"refused creations do not count", []step{
			{0, 0, "a", true, 0}, {0, 0, "b", true, 0}, {0, 0, "b", true, 0},
			{time.Second, time.Minute, "b", false, 58 * time.Second},
			{time.Second, time.Minute, "b", false, 58 * time.Second},
			{time.Second, time.Minute, "a", true, 0}, // 1 of 3: below its share
			{time.Second, time.Minute, "a", false, 58 * time.Second},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var behind time.Duration
			now := t0
			g := gate(&behind, &now)
			for i, s := range tc.steps {
				// Each step a backlog read of its own.
				now, behind = t0.Add(s.at).Add(time.Duration(i)*recheckEvery), s.behind
				v := g.Admit(context.Background(), s.tenant)
				require.Equal(t, s.admit, v.Admit, "step %d", i)
				require.Equal(t, s.behind, v.Behind, "step %d", i)
				if !s.admit {
					require.Equal(t, s.retry, v.RetryAfter, "step %d", i)
				}
			}
		})
	}
}

func TestNoLimitAdmitsWithoutAsking(t *testing.T) {
	g := &Gate{Backlog: func(context.Context) (time.Duration, error) { panic("asked") }}
	require.True(t, g.Admit(context.Background(), "a").Admit)
	var none *Gate
	require.True(t, none.Admit(context.Background(), "a").Admit)
}

func TestAnUnreadableBacklogAdmits(t *testing.T) {
	g := &Gate{Backlog: func(context.Context) (time.Duration, error) { return 0, errors.New("temporal down") },
		MaxBacklog: time.Second, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for range 3 {
		require.True(t, g.Admit(context.Background(), "a").Admit)
	}
}

// A slow backlog read holds up the one request that asks; the others read
// the last answer at once, and the question is asked once a second at most.
func TestOneRequestAsksTheOthersReadTheLastAnswer(t *testing.T) {
	var asked atomic.Int32
	release := make(chan struct{})
	g := &Gate{MaxBacklog: time.Second, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Backlog: func(context.Context) (time.Duration, error) {
			asked.Add(1)
			<-release
			return 0, nil
		}}
	asking := make(chan struct{})
	go func() {
		defer close(asking)
		g.Admit(context.Background(), "a")
	}()
	require.Eventually(t, func() bool { return asked.Load() == 1 }, 5*time.Second, time.Millisecond)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { require.True(t, g.Admit(context.Background(), "b").Admit) })
	}
	wg.Wait() // none of them waited for the slow read
	close(release)
	<-asking
	require.EqualValues(t, 1, asked.Load())
}
