package postgres

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// partitionPrefix starts the name of every partition of decisions; the
// day follows as YYYYMMDD.
const partitionPrefix = "decisions_p"

func partitionName(day time.Time) string { return partitionPrefix + day.Format("20060102") }

// dayOf is the UTC day that holds t.
func dayOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// EnsurePartitions creates the partitions of the days from..to
// (inclusive) that do not exist yet: a replica calls it ahead of
// midnight so that no shipment waits for one.
func (s *Store) EnsurePartitions(ctx context.Context, from, to time.Time) error {
	var days []time.Time
	for d := dayOf(from); !d.After(dayOf(to)); d = d.AddDate(0, 0, 1) {
		days = append(days, d)
	}
	return s.ensurePartitions(ctx, days)
}

// ensurePartitions creates the partitions of days, and of the day after
// each, that the store has not seen. A new partition is created apart and
// then attached, which blocks neither writers nor readers of decisions.
func (s *Store) ensurePartitions(ctx context.Context, days []time.Time) error {
	missing := s.parts.missing(days)
	if len(missing) == 0 {
		return nil
	}
	for _, d := range missing {
		missing = append(missing, d.AddDate(0, 0, 1))
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, lockClass, lockPartitions); err != nil {
			return err
		}
		for _, d := range missing {
			if err := s.createPartition(ctx, tx, d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("audit database: create partitions: %w", err)
	}
	s.parts.add(missing)
	return nil
}

func (s *Store) createPartition(ctx context.Context, tx pgx.Tx, day time.Time) error {
	name := partitionName(day)
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&exists); err != nil || exists {
		return err
	}
	from, to := day.Format(time.RFC3339), day.AddDate(0, 0, 1).Format(time.RFC3339)
	stmt := fmt.Sprintf(`CREATE TABLE %s (LIKE decisions INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE decisions ATTACH PARTITION %s FOR VALUES FROM ('%s') TO ('%s')`, name, name, from, to)
	if _, err := tx.Exec(ctx, stmt); err != nil {
		return fmt.Errorf("partition %s: %w", name, err)
	}
	s.log.Info("audit partition created", "partition", name)
	return nil
}

// isNoPartition reports an insert that found no partition for its row (one
// was dropped under the store's cache).
func isNoPartition(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23514" && strings.Contains(pgErr.Message, "no partition")
}

// Partitions returns the days that have a partition, oldest first.
func (s *Store) Partitions(ctx context.Context) ([]time.Time, error) {
	rows, err := s.pool.Query(ctx, `SELECT c.relname FROM pg_inherits i
  JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'decisions'::regclass`)
	if err != nil {
		return nil, fmt.Errorf("audit database: list partitions: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("audit database: list partitions: %w", err)
	}
	var days []time.Time
	for _, n := range names {
		if d, err := time.Parse("20060102", strings.TrimPrefix(n, partitionPrefix)); err == nil {
			days = append(days, d)
		}
	}
	sort.Slice(days, func(i, j int) bool { return days[i].Before(days[j]) })
	return days, nil
}
