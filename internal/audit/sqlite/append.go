package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/pdp"
)

// duplicateSQL finds decision ids of a commit that the trail already
// holds (Store.checkUnique).
const duplicateSQL = `SELECT decision_id FROM decisions WHERE decision_id IN (SELECT value FROM json_each(?)) LIMIT 1`

// Append seals recs into the hash chain and appends them to the journal in
// one write, with a checkpoint when one is due; the indexer takes them into
// the trail later. A record that cannot be sealed, or whose decision id the
// trail already holds, fails the call with an error wrapping
// audit.ErrInvalidRecord, and nothing is written.
func (s *Store) Append(ctx context.Context, recs []pdp.Record) error {
	if len(recs) == 0 {
		return nil
	}
	if s.journal == nil {
		return errors.New("audit store opened read-only")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("audit store closed")
	}
	sealed, chain, err := s.seal(recs)
	if err != nil {
		return err
	}
	if err := s.checkUnique(ctx, recs); err != nil {
		return err
	}
	cp := s.dueCheckpoint(chain)
	if err := s.journalAppend(sealed, cp, chain.Seq); err != nil {
		return err
	}
	s.chain = chain
	s.pending.add(sealed)
	s.wakeIndexer()
	return s.checkpointed(cp)
}

// seal assigns sequence numbers and hashes after the current head; the
// head moves only once the records are journaled.
func (s *Store) seal(recs []pdp.Record) ([]audit.Sealed, audit.Chain, error) {
	out := make([]audit.Sealed, len(recs))
	chain := s.chain
	for i, r := range recs {
		var err error
		if out[i], chain, err = chain.Seal(r); err != nil {
			return nil, s.chain, err
		}
	}
	return out, chain, nil
}

// journalAppend writes the records and the checkpoint, if any, as one
// journal append. s.mu is held.
func (s *Store) journalAppend(sealed []audit.Sealed, cp *audit.Checkpoint, mark int64) error {
	payloads := make([][]byte, 0, len(sealed)+1)
	buf := s.frame[:0]
	for _, r := range sealed {
		start := len(buf)
		buf = audit.AppendRecordFrame(buf, r)
		payloads = append(payloads, buf[start:len(buf):len(buf)])
	}
	if cap(buf) <= maxScratch {
		s.frame = buf
	}
	if cp != nil {
		payloads = append(payloads, audit.CheckpointFrame(*cp))
	}
	return s.journal.Append(uint64(mark), payloads...)
}

// maxScratch bounds the frame buffer the store keeps between commits.
const maxScratch = 4 << 20

// checkUnique refuses a decision id that the trail or the journal holds or
// that recs repeat. Journaled ids are in memory. Decision ids are UUIDv7,
// ordered by time, so ids above the highest in the trail need no lookup;
// others are looked up. s.mu is held.
func (s *Store) checkUnique(ctx context.Context, recs []pdp.Record) error {
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.DecisionID
	}
	slices.Sort(ids)
	for i, id := range ids {
		if _, pending := s.pending.ids[id]; pending || i > 0 && id == ids[i-1] {
			return fmt.Errorf("%w: decision %q: duplicate decision id", audit.ErrInvalidRecord, id)
		}
	}
	if ids[0] > s.pending.trailMaxID {
		return nil
	}
	return s.lookupDuplicates(ctx, ids)
}

func (s *Store) lookupDuplicates(ctx context.Context, ids []string) error {
	list, _ := json.Marshal(ids)
	var dup string
	err := s.dupe.QueryRowContext(ctx, string(list)).Scan(&dup)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("check decision ids: %w", err)
	}
	return fmt.Errorf("%w: decision %q: duplicate decision id", audit.ErrInvalidRecord, dup)
}
