package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// StagePath is the second SQLite file of a trail at path: the staging area
// where a group commit makes decisions durable. A commit there appends to
// one table with a single index, so it writes a handful of pages; a
// background mover (pending.go) then copies the rows into decisions, with
// its nine indexes, in large transactions on the trail itself that share
// each index page among many rows and never hold up a commit. Every read
// through the Store moves what is pending first, so readers never miss a
// record; a sqlite3 shell reading decisions directly sees it at most a
// moment later. The file is empty after a clean shutdown, and a crash
// leaves nothing behind that Open does not move.
func StagePath(path string) string { return path + "-stage" }

// stageSchema has the columns and checks of decisions (a row refused there
// is refused here, before the caller is told it is recorded; decision ids
// are kept unique by Store.checkUnique) and the count checkpoints signed
// at commit time.
const stageSchema = `CREATE TABLE IF NOT EXISTS decisions_pending (
  seq             INTEGER PRIMARY KEY,
  decision_id     TEXT    NOT NULL,
  time            TEXT    NOT NULL,
  caller          TEXT    NOT NULL,
  subject_type    TEXT    NOT NULL,
  subject_id      TEXT    NOT NULL,
  resource_type   TEXT    NOT NULL,
  resource_id     TEXT    NOT NULL,
  action          TEXT    NOT NULL,
  allow           INTEGER NOT NULL CHECK (allow IN (0, 1)),
  reasons         TEXT    NOT NULL,
  obligations     TEXT    NOT NULL,
  input           TEXT    NOT NULL,
  bundle_revision TEXT    NOT NULL,
  entrypoint      TEXT    NOT NULL,
  cache_hit       INTEGER NOT NULL CHECK (cache_hit IN (0, 1)),
  latency_us      INTEGER NOT NULL,
  error           TEXT    NOT NULL,
  trace_id        TEXT    NOT NULL,
  masked          TEXT    NOT NULL,
  mask_error      INTEGER NOT NULL CHECK (mask_error IN (0, 1)),
  prev_hash       TEXT    NOT NULL,
  hash            TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoints_pending (
  seq        INTEGER NOT NULL,
  hash       TEXT    NOT NULL,
  time       TEXT    NOT NULL,
  kind       TEXT    NOT NULL,
  public_key TEXT    NOT NULL,
  signature  TEXT    NOT NULL
);
`

// duplicateSQL finds decision ids of a commit that the trail already
// holds (Store.checkUnique).
const duplicateSQL = `SELECT decision_id FROM decisions WHERE decision_id IN (SELECT value FROM json_each(?)) LIMIT 1`

// openStage opens the staging file's writer and creates its tables.
func openStage(ctx context.Context, path, sync string) (*sql.DB, error) {
	if _, err := prepareFile(path); err != nil {
		return nil, err
	}
	db, err := openDB(ctx, dsn(path, sync, connStage), 1)
	if err != nil {
		return nil, fmt.Errorf("open audit stage %q: %w", path, err)
	}
	if _, err := db.ExecContext(ctx, stageSchema); err != nil {
		return nil, fmt.Errorf("create audit stage tables: %w", err)
	}
	return db, nil
}

// openMover opens the mover's own connection to the trail and attaches
// the stage to it, so that a move is a single INSERT ... SELECT.
func openMover(ctx context.Context, dsn, stagePath string) (*sql.DB, *sql.Conn, error) {
	db, err := openDB(ctx, dsn, 1)
	if err != nil {
		return nil, nil, err
	}
	conn, err := db.Conn(ctx)
	if err == nil {
		_, err = conn.ExecContext(ctx, `ATTACH DATABASE ? AS stage`, stagePath)
	}
	if err != nil {
		return nil, nil, errors.Join(fmt.Errorf("attach audit stage: %w", err), db.Close())
	}
	return db, conn, nil
}
