package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
)

// Taking journaled records into the trail.
const (
	// DefaultIndexEvery is how often the indexer looks for journaled
	// records: records are in the trail's table within about this long.
	DefaultIndexEvery = time.Second
	// IndexAt is the number of waiting records that wakes the indexer
	// early.
	IndexAt = 16384
	// indexChunk bounds the records of one index transaction.
	indexChunk = 32768
)

// pendingSet holds what is journaled and not yet in the trail: records in
// sequence order (their seqs are consecutive) and checkpoints.
type pendingSet struct {
	recs []audit.Sealed
	ids  map[string]int64 // decision id -> seq
	cps  []audit.Checkpoint
	// trailMaxID is the highest decision id the trail holds (ids are
	// time-ordered UUIDv7: a newer one needs no lookup).
	trailMaxID string
}

func newPendingSet() pendingSet { return pendingSet{ids: map[string]int64{}} }

func (p *pendingSet) add(recs []audit.Sealed) {
	for _, r := range recs {
		p.ids[r.DecisionID] = r.Seq
	}
	p.recs = append(p.recs, recs...)
}

// get returns the pending record of decision id.
func (p *pendingSet) get(id string) (audit.Sealed, bool) {
	seq, ok := p.ids[id]
	if !ok {
		return audit.Sealed{}, false
	}
	return p.recs[seq-p.recs[0].Seq], true
}

// drop forgets the first n records and the checkpoints up to cps.
func (p *pendingSet) drop(n, cps int) {
	for _, r := range p.recs[:n] {
		delete(p.ids, r.DecisionID)
		p.trailMaxID = max(p.trailMaxID, r.DecisionID)
	}
	clear(p.recs[:n]) // let the records be collected
	p.recs = p.recs[n:]
	p.cps = p.cps[cps:]
}

// Backlog is what waits in the journal for the trail: records, the age of
// the oldest (0 when none) and the journal's bytes on disk.
type Backlog struct {
	Records int
	Oldest  time.Duration
	Bytes   int64
}

// Backlog reports what the indexer has yet to take into the trail.
func (s *Store) Backlog() Backlog {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := Backlog{Records: len(s.pending.recs)}
	if b.Records > 0 {
		b.Oldest = time.Since(s.pending.recs[0].Time)
	}
	if s.journal != nil {
		b.Bytes = s.journal.Size()
	}
	return b
}

func (s *Store) startIndexer() {
	s.indexNow = make(chan struct{}, 1)
	s.stopIndex = make(chan struct{})
	s.indexDone = make(chan struct{})
	go s.runIndexer()
}

func (s *Store) runIndexer() {
	defer close(s.indexDone)
	tick := time.NewTicker(s.opts.IndexEvery)
	defer tick.Stop()
	for {
		select {
		case <-s.stopIndex:
			return
		case <-tick.C:
		case <-s.indexNow:
		}
		// A failed pass leaves the records journaled, durable, and indexed
		// by a later one.
		if err := s.flush(context.Background()); err != nil {
			s.opts.Logger.Error("audit records wait in the journal", "journal", JournalDir(s.opts.Path), "error", err)
		}
	}
}

// stopIndexer stops the indexer and takes in what is left.
func (s *Store) stopIndexer() error {
	if s.stopIndex == nil {
		return nil
	}
	close(s.stopIndex)
	<-s.indexDone
	return s.flush(context.Background())
}

// wakeIndexer runs the indexer early once enough records wait. s.mu is
// held.
func (s *Store) wakeIndexer() {
	if len(s.pending.recs) >= IndexAt && s.indexNow != nil {
		select {
		case s.indexNow <- struct{}{}:
		default:
		}
	}
}

// Flush takes every journaled record into the trail now (for readers of
// the file itself, and tests).
func (s *Store) Flush(ctx context.Context) error { return s.flush(ctx) }

