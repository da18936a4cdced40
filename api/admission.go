package api

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// Admission refuses new envelopes while the workers are behind, so that
// work already admitted, people signing above all, is served first: an
// envelope refused early with Retry-After costs the integrator a retry,
// while one admitted into a backlog delays every signature behind it.
type Admission struct {
	// Backlog is how long the oldest waiting task has waited.
	Backlog func(context.Context) (time.Duration, error)
	// MaxBacklog is the backlog beyond which creation is refused.
	MaxBacklog time.Duration
	Log        *slog.Logger

	mu      sync.Mutex
	checked time.Time
	behind  time.Duration
}

// recheckEvery bounds how often the backlog is asked for: one question a
// second per API process, however many requests arrive.
const recheckEvery = time.Second

// admit answers 503 with Retry-After while the backlog exceeds MaxBacklog.
// When the backlog cannot be read, requests are admitted: the rest of the
// API reports an unreachable Temporal on its own.
func (a *Admission) admit(c *gin.Context) {
	if a == nil || a.MaxBacklog <= 0 {
		c.Next()
		return
	}
	if behind := a.current(c.Request.Context()); behind > a.MaxBacklog {
		wait := int(math.Ceil((behind - a.MaxBacklog).Seconds()))
		c.Header("Retry-After", strconv.Itoa(max(wait, 1)))
		problem(c, http.StatusServiceUnavailable, "overloaded",
			fmt.Sprintf("Signflow is %s behind the work already accepted; new envelopes are refused until it catches up. Retry after the Retry-After seconds.", behind.Round(time.Second)))
		return
	}
	c.Next()
}

// current is the backlog, asked for at most once per recheckEvery.
func (a *Admission) current(ctx context.Context) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	if time.Since(a.checked) < recheckEvery {
		return a.behind
	}
	a.checked = time.Now()
	behind, err := a.Backlog(ctx)
	if err != nil {
		a.Log.WarnContext(ctx, "backlog unknown; admitting", "error", err)
		behind = 0
	}
	a.behind = behind
	return behind
}
