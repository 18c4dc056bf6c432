package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/pdp"
)

const columns = `seq, prev_hash, hash, decision_id, time, caller, subject_type, subject_id, resource_type, resource_id,
  action, allow, reasons, obligations, input, bundle_revision, bundle_digest, entrypoint, cache_hit, latency_us, error, masked, mask_error, trace_id, kind, plan`

// rowPlaceholders is one row of insertSQL's values.
const rowPlaceholders = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// insertRowsPerStmt is the number of rows one insert statement carries:
// fewer statements share SQLite's per-statement work among more rows.
const insertRowsPerStmt = 32

// insertSQL inserts n rows.
func insertSQL(n int) string {
	return `INSERT INTO decisions (` + columns + `) VALUES ` + strings.TrimSuffix(strings.Repeat(rowPlaceholders+", ", n), ", ")
}

// Get returns the record of decisionID.
func (s *Store) Get(ctx context.Context, decisionID string) (pdp.Record, error) {
	e, err := s.GetEntry(ctx, decisionID)
	return e.Record, err
}

// GetEntry returns the record of decisionID with its place in the chain,
// from the journal when the trail does not hold it yet.
func (s *Store) GetEntry(ctx context.Context, decisionID string) (audit.Entry, error) {
	s.mu.Lock()
	p, ok := s.pending.get(decisionID)
	s.mu.Unlock()
	if ok {
		return p.Stored()
	}
	e, err := scan(s.read.QueryRowContext(ctx, `SELECT `+s.cols+` FROM decisions WHERE decision_id = ?`, decisionID))
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
	var at, reasons, obligations, input, masked, plan string
	var latencyUS int64
	err := row.Scan(&e.Seq, &e.PrevHash, &e.Hash, &r.DecisionID, &at, &r.Caller, &r.SubjectType, &r.SubjectID,
		&r.ResourceType, &r.ResourceID, &r.Action, &r.Allow, &reasons, &obligations, &input,
		&r.BundleRevision, &r.BundleDigest, &r.Entrypoint, &r.CacheHit, &latencyUS, &r.Error, &masked, &r.MaskError, &r.TraceID,
		&r.Kind, &plan)
	if err != nil {
		return e, err
	}
	if err := audit.DecodePlan(r, []byte(plan)); err != nil {
		return e, err
	}
	r.Latency = time.Duration(latencyUS) * time.Microsecond
	if r.Time, err = time.Parse(time.RFC3339Nano, at); err != nil {
		return e, fmt.Errorf("time: %w", err)
	}
	return e, audit.DecodeJSONMembers(r, []byte(reasons), []byte(obligations), []byte(input), []byte(masked))
}

// queryer is a *sql.DB or *sql.Tx.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// readAfter returns up to limit entries of the trail's table (all when
// limit < 0) with seq > after, in ascending order.
func readAfter(ctx context.Context, q queryer, cols string, after int64, limit int) ([]audit.Entry, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+cols+` FROM decisions WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
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

// After returns up to limit records with seq > after, oldest first (for
// following the trail), journaled ones included.
func (s *Store) After(ctx context.Context, after int64, limit int) ([]audit.Entry, error) {
	pending, err := s.pendingAfter(after, limit)
	if err != nil {
		return nil, err
	}
	out, err := readAfter(ctx, s.read, s.cols, after, limit)
	if err != nil {
		return nil, err
	}
	if len(out) > 0 {
		after = out[len(out)-1].Seq
	}
	for _, e := range pending {
		if e.Seq > after && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

// pendingAfter returns up to limit journaled entries with seq > after.
func (s *Store) pendingAfter(after int64, limit int) ([]audit.Entry, error) {
	s.mu.Lock()
	var found []audit.Sealed
	for _, p := range s.pending.recs {
		if p.Seq > after && len(found) < limit {
			found = append(found, p)
		}
	}
	s.mu.Unlock()
	return stored(found)
}

// stored decodes journaled records as the trail returns them.
func stored(recs []audit.Sealed) ([]audit.Entry, error) {
	out := make([]audit.Entry, len(recs))
	for i, r := range recs {
		var err error
		if out[i], err = r.Stored(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Head returns the sequence number of the newest record (0 when none).
func (s *Store) Head(ctx context.Context) (int64, error) {
	s.mu.Lock()
	n := len(s.pending.recs)
	head := int64(0)
	if n > 0 {
		head = s.pending.recs[n-1].Seq
	}
	s.mu.Unlock()
	if head > 0 {
		return head, nil
	}
	err := s.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM decisions`).Scan(&head)
	return head, err
}