// flush indexes chunks until nothing that was pending when it started is
// left.
func (s *Store) flush(ctx context.Context) error {
	if s.db == nil || s.journal == nil {
		return nil // read-only
	}
	s.indexMu.Lock()
	defer s.indexMu.Unlock()
	for {
		n, err := s.indexOnce(ctx)
		if err != nil {
			return fmt.Errorf("index audit records: %w", err)
		}
		if n < indexChunk {
			return nil
		}
	}
}

// indexOnce inserts the oldest chunk of pending records and the pending
// checkpoints they reach in one transaction, then forgets them and
// releases the journal behind them. s.indexMu is held.
func (s *Store) indexOnce(ctx context.Context) (int, error) {
	recs, cps := s.pendingChunk()
	if len(recs) == 0 && len(cps) == 0 {
		return 0, nil
	}
	err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		if err := insertRows(ctx, tx, tx.StmtContext(ctx, s.insert), recs); err != nil {
			return err
		}
		for _, cp := range cps {
			if err := insertCheckpoint(ctx, tx, cp); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	s.stats.grew(ctx, s.db, len(recs), s.opts.Logger)
	return len(recs), s.indexed(len(recs), len(cps))
}

// pendingChunk returns the oldest records (up to indexChunk) and the
// checkpoints at or below the last of them.
func (s *Store) pendingChunk() ([]audit.Sealed, []audit.Checkpoint) {
	s.mu.Lock()
	defer s.mu.Unlock()
	recs := s.pending.recs[:min(len(s.pending.recs), indexChunk)]
	head := s.chain.Seq
	if len(recs) > 0 {
		head = recs[len(recs)-1].Seq
	}
	n := 0
	for n < len(s.pending.cps) && s.pending.cps[n].Seq <= head {
		n++
	}
	return recs, s.pending.cps[:n]
}

// indexed forgets n records and c checkpoints now in the trail and
// releases the journal segments nothing pending needs.
func (s *Store) indexed(n, c int) error {
	s.mu.Lock()
	s.pending.drop(n, c)
	keep := s.chain.Seq + 1 // nothing pending: release everything
	if len(s.pending.recs) > 0 {
		keep = s.pending.recs[0].Seq
	}
	if len(s.pending.cps) > 0 {
		keep = min(keep, s.pending.cps[0].Seq)
	}
	s.mu.Unlock()
	if keep <= 0 {
		return nil
	}
	return s.journal.Release(uint64(keep - 1))
}

// insertRows inserts recs, insertRowsPerStmt rows a statement (the rest
// in one last statement of its own size).
func insertRows(ctx context.Context, tx *sql.Tx, stmt *sql.Stmt, recs []audit.Sealed) error {
	args := make([]any, 0, insertRowsPerStmt*24)
	for len(recs) > 0 {
		n := min(len(recs), insertRowsPerStmt)
		args = args[:0]
		for _, r := range recs[:n] {
			args = append(args, row(r)...)
		}
		var err error
		if n == insertRowsPerStmt {
			_, err = stmt.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, insertSQL(n), args...)
		}
		if err != nil {
			return fmt.Errorf("insert decisions %q to %q: %w", recs[0].DecisionID, recs[n-1].DecisionID, err)
		}
		recs = recs[n:]
	}
	return nil
}

// row returns the insert arguments of r, in the order of columns: the JSON
// columns are the canonical text the hash covers.
func row(s audit.Sealed) []any {
	r := s.Record
	return []any{s.Seq, s.PrevHash, s.Hash, r.DecisionID, r.Time.UTC().Format(audit.TimeFormat), r.Caller,
		r.SubjectType, r.SubjectID, r.ResourceType, r.ResourceID, r.Action, r.Allow,
		string(s.Reasons), string(s.Obligations), string(s.Input), r.BundleRevision, r.BundleDigest, r.Entrypoint,
		r.CacheHit, r.Latency.Microseconds(), r.Error, string(s.Masked), r.MaskError, r.TraceID, r.Kind, string(s.Plan)}
}
