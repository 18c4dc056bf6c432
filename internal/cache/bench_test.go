package cache_test

import (
	"context"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/cache"
	"github.com/pdp-project/pdp/internal/cache/redis"
	"github.com/pdp-project/pdp/internal/cache/redis/redistest"
	"github.com/pdp-project/pdp/internal/pdp"
)

// BenchmarkEvaluate compares, side by side, one evaluation of the ABAC test
// policy with a hit in the in-process tier and a hit in Redis (no local
// tier), plus the key derivation alone.
// Run: go test ./internal/cache -run '^$' -bench Evaluate -benchmem
func BenchmarkEvaluate(b *testing.B) {
	e := newEngine(b, policyBundle(b, "r1", "abac.rego", grants(0)))
	q := pdp.Query{Input: request("alice", []string{"viewer"}, map[string]any{"level": 1.0},
		map[string]any{"request_id": "x", "ip": "10.0.0.5"}, noon)}
	store, err := redis.Open(redistest.Start(b).URL(), redis.Options{Timeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	for _, bc := range []struct {
		name string
		ev   cache.Evaluator
	}{
		{"uncached", e},
		{"local-hit", cache.New(e, e, cache.Options{TTL: time.Hour, Local: cache.NewLocal(100, nil)})},
		{"redis-hit", cache.New(e, e, cache.Options{TTL: time.Hour, Remote: store})},
	} {
		b.Run(bc.name, func(b *testing.B) {
			eval(b, bc.ev, q.Input) // warm the cache
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.ev.Evaluate(context.Background(), q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("key", func(b *testing.B) {
		plan, _ := e.Plan("")
		b.ReportAllocs()
		for b.Loop() {
			if _, err := cache.Key(plan, q.Input); err != nil {
				b.Fatal(err)
			}
		}
	})
}
