package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
)

// Refreshing the query planner's statistics.
const (
	// statsEvery is the longest the statistics go without a refresh while
	// records arrive.
	statsEvery = 10 * time.Minute
	// statsMinRows is the growth below which only statsEvery refreshes.
	statsMinRows = 10000
	// optimizeSQL samples at most analysisLimit rows per index, so a
	// refresh takes milliseconds whatever the trail's size.
	optimizeSQL = `PRAGMA analysis_limit = 400; PRAGMA optimize = 0x10002`
)

// plannerStats keeps SQLite's statistics (sqlite_stat1) current: with
// them, a filter on a value most records share (a resource type, a
// common action) walks the time index newest first instead of sorting
// every match. Guarded by Store.indexMu.
type plannerStats struct {
	at        time.Time
	rows      int64 // indexed at the last refresh
	sinceLast int64
}

// grew counts n more indexed records and refreshes the statistics when the
// trail has doubled since the last refresh (or statsEvery has passed).
func (p *plannerStats) grew(ctx context.Context, db *sql.DB, n int, log *slog.Logger) {
	p.sinceLast += int64(n)
	if p.sinceLast < max(p.rows, statsMinRows) && time.Since(p.at) < statsEvery {
		return
	}
	if _, err := db.ExecContext(ctx, optimizeSQL); err != nil {
		log.Warn("refresh audit query statistics", "error", err)
	}
	p.at, p.rows, p.sinceLast = time.Now(), p.rows+p.sinceLast, 0
}

// groupKey is the SQL of each grouping's key (see audit.GroupKeys); by
// reason, one row per reason, from json_each.
var groupKey = map[string]string{
	"action": "action", "reason": "r.value", "subject": "subject_type || ':' || subject_id",
	"resource": "resource_type || ':' || resource_id", "caller": "caller", "bundle_revision": "bundle_revision",
}

// Stats counts the records f selects, allowed and denied, grouped by by
// (one of audit.StatsGroupings), journaled records included; most records
// first.
func (s *Store) Stats(ctx context.Context, f audit.Filter, by string) ([]audit.Group, error) {
	if err := audit.CheckGrouping(by); err != nil {
		return nil, err
	}
	tally := audit.Tally{}
	s.indexMu.Lock() // no index pass between reading the journal and the table: each record counts once
	defer s.indexMu.Unlock()
	pending, err := s.pendingAll(f)
	if err != nil {
		return nil, err
	}
	where, args := whereClause(f, audit.Cursor{})
	from := "decisions"
	if by == "reason" {
		from = "decisions, json_each(decisions.reasons) AS r"
	}
	q := `SELECT ` + groupKey[by] + `, SUM(allow), SUM(1 - allow) FROM ` + from + where + ` GROUP BY 1`
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("audit stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var g audit.Group
		if err := rows.Scan(&g.Key, &g.Allow, &g.Deny); err != nil {
			return nil, fmt.Errorf("audit stats: %w", err)
		}
		tally.Merge([]audit.Group{g})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, e := range pending {
		tally.Add(e, by)
	}
	return tally.Groups(), nil
}
