package authn

import (
	"sync"

	"golang.org/x/time/rate"
)

// maxTrackedCallers bounds the per-caller buckets kept in memory.
const maxTrackedCallers = 10000

// RateLimiter is a token bucket per caller: rps tokens a second, at most
// burst at once. Anonymous callers share one bucket. It is safe for
// concurrent use.
type RateLimiter struct {
	limit rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

// NewRateLimiter returns a limiter; burst < 1 means max(1, rps).
func NewRateLimiter(rps float64, burst int) *RateLimiter {
	if burst < 1 {
		burst = max(1, int(rps))
	}
	return &RateLimiter{limit: rate.Limit(rps), burst: burst, buckets: map[string]*rate.Limiter{}}
}

// Allow takes one token from caller's bucket and reports whether there was one.
func (l *RateLimiter) Allow(caller string) bool {
	return l.bucket(caller).Allow()
}

func (l *RateLimiter) bucket(caller string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.buckets[caller]; ok {
		return b
	}
	if len(l.buckets) >= maxTrackedCallers {
		l.dropIdle()
	}
	b := rate.NewLimiter(l.limit, l.burst)
	l.buckets[caller] = b
	return b
}

// dropIdle forgets full buckets (callers idle long enough to refill): they
// would be recreated identical. If none is full, it forgets all of them.
func (l *RateLimiter) dropIdle() {
	for id, b := range l.buckets {
		if b.Tokens() >= float64(l.burst) {
			delete(l.buckets, id)
		}
	}
	if len(l.buckets) >= maxTrackedCallers {
		clear(l.buckets)
	}
}
