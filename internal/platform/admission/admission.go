// Package admission decides whether a new envelope is accepted now: while
// the workers keep up every one is, and while they are behind, creation is
// refused early with a time to retry, tenant by tenant in fairness, so that
// work already accepted (a person signing above all) is served first and a
// tenant flooding the system cannot lock the others out.
package admission

import (
	"context"
	"log/slog"
	"math"
	"sync"
	"time"
)

// Gate admits or refuses new envelopes from how far the workers are behind.
type Gate struct {
	// Backlog is how long the oldest waiting task has waited.
	Backlog func(context.Context) (time.Duration, error)
	// MaxBacklog is the backlog beyond which creation is refused.
	MaxBacklog time.Duration
	Log        *slog.Logger
	// Now is the clock; nil is time.Now.
	Now func() time.Time

	mu      sync.Mutex
	checked time.Time
	asking  bool
	behind  time.Duration
	// Admissions per tenant in the current and the previous window: the
	// recent past that decides a tenant's fair share.
	windowStart     time.Time
	current, before map[string]int
}

// Verdict is the gate's answer to one creation.
type Verdict struct {
	Admit bool
	// Behind is how long the oldest waiting task has waited.
	Behind time.Duration
	// RetryAfter is when a refused creation is worth trying again.
	RetryAfter time.Duration
}

const (
	// recheckEvery bounds how often the backlog is asked for: one question
	// a second per API process, however many requests arrive.
	recheckEvery = time.Second
	// askTimeout bounds the question, so a slow Temporal delays one
	// creation a second at most, never every one.
	askTimeout = 2 * time.Second
	// window is how long an admission counts towards a tenant's share.
	window = 10 * time.Second
)

// Admit decides on one new envelope of tenant. While the workers are
// behind, a tenant is admitted only while it has had less than an equal
// share of the recent admissions, or none at all: the tenant causing the
// backlog waits, the others go on at their usual pace.
func (g *Gate) Admit(ctx context.Context, tenant string) Verdict {
	if g == nil || g.MaxBacklog <= 0 {
		return Verdict{Admit: true}
	}
	behind := g.backlog(ctx)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.rotate()
	if behind > g.MaxBacklog {
		mine, total := g.before[tenant]+g.current[tenant], 0
		tenants := map[string]bool{}
		for _, counts := range []map[string]int{g.before, g.current} {
			for t, n := range counts {
				total += n
				tenants[t] = true
			}
		}
		if mine > 0 && float64(mine) >= float64(total)/float64(max(len(tenants), 1)) {
			wait := time.Duration(math.Ceil((behind - g.MaxBacklog).Seconds())) * time.Second
			return Verdict{Behind: behind, RetryAfter: max(wait, time.Second)}
		}
	}
	g.current[tenant]++
	return Verdict{Admit: true, Behind: behind}
}

// rotate starts a new window once the current one is over.
func (g *Gate) rotate() {
	now := g.now()
	switch {
	case g.current == nil || now.Sub(g.windowStart) >= 2*window:
		g.before, g.current, g.windowStart = map[string]int{}, map[string]int{}, now
	case now.Sub(g.windowStart) >= window:
		g.before, g.current, g.windowStart = g.current, map[string]int{}, g.windowStart.Add(window)
	}
}

// backlog is the workers' backlog, asked for at most once per recheckEvery
// and by one request at a time; the others read the last answer. When it
// cannot be read, creations are admitted: the rest of the API reports an
// unreachable Temporal on its own.
func (g *Gate) backlog(ctx context.Context) time.Duration {
	g.mu.Lock()
	if g.asking || g.now().Sub(g.checked) < recheckEvery {
		behind := g.behind
		g.mu.Unlock()
		return behind
	}
	g.asking = true
	g.mu.Unlock()

	ctx, cancel := context.WithTimeout(ctx, askTimeout)
	defer cancel()
	behind, err := g.Backlog(ctx)
	if err != nil {
		g.Log.WarnContext(ctx, "backlog unknown; admitting", "error", err)
		behind = 0
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.behind, g.checked, g.asking = behind, g.now(), false
	return behind
}

func (g *Gate) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}
