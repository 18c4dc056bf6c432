package app_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
	"github.com/pdp-project/pdp/internal/cache/redis/redistest"
	"github.com/pdp-project/pdp/internal/config"
)

// clusterLoad counts the Checks of one phase of TestChecksSurviveARedisClusterMasterKill.
type clusterLoad struct {
	mu      sync.Mutex
	checks  int
	hits    int
	errs    []error
	latency []time.Duration
}

func (l *clusterLoad) add(hit bool, err error, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.checks++
	if hit {
		l.hits++
	}
	if err != nil {
		l.errs = append(l.errs, err)
	}
	l.latency = append(l.latency, d)
}

func (l *clusterLoad) String() string {
	slices.Sort(l.latency)
	p99 := time.Duration(0)
	if len(l.latency) > 0 {
		p99 = l.latency[len(l.latency)*99/100]
	}
	return fmt.Sprintf("%d checks, %d errors, hit share %.2f, p99 %v", l.checks, len(l.errs),
		float64(l.hits)/float64(max(1, l.checks)), p99)
}

// TestChecksSurviveARedisClusterMasterKill: with a 3-master Redis Cluster as
// the only cache tier, decisions spread over every master, and SIGKILLing
// one master under load fails no Check; the survivors keep answering hits
// (go-redis' dial probes of the dead master end with the test).
func TestChecksSurviveARedisClusterMasterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster and runs load for seconds")
	}
	c := redistest.StartCluster(t, 3)
	redistest.AwaitDialProbes(t)
	r := startWith(t, func(cfg *config.Config) {
		cfg.Cache.Size, cfg.Cache.RedisURL, cfg.Cache.RedisCluster = 0, c.URL(), true
	}, nil)
	defer r.stop(t)
	const subjects = 300
	base := cachedRequest(t)
	warm := &clusterLoad{}
	for i := range subjects {
		check(r, base, i, warm)
	}
	spread := c.KeysPerNode(t)
	t.Logf("warm-up: %v; entries per master %v", warm, spread)
	for i, n := range spread {
		if n == 0 {
			t.Fatalf("master %d holds no entry: %v", i, spread)
		}
	}
	before, after := &clusterLoad{}, &clusterLoad{}
	var phase atomic.Pointer[clusterLoad]
	phase.Store(before)
	done := runLoad(r, base, subjects, &phase, 3*time.Second)
	time.Sleep(1500 * time.Millisecond)
	c.Nodes[1].Kill() // SIGKILL, under load
	phase.Store(after)
	<-done
	t.Logf("before the kill: %v", before)
	t.Logf("after the kill:  %v", after)
	for _, l := range []*clusterLoad{warm, before, after} {
		if len(l.errs) > 0 {
			t.Fatalf("%d Checks failed, first: %v", len(l.errs), l.errs[0])
		}
	}
	if share := float64(after.hits) / float64(after.checks); share < 0.3 || share > 0.95 {
		t.Fatalf("hit share after the kill %.2f, want the survivors' part (about 2/3)", share)
	}
}

// runLoad runs Checks from 4 goroutines over subjects for d, each counted
// in the phase current when it starts; done closes when they are over.
func runLoad(r *running, base *pdpv1.CheckRequest, subjects int, phase *atomic.Pointer[clusterLoad], d time.Duration) (done <-chan struct{}) {
	var wg sync.WaitGroup
	var next atomic.Int64
	deadline := time.Now().Add(d)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				check(r, base, int(next.Add(1))%subjects, phase.Load())
			}
		}()
	}
	ch := make(chan struct{})
	go func() { wg.Wait(); close(ch) }()
	return ch
}

// check runs base as the subject user-<subject>.
func check(r *running, base *pdpv1.CheckRequest, subject int, l *clusterLoad) {
	req := proto.CloneOf(base)
	req.Subject.Id = fmt.Sprintf("user-%d", subject)
	start := time.Now()
	resp, err := r.client.Check(context.Background(), req)
	l.add(err == nil && resp.GetCacheHit(), err, time.Since(start))
}
