package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/pdp"
)

// selectColumns are what every read takes from decisions, in the order of
// scanRow.
const selectColumns = `instance_id, seq, prev_hash, hash, decision_id, time, time_nanos, caller, subject_type,
  subject_id, resource_type, resource_id, action, allow, reasons::text, obligations::text, input::text,
  bundle_revision, bundle_digest, entrypoint, cache_hit, latency_us, error, trace_id, masked::text, mask_error,
  nul_text::text, kind, plan::text`

// Row is an entry of the fleet's trail with the instance whose chain
// holds it.
type Row struct {
	Instance string
	audit.Entry
}

func scanRow(row pgx.Row) (Row, error) {
	var out Row
	e := &out.Entry
	r := &e.Record
	var at time.Time
	var nanos int16
	var latencyUS int64
	var reasons, obligations, input, masked string
	var nul, plan *string
	err := row.Scan(&out.Instance, &e.Seq, &e.PrevHash, &e.Hash, &r.DecisionID, &at, &nanos, &r.Caller,
		&r.SubjectType, &r.SubjectID, &r.ResourceType, &r.ResourceID, &r.Action, &r.Allow,
		&reasons, &obligations, &input, &r.BundleRevision, &r.BundleDigest, &r.Entrypoint, &r.CacheHit,
		&latencyUS, &r.Error, &r.TraceID, &masked, &r.MaskError, &nul,
		&r.Kind, &plan)
	if err != nil {
		return out, err
	}
	if plan != nil {
		if err := audit.DecodePlan(r, []byte(*plan)); err != nil {
			return out, err
		}
	}
	e.Instance = out.Instance
	r.Time = joinTime(at, nanos)
	r.Latency = time.Duration(latencyUS) * time.Microsecond
	if err := decodeJSON(r, reasons, obligations, input, masked); err != nil {
		return out, err
	}
	return out, restoreNUL(&out, nul)
}

