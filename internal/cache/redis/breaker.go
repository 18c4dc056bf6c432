package redis

import (
	"sync"
	"time"
)

// breaker is a circuit breaker: closed until threshold consecutive failures,
// then open for cooldown, then half-open: one probe call is let through,
// whose success closes it and whose failure opens it again.
type breaker struct {
	mu        sync.Mutex
	threshold int
	cooldown  time.Duration
	clock     func() time.Time
	failures  int
	openUntil time.Time // zero: closed
	probing   bool
}

func newBreaker(threshold int, cooldown time.Duration, clock func() time.Time) *breaker {
	return &breaker{threshold: threshold, cooldown: cooldown, clock: clock}
}

// allow reports whether a call may go to Redis now.
func (b *breaker) allow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.openUntil.IsZero() {
		return true
	}
	if b.probing || b.clock().Before(b.openUntil) {
		return false
	}
	b.probing = true
	return true
}

// record reports the outcome of an allowed call.
func (b *breaker) record(ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if ok {
		b.failures, b.openUntil, b.probing = 0, time.Time{}, false
		return
	}
	b.failures++
	if b.probing || b.failures >= b.threshold {
		b.openUntil, b.probing = b.clock().Add(b.cooldown), false
	}
}

// open reports whether calls are currently refused (for tests and stats).
func (b *breaker) open() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !b.openUntil.IsZero()
}
