package redis

import (
	"context"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
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

// breakers holds one breaker per Redis Cluster master, so that a dead
// master stops the calls for its own slots only and the other masters keep
// answering theirs. With one server or Sentinel there is only the shared
// one, which also covers a cluster whose slot map cannot be read.
type breakers struct {
	cluster *goredis.ClusterClient // nil: not a cluster
	newB    func() *breaker
	shared  *breaker

	mu     sync.Mutex
	byAddr map[string]*breaker
}

func newBreakers(client goredis.UniversalClient, newB func() *breaker) *breakers {
	cluster, _ := client.(*goredis.ClusterClient)
	return &breakers{cluster: cluster, newB: newB, shared: newB(), byAddr: map[string]*breaker{}}
}

// forKey is the breaker of the master serving key (from the client's slot
// map, read over the network only until it is first loaded).
func (bs *breakers) forKey(ctx context.Context, key string) *breaker {
	if bs.cluster == nil {
		return bs.shared
	}
	master, err := bs.cluster.MasterForKey(ctx, key)
	if err != nil {
		return bs.shared
	}
	addr := master.Options().Addr
	bs.mu.Lock()
	defer bs.mu.Unlock()
	b, ok := bs.byAddr[addr]
	if !ok {
		b = bs.newB()
		bs.byAddr[addr] = b
	}
	return b
}