func decodeJSON(r *pdp.Record, reasons, obligations, input, masked string) error {
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

// restoreNUL puts back the exact values of text columns that held NUL.
func restoreNUL(row *Row, nul *string) error {
	if nul == nil {
		return nil
	}
	var exact map[string]string
	if err := json.Unmarshal([]byte(*nul), &exact); err != nil {
		return fmt.Errorf("nul_text: %w", err)
	}
	r := &row.Record
	for col, dst := range map[string]*string{"prev_hash": &row.PrevHash, "hash": &row.Hash,
		"decision_id": &r.DecisionID, "caller": &r.Caller, "subject_type": &r.SubjectType,
		"subject_id": &r.SubjectID, "resource_type": &r.ResourceType, "resource_id": &r.ResourceID,
		"action": &r.Action, "bundle_revision": &r.BundleRevision, "bundle_digest": &r.BundleDigest,
		"entrypoint": &r.Entrypoint, "error": &r.Error, "trace_id": &r.TraceID, "kind": &r.Kind} {
		if v, ok := exact[col]; ok {
			*dst = v
		}
	}
	return nil
}

// collect reads every row of rows.
func collect(rows pgx.Rows, err error) ([]Row, error) {
	if err != nil {
		return nil, fmt.Errorf("audit database: read decisions: %w", err)
	}
	defer rows.Close()
	var out []Row
	for rows.Next() {
		row, err := scanRow(rows)
		if err != nil {
			return nil, fmt.Errorf("audit database: read decision: %w", err)
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit database: read decisions: %w", err)
	}
	return out, nil
}

// Get returns the record of decisionID.
func (s *Store) Get(ctx context.Context, decisionID string) (pdp.Record, error) {
	row, err := s.GetRow(ctx, decisionID)
	return row.Record, err
}

// GetEntry returns the record of decisionID with its place in its chain.
func (s *Store) GetEntry(ctx context.Context, decisionID string) (audit.Entry, error) {
	row, err := s.GetRow(ctx, decisionID)
	return row.Entry, err
}

// GetRow returns the record of decisionID with its place in its chain and
// its instance. A UUIDv7 id carries its creation time, so the partitions of
// the days around it are searched first; then all.
func (s *Store) GetRow(ctx context.Context, decisionID string) (Row, error) {
	const q = `SELECT ` + selectColumns + ` FROM decisions WHERE decision_id = $1`
	key := validUTF8(decisionID) // as Ship stored it
	if from, to, ok := uuidWindow(decisionID); ok {
		rows, err := collect(s.pool.Query(ctx, q+` AND time >= $2 AND time < $3 ORDER BY time LIMIT 1`, key, from, to))
		if err != nil || len(rows) > 0 {
			return first(rows, err)
		}
	}
	rows, err := collect(s.pool.Query(ctx, q+` ORDER BY time LIMIT 1`, key))
	if err == nil && len(rows) == 0 {
		err = fmt.Errorf("decision %q: %w", decisionID, audit.ErrNotFound)
	}
	return first(rows, err)
}

func first(rows []Row, err error) (Row, error) {
	if err != nil || len(rows) == 0 {
		return Row{}, err
	}
	return rows[0], nil
}

// uuidWindow is a day either side of the time in a UUIDv7.
func uuidWindow(id string) (time.Time, time.Time, bool) {
	u, err := uuid.Parse(id)
	if err != nil || u.Version() != 7 {
		return time.Time{}, time.Time{}, false
	}
	sec, nsec := u.Time().UnixTime()
	t := time.Unix(sec, nsec).UTC()
	return t.Add(-24 * time.Hour), t.Add(24 * time.Hour), true
}

// Instances returns the id of every instance that shipped records, sorted.
func (s *Store) Instances(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT instance_id FROM instances ORDER BY instance_id`)
	if err != nil {
		return nil, fmt.Errorf("audit database: list instances: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("audit database: list instances: %w", err)
	}
	return ids, nil
}

// After returns up to limit entries of instance's chain with seq > after,
// in chain order (for following one replica's trail).
func (s *Store) After(ctx context.Context, instance string, after int64, limit int) ([]audit.Entry, error) {
	rows, err := collect(s.pool.Query(ctx, `SELECT `+selectColumns+` FROM decisions
 WHERE instance_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, instance, after, limit))
	out := make([]audit.Entry, len(rows))
	for i, r := range rows {
		out[i] = r.Entry
	}
	return out, err
}

// entriesChunk is how many entries Entries reads at a time.
const entriesChunk = 500

// Entries calls fn for every entry of instance's chain with seq > after, in
// chain order, reading in chunks so that memory stays flat.
func (s *Store) Entries(ctx context.Context, instance string, after int64, fn func(audit.Entry) error) error {
	for {
		chunk, err := s.After(ctx, instance, after, entriesChunk)
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

// Checkpoints returns every checkpoint of instance, in chain order.
func (s *Store) Checkpoints(ctx context.Context, instance string) ([]audit.Checkpoint, error) {
	rows, err := s.pool.Query(ctx, `SELECT seq, hash, time, time_nanos, kind, public_key, signature
  FROM checkpoints WHERE instance_id = $1 ORDER BY seq, time, time_nanos, kind`, instance)
	if err != nil {
		return nil, fmt.Errorf("audit database: read checkpoints: %w", err)
	}
	cps, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (audit.Checkpoint, error) {
		var cp audit.Checkpoint
		var nanos int16
		err := row.Scan(&cp.Seq, &cp.Hash, &cp.Time, &nanos, &cp.Kind, &cp.PublicKey, &cp.Signature)
		cp.Time = joinTime(cp.Time, nanos)
		return cp, err
	})
	if err != nil {
		return nil, fmt.Errorf("audit database: read checkpoints: %w", err)
	}
	return cps, nil
}

var errNoInstance = errors.New("empty instance id")
