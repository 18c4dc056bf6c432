package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pdp-project/pdp/internal/pdp"
)

// DefaultMaxBatch is the largest group commit a Writer builds when
// WriterOptions.MaxBatch is not set.
const DefaultMaxBatch = 512

// WriterOptions configure a Writer. The zero value is usable.
type WriterOptions struct {
	// MaxBatch bounds the records of one group commit (default
	// DefaultMaxBatch). A single Write larger than MaxBatch is still
	// committed whole, alone in its transaction.
	MaxBatch int
	// Logger receives commit failures; nil discards them.
	Logger *slog.Logger
	// Observer is told the size and outcome of every group commit
	// (metrics); nil: none.
	Observer CommitObserver
	// Linger bounds how long a commit waits, from the arrival of its
	// oldest write, for as many writes as recently waited together: under
	// concurrent load a commit then carries several decisions instead of
	// one or two, and a lone caller, never seen waiting with another, is
	// never held up. 0: never wait.
	Linger time.Duration
}

// CommitObserver is told about each group commit: its number of records
// and its error, nil when it was committed.
type CommitObserver interface {
	Committed(records int, err error)
}

// Writer commits the records of concurrent Write calls together: one
// goroutine takes whatever is queued (up to MaxBatch records) and stores it
// with a single Store.Append, then wakes every waiter with the outcome.
type Writer struct {
	store   Store
	max     int
	linger  time.Duration
	waiting atomic.Int64 // writes enqueued and not yet answered
	crowd   float64      // decaying peak of waiting; commit goroutine only
	timer   *time.Timer  // lingerFor's; commit goroutine only
	log     *slog.Logger
	obs     CommitObserver
	wake    chan struct{}
	done    chan struct{}
	failure atomic.Pointer[Failure] // of the newest commit; nil when it succeeded

	mu     sync.Mutex
	queue  []*pending
	closed bool
}

// States of a pending write; the committer and a cancelled Write race to
// move it out of stateQueued with a compare-and-swap.
const (
	stateQueued int32 = iota
	stateTaken
	stateAbandoned
)

type pending struct {
	at    time.Time // enqueued
	ctx   context.Context
	recs  []pdp.Record
	state atomic.Int32
	err   chan error // buffered: the committer never blocks on a waiter
}

// NewWriter starts a Writer over store. Close stops it; the store stays
// open and remains the caller's to close.
func NewWriter(store Store, opts WriterOptions) *Writer {
	w := &Writer{store: store, max: opts.MaxBatch, linger: opts.Linger, log: opts.Logger, obs: opts.Observer,
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	if w.max <= 0 {
		w.max = DefaultMaxBatch
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	go w.run()
	return w
}

// Write returns once recs are durably committed, all in one transaction, or
// with the error: pdp.Unavailable when the commit failed or the Writer is
// closed, ctx.Err() when ctx ended before recs were handed to a commit. Once
// handed over, Write waits for the outcome whatever ctx does, so a record is
// never half-acknowledged.
func (w *Writer) Write(ctx context.Context, recs []pdp.Record) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p := &pending{at: time.Now(), ctx: ctx, recs: recs, err: make(chan error, 1)}
	if err := w.enqueue(p); err != nil || len(recs) == 0 {
		return err
	}
	select {
	case err := <-p.err:
		return err
	case <-ctx.Done():
		if p.state.CompareAndSwap(stateQueued, stateAbandoned) {
			return ctx.Err()
		}
		return <-p.err
	}
}

func (w *Writer) enqueue(p *pending) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return pdp.Unavailable("audit store unavailable", ErrClosed)
	}
	if len(p.recs) > 0 {
		w.queue = append(w.queue, p)
		w.waiting.Add(1)
		w.signal()
	}
	return nil
}

func (w *Writer) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Close stops accepting writes, commits everything already queued, stops
// the commit goroutine and returns. It does not close the store. Calling it
// again is a no-op.
func (w *Writer) Close() error {
	w.mu.Lock()
	w.closed = true
	w.signal()
	w.mu.Unlock()
	<-w.done
	return nil
}

func (w *Writer) run() {
	defer close(w.done)
	for {
		batch, ok := w.next()
		if !ok {
			return
		}
		w.commit(batch)
	}
}

