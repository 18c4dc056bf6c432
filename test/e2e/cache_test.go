package e2e

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
	"github.com/pdp-project/pdp/internal/cache/redis/redistest"
)

// cacheRequest is a read by user n at a fixed time with a request id the
// policy never reads.
func cacheRequest(t *testing.T, n int, requestID string) *pdpv1.CheckRequest {
	t.Helper()
	env, err := structpb.NewStruct(map[string]any{"time": "2026-03-02T10:00:00Z", "request_id": requestID})
	if err != nil {
		t.Fatal(err)
	}
	req := validRequest()
	req.Subject.Id = fmt.Sprintf("user-%d", n)
	req.Environment = env
	return req
}

// TestCacheSharedAcrossProcesses: a decision computed by one PDP is a cache
// hit in another that shares its Redis, and is audited there as its own
// decision.
func TestCacheSharedAcrossProcesses(t *testing.T) {
	srv := redistest.Start(t)
	a := startPDP(t, true, "--redis-url", srv.URL())
	b := startPDP(t, true, "--redis-url", srv.URL())
	first, err := a.client.Check(ctxT(t), cacheRequest(t, 1, "req-a"))
	if err != nil || first.CacheHit {
		t.Fatalf("first Check on A: %v, cache_hit=%v; want a miss", err, first.GetCacheHit())
	}
	second, err := b.client.Check(ctxT(t), cacheRequest(t, 1, "req-b"))
	if err != nil || !second.CacheHit {
		t.Fatalf("same Check on B: %v, cache_hit=%v; want a hit from Redis", err, second.GetCacheHit())
	}
	if second.Allow != first.Allow || second.DecisionId == first.DecisionId || second.BundleRevision != first.BundleRevision {
		t.Fatalf("B answered %+v, A answered %+v", second, first)
	}
	var hit int
	row := b.auditDB(t).QueryRow(`SELECT cache_hit FROM decisions WHERE decision_id = ?`, second.DecisionId)
	if err := row.Scan(&hit); err != nil || hit != 1 {
		t.Fatalf("B's audit record: cache_hit=%d err=%v, want 1", hit, err)
	}
}

// TestRedisKilledDuringLoad: with Redis as the only tier, killing it during
// a load run fails no Check, and hits resume once it is back.
func TestRedisKilledDuringLoad(t *testing.T) {
	srv := redistest.Start(t)
	p := startPDP(t, true, "--redis-url", srv.URL(), "--cache-size", "0")
	var failures, hits atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() { cacheLoad(t, p, g, stop, &failures, &hits) })
	}
	halt := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer halt()
	waitFor(t, 10*time.Second, func() bool { return hits.Load() > 0 })
	srv.Kill()
	time.Sleep(time.Second)
	srv.Restart()
	before := hits.Load()
	waitFor(t, 15*time.Second, func() bool { return hits.Load() > before+20 })
	halt()
	if n := failures.Load(); n != 0 {
		t.Fatalf("%d Checks failed while Redis was down; log:\n%s", n, p.log)
	}
}

func cacheLoad(t *testing.T, p *pdpProc, g int, stop chan struct{}, failures, hits *atomic.Int64) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		resp, err := p.client.Check(ctx, cacheRequest(t, (g+i)%4, fmt.Sprint(i)))
		cancel()
		switch {
		case err != nil:
			failures.Add(1)
		case resp.CacheHit:
			hits.Add(1)
		}
	}
}
