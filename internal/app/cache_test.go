package app_test

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
	"github.com/pdp-project/pdp/internal/cache/redis/redistest"
	"github.com/pdp-project/pdp/internal/config"
)

// cachedRequest is request() at a fixed time, so that its key does not
// change with the clock (the example policy reads environment.time).
func cachedRequest(tb testing.TB) *pdpv1.CheckRequest {
	env, err := structpb.NewStruct(map[string]any{"time": "2026-03-02T10:00:00Z"})
	if err != nil {
		tb.Fatal(err)
	}
	req := request()
	req.Environment = env
	return req
}

// TestCacheWiring: the second identical Check is a hit unless --cache-ttl 0.
func TestCacheWiring(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ttl     time.Duration
		wantHit bool
	}{{"default", time.Minute, true}, {"ttl 0 turns it off", 0, false}} {
		t.Run(tc.name, func(t *testing.T) {
			r := startWith(t, func(c *config.Config) { c.Cache.TTL = tc.ttl }, nil)
			defer r.stop(t)
			var hits []bool
			for range 2 {
				resp, err := r.client.Check(context.Background(), cachedRequest(t))
				if err != nil {
					t.Fatal(err)
				}
				hits = append(hits, resp.CacheHit)
			}
			if hits[0] || hits[1] != tc.wantHit {
				t.Fatalf("cache_hit = %v, want [false %v]", hits, tc.wantHit)
			}
		})
	}
}

// BenchmarkCheckCache runs Check over gRPC with 16 concurrent callers, side
// by side: uncached (--cache-ttl 0), cached in-process, and cached in Redis
// only (--cache-size 0). It reports checks/s and p99 latency.
// Run: go test ./internal/app -run '^$' -bench CheckCache -benchmem
func BenchmarkCheckCache(b *testing.B) {
	redisURL := redistest.Start(b).URL()
	for _, bc := range []struct {
		name   string
		mutate func(*config.Config)
	}{
		{"uncached", func(c *config.Config) { c.Cache.TTL = 0 }},
		{"cached-local", func(*config.Config) {}},
		{"cached-redis", func(c *config.Config) { c.Cache.Size, c.Cache.RedisURL = 0, redisURL }},
	} {
		b.Run(bc.name, func(b *testing.B) { benchCheck(b, startWith(b, bc.mutate, nil)) })
	}
}

func benchCheck(b *testing.B, r *running) {
	defer r.stop(b)
	req := cachedRequest(b)
	var mu sync.Mutex
	var all []time.Duration
	b.SetParallelism(max(1, 16/runtimeProcs()))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var lat []time.Duration
		for pb.Next() {
			t0 := time.Now()
			if _, err := r.client.Check(context.Background(), req); err != nil {
				b.Error(err)
				return
			}
			lat = append(lat, time.Since(t0))
		}
		mu.Lock()
		all = append(all, lat...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(all)
	if len(all) > 0 {
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
		b.ReportMetric(float64(len(all))/elapsed.Seconds(), "checks/s")
	}
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }
