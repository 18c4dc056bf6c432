package ship

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
)

// Backlog is what the local trail holds that the remote one does not yet:
// records, the age of the oldest (0 when none or not known yet) and an
// estimate of their size in bytes.
type Backlog struct {
	Records int64
	Oldest  time.Duration
	Bytes   int64
}

// defaultRecordSize is the size a record is assumed to have before one was
// measured.
const defaultRecordSize = 1024

// failLogEvery is how often a shipper that keeps failing logs it.
const failLogEvery = 30 * time.Second

// state is what the shipping loop and its observers share.
type state struct {
	mu       sync.Mutex
	begun    bool      // the remote head is known
	based    bool      // before begun: shipped holds the local head when Run began
	shipped  int64     // seq of the newest record the remote store holds
	head     int64     // newest local seq seen
	oldest   time.Time // time of the record after shipped; zero: not known
	avgSize  float64   // bytes per record, a moving average
	advanced chan struct{}
	failing  bool
	loggedAt time.Time
	lastErr  error
}

func (st *state) init() {
	st.advanced = make(chan struct{})
	st.avgSize = defaultRecordSize
}

// started sets the remote head; before it, the backlog counts from the
// local head when Run began (records written since are certainly
// unshipped).
func (st *state) started(remote, local int64) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.begun, st.shipped, st.head, st.oldest = true, remote, max(st.head, local), time.Time{}
	st.signal()
}

func (st *state) hasBegun() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.begun
}

func (st *state) shippedSeq() int64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.shipped
}

// setHead raises the local head; it returns the shipped seq and whether the
// oldest unshipped record's time is wanted.
func (st *state) setHead(head int64) (int64, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.begun && !st.based {
		st.shipped, st.based = head, true // see started
	}
	st.head = max(st.head, head)
	return st.shipped, st.head > st.shipped && st.oldest.IsZero()
}

func (st *state) setOldest(after int64, t time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.shipped == after {
		st.oldest = t
	}
}

// read notes a batch read for shipping: the time of its first record, its
// last seq and the size of one record.
func (st *state) read(first time.Time, last int64, size int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.oldest = first
	st.head = max(st.head, last)
	st.avgSize += (float64(size) - st.avgSize) / 8
}

// advance records that the remote store holds everything up to seq; it
// reports whether shipping had been failing.
func (st *state) advance(seq int64) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	recovered := st.failing
	st.shipped, st.oldest, st.failing, st.lastErr = max(st.shipped, seq), time.Time{}, false, nil
	st.signal()
	return recovered
}

// signal wakes every WaitShipped; under mu.
func (st *state) signal() {
	close(st.advanced)
	st.advanced = make(chan struct{})
}

// failed records a failure; it reports whether to log it (the first of a
// run, then every failLogEvery).
func (st *state) failed(err error, now time.Time) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.lastErr = err
	if st.failing && now.Sub(st.loggedAt) < failLogEvery {
		return false
	}
	st.failing, st.loggedAt = true, now
	return true
}

// recordSize is the size of a record as JSON, about what it takes in both
// trails.
func recordSize(e audit.Entry) int {
	b, err := json.Marshal(e.Record)
	if err != nil {
		return defaultRecordSize
	}
	return len(b) + len(e.Hash) + len(e.PrevHash)
}

// Backlog reports what is not shipped yet.
func (s *Shipper) Backlog() Backlog {
	st := &s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	b := Backlog{Records: max(st.head-st.shipped, 0)}
	if b.Records > 0 && !st.oldest.IsZero() {
		b.Oldest = max(s.clock().Sub(st.oldest), 0)
	}
	b.Bytes = int64(float64(b.Records) * st.avgSize)
	return b
}

// Shipped returns the seq of the newest record the remote store holds, as
// far as this shipper knows (0 before Run learned it).
func (s *Shipper) Shipped() int64 {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	if !s.st.begun {
		return 0
	}
	return s.st.shipped
}

// Err returns the last failure while shipping is failing, nil otherwise.
func (s *Shipper) Err() error {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	return s.st.lastErr
}

// WaitShipped returns once the remote store holds every record up to seq,
// or ctx's error when it ends first. It wakes the shipper.
func (s *Shipper) WaitShipped(ctx context.Context, seq int64) error {
	s.Notify()
	for {
		s.st.mu.Lock()
		done, ch := s.st.begun && s.st.shipped >= seq, s.st.advanced
		s.st.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}
