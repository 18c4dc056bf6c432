package ship

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
)

var t0 = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

func newTestShipper(t *testing.T, l Local, r Remote, clock func() time.Time) *Shipper {
	t.Helper()
	s, err := New(Options{Instance: "r1", Local: l, Remote: r, Idle: time.Millisecond,
		MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// run starts s and returns a function that stops it and waits.
func run(s *Shipper) func() {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = s.Run(ctx) })
	return func() { cancel(); wg.Wait() }
}

func waitShipped(t *testing.T, s *Shipper, seq int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitShipped(ctx, seq); err != nil {
		t.Fatalf("WaitShipped(%d): %v (shipped %d)", seq, err, s.Shipped())
	}
}

func TestShipper(t *testing.T) {
	tests := []struct {
		name      string
		records   int
		seeded    int // records a previous run shipped
		other     int // records of another chain under the same id
		remote    failures
		wantFirst []int64 // first seqs of the successful Ships; nil: not checked
	}{
		{name: "catches up in batches", records: 1300, wantFirst: []int64{1, 513, 1025}},
		{name: "nothing to ship", records: 0},
		{name: "retries failures before commit", records: 1100, remote: failures{failBefore: 3}, wantFirst: []int64{1, 513, 1025}},
		{name: "ships again after a lost answer", records: 1100, remote: failures{failAfter: 2}, wantFirst: []int64{1, 1, 1, 513, 1025}},
		{name: "waits for the remote head", records: 600, remote: failures{failHead: 3}, wantFirst: []int64{1, 513}},
		{name: "resumes after the remote head", records: 1000, seeded: 700, wantFirst: []int64{701}},
		{name: "remote at the local head", records: 10, seeded: 10, wantFirst: []int64{}},
		{name: "another chain, longer", records: 10, other: 50, wantFirst: []int64{1}},
		{name: "another chain, shorter", records: 100, other: 50, wantFirst: []int64{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			local := &fakeLocal{}
			local.add(tt.records, t0)
			local.checkpoint(500, "count")
			local.checkpoint(int64(tt.records), "shutdown")
			remote := newFakeRemote()
			remote.failHead, remote.failBefore, remote.failAfter = tt.remote.failHead, tt.remote.failBefore, tt.remote.failAfter
			remote.seed(local, tt.seeded)
			remote.seedOther(tt.other)
			s := newTestShipper(t, local, remote, time.Now)
			stop := run(s)
			waitShipped(t, s, int64(tt.records))
			stop()
			if err := s.Flush(context.Background()); err != nil {
				t.Fatalf("Flush: %v", err)
			}
			if err := remote.check(tt.records, tt.other); err != nil {
				t.Fatal(err)
			}
			if tt.wantFirst != nil && !equal(remote.firstSeqs, tt.wantFirst) {
				t.Errorf("batches began at %v, want %v", remote.firstSeqs, tt.wantFirst)
			}
			for _, cp := range local.cps {
				if n := remote.cps[keyOf(cp)]; cp.Seq <= int64(tt.records) && cp.Seq > 0 && n < 1 {
					t.Errorf("checkpoint at %d shipped %d times", cp.Seq, n)
				}
			}
			if b := s.Backlog(); b.Records != 0 || b.Bytes != 0 {
				t.Errorf("backlog after catching up = %+v", b)
			}
		})
	}
}

// failures is how often a fakeRemote fails (see its fields).
type failures struct{ failHead, failBefore, failAfter int }

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestShipperShipsCheckpointsOnceAndNotAheadOfRecords(t *testing.T) {
	local := &fakeLocal{}
	local.add(100, t0)
	local.checkpoint(50, "count")
	local.checkpoint(150, "count") // names a record not written yet
	remote := newFakeRemote()
	s := newTestShipper(t, local, remote, time.Now)
	stop := run(s)
	defer stop()
	waitShipped(t, s, 100)
	if n := remote.cps[cpKey{150, "count", "sig150count"}]; n != 0 {
		t.Fatalf("checkpoint ahead of the shipped records was shipped")
	}
	local.add(60, t0)
	s.Notify()
	waitShipped(t, s, 160)
	stop()
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, seq := range []int64{50, 150} {
		if n := remote.cps[cpKey{seq, "count", "sig" + strconv.FormatInt(seq, 10) + "count"}]; n != 1 {
			t.Errorf("checkpoint at %d shipped %d times, want 1", seq, n)
		}
	}
}

func TestShipperBacklogWhileRemoteDown(t *testing.T) {
	now := t0.Add(time.Hour)
	local := &fakeLocal{}
	local.add(10, t0)
	remote := newFakeRemote()
	s := newTestShipper(t, local, remote, func() time.Time { return now })
	stop := run(s)
	defer stop()
	waitShipped(t, s, 10)
	remote.setDown(true)
	local.add(1000, t0) // seqs 11..1010, the first at t0+11s
	deadline := time.Now().Add(10 * time.Second)
	var b Backlog
	for b = s.Backlog(); (b.Records != 1000 || b.Oldest == 0) && time.Now().Before(deadline); b = s.Backlog() {
		time.Sleep(5 * time.Millisecond)
	}
	if b.Records != 1000 || b.Oldest != now.Sub(t0.Add(11*time.Second)) || b.Bytes < 1000*50 {
		t.Fatalf("backlog = %+v, want 1000 records, oldest %v, some bytes", b, now.Sub(t0.Add(11*time.Second)))
	}
	if s.Err() == nil {
		t.Errorf("Err is nil while the remote is down")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := s.WaitShipped(ctx, 1010); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitShipped while down = %v, want deadline exceeded", err)
	}
	remote.setDown(false)
	waitShipped(t, s, 1010)
	stop()
	if err := remote.check(1010, 0); err != nil {
		t.Fatal(err)
	}
	if b := s.Backlog(); b.Records != 0 || b.Oldest != 0 || s.Err() != nil {
		t.Fatalf("after draining: backlog %+v, err %v", b, s.Err())
	}
}

func TestShipperBacklogBeforeRemoteAnswers(t *testing.T) {
	local := &fakeLocal{}
	local.add(100, t0) // shipped or not, unknown while the remote is down
	remote := newFakeRemote()
	remote.setDown(true)
	s := newTestShipper(t, local, remote, time.Now)
	stop := run(s)
	defer stop()
	deadline := time.Now().Add(10 * time.Second)
	for s.Err() == nil && time.Now().Before(deadline) { // the shipper has taken the local head
		time.Sleep(time.Millisecond)
	}
	local.add(20, t0)
	for s.Backlog().Records != 20 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if b := s.Backlog(); b.Records != 20 || s.Shipped() != 0 {
		t.Fatalf("backlog %+v shipped %d, want the 20 records written since start and 0", b, s.Shipped())
	}
	remote.setDown(false)
	waitShipped(t, s, 120)
}

func TestNewRequiresStores(t *testing.T) {
	tests := []Options{{Local: &fakeLocal{}, Remote: newFakeRemote()}, {Instance: "r", Remote: newFakeRemote()}, {Instance: "r", Local: &fakeLocal{}}}
	for _, o := range tests {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) = nil error", o)
		}
	}
}

