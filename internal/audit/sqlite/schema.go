package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// SchemaVersion is the PRAGMA user_version this package writes and reads:
// 1 is the spine's table, 2 adds the hash chain, masking columns,
// checkpoints and the query indexes, 3 the trace id (schema_v3.go), 4 one
// subject index instead of two (schema_v4.go), 5 the bundle digest
// (schema_v5.go).
const SchemaVersion = 6

// Schema is the database layout, one row per decision, meant to be read by
// auditors with the sqlite3 shell (".schema decisions" prints it, comments
// included). Times are RFC 3339 UTC with nine fractional digits, so text
// order is time order; JSON columns work with SQLite's json_* functions.
const Schema = `CREATE TABLE IF NOT EXISTS decisions (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT, -- append order, never reused
  decision_id     TEXT    NOT NULL UNIQUE,  -- UUIDv7 text, time-ordered; the id returned to the caller
  time            TEXT    NOT NULL,         -- decision time, e.g. 2026-03-04T05:06:07.123456789Z
  caller          TEXT    NOT NULL,         -- authenticated calling service ('' when unknown)
  subject_type    TEXT    NOT NULL,         -- input.subject.type
  subject_id      TEXT    NOT NULL,         -- input.subject.id (the token's sub when a token was sent)
  resource_type   TEXT    NOT NULL,         -- input.resource.type
  resource_id     TEXT    NOT NULL,         -- input.resource.id
  action          TEXT    NOT NULL,         -- input.action.name
  allow           INTEGER NOT NULL CHECK (allow IN (0, 1)), -- 1 allowed, 0 denied
  reasons         TEXT    NOT NULL,         -- JSON array of strings, e.g. ["undefined"]
  obligations     TEXT    NOT NULL,         -- JSON object returned with the decision, {} when none
  input           TEXT    NOT NULL,         -- JSON of the full input document Rego saw (after masking)
  bundle_revision TEXT    NOT NULL,         -- revision of the active bundle(s), name:revision,... for several
  entrypoint      TEXT    NOT NULL,         -- data path evaluated, e.g. authz/decision
  cache_hit       INTEGER NOT NULL CHECK (cache_hit IN (0, 1)), -- 1 when answered from the decision cache
  latency_us      INTEGER NOT NULL,         -- decision latency in microseconds
  error           TEXT    NOT NULL          -- evaluation error behind a deny, '' when none
);
CREATE INDEX IF NOT EXISTS decisions_time ON decisions (time);
CREATE INDEX IF NOT EXISTS decisions_subject ON decisions (subject_type, subject_id, time);
CREATE INDEX IF NOT EXISTS decisions_resource ON decisions (resource_type, resource_id, time);
-- decision_id is indexed by its UNIQUE constraint.
`

// migrate brings the database at db to SchemaVersion, one version per
// transaction.
func migrate(ctx context.Context, db *sql.DB) error {
	steps := []func(context.Context, *sql.Tx) error{
		func(ctx context.Context, tx *sql.Tx) error { return exec(ctx, tx, "create schema", Schema) },
		migrateV2,           // schema_v2.go
		addTraceColumn,      // schema_v3.go
		mergeSubjectIndexes, // schema_v4.go
		addBundleDigest,     // schema_v5.go
		addPlanColumns,      // schema_v6.go
	}
	for i, apply := range steps {
		if err := upgrade(ctx, db, i+1, apply); err != nil {
			return err
		}
	}
	return nil
}

// upgrade runs apply in one transaction when the database is older than
// version, and records version with it.
func upgrade(ctx context.Context, db *sql.DB, version int, apply func(context.Context, *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin migration: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	var current int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	switch {
	case current > SchemaVersion:
		return fmt.Errorf("audit database schema version %d is newer than this binary supports (%d)", current, SchemaVersion)
	case current >= version:
		return nil
	}
	if err := apply(ctx, tx); err != nil {
		return err
	}
	if err := exec(ctx, tx, "set schema version", fmt.Sprintf("PRAGMA user_version = %d", version)); err != nil {
		return err
	}
	return tx.Commit()
}

func exec(ctx context.Context, tx *sql.Tx, what, stmt string) error {
	if _, err := tx.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
