package sqlite

import (
	"context"
	"database/sql"
	"log/slog"
	"time"
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
