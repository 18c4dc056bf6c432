package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/pdp"
)

const columns = `seq, prev_hash, hash, decision_id, time, caller, subject_type, subject_id, resource_type, resource_id,
  action, allow, reasons, obligations, input, bundle_revision, entrypoint, cache_hit, latency_us, error, masked, mask_error, trace_id`

const insertSQL = `INSERT INTO decisions_pending (` + columns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

const selectSQL = `SELECT ` + columns + ` FROM decisions WHERE decision_id = ?`

const afterSQL = `SELECT ` + columns + ` FROM decisions WHERE seq > ? ORDER BY seq LIMIT ?`

// Append seals recs into the hash chain and commits them to the stage in
// one transaction, with a checkpoint when one is due; the mover takes them
// into decisions later (see StagePath). Every record is encoded before the
// transaction starts; one that cannot be fails the call with an error
// wrapping audit.ErrInvalidRecord.
func (s *Store) Append(ctx context.Context, recs []pdp.Record) error {
	if len(recs) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rows, chain, err := s.seal(recs)
	if err != nil {
		return err
	}
	if err := s.checkUnique(ctx, recs); err != nil {
		return err
	}
	var cp *audit.Checkpoint
	err = inTx(ctx, s.stage, func(tx *sql.Tx) error {
		if err := insertRows(ctx, tx.StmtContext(ctx, s.insert), recs, rows); err != nil {
			return err
		}
		cp, err = s.dueCheckpoint(ctx, tx, chain)
		return err
	})
	if err != nil {
		return err
	}
	for i, r := range recs {
		s.unmovedIDs[r.DecisionID] = s.chain.Seq + 1 + int64(i)
	}
	s.chain = chain
	s.staged(len(rows))
	return s.checkpointed(cp)
}

func insertRows(ctx context.Context, stmt *sql.Stmt, recs []pdp.Record, rows [][]any) error {
	for i, row := range rows {
		if _, err := stmt.ExecContext(ctx, row...); err != nil {
			return fmt.Errorf("insert decision %q: %w", recs[i].DecisionID, err)
		}
	}
	return nil
}

// checkUnique refuses a decision id that the trail or the stage holds or
// that recs repeat. The ids this process staged and has not seen moved are
// in memory. Decision ids are UUIDv7, ordered by time, so ids above the
// highest in the trail need no lookup (the mover is a second behind);
// others are looked up. s.mu is held.
func (s *Store) checkUnique(ctx context.Context, recs []pdp.Record) error {
	s.forgetMoved()
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.DecisionID
	}
	slices.Sort(ids)
	for i, id := range ids {
		if _, staged := s.unmovedIDs[id]; staged || i > 0 && id == ids[i-1] {
			return fmt.Errorf("decision %q: duplicate decision id", id)
		}
	}
	if ids[0] > s.trailMaxID {
		return nil
	}
	list, _ := json.Marshal(ids)
	var dup string
	err := s.duplicate.QueryRowContext(ctx, string(list)).Scan(&dup)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("check decision ids: %w", err)
	}
	return fmt.Errorf("decision %q: duplicate decision id", dup)
}

// forgetMoved drops from unmovedIDs what the mover has moved since the
// last call, raising trailMaxID by it. s.mu is held.
func (s *Store) forgetMoved() {
	head := s.moved.Load()
	if head <= s.forgotten {
		return
	}
	for id, seq := range s.unmovedIDs {
		if seq <= head {
			s.trailMaxID = max(s.trailMaxID, id)
			delete(s.unmovedIDs, id)
		}
	}
	s.forgotten = head
}

// seal assigns sequence numbers and hashes after the current head and
// encodes the rows; the head moves only once the transaction commits.
func (s *Store) seal(recs []pdp.Record) ([][]any, audit.Chain, error) {
	rows := make([][]any, len(recs))
	chain := s.chain
	for i, r := range recs {
		if r.DecisionID == "" {
			return nil, chain, fmt.Errorf("%w: empty decision id", audit.ErrInvalidRecord)
		}
		var e audit.Entry
		var err error
		if e, chain, err = chain.Next(r); err != nil {
			return nil, s.chain, err
		}
		if rows[i], err = encode(e, &s.scratch); err != nil {
			return nil, s.chain, fmt.Errorf("%w: decision %q: %v", audit.ErrInvalidRecord, r.DecisionID, err)
		}
	}
	return rows, chain, nil
}

