// Package ship copies a replica's audit trail to the fleet's trail: it reads
// the sealed records and signed checkpoints of the local store in chain
// order and ships them in batches to the remote store under the replica's
// instance id, at least once. The remote store lands a record shipped twice
// once, so a batch whose answer was lost is simply shipped again.
//
// The shipper sees both stores through the small interfaces below; the
// local store stays the durability point, the remote one catches up.
package ship

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
)

// Local is the replica's own trail: records in chain order (journaled ones
// included), its checkpoints and the seq of its newest record.
type Local interface {
	After(ctx context.Context, afterSeq int64, limit int) ([]audit.Entry, error)
	Checkpoints(ctx context.Context) ([]audit.Checkpoint, error)
	Head(ctx context.Context) (int64, error)
}

// Remote is the fleet's trail: where instance's chain stands there, and an
// idempotent store of entries (in chain order) and checkpoints.
type Remote interface {
	Head(ctx context.Context, instance string) (int64, string, error)
	Ship(ctx context.Context, instance string, entries []audit.Entry, cps []audit.Checkpoint) error
}

// Defaults of Options.
const (
	DefaultBatch      = 512
	DefaultIdle       = 50 * time.Millisecond
	DefaultMinBackoff = 100 * time.Millisecond
	DefaultMaxBackoff = 5 * time.Second
	// checkpointEvery is how often an idle shipper looks for checkpoints
	// written without new records (by interval).
	checkpointEvery = time.Second
)

// Options configure New.
type Options struct {
	Instance string // the replica's id in the fleet's trail; required
	Local    Local
	Remote   Remote
	// Batch is the most records one Ship carries (DefaultBatch).
	Batch int
	// Idle is the pause when caught up (DefaultIdle); Notify cuts it short.
	Idle time.Duration
	// MinBackoff and MaxBackoff bound the pause after a failure, doubling
	// from the one to the other (DefaultMinBackoff, DefaultMaxBackoff).
	MinBackoff, MaxBackoff time.Duration
	Logger                 *slog.Logger     // nil discards
	Clock                  func() time.Time // nil is time.Now
}

// Shipper ships one replica's chain. Run ships until its context ends;
// Backlog, Shipped and WaitShipped may be called at any time.
type Shipper struct {
	opts   Options
	log    *slog.Logger
	clock  func() time.Time
	wake   chan struct{}
	shipMu sync.Mutex // one round at a time (Run, Flush)
	cps    map[cpKey]bool
	cpRead time.Time // when checkpoints were last read
	st     state     // state.go
}

// New returns a shipper; nothing runs until Run.
func New(opts Options) (*Shipper, error) {
	if opts.Instance == "" || opts.Local == nil || opts.Remote == nil {
		return nil, errors.New("audit shipper: instance, local and remote stores are required")
	}
	opts.Batch = orDefault(opts.Batch, DefaultBatch)
	opts.Idle = orDefault(opts.Idle, DefaultIdle)
	opts.MinBackoff = orDefault(opts.MinBackoff, DefaultMinBackoff)
	opts.MaxBackoff = max(orDefault(opts.MaxBackoff, DefaultMaxBackoff), opts.MinBackoff)
	s := &Shipper{opts: opts, log: opts.Logger, clock: opts.Clock, wake: make(chan struct{}, 1), cps: map[cpKey]bool{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	s.st.init()
	return s, nil
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Run finds where the instance's chain stands in the remote store, then
// ships until ctx ends, retrying failures forever with backoff. It returns
// nil when ctx ends.
func (s *Shipper) Run(ctx context.Context) error {
	s.refreshHead(ctx)
	if !s.retry(ctx, s.start) {
		return nil
	}
	b := s.backoff()
	for ctx.Err() == nil {
		n, err := s.round(ctx, false)
		switch {
		case err != nil && ctx.Err() == nil:
			s.fail(err)
			s.pause(ctx, b.next(), false)
		case err == nil && n == 0:
			b.reset()
			s.pause(ctx, s.opts.Idle, true)
		default:
			b.reset()
		}
	}
	return nil
}

// start reads the instance's head in the remote store: shipping resumes
// after it, or from the start of the local chain when that is not the chain
// the remote store holds (a lost data dir, two replicas under one id): its
// records must land too, and verify reports the instance.
func (s *Shipper) start(ctx context.Context) error {
	seq, hash, err := s.opts.Remote.Head(ctx, s.opts.Instance)
	if err != nil {
		return fmt.Errorf("audit ship: head of %q: %w", s.opts.Instance, err)
	}
	local, err := s.opts.Local.Head(ctx)
	if err != nil {
		return fmt.Errorf("audit ship: local head: %w", err)
	}
	same, err := s.sameChain(ctx, seq, hash)
	if err != nil {
		return err
	}
	if !same {
		s.log.Error("audit ship: the fleet's trail holds another chain under this instance id (a lost data dir, or two replicas "+
			"under one --instance-id?); shipping the local chain from its start, verify will report the instance",
			"instance", s.opts.Instance, "remote_seq", seq, "local_seq", local)
		seq = 0
	}
	s.st.started(seq, local)
	s.log.Info("audit ship: resuming", "instance", s.opts.Instance, "after_seq", seq, "local_seq", local)
	return nil
}

// sameChain reports whether the local record at seq has hash (true when
// seq is 0 or the local record is gone by retention).
func (s *Shipper) sameChain(ctx context.Context, seq int64, hash string) (bool, error) {
	if seq == 0 {
		return true, nil
	}
	at, err := s.opts.Local.After(ctx, seq-1, 1)
	if err != nil {
		return false, fmt.Errorf("audit ship: read the local trail at seq %d: %w", seq, err)
	}
	if len(at) == 0 {
		return false, nil // the local chain is shorter than the remote one
	}
	return at[0].Seq != seq || at[0].Hash == hash, nil
}

// retry runs fn until it succeeds (true) or ctx ends (false).
func (s *Shipper) retry(ctx context.Context, fn func(context.Context) error) bool {
	b := s.backoff()
	for {
		err := fn(ctx)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		s.fail(err)
		s.refreshHead(ctx)
		s.pause(ctx, b.next(), false)
	}
}

func (s *Shipper) fail(err error) {
	if s.st.failed(err, s.clock()) {
		s.log.Warn("audit ship failed; retrying", "instance", s.opts.Instance, "error", err)
	}
}

// Notify tells the shipper that records were written: an idle shipper
// looks at once instead of at the end of its pause.
func (s *Shipper) Notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// pause waits d, or less when ctx ends or (wakeable) Notify is called; a
// long pause keeps the backlog's figures fresh.
func (s *Shipper) pause(ctx context.Context, d time.Duration, wakeable bool) {
	const refresh = 250 * time.Millisecond
	wake := s.wake
	if !wakeable {
		wake = nil
	}
	for d > 0 {
		step := min(d, refresh)
		t := time.NewTimer(step)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-wake:
			t.Stop()
			return
		case <-t.C:
		}
		if d -= step; d > 0 {
			s.refreshHead(ctx)
		}
	}
}

// backoff doubles from MinBackoff to MaxBackoff.
type backoff struct{ cur, min, max time.Duration }

func (s *Shipper) backoff() *backoff {
	return &backoff{min: s.opts.MinBackoff, max: s.opts.MaxBackoff}
}

func (b *backoff) next() time.Duration {
	b.cur = min(max(b.cur*2, b.min), b.max)
	return b.cur
}

func (b *backoff) reset() { b.cur = 0 }
