package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pdp-project/pdp/internal/audit"
)

// RetentionSigner returns the signed retention checkpoint of the record at
// seq with hash in instance's chain: where its chain starts once the
// records up to seq are gone (see audit.Verify).
type RetentionSigner func(instance string, seq int64, hash string) audit.Checkpoint

// SignRetention is the RetentionSigner of s, stamping checkpoints with
// now().
func SignRetention(s *audit.Signer, now func() time.Time) RetentionSigner {
	return func(_ string, seq int64, hash string) audit.Checkpoint {
		return s.Checkpoint(seq, hash, audit.CheckpointRetention, now())
	}
}

// DropBefore drops every daily partition whose records are all older than
// cutoff, and in the same transaction leaves each instance a retention
// checkpoint at the newest of its records dropped, so that the rest of
// its chain still verifies; the older checkpoints of that instance go too.
// A record of a later partition sealed before that one (its time went
// backwards across midnight) goes with it. It returns the partitions
// dropped. The transaction holds the partitions' locks briefly; it waits
// at most lockWait for auditors' queries to let go of them.
func (s *Store) DropBefore(ctx context.Context, cutoff time.Time, sign RetentionSigner) ([]string, error) {
	days, err := s.Partitions(ctx)
	if err != nil {
		return nil, err
	}
	boundary := dayOf(cutoff)
	var old []string
	for _, d := range days {
		if d.Before(boundary) {
			old = append(old, partitionName(d))
		}
	}
	if len(old) == 0 {
		return nil, nil
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return s.dropTx(ctx, tx, old, boundary, sign) })
	s.parts.forget()
	if err != nil {
		return nil, fmt.Errorf("audit retention: %w", err)
	}
	s.log.Info("audit partitions dropped", "partitions", old, "before", boundary)
	return old, nil
}

// lockWait bounds how long retention waits for a lock.
const lockWait = "5s"

func (s *Store) dropTx(ctx context.Context, tx pgx.Tx, old []string, boundary time.Time, sign RetentionSigner) error {
	list := pgx.Identifier{old[0]}.Sanitize()
	for _, name := range old[1:] {
		list += ", " + pgx.Identifier{name}.Sanitize()
	}
	stmts := []string{`SET LOCAL lock_timeout = '` + lockWait + `'`,
		fmt.Sprintf(`SELECT pg_advisory_xact_lock(%d, %d)`, lockClass, lockRetention),
		`LOCK TABLE ` + list + ` IN ACCESS EXCLUSIVE MODE`}
	for _, stmt := range stmts {
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return err
		}
	}
	ids, err := instanceIDs(ctx, tx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := cutChain(ctx, tx, id, boundary, sign); err != nil {
			return fmt.Errorf("instance %q: %w", id, err)
		}
	}
	_, err = tx.Exec(ctx, `DROP TABLE `+list)
	return err
}

func instanceIDs(ctx context.Context, tx pgx.Tx) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT instance_id FROM instances ORDER BY instance_id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// cutChain writes the retention checkpoint of instance at its newest
// record before boundary, if it has one, and removes what it makes
// redundant.
func cutChain(ctx context.Context, tx pgx.Tx, instance string, boundary time.Time, sign RetentionSigner) error {
	var cut int64
	var hash string
	err := tx.QueryRow(ctx, `SELECT seq, hash FROM decisions WHERE instance_id = $1 AND time < $2
 ORDER BY seq DESC LIMIT 1`, instance, boundary).Scan(&cut, &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := insertCheckpoints(ctx, tx, instance, []audit.Checkpoint{sign(instance, cut, hash)}); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM decisions WHERE instance_id = $1 AND seq <= $2 AND time >= $3`,
		instance, cut, boundary); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `DELETE FROM checkpoints WHERE instance_id = $1 AND seq < $2`, instance, cut)
	return err
}
