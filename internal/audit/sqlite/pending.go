package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Moving rows from the stage into the trail (see StagePath).
const (
	// moveChunk bounds the rows of one move transaction.
	moveChunk = 65536
	// moveAt is the number of staged rows that wakes the mover early.
	moveAt = 32768
	// moveEvery is how often the mover looks for staged rows. Each move
	// rewrites every index page it touches; the more rows share a page
	// (a subject's or a resource's latest entries), the cheaper a row.
	moveEvery = 2 * time.Second
)

// A move skips what the trail holds already: rows above the larger of what
// this process moved (a retention run may have removed it since) and what
// the table holds (another process may have moved more). The INSERT comes
// first, so that the transaction takes the trail's write lock before it
// reads anything.
const (
	moveSQL = `INSERT INTO main.decisions (` + columns + `) SELECT ` + columns + ` FROM stage.decisions_pending
  WHERE seq > max(?, (SELECT COALESCE(MAX(seq), 0) FROM main.decisions)) ORDER BY seq LIMIT ?`
	movedSQL          = `SELECT max(?, (SELECT COALESCE(MAX(seq), 0) FROM main.decisions))`
	moveCheckpointSQL = `INSERT INTO main.checkpoints (` + checkpointColumns + `) SELECT ` + checkpointColumns +
		` FROM stage.checkpoints_pending p WHERE seq <= ? AND NOT EXISTS
  (SELECT 1 FROM main.checkpoints c WHERE c.seq = p.seq AND c.signature = p.signature) ORDER BY seq`
)

func (s *Store) startMover() {
	s.moveNow = make(chan struct{}, 1)
	s.stopMover = make(chan struct{})
	s.moverDone = make(chan struct{})
	go s.runMover()
}

func (s *Store) runMover() {
	defer close(s.moverDone)
	tick := time.NewTicker(moveEvery)
	defer tick.Stop()
	for {
		select {
		case <-s.stopMover:
			return
		case <-tick.C:
		case <-s.moveNow:
		}
		// A failed move leaves the rows staged, durable, and moved by a
		// later one; until then reads report the error.
		if err := s.flushPending(context.Background()); err != nil {
			s.opts.Logger.Error("audit records stay staged", "stage", StagePath(s.opts.Path), "error", err)
		}
	}
}

// stopMoving stops the mover and moves what is left.
func (s *Store) stopMoving() error {
	if s.stopMover == nil {
		return nil
	}
	close(s.stopMover)
	<-s.moverDone
	return s.flush(context.Background())
}

// staged counts rows committed to the stage and wakes the mover when
// enough have gathered.
func (s *Store) staged(n int) {
	if s.unmoved.Add(int64(n)) >= moveAt && s.moveNow != nil {
		select {
		case s.moveNow <- struct{}{}:
		default:
		}
	}
}

// Staged is how many records this process committed to the stage that
// the mover has not yet been seen to move (for a gauge: it grows when the
// mover falls behind or fails).
func (s *Store) Staged() int64 { return max(s.unmoved.Load(), 0) }

// flushPending moves the rows this process staged; it costs nothing when
// there are none. Every read calls it first.
func (s *Store) flushPending(ctx context.Context) error {
	if s.unmoved.Load() == 0 {
		return nil
	}
	return s.flush(ctx)
}

// Flush moves every staged row into decisions now, whoever staged it
// (reads do it themselves; this is for readers of the file itself).
func (s *Store) Flush(ctx context.Context) error {
	return s.flush(ctx)
}

func (s *Store) flush(ctx context.Context) error {
	for {
		seen := s.unmoved.Load() // staged before the move's snapshot
		n, err := s.moveOne(ctx)
		if err != nil {
			return fmt.Errorf("move audit records into decisions: %w", err)
		}
		if n < moveChunk {
			s.unmoved.Add(-seen)
			return nil
		}
	}
}

// moveOne copies the oldest chunk of staged rows (and the checkpoints they
// reach) into the trail in one transaction, then drops them from the
// stage. A crash between the two leaves rows in the stage that the floor
// skips next time.
func (s *Store) moveOne(ctx context.Context) (int64, error) {
	s.moveMu.Lock()
	defer s.moveMu.Unlock()
	var n, head int64
	moved := s.moved.Load()
	err := inTx(ctx, s.mover, func(tx *sql.Tx) error {
		var err error
		if n, err = execCount(ctx, tx, moveSQL, moved, moveChunk); err != nil {
			return err
		}
		if head, err = scanInt(ctx, tx, movedSQL, moved); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, moveCheckpointSQL, head)
		return err
	})
	if err != nil {
		return 0, err
	}
	s.moved.Store(head)
	if err := s.unstage(ctx, head); err != nil || n == 0 {
		return n, err
	}
	// PASSIVE: copies what it can without waiting for the stage's writer.
	_, err = s.mover.ExecContext(ctx, `PRAGMA stage.wal_checkpoint(PASSIVE)`)
	return n, err
}

// unstage drops what the trail now holds from the stage.
func (s *Store) unstage(ctx context.Context, head int64) error {
	return inTx(ctx, s.stage, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM decisions_pending WHERE seq <= ?`, head); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM checkpoints_pending WHERE seq <= ?`, head)
		return err
	})
}

func scanInt(ctx context.Context, tx *sql.Tx, q string, args ...any) (int64, error) {
	var v int64
	err := tx.QueryRowContext(ctx, q, args...).Scan(&v)
	return v, err
}

func execCount(ctx context.Context, tx *sql.Tx, q string, args ...any) (int64, error) {
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
