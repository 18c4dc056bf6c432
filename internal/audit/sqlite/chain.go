package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
)

const checkpointColumns = `seq, hash, time, kind, public_key, signature`

// loadHead reads the head of the chain: the newest record, else the newest
// retention checkpoint (every record was removed), else the genesis.
func (s *Store) loadHead(ctx context.Context) error { return s.loadHeadFrom(ctx, s.db) }

func (s *Store) loadHeadFrom(ctx context.Context, db *sql.DB) error {
	s.chain = audit.Chain{Hash: audit.GenesisHash}
	err := db.QueryRowContext(ctx, `SELECT seq, hash FROM decisions ORDER BY seq DESC LIMIT 1`).
		Scan(&s.chain.Seq, &s.chain.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		err = db.QueryRowContext(ctx, `SELECT seq, hash FROM checkpoints WHERE kind = ? ORDER BY seq DESC LIMIT 1`,
			audit.CheckpointRetention).Scan(&s.chain.Seq, &s.chain.Hash)
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read chain head: %w", err)
	}
	err = db.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM checkpoints`).Scan(&s.lastCP)
	if err != nil {
		return fmt.Errorf("read checkpoints: %w", err)
	}
	return nil
}

// dueCheckpoint signs a count checkpoint of chain when it has moved
// CheckpointEvery records past the last one. s.mu is held.
func (s *Store) dueCheckpoint(chain audit.Chain) *audit.Checkpoint {
	if s.opts.Signer == nil || s.opts.CheckpointEvery <= 0 || chain.Seq-s.lastCP < int64(s.opts.CheckpointEvery) {
		return nil
	}
	cp := s.opts.Signer.Checkpoint(chain.Seq, chain.Hash, audit.CheckpointCount, s.opts.Clock())
	return &cp
}

// insertCheckpoint inserts cp into the trail unless it holds it already
// (a journal replayed after a crash repeats what was indexed).
func insertCheckpoint(ctx context.Context, tx *sql.Tx, cp audit.Checkpoint) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO checkpoints (`+checkpointColumns+`) SELECT ?, ?, ?, ?, ?, ?
  WHERE NOT EXISTS (SELECT 1 FROM checkpoints WHERE seq = ? AND signature = ?)`,
		cp.Seq, cp.Hash, cp.Time.UTC().Format(audit.TimeFormat), cp.Kind, cp.PublicKey, cp.Signature, cp.Seq, cp.Signature)
	if err != nil {
		return fmt.Errorf("insert checkpoint: %w", err)
	}
	return nil
}

// checkpointed records a journaled checkpoint, queues it for the trail and
// exports it. s.mu is held.
func (s *Store) checkpointed(cp *audit.Checkpoint) error {
	if cp == nil {
		return nil
	}
	s.lastCP = max(s.lastCP, cp.Seq)
	s.pending.cps = append(s.pending.cps, *cp)
	if s.opts.ExportPath == "" {
		return nil
	}
	return audit.WriteExport(s.opts.ExportPath, *cp)
}

// Checkpoint signs the head of the chain, journals the checkpoint and
// exports it; the indexer takes it into the trail with the records before
// it. It writes nothing and returns false when the head already has a
// checkpoint, unless kind is audit.CheckpointShutdown. It never waits for
// the trail.
func (s *Store) Checkpoint(ctx context.Context, kind string) (audit.Checkpoint, bool, error) {
	if s.journal == nil {
		return audit.Checkpoint{}, false, errors.New("audit store opened read-only")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opts.Signer == nil {
		return audit.Checkpoint{}, false, errors.New("audit checkpoint: no signing key")
	}
	if s.chain.Seq <= s.lastCP && kind != audit.CheckpointShutdown {
		return audit.Checkpoint{}, false, nil
	}
	if s.closed {
		return audit.Checkpoint{}, false, errors.New("audit store closed")
	}
	cp := s.opts.Signer.Checkpoint(s.chain.Seq, s.chain.Hash, kind, s.opts.Clock())
	if err := s.journal.Append(uint64(cp.Seq), audit.CheckpointFrame(cp)); err != nil {
		return cp, false, err
	}
	return cp, true, s.checkpointed(&cp)
}

// writeTrail runs fn in a transaction on the trail, between index passes.
func (s *Store) writeTrail(ctx context.Context, fn func(*sql.Tx) error) error {
	s.indexMu.Lock()
	defer s.indexMu.Unlock()
	return inTx(ctx, s.db, fn)
}

// beginner is a *sql.DB or a *sql.Conn.
type beginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// inTx runs fn in a transaction on db and commits it.
func inTx(ctx context.Context, db beginner, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin audit transaction: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit audit transaction: %w", err)
	}
	return nil
}

