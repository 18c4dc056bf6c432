package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pdp-project/pdp/internal/audit"
)

// ErrRetentionPending reports partitions old enough to go that hold
// records of an instance whose own retention checkpoint has not reached
// them yet: dropping them would cut its chain without a signed anchor.
var ErrRetentionPending = errors.New("old partitions wait for retention checkpoints")

// DropBefore drops every daily partition whose records are all older than
// cutoff, once every instance with records in them is covered: its newest
// record there is at or before its newest retention checkpoint (which the
// replica signs with its own key when its local retention cuts its chain,
// and ships), or the instance has no record from there on (its chain
// expires whole, checkpoints included). Otherwise nothing is dropped and
// the error wraps ErrRetentionPending naming the instances. It returns
// the partitions dropped. The transaction locks the whole table briefly
// and waits at most lockWait for auditors' queries to let go of it.
func (s *Store) DropBefore(ctx context.Context, cutoff time.Time) ([]string, error) {
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
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return s.dropTx(ctx, tx, old, boundary) })
	s.parts.forget()
	if err != nil {
		return nil, fmt.Errorf("audit retention: %w", err)
	}
	s.log.Info("audit partitions dropped", "partitions", old, "before", boundary)
	return old, nil
}

// lockWait bounds how long retention waits for a lock.
const lockWait = "5s"

func (s *Store) dropTx(ctx context.Context, tx pgx.Tx, old []string, boundary time.Time) error {
	list := pgx.Identifier{old[0]}.Sanitize()
	for _, name := range old[1:] {
		list += ", " + pgx.Identifier{name}.Sanitize()
	}
	stmts := []string{`SET LOCAL lock_timeout = '` + lockWait + `'`,
		fmt.Sprintf(`SELECT pg_advisory_xact_lock(%d, %d)`, lockClass, lockRetention),
		// The parent first, as every query takes it: dropping a partition
		// locks the parent, and taking the partitions first would deadlock
		// with a query holding the parent and waiting for a partition.
		`LOCK TABLE decisions IN ACCESS EXCLUSIVE MODE`}
	for _, stmt := range stmts {
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return err
		}
	}
	if err := coverAll(ctx, tx, boundary); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `DROP TABLE `+list)
	return err
}

// coverAll checks that every instance is covered (see DropBefore) and
// removes the checkpoints the drop makes pointless.
func coverAll(ctx context.Context, tx pgx.Tx, boundary time.Time) error {
	ids, err := instanceIDs(ctx, tx)
	if err != nil {
		return err
	}
	var pending []string
	for _, id := range ids {
		ok, err := cover(ctx, tx, id, boundary)
		if err != nil {
			return fmt.Errorf("instance %q: %w", id, err)
		}
		if !ok {
			pending = append(pending, id)
		}
	}
	if len(pending) > 0 {
		return fmt.Errorf("%w of %s", ErrRetentionPending, strings.Join(pending, ", "))
	}
	return nil
}

func instanceIDs(ctx context.Context, tx pgx.Tx) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT instance_id FROM instances ORDER BY instance_id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// cover reports whether instance's records before boundary may go, and
// removes its checkpoints that then vouch for nothing.
func cover(ctx context.Context, tx pgx.Tx, instance string, boundary time.Time) (bool, error) {
	var last, anchor *int64
	var newer bool
	err := tx.QueryRow(ctx, `SELECT
  (SELECT max(seq) FROM decisions WHERE instance_id = $1 AND time < $2),
  (SELECT max(seq) FROM checkpoints WHERE instance_id = $1 AND kind = $3),
  EXISTS (SELECT 1 FROM decisions WHERE instance_id = $1 AND time >= $2)`,
		instance, boundary, audit.CheckpointRetention).Scan(&last, &anchor, &newer)
	switch {
	case err != nil:
		return false, err
	case last == nil:
		return true, nil
	case anchor != nil && *anchor >= *last:
		_, err = tx.Exec(ctx, `DELETE FROM checkpoints WHERE instance_id = $1 AND seq < $2`, instance, *anchor)
		return err == nil, err
	case !newer:
		_, err = tx.Exec(ctx, `DELETE FROM checkpoints WHERE instance_id = $1`, instance)
		return err == nil, err
	}
	return false, nil
}