// next waits for queued writes and takes a batch of them; it reports false
// once the Writer is closed and the queue drained.
func (w *Writer) next() ([]*pending, bool) {
	for {
		w.lingerFor()
		w.mu.Lock()
		batch, closed := w.take(), w.closed
		w.mu.Unlock()
		if len(batch) > 0 {
			return batch, true
		}
		if closed {
			return nil, false
		}
		<-w.wake
	}
}

// lingerFor waits, at most until the oldest queued write is Linger old,
// until as many writes are queued as recently waited together.
func (w *Writer) lingerFor() {
	if w.linger <= 0 {
		return
	}
	for w.crowd >= 2 {
		wait, ok := w.lingerLeft(int(w.crowd))
		if !ok || wait <= 0 {
			return
		}
		w.sleep(wait)
	}
}

// lingerLeft is how long the oldest queued write may still wait; false when
// the queue is empty or holds enough writes or the Writer is closing.
func (w *Writer) lingerLeft(enough int) (time.Duration, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.queue) == 0 || len(w.queue) >= min(enough, w.max) || w.closed {
		return 0, false
	}
	return time.Until(w.queue[0].at.Add(w.linger)), true
}

// sleep waits d or until a write arrives.
func (w *Writer) sleep(d time.Duration) {
	if w.timer == nil {
		w.timer = time.NewTimer(d)
	} else {
		w.timer.Reset(d)
	}
	select {
	case <-w.wake:
	case <-w.timer.C:
	}
	w.timer.Stop()
}

// take removes from the queue the longest prefix that fits in MaxBatch
// records (at least one write), skipping writes abandoned by their caller.
// w.mu must be held.
func (w *Writer) take() []*pending {
	var batch []*pending
	n, i := 0, 0
	for ; i < len(w.queue); i++ {
		p := w.queue[i]
		if n > 0 && n+len(p.recs) > w.max {
			break
		}
		if p.state.CompareAndSwap(stateQueued, stateTaken) {
			batch = append(batch, p)
			n += len(p.recs)
		} else {
			w.waiting.Add(-1) // abandoned by its caller
		}
	}
	w.queue = slices.Delete(w.queue, 0, i)
	return batch
}

// commit stores batch and reports the outcome to every waiter. When the
// store rejects a record as invalid, the writes are retried one by one so
// that one bad write does not fail the others.
func (w *Writer) commit(batch []*pending) {
	err := w.append(batch)
	if errors.Is(err, ErrInvalidRecord) && len(batch) > 1 {
		for _, p := range batch {
			w.commit([]*pending{p})
		}
		return
	}
	w.observe(batch, err)
	w.failure.Store(nil)
	if err != nil {
		w.log.Error("audit commit failed", "writes", len(batch), "error", err)
		if !errors.Is(err, ErrInvalidRecord) { // a bad record, not a bad store
			w.failure.Store(&Failure{At: time.Now(), Err: err})
		}
		err = pdp.Unavailable("audit store unavailable", err)
	}
	// How many waited together: this batch and what arrived meanwhile.
	w.crowd = max(w.crowd*7/8, float64(w.waiting.Load()))
	for _, p := range batch {
		w.waiting.Add(-1)
		p.err <- err
	}
}

// Failure is a commit that failed.
type Failure struct {
	At  time.Time
	Err error
}

// LastFailure is the newest commit when it failed (the store refused it: a
// full disk, a lock held too long), nil when it succeeded or none ran. A
// store can take a write lock and still refuse every commit; readiness
// asks this as well as Store.Ping.
func (w *Writer) LastFailure() *Failure { return w.failure.Load() }

// append runs one Store.Append for batch. The commit outlives the requests
// that queued it, so it keeps their context values but not their
// cancellation; a panicking store becomes an error rather than a hang.
func (w *Writer) append(batch []*pending) (err error) {
	var recs []pdp.Record
	for _, p := range batch {
		recs = append(recs, p.recs...)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("audit store panicked: %v", r)
		}
	}()
	return w.store.Append(context.WithoutCancel(batch[0].ctx), recs)
}

func (w *Writer) observe(batch []*pending, err error) {
	if w.obs == nil {
		return
	}
	n := 0
	for _, p := range batch {
		n += len(p.recs)
	}
	w.obs.Committed(n, err)
}
