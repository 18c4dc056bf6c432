package sqlite

import (
	"context"
	"database/sql"
)

// SchemaV4 serves every subject filter from one index instead of two.
// Subject ids have many values, so each of their index entries lands on a
// page of its own: every such index costs a page write per subject a move
// touches (pending.go). Queries by id alone or by type and id use the
// id-first index; by type alone (rare), the time index.
const SchemaV4 = `DROP INDEX IF EXISTS decisions_subject_id;
DROP INDEX IF EXISTS decisions_subject;
CREATE INDEX IF NOT EXISTS decisions_subject ON decisions (subject_id, subject_type, time);
`

func mergeSubjectIndexes(ctx context.Context, tx *sql.Tx) error {
	return exec(ctx, tx, "migrate schema to version 4", SchemaV4)
}
