package ship

import (
	"context"
	"fmt"

	"github.com/pdp-project/pdp/internal/audit"
)

// round ships the next batch: up to Batch records after the shipped seq and
// the checkpoints at or before its last record not shipped yet (looked for
// every checkpointEvery, or each round with allCPs). It returns how many
// records it shipped (0: caught up).
func (s *Shipper) round(ctx context.Context, allCPs bool) (int, error) {
	s.shipMu.Lock()
	defer s.shipMu.Unlock()
	after := s.st.shippedSeq()
	entries, err := s.opts.Local.After(ctx, after, s.opts.Batch)
	if err != nil {
		return 0, fmt.Errorf("audit ship: read the local trail after seq %d: %w", after, err)
	}
	top := after
	if len(entries) > 0 {
		top = entries[len(entries)-1].Seq
		s.observe(ctx, after, entries)
	}
	cps, err := s.pendingCheckpoints(ctx, top, allCPs)
	if err != nil || len(entries) == 0 && len(cps) == 0 {
		return 0, err
	}
	if err := s.opts.Remote.Ship(ctx, s.opts.Instance, entries, cps); err != nil {
		return 0, err
	}
	for _, cp := range cps {
		s.cps[keyOf(cp)] = true
	}
	if s.st.advance(top) {
		s.log.Info("audit ship recovered", "instance", s.opts.Instance, "shipped_seq", top)
	}
	return len(entries), nil
}

// observe notes what a batch tells about the backlog, and a gap before it
// (records removed locally by retention before they were shipped).
func (s *Shipper) observe(ctx context.Context, after int64, entries []audit.Entry) {
	if first := entries[0].Seq; first != after+1 && after > 0 {
		s.log.Error("audit ship: records missing from the local trail were never shipped",
			"instance", s.opts.Instance, "from_seq", after+1, "to_seq", first-1)
	}
	s.st.read(entries[0].Time, entries[len(entries)-1].Seq, recordSize(entries[0]))
	s.refreshHead(ctx)
}

// refreshHead reads the local head for Backlog, and the time of the oldest
// unshipped record when it is not known.
func (s *Shipper) refreshHead(ctx context.Context) {
	head, err := s.opts.Local.Head(ctx)
	if err != nil {
		return
	}
	after, needOldest := s.st.setHead(head)
	if !needOldest {
		return
	}
	if next, err := s.opts.Local.After(ctx, after, 1); err == nil && len(next) == 1 {
		s.st.setOldest(after, next[0].Time)
	}
}

// cpKey identifies a checkpoint.
type cpKey struct {
	seq       int64
	kind, sig string
}

func keyOf(cp audit.Checkpoint) cpKey { return cpKey{cp.Seq, cp.Kind, cp.Signature} }

// pendingCheckpoints returns the local checkpoints at or before top not
// shipped yet. Unless forced it looks at most every checkpointEvery: every
// look reads all of them, and one lagging its record a second is fine.
func (s *Shipper) pendingCheckpoints(ctx context.Context, top int64, force bool) ([]audit.Checkpoint, error) {
	now := s.clock()
	if !force && now.Sub(s.cpRead) < checkpointEvery {
		return nil, nil
	}
	all, err := s.opts.Local.Checkpoints(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit ship: read local checkpoints: %w", err)
	}
	s.cpRead = now
	var out []audit.Checkpoint
	for _, cp := range all {
		if cp.Seq <= top && !s.cps[keyOf(cp)] {
			out = append(out, cp)
		}
	}
	return out, nil
}

// Flush ships until the remote store holds everything written locally so
// far (nil), or until the first failure or the end of ctx (an error). Call
// it after Run has returned, for a last attempt at shutdown.
func (s *Shipper) Flush(ctx context.Context) error {
	if !s.st.hasBegun() {
		if err := s.start(ctx); err != nil {
			return err
		}
	}
	for {
		n, err := s.round(ctx, true)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
	}
}
