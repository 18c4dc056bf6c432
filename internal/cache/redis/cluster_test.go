package redis_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/pdp-project/pdp/internal/cache"
	"github.com/pdp-project/pdp/internal/cache/cachetest"
	"github.com/pdp-project/pdp/internal/cache/redis"
	"github.com/pdp-project/pdp/internal/cache/redis/redistest"
	"github.com/pdp-project/pdp/internal/pdp"
)

var clusterTopology = redis.Topology{Cluster: true}

func TestClusterConformance(t *testing.T) {
	c := redistest.StartCluster(t, 3)
	cachetest.Run(t, func(t *testing.T) cache.Tier {
		return open(t, c.URL(), redis.Options{Prefix: t.Name() + ":", Timeout: time.Second, Topology: clusterTopology})
	})
}

func TestSentinelConformance(t *testing.T) {
	master := redistest.Start(t)
	sentinel := redistest.StartSentinel(t, master, "pdpmaster")
	url := "redis://" + sentinel.Addr() + "/0"
	cachetest.Run(t, func(t *testing.T) cache.Tier {
		return open(t, url, redis.Options{Prefix: t.Name() + ":", Timeout: time.Second,
			Topology: redis.Topology{SentinelMaster: "pdpmaster"}})
	})
	if n := keyCount(t, master.Addr()); n == 0 {
		t.Fatal("no entry on the master that the sentinel names")
	}
}

// keyCount is DBSIZE of the single server at addr.
func keyCount(t *testing.T, addr string) int64 {
	t.Helper()
	cl := goredis.NewClient(&goredis.Options{Addr: addr, DisableIdentity: true})
	defer cl.Close()
	n, err := cl.DBSize(context.Background()).Result()
	if err != nil {
		t.Fatalf("DBSIZE %s: %v", addr, err)
	}
	return n
}

// TestClusterKeysSpreadAndAMasterKillOnlyCostsItsSlots: entries land on
// every master; after one master is SIGKILLed under load, calls for its
// slots fail fast (the caller's misses, well within the default timeout)
// and the others keep hitting.
func TestClusterKeysSpreadAndAMasterKillOnlyCostsItsSlots(t *testing.T) {
	c := redistest.StartCluster(t, 3)
	redistest.AwaitDialProbes(t)
	// A long timeout and a breaker that never opens: this test looks at how
	// fast the killed master's slots fail, not at either.
	s := open(t, c.URL(), redis.Options{Timeout: 2 * time.Second, Topology: clusterTopology,
		FailureThreshold: 1 << 30})
	ctx := context.Background()
	const keys = 300
	res := pdp.Result{Allow: true, BundleRevision: "r", Entrypoint: "e"}
	for i := range keys {
		if err := s.Set(ctx, key(i), res, time.Minute); err != nil {
			t.Fatalf("Set %d: %v", i, err)
		}
	}
	before := c.KeysPerNode(t)
	t.Logf("entries per master: %v", before)
	for i, n := range before {
		if n < keys/6 {
			t.Fatalf("master %d holds %d of %d entries: %v, want them spread", i, n, keys, before)
		}
	}
	loadDuringKill(ctx, s, c.Nodes[1], keys)
	p := passOver(ctx, s, keys)
	lost := before[1]
	t.Logf("after the kill: %d hits, %d errors (the killed master held %d of %d); median failed call %v",
		p.hits, len(p.failed), lost, keys, median(p.failed))
	if int64(p.hits) != keys-lost || int64(len(p.failed)) != lost {
		t.Fatalf("after the kill: %d hits, %d errors; want a hit for each of the survivors' %d entries and an error for each of the killed master's %d",
			p.hits, len(p.failed), keys-lost, lost)
	}
	if m := median(p.failed); m >= redis.DefaultTimeout {
		t.Fatalf("a call for the killed master's slots takes %v (median), want it to fail before the default timeout %v", m, redis.DefaultTimeout)
	}
}

// loadDuringKill reads every key from 4 goroutines and kills node halfway.
func loadDuringKill(ctx context.Context, s *redis.Store, node *redistest.Server, keys int) {
	var wg sync.WaitGroup
	var calls atomic.Int64
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range keys {
				_, _, _ = s.Get(ctx, key((i+g*keys/4)%keys))
				calls.Add(1)
			}
		}()
	}
	for calls.Load() < int64(2*keys) {
		time.Sleep(time.Millisecond)
	}
	node.Kill()
	wg.Wait()
}

type pass struct {
	hits   int
	failed []time.Duration // how long each failed call took
}

// passOver reads every key once.
func passOver(ctx context.Context, s *redis.Store, keys int) pass {
	var p pass
	for i := range keys {
		start := time.Now()
		_, ok, err := s.Get(ctx, key(i))
		if ok {
			p.hits++
		}
		if err != nil {
			p.failed = append(p.failed, time.Since(start))
		}
	}
	return p
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	d = slices.Clone(d)
	slices.Sort(d)
	return d[len(d)/2]
}

func key(i int) string { return fmt.Sprintf("%064x", i*2654435761) }

// TestClusterBreakerIsPerMaster: the failures of a killed master open its
// own breaker only; the other masters keep answering their slots.
func TestClusterBreakerIsPerMaster(t *testing.T) {
	c := redistest.StartCluster(t, 3)
	redistest.AwaitDialProbes(t)
	now := time.Unix(1000, 0) // a clock that stands still: an open breaker stays open
	s := open(t, c.URL(), redis.Options{Prefix: "p:", Timeout: time.Second, Topology: clusterTopology,
		FailureThreshold: 3, Cooldown: time.Minute, Clock: func() time.Time { return now }})
	ctx := context.Background()
	const keys = 90
	for i := range keys {
		if err := s.Set(ctx, key(i), pdp.Result{Allow: true}, time.Minute); err != nil {
			t.Fatalf("Set %d: %v", i, err)
		}
	}
	doomed := keysOf(t, c.Nodes[1].Addr(), "p:")
	c.Nodes[1].Kill()
	// The killed master's keys first: a single breaker would open here.
	for _, k := range doomed {
		_, _, _ = s.Get(ctx, k)
	}
	var hits, refused int
	for i := range keys {
		_, ok, err := s.Get(ctx, key(i))
		switch {
		case ok:
			hits++
		case errors.Is(err, redis.ErrOpen):
			refused++
		}
	}
	if hits != keys-len(doomed) || refused != len(doomed) {
		t.Fatalf("%d hits and %d refused by a breaker; want %d hits (the survivors' entries) and %d refused (the killed master's)",
			hits, refused, keys-len(doomed), len(doomed))
	}
}

// keysOf lists the keys under prefix on the one node at addr, without it.
func keysOf(t *testing.T, addr, prefix string) []string {
	t.Helper()
	cl := goredis.NewClient(&goredis.Options{Addr: addr, DisableIdentity: true})
	defer cl.Close()
	keys, err := cl.Keys(context.Background(), prefix+"*").Result()
	if err != nil || len(keys) < 3 {
		t.Fatalf("KEYS on %s: %v %v, want at least 3", addr, keys, err)
	}
	for i, k := range keys {
		keys[i] = strings.TrimPrefix(k, prefix)
	}
	return keys
}
