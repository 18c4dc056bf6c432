package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// caller sends one request to the system under test.
type caller interface {
	call(ctx context.Context, in *input) error
	close()
}

// result is what one scenario measured.
type result struct {
	scenario string
	rps      float64
	p50, p99 time.Duration
	errors   int64
	firstErr error
	// serverCPU is the CPU the server's processes used per request from
	// the start of the measured phase until its audit trail had caught up
	// (deferred work included); clientCPU the load generator's per request
	// in the measured phase, and busy the share of the machine's
	// processors in use then; all 0 when unknown.
	serverCPU, clientCPU time.Duration
	busy                 float64
	// trail is what the pdp's audit trail had left to index when the load
	// ended and how long it took to catch up; nil for other servers.
	trail *catchUp
	// hitShare is the share of answers marked cache_hit (gRPC scenarios).
	hitShare float64
	skipped  string // why the scenario did not run; empty when it ran
}

// load drives c with a fixed number of concurrent callers: first a warm-up
// whose latencies are dropped, then the measured phase. Errors of both
// phases count.
type load struct {
	concurrency      int
	warmup, duration time.Duration
	mix              *mix
	// catchUp bounds the wait for a pdp's audit trail after each phase.
	catchUp time.Duration
}

// measuring, when not nil, is called as the measured phase starts; the
// function it returns is called when it ends (profiling uses it).
func (l load) run(ctx context.Context, name string, s *server, measuring func() func() error) result {
	var seq atomic.Uint64
	var errs errCount
	l.phase(ctx, s.caller, &seq, &errs, l.warmup, false)
	// The warm-up's deferred audit work is not the measured phase's.
	if _, err := s.trail.wait(ctx, l.catchUp); err != nil {
		errs.add(fmt.Errorf("after the warm-up: %w", err))
	}
	done := func() error { return nil }
	if measuring != nil {
		done = measuring()
	}
	r, lat := l.measure(ctx, s, &seq, &errs)
	if err := done(); err != nil {
		errs.add(fmt.Errorf("profile: %w", err))
	}
	r.scenario, r.errors, r.firstErr = name, errs.n.Load(), errs.first()
	if g, ok := s.caller.(interface{ hitShare() float64 }); ok {
		r.hitShare = g.hitShare()
	}
	r.p50, r.p99 = percentile(lat, 0.50), percentile(lat, 0.99)
	return r
}

// measure runs the measured phase and then waits for the server's audit
// trail, if any, to catch up; it returns the latencies and a result with
// the throughput, CPU and catch-up figures.
func (l load) measure(ctx context.Context, s *server, seq *atomic.Uint64, errs *errCount) (result, []time.Duration) {
	start := time.Now()
	u0, err0 := s.usage()
	lat := l.phase(ctx, s.caller, seq, errs, l.duration, true)
	elapsed := time.Since(start)
	u1, err1 := s.usage()
	trail, errTrail := s.trail.wait(ctx, l.catchUp)
	u2, err2 := s.usage()
	if errTrail != nil {
		errs.add(errTrail)
	}
	r := result{rps: float64(len(lat)) / elapsed.Seconds(), trail: trail}
	if len(lat) > 0 && errors.Join(err0, err1, err2, errTrail) == nil {
		r.usedCPU(u0, u1, u2, len(lat))
	}
	return r, lat
}

// fail counts err, when not nil, as one more error of the scenario.
func (r *result) fail(err error) {
	if err == nil {
		return
	}
	r.errors++
	if r.firstErr == nil {
		r.firstErr = err
	}
}

// usedCPU sets the CPU figures of n requests from snapshots taken before
// them, when the load ended, and when the server had caught up.
func (r *result) usedCPU(before, loadEnd, caughtUp usage, n int) {
	r.serverCPU = (caughtUp.server - before.server) / time.Duration(n)
	r.clientCPU = (loadEnd.client - before.client) / time.Duration(n)
	if total := loadEnd.total - before.total; total > 0 {
		r.busy = float64(loadEnd.busy-before.busy) / float64(total)
	}
}

// phase runs the callers for d and returns the latencies of the calls that
// succeeded when record is set.
func (l load) phase(ctx context.Context, c caller, seq *atomic.Uint64, errs *errCount, d time.Duration, record bool) []time.Duration {
	deadline := time.Now().Add(d)
	per := make([][]time.Duration, l.concurrency)
	var wg sync.WaitGroup
	for w := range per {
		wg.Go(func() { per[w] = l.worker(ctx, c, seq, errs, deadline, record) })
	}
	wg.Wait()
	return slices.Concat(per...)
}

func (l load) worker(ctx context.Context, c caller, seq *atomic.Uint64, errs *errCount, deadline time.Time, record bool) []time.Duration {
	var lat []time.Duration
	if record {
		lat = make([]time.Duration, 0, 1<<14)
	}
	for ctx.Err() == nil {
		in, err := l.mix.next(seq.Add(1))
		if err != nil {
			errs.add(err)
			return lat
		}
		t0 := time.Now()
		if t0.After(deadline) {
			return lat
		}
		if err := c.call(ctx, in); err != nil {
			errs.add(err)
			continue
		}
		if record {
			lat = append(lat, time.Since(t0))
		}
	}
	return lat
}

// percentile is the nearest-rank q-quantile of lat (sorted in place).
func percentile(lat []time.Duration, q float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	if !slices.IsSorted(lat) {
		slices.Sort(lat)
	}
	i := int(q*float64(len(lat))+0.5) - 1
	return lat[max(0, min(i, len(lat)-1))]
}

// errCount counts errors and keeps the first one for the report.
type errCount struct {
	n    atomic.Int64
	mu   sync.Mutex
	err1 error
}

func (e *errCount) add(err error) {
	if e.n.Add(1) == 1 {
		e.mu.Lock()
		e.err1 = err
		e.mu.Unlock()
	}
}

func (e *errCount) first() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err1
}