// Prune removes the oldest records, all of whose times are before cutoff,
// and leaves a signed retention checkpoint at the cut so that the rest
// still verifies. It returns how many records it removed.
func (s *Store) Prune(ctx context.Context, cutoff time.Time) (int64, error) {
	if s.opts.Signer == nil {
		return 0, errors.New("audit retention: no signing key")
	}
	if err := s.flush(ctx); err != nil {
		return 0, err
	}
	var cut int64
	err := s.db.QueryRowContext(ctx, `SELECT seq - 1 FROM decisions WHERE time >= ? ORDER BY seq LIMIT 1`,
		cutoff.UTC().Format(audit.TimeFormat)).Scan(&cut)
	if errors.Is(err, sql.ErrNoRows) {
		err = s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM decisions`).Scan(&cut)
	}
	if err != nil {
		return 0, fmt.Errorf("audit retention: %w", err)
	}
	return s.cutAt(ctx, cut)
}

func (s *Store) cutAt(ctx context.Context, cut int64) (int64, error) {
	var hash string
	err := s.db.QueryRowContext(ctx, `SELECT hash FROM decisions WHERE seq = ?`, cut).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil // nothing left at or before the cut
	}
	if err != nil {
		return 0, fmt.Errorf("audit retention: %w", err)
	}
	cp := s.opts.Signer.Checkpoint(cut, hash, audit.CheckpointRetention, s.opts.Clock())
	var n int64
	err = s.writeTrail(ctx, func(tx *sql.Tx) error {
		if err := insertCheckpoint(ctx, tx, cp); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM decisions WHERE seq <= ?`, cut)
		if err != nil {
			return fmt.Errorf("delete records: %w", err)
		}
		n, _ = res.RowsAffected()
		_, err = tx.ExecContext(ctx, `DELETE FROM checkpoints WHERE seq < ?`, cut)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("audit retention: %w", err)
	}
	return n, s.exported(cp)
}

// exported records a checkpoint written straight into the trail and
// exports it.
func (s *Store) exported(cp audit.Checkpoint) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastCP = max(s.lastCP, cp.Seq)
	if s.opts.ExportPath == "" {
		return nil
	}
	return audit.WriteExport(s.opts.ExportPath, cp)
}

// Checkpoints returns every checkpoint, oldest first, journaled ones
// included.
func (s *Store) Checkpoints(ctx context.Context) ([]audit.Checkpoint, error) {
	s.mu.Lock()
	pending := slices.Clone(s.pending.cps)
	s.mu.Unlock()
	out, err := s.trailCheckpoints(ctx)
	if err != nil {
		return nil, err
	}
	for _, cp := range pending {
		if !slices.ContainsFunc(out, func(c audit.Checkpoint) bool { return c.Seq == cp.Seq && c.Signature == cp.Signature }) {
			out = append(out, cp)
		}
	}
	return out, nil
}

func (s *Store) trailCheckpoints(ctx context.Context) ([]audit.Checkpoint, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+checkpointColumns+` FROM checkpoints ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read checkpoints: %w", err)
	}
	defer rows.Close()
	var out []audit.Checkpoint
	for rows.Next() {
		var cp audit.Checkpoint
		var at string
		if err := rows.Scan(&cp.Seq, &cp.Hash, &at, &cp.Kind, &cp.PublicKey, &cp.Signature); err != nil {
			return nil, fmt.Errorf("read checkpoint: %w", err)
		}
		if cp.Time, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return nil, fmt.Errorf("checkpoint time: %w", err)
		}
		out = append(out, cp)
	}
	return out, rows.Err()
}

// Entries calls fn for every record with seq > after, in ascending order,
// journaled ones included, reading in chunks so that memory stays flat.
func (s *Store) Entries(ctx context.Context, after int64, fn func(audit.Entry) error) error {
	for {
		chunk, err := s.After(ctx, after, entriesChunk)
		if err != nil || len(chunk) == 0 {
			return err
		}
		for _, e := range chunk {
			if err := fn(e); err != nil {
				return err
			}
		}
		after = chunk[len(chunk)-1].Seq
	}
}

const entriesChunk = 500
