package sqlite

import (
	"context"
	"database/sql"
	"strings"
)

// SchemaV6 holds resource plans beside decisions: a plan record's kind is
// "plan" and its plan column the answer (kind and condition) as canonical
// JSON text. Decisions keep kind and plan empty, and the hash chain leaves
// both out when empty, so older rows keep their hashes.
const SchemaV6 = `ALTER TABLE decisions ADD COLUMN kind TEXT NOT NULL DEFAULT ''; -- '' for a decision, 'plan' for a resource plan
ALTER TABLE decisions ADD COLUMN plan TEXT NOT NULL DEFAULT ''; -- a plan record's answer as JSON, '' otherwise
`

func addPlanColumns(ctx context.Context, tx *sql.Tx) error {
	return exec(ctx, tx, "migrate schema to version 6", SchemaV6)
}

// columnsBeforeV6 reads a table that has no kind and plan columns yet.
var columnsBeforeV6 = strings.Replace(columns, "kind, plan", "'' AS kind, '' AS plan", 1)

// columnsBeforeV5 also lacks bundle_digest.
var columnsBeforeV5 = strings.Replace(columnsBeforeV6, "bundle_digest", "'' AS bundle_digest", 1)