// flakyRemote fails every third Ship, alternately before storing and after
// storing (the answer lost).
type flakyRemote struct {
	*fakeRemote
	n int
}

func (r *flakyRemote) Ship(ctx context.Context, instance string, es []audit.Entry, cps []audit.Checkpoint) error {
	r.mu.Lock()
	r.n++
	switch {
	case r.n%6 == 3:
		r.failBefore = 1
	case r.n%6 == 0:
		r.failAfter = 1
	}
	r.mu.Unlock()
	return r.fakeRemote.Ship(ctx, instance, es, cps)
}

// TestShipperUnderConcurrentWritesAndFailures: records appended by several
// writers while every third Ship fails all land once, in chain order.
func TestShipperUnderConcurrentWritesAndFailures(t *testing.T) {
	local := &fakeLocal{}
	remote := &flakyRemote{fakeRemote: newFakeRemote()}
	s := newTestShipper(t, local, remote, time.Now)
	stop := run(s)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				local.add(25, t0)
				s.Notify()
				time.Sleep(100 * time.Microsecond)
			}
		})
	}
	wg.Wait()
	waitShipped(t, s, 5000)
	stop()
	if err := remote.check(5000, 0); err != nil {
		t.Fatal(err)
	}
	if remote.n < 6 {
		t.Fatalf("only %d Ship calls: the failures were not exercised", remote.n)
	}
}
