package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pdp-project/pdp/internal/audit"
)

// Ship stores entries of instance's chain and its checkpoints in one
// transaction. It is idempotent: an entry already stored (the same
// decision id and time) is left as it is, so shipping a batch again after
// a lost answer lands each record once. Entries are expected in chain
// order; the newest one shipped becomes the instance's head (see Head).
func (s *Store) Ship(ctx context.Context, instance string, entries []audit.Entry, cps []audit.Checkpoint) error {
	if instance == "" {
		return errors.New("audit ship: empty instance id")
	}
	if len(entries) == 0 && len(cps) == 0 {
		return nil
	}
	b, err := newBatch(instance, entries)
	if err != nil {
		return err
	}
	if err := s.ensurePartitions(ctx, b.days); err != nil {
		return err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return s.shipTx(ctx, tx, b, cps) })
	if isNoPartition(err) {
		s.parts.forget() // retention dropped one; the retry creates it again
	}
	if err != nil {
		return fmt.Errorf("audit ship %d records of %q: %w", len(entries), instance, err)
	}
	return nil
}

func (s *Store) shipTx(ctx context.Context, tx pgx.Tx, b *batch, cps []audit.Checkpoint) error {
	if b.n > 0 {
		inserted, err := s.ins(ctx, tx, b)
		if err != nil {
			return err
		}
		if inserted < int64(b.n) {
			if err := s.checkDuplicates(ctx, tx, b); err != nil {
				return err
			}
		}
	}
	if err := insertCheckpoints(ctx, tx, b.instance, cps); err != nil {
		return err
	}
	if b.n == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO instances (instance_id, head_seq, head_hash, shipped_at) VALUES ($1, $2, $3, now())
ON CONFLICT (instance_id) DO UPDATE SET head_seq = excluded.head_seq, head_hash = excluded.head_hash, shipped_at = now()
WHERE instances.head_seq < excluded.head_seq`, b.instance, b.maxSeq, b.maxHash)
	if err != nil {
		return fmt.Errorf("advance head: %w", err)
	}
	return nil
}

// inserter inserts a batch into decisions, skipping rows already there,
// and returns how many it inserted.
type inserter func(ctx context.Context, tx pgx.Tx, b *batch) (int64, error)

// copyViaTemp COPYs into a temporary table, then inserts from it with
// INSERT ... SELECT ... ON CONFLICT DO NOTHING: what copyInsert falls back
// to when some rows are already stored.
func copyViaTemp(ctx context.Context, tx pgx.Tx, b *batch) (int64, error) {
	cols := shipColumns()
	defs, names, values := make([]string, len(cols)), make([]string, len(cols)), make([]string, len(cols))
	for i, c := range cols {
		defs[i], names[i], values[i] = c.name+" "+c.wireType(), c.name, c.name
		if c.typ != c.wireType() {
			values[i] += "::" + c.typ
		}
	}
	create := `CREATE TEMP TABLE IF NOT EXISTS ship_batch (` + strings.Join(defs, ", ") + `) ON COMMIT DELETE ROWS`
	if _, err := tx.Exec(ctx, create); err != nil {
		return 0, fmt.Errorf("temp table: %w", err)
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"ship_batch"}, names, b.source())
	if err != nil {
		return 0, fmt.Errorf("copy decisions: %w", err)
	}
	tag, err := tx.Exec(ctx, `INSERT INTO decisions (`+strings.Join(names, ", ")+`) SELECT `+strings.Join(values, ", ")+
		` FROM ship_batch ON CONFLICT DO NOTHING`)
	if err != nil {
		return 0, fmt.Errorf("insert decisions: %w", err)
	}
	return tag.RowsAffected(), nil
}

// copyInsert COPYs straight into decisions under a savepoint and, when a
// row is already there (a batch shipped again), rolls back to it and takes
// copyViaTemp. Measured the fastest way, for the client and the server
// (see the package's README and BenchmarkShip).
func copyInsert(ctx context.Context, tx pgx.Tx, b *batch) (int64, error) {
	names := make([]string, 0, 32)
	for _, c := range shipColumns() {
		names = append(names, c.name)
	}
	sp, err := tx.Begin(ctx)
	if err != nil {
		return 0, err
	}
	n, err := sp.CopyFrom(ctx, pgx.Identifier{"decisions"}, names, b.source())
	if err == nil {
		return n, sp.Commit(ctx)
	}
	if rerr := sp.Rollback(ctx); rerr != nil {
		return 0, rerr
	}
	if !isUniqueViolation(err) {
		return 0, fmt.Errorf("copy decisions: %w", err)
	}
	return copyViaTemp(ctx, tx, b)
}

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// checkDuplicates runs when some entries were already stored: they must
// be the same records of the same chain. A different one (a replica that
// lost its chain and sealed anew, two replicas under one id) is logged,
// not refused, so that shipping goes on; verify reports the chain.
func (s *Store) checkDuplicates(ctx context.Context, tx pgx.Tx, b *batch) error {
	var ids []string
	err := tx.QueryRow(ctx, `SELECT COALESCE(array_agg(d.decision_id), '{}') FROM decisions d
  JOIN unnest($1::text[], $2::timestamptz[], $3::text[]) AS u(decision_id, time, hash) USING (decision_id, time)
 WHERE d.hash <> u.hash OR d.instance_id <> $4`, b.decisionID, b.at, b.hash, b.instance).Scan(&ids)
	if err != nil {
		return fmt.Errorf("check shipped duplicates: %w", err)
	}
	if len(ids) > 0 {
		s.log.Error("audit ship: decisions already stored with other content or by another instance were kept as stored",
			"instance", b.instance, "decision_ids", ids)
	}
	return nil
}

func insertCheckpoints(ctx context.Context, tx pgx.Tx, instance string, cps []audit.Checkpoint) error {
	for _, cp := range cps {
		at, nanos := splitTime(cp.Time)
		_, err := tx.Exec(ctx, `INSERT INTO checkpoints (instance_id, seq, hash, time, time_nanos, kind, public_key, signature)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
			instance, cp.Seq, validUTF8(cp.Hash), at, nanos, validUTF8(cp.Kind), validUTF8(cp.PublicKey), validUTF8(cp.Signature))
		if err != nil {
			return fmt.Errorf("insert checkpoint: %w", err)
		}
	}
	return nil
}

// Head returns the newest record of instance's chain stored here (0 and
// audit.GenesisHash when none), even after retention removed it: where a
// restarted replica resumes shipping.
func (s *Store) Head(ctx context.Context, instance string) (int64, string, error) {
	var seq int64
	var hash string
	err := s.pool.QueryRow(ctx, `SELECT head_seq, head_hash FROM instances WHERE instance_id = $1`, instance).Scan(&seq, &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, audit.GenesisHash, nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("audit database: head of %q: %w", instance, err)
	}
	return seq, hash, nil
}
