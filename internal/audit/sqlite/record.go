package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/pdp"
)

// timeFormat is RFC 3339 with a fixed nine-digit fraction so that the text
// of the time column sorts in time order.
const timeFormat = "2006-01-02T15:04:05.000000000Z07:00"

const columns = `decision_id, time, caller, subject_type, subject_id, resource_type, resource_id, action,
  allow, reasons, obligations, input, bundle_revision, entrypoint, cache_hit, latency_us, error`

const insertSQL = `INSERT INTO decisions (` + columns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

const selectSQL = `SELECT ` + columns + ` FROM decisions WHERE decision_id = ?`

// Append inserts recs in one transaction. Every record is encoded before
// the transaction starts; one that cannot be fails the call with an error
// wrapping audit.ErrInvalidRecord.
func (s *Store) Append(ctx context.Context, recs []pdp.Record) error {
	if len(recs) == 0 {
		return nil
	}
	rows, err := encodeAll(recs)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin audit transaction: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	stmt := tx.StmtContext(ctx, s.insert)
	for i, row := range rows {
		if _, err := stmt.ExecContext(ctx, row...); err != nil {
			return fmt.Errorf("insert decision %q: %w", recs[i].DecisionID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit audit transaction: %w", err)
	}
	return nil
}

func encodeAll(recs []pdp.Record) ([][]any, error) {
	rows := make([][]any, len(recs))
	for i, r := range recs {
		row, err := encode(r)
		if err != nil {
			return nil, fmt.Errorf("%w: decision %q: %v", audit.ErrInvalidRecord, r.DecisionID, err)
		}
		rows[i] = row
	}
	return rows, nil
}

// encode returns the insert arguments of r, in the order of columns.
func encode(r pdp.Record) ([]any, error) {
	if r.DecisionID == "" {
		return nil, errors.New("empty decision id")
	}
	reasons, err := jsonText(r.Reasons, "[]")
	if err != nil {
		return nil, fmt.Errorf("reasons: %w", err)
	}
	obligations, err := jsonText(r.Obligations, "{}")
	if err != nil {
		return nil, fmt.Errorf("obligations: %w", err)
	}
	input, err := jsonText(r.Input, "{}")
	if err != nil {
		return nil, fmt.Errorf("input: %w", err)
	}
	return []any{r.DecisionID, r.Time.UTC().Format(timeFormat), r.Caller, r.SubjectType, r.SubjectID,
		r.ResourceType, r.ResourceID, r.Action, r.Allow, reasons, obligations, input,
		r.BundleRevision, r.Entrypoint, r.CacheHit, r.Latency.Microseconds(), r.Error}, nil
}

// jsonText encodes v without HTML escaping (auditors read these columns as
// text); a nil value becomes empty.
func jsonText[T any](v T, empty string) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	out := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if string(out) == "null" {
		return empty, nil
	}
	return string(out), nil
}

// Get returns the record of decisionID, read through the read pool.
func (s *Store) Get(ctx context.Context, decisionID string) (pdp.Record, error) {
	r, err := scan(s.read.QueryRowContext(ctx, selectSQL, decisionID))
	if errors.Is(err, sql.ErrNoRows) {
		return pdp.Record{}, fmt.Errorf("decision %q: %w", decisionID, audit.ErrNotFound)
	}
	if err != nil {
		return pdp.Record{}, fmt.Errorf("read decision %q: %w", decisionID, err)
	}
	return r, nil
}

func scan(row *sql.Row) (pdp.Record, error) {
	var r pdp.Record
	var at, reasons, obligations, input string
	var latencyUS int64
	err := row.Scan(&r.DecisionID, &at, &r.Caller, &r.SubjectType, &r.SubjectID, &r.ResourceType,
		&r.ResourceID, &r.Action, &r.Allow, &reasons, &obligations, &input,
		&r.BundleRevision, &r.Entrypoint, &r.CacheHit, &latencyUS, &r.Error)
	if err != nil {
		return r, err
	}
	r.Latency = time.Duration(latencyUS) * time.Microsecond
	return r, decode(&r, at, reasons, obligations, input)
}

func decode(r *pdp.Record, at, reasons, obligations, input string) error {
	var err error
	if r.Time, err = time.Parse(time.RFC3339Nano, at); err != nil {
		return fmt.Errorf("time: %w", err)
	}
	r.Reasons, r.Obligations, r.Input = []string{}, map[string]any{}, map[string]any{}
	for _, f := range []struct {
		name, text string
		dst        any
	}{{"reasons", reasons, &r.Reasons}, {"obligations", obligations, &r.Obligations}, {"input", input, &r.Input}} {
		if err := json.Unmarshal([]byte(f.text), f.dst); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	return nil
}
