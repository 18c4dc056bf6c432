package sqlite

import (
	"context"
	"fmt"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/journal"
)

// recover reads the head of the trail, replays the journal on top of it
// and takes what the trail lacks into it, so that a crash between an
// append and an index pass loses nothing.
func (s *Store) recover(ctx context.Context) error {
	if err := s.loadHead(ctx); err != nil {
		return err
	}
	if err := s.readMaxID(ctx); err != nil {
		return err
	}
	r := replayer{s: s}
	if err := s.journal.Replay(r.payload); err != nil {
		return fmt.Errorf("replay audit journal: %w", err)
	}
	return s.flush(ctx)
}

func (s *Store) readMaxID(ctx context.Context) error {
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(decision_id), '') FROM decisions`).Scan(&s.pending.trailMaxID)
	if err != nil {
		return fmt.Errorf("read decision ids: %w", err)
	}
	return nil
}

// replayer takes journal payloads into the pending set: records after the
// chain's head, which must continue it, and checkpoints.
type replayer struct{ s *Store }

func (r replayer) payload(p []byte) (uint64, error) {
	rec, cp, err := audit.DecodeFrame(p)
	if err != nil {
		return 0, err
	}
	if cp != nil {
		r.s.pending.cps = append(r.s.pending.cps, *cp)
		r.s.lastCP = max(r.s.lastCP, cp.Seq)
		return uint64(max(cp.Seq, 0)), nil
	}
	return uint64(rec.Seq), r.record(*rec)
}

func (r replayer) record(rec audit.Sealed) error {
	head := r.s.chain
	switch {
	case rec.Seq <= head.Seq:
		return nil // in the trail already
	case rec.Seq != head.Seq+1 || rec.PrevHash != head.Hash:
		return fmt.Errorf("%w: record seq %d does not follow the chain's head (seq %d)", journal.ErrCorrupt, rec.Seq, head.Seq)
	}
	r.s.pending.add([]audit.Sealed{rec})
	r.s.chain = audit.Chain{Seq: rec.Seq, Hash: rec.Hash}
	return nil
}
