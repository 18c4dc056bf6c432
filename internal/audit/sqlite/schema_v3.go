package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// SchemaV3 adds the trace id of the request behind each decision, so that
// a record leads to its trace (and its log lines) and back.
const SchemaV3 = `ALTER TABLE decisions ADD COLUMN trace_id TEXT NOT NULL DEFAULT ''; -- W3C trace id (32 hex digits) of the request, '' when not traced
CREATE INDEX IF NOT EXISTS decisions_trace ON decisions (trace_id) WHERE trace_id <> '';
`

// addTraceColumn adds the version 3 column to a database older than 3
// that lacks it; it runs before migrateV2, whose sealing reads every
// column. Idempotent: a crash before migrateV3 leaves the column in place.
func addTraceColumn(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin migration: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	var version, has int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	q := `SELECT COUNT(*) FROM pragma_table_info('decisions') WHERE name = 'trace_id'`
	if err := tx.QueryRowContext(ctx, q).Scan(&has); err != nil {
		return fmt.Errorf("read decisions columns: %w", err)
	}
	if version >= 3 || has > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, SchemaV3); err != nil {
		return fmt.Errorf("migrate schema to version 3: %w", err)
	}
	return tx.Commit()
}

// migrateV3 marks a version 2 database (which addTraceColumn gave its
// column) as version 3. Existing rows have an empty trace id, which the
// hash chain leaves out, so their hashes stay valid.
func migrateV3(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, "PRAGMA user_version = 3"); err != nil {
		return fmt.Errorf("set schema version: %w", err)
	}
	return nil
}
