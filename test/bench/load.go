package main

import (
	"context"
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
	// serverCPU and clientCPU are the CPU the server's processes and the
	// load generator used per request in the measured phase, and busy the
	// share of the machine's processors in use then; all 0 when unknown.
	serverCPU, clientCPU time.Duration
	busy                 float64
	// hitShare is the share of answers marked cache_hit (gRPC scenarios).
	hitShare float64
	skipped  string // why the scenario did not run; empty when it ran
}

func (r result) line() string {
	if r.skipped != "" {
		return fmt.Sprintf("SKIP scenario=%s reason=%q", r.scenario, r.skipped)
	}
	return fmt.Sprintf("RESULT scenario=%s rps=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d",
		r.scenario, r.rps, ms(r.p50), ms(r.p99), r.errors)
}

func (r result) cpuLine() string {
	return fmt.Sprintf("CPU scenario=%s server_cpu_us_per_req=%.1f client_cpu_us_per_req=%.1f machine_busy=%.2f cache_hit_share=%.2f",
		r.scenario, us(r.serverCPU), us(r.clientCPU), r.busy, r.hitShare)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// load drives c with a fixed number of concurrent callers: first a warm-up
// whose latencies are dropped, then the measured phase. Errors of both
// phases count.
type load struct {
	concurrency      int
	warmup, duration time.Duration
	mix              *mix
}

// measuring, when not nil, is called as the measured phase starts; the
// function it returns is called when it ends (profiling uses it).
func (l load) run(ctx context.Context, name string, s *server, measuring func() func() error) result {
	c := s.caller
	var seq atomic.Uint64
	var errs errCount
	l.phase(ctx, c, &seq, &errs, l.warmup, false)
	done := func() error { return nil }
	if measuring != nil {
		done = measuring()
	}
	start := time.Now()
	u0, err0 := s.usage()
	lat := l.phase(ctx, c, &seq, &errs, l.duration, true)
	elapsed := time.Since(start)
	u1, err1 := s.usage()
	if err := done(); err != nil {
		errs.add(fmt.Errorf("profile: %w", err))
	}
	r := result{scenario: name, rps: float64(len(lat)) / elapsed.Seconds(), errors: errs.n.Load(), firstErr: errs.first()}
	if len(lat) > 0 && err0 == nil && err1 == nil {
		r.usedCPU(u0, u1, len(lat))
	}
	if g, ok := c.(interface{ hitShare() float64 }); ok {
		r.hitShare = g.hitShare()
	}
	r.p50, r.p99 = percentile(lat, 0.50), percentile(lat, 0.99)
	return r
}

// usedCPU sets the CPU figures from snapshots taken around n requests.
func (r *result) usedCPU(before, after usage, n int) {
	r.serverCPU = (after.server - before.server) / time.Duration(n)
	r.clientCPU = (after.client - before.client) / time.Duration(n)
	if total := after.total - before.total; total > 0 {
		r.busy = float64(after.busy-before.busy) / float64(total)
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
