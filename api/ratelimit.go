package api

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"
)

// RateLimits is a token bucket per API client, in this process: with n API
// replicas a client may reach n times the rate.
type RateLimits struct {
	PerSecond float64
	Burst     int

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

func (l *RateLimits) bucket(client string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = map[string]*rate.Limiter{}
	}
	b, ok := l.buckets[client]
	if !ok {
		b = rate.NewLimiter(rate.Limit(l.PerSecond), l.Burst)
		l.buckets[client] = b
	}
	return b
}

// rateLimit answers 429 once a client has spent its bucket, and tells every
// caller its quota with the RateLimit-Policy and RateLimit fields of the
// IETF httpapi draft, so that clients can pace themselves.
func (s *Server) rateLimit(c *gin.Context) {
	if s.RateLimits == nil {
		c.Next()
		return
	}
	l := s.RateLimits
	b := l.bucket(principal(c).ClientID)
	window := int(math.Ceil(float64(l.Burst) / l.PerSecond))
	c.Header("RateLimit-Policy", fmt.Sprintf(`"client";q=%d;w=%d`, l.Burst, window))
	now := s.now()
	if !b.AllowN(now, 1) {
		r := b.ReserveN(now, 1)
		wait := int(math.Ceil(r.DelayFrom(now).Seconds()))
		r.CancelAt(now)
		c.Header("RateLimit", fmt.Sprintf(`"client";r=0;t=%d`, wait))
		c.Header("Retry-After", strconv.Itoa(wait))
		problem(c, http.StatusTooManyRequests, "rate-limited",
			fmt.Sprintf("This client may make %g requests a second (bursts of %d); retry after %d s.", l.PerSecond, l.Burst, wait))
		return
	}
	c.Header("RateLimit", fmt.Sprintf(`"client";r=%d;t=%d`, int(b.TokensAt(now)), window))
	c.Next()
}
