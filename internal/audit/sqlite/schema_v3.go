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

// addTraceColumn adds the version 3 column unless the table has it (a
// version 2 database migrated by this binary already does). Existing rows
// get an empty trace id, which the hash chain leaves out, so their hashes
// stay valid.
func addTraceColumn(ctx context.Context, tx *sql.Tx) error {
	var has int
	q := `SELECT COUNT(*) FROM pragma_table_info('decisions') WHERE name = 'trace_id'`
	if err := tx.QueryRowContext(ctx, q).Scan(&has); err != nil {
		return fmt.Errorf("read decisions columns: %w", err)
	}
	if has > 0 {
		return nil
	}
	return exec(ctx, tx, "migrate schema to version 3", SchemaV3)
}