// encode returns the insert arguments of e, in the order of columns.
func encode(e audit.Entry, scratch *[]byte) ([]any, error) {
	r := e.Record
	reasons, err := jsonText(scratch, r.Reasons, "[]")
	if err != nil {
		return nil, fmt.Errorf("reasons: %w", err)
	}
	obligations, err := jsonText(scratch, r.Obligations, "{}")
	if err != nil {
		return nil, fmt.Errorf("obligations: %w", err)
	}
	input, err := jsonText(scratch, r.Input, "{}")
	if err != nil {
		return nil, fmt.Errorf("input: %w", err)
	}
	masked, _ := jsonText(scratch, r.Masked, "[]")
	return []any{e.Seq, e.PrevHash, e.Hash, r.DecisionID, r.Time.UTC().Format(audit.TimeFormat), r.Caller,
		r.SubjectType, r.SubjectID, r.ResourceType, r.ResourceID, r.Action, r.Allow, reasons, obligations, input,
		r.BundleRevision, r.Entrypoint, r.CacheHit, r.Latency.Microseconds(), r.Error, masked, r.MaskError, r.TraceID}, nil
}

// jsonText encodes v without HTML escaping (auditors read these columns as
// text); a nil value becomes empty. The text is built in *scratch, which
// keeps its capacity for the next call.
func jsonText[T any](scratch *[]byte, v T, empty string) (string, error) {
	out, ok := appendJSON((*scratch)[:0], any(v)) // jsontext.go
	*scratch = out[:0]
	if ok {
		if string(out) == "null" {
			return empty, nil
		}
		return string(out), nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	out = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if string(out) == "null" {
		return empty, nil
	}
	return string(out), nil
}

// Get returns the record of decisionID, read through the read pool.
func (s *Store) Get(ctx context.Context, decisionID string) (pdp.Record, error) {
	e, err := s.GetEntry(ctx, decisionID)
	return e.Record, err
}

// GetEntry returns the record of decisionID with its place in the chain.
func (s *Store) GetEntry(ctx context.Context, decisionID string) (audit.Entry, error) {
	if err := s.flushPending(ctx); err != nil {
		return audit.Entry{}, err
	}
	e, err := scan(s.read.QueryRowContext(ctx, selectSQL, decisionID))
	if errors.Is(err, sql.ErrNoRows) {
		return audit.Entry{}, fmt.Errorf("decision %q: %w", decisionID, audit.ErrNotFound)
	}
	if err != nil {
		return audit.Entry{}, fmt.Errorf("read decision %q: %w", decisionID, err)
	}
	return e, nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scan(row scanner) (audit.Entry, error) {
	var e audit.Entry
	r := &e.Record
	var at, reasons, obligations, input, masked string
	var latencyUS int64
	err := row.Scan(&e.Seq, &e.PrevHash, &e.Hash, &r.DecisionID, &at, &r.Caller, &r.SubjectType, &r.SubjectID,
		&r.ResourceType, &r.ResourceID, &r.Action, &r.Allow, &reasons, &obligations, &input,
		&r.BundleRevision, &r.Entrypoint, &r.CacheHit, &latencyUS, &r.Error, &masked, &r.MaskError, &r.TraceID)
	if err != nil {
		return e, err
	}
	r.Latency = time.Duration(latencyUS) * time.Microsecond
	return e, decode(r, at, reasons, obligations, input, masked)
}

func decode(r *pdp.Record, at, reasons, obligations, input, masked string) error {
	var err error
	if r.Time, err = time.Parse(time.RFC3339Nano, at); err != nil {
		return fmt.Errorf("time: %w", err)
	}
	r.Reasons, r.Obligations, r.Input = []string{}, map[string]any{}, map[string]any{}
	for _, f := range []struct {
		name, text string
		dst        any
	}{{"reasons", reasons, &r.Reasons}, {"obligations", obligations, &r.Obligations},
		{"input", input, &r.Input}, {"masked", masked, &r.Masked}} {
		if err := json.Unmarshal([]byte(f.text), f.dst); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	if len(r.Masked) == 0 {
		r.Masked = nil
	}
	return nil
}

// queryer is a *sql.DB or *sql.Tx.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// readAfter returns up to limit entries (all when limit < 0) with seq >
// after, in ascending order.
func readAfter(ctx context.Context, q queryer, after int64, limit int) ([]audit.Entry, error) {
	rows, err := q.QueryContext(ctx, afterSQL, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read decisions: %w", err)
	}
	return collect(rows)
}

func collect(rows *sql.Rows) ([]audit.Entry, error) {
	defer rows.Close()
	var out []audit.Entry
	for rows.Next() {
		e, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("read decision: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
