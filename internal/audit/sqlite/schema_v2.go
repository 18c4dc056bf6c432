package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/pdp-project/pdp/internal/audit"
)

// SchemaV2 turns the version 1 table into a hash chain and adds what
// auditors filter on. A record's hash is
// hex(SHA-256(prev_hash || RFC 8785 JSON of the record)); see audit.Document
// for the exact fields.
const SchemaV2 = `ALTER TABLE decisions ADD COLUMN masked TEXT NOT NULL DEFAULT '[]'; -- JSON array of the /input pointers the mask rule erased
ALTER TABLE decisions ADD COLUMN mask_error INTEGER NOT NULL DEFAULT 0 CHECK (mask_error IN (0, 1)); -- 1: the mask rule failed, the whole input was erased
ALTER TABLE decisions ADD COLUMN prev_hash TEXT NOT NULL DEFAULT ''; -- hash of the record at seq-1 (64 zeros for the first record)
ALTER TABLE decisions ADD COLUMN hash TEXT NOT NULL DEFAULT '';      -- hex SHA-256 over prev_hash and the canonical JSON of this record
CREATE TABLE IF NOT EXISTS checkpoints (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  seq        INTEGER NOT NULL, -- the record vouched for
  hash       TEXT    NOT NULL, -- its hash
  time       TEXT    NOT NULL, -- when the checkpoint was signed
  kind       TEXT    NOT NULL, -- count, interval, shutdown or retention (the cut: records up to seq were removed)
  public_key TEXT    NOT NULL, -- base64 Ed25519 public key
  signature  TEXT    NOT NULL  -- base64 Ed25519 signature over the RFC 8785 JSON of {hash, kind, seq, time}
);
CREATE INDEX IF NOT EXISTS decisions_subject_id ON decisions (subject_id, time);
CREATE INDEX IF NOT EXISTS decisions_action ON decisions (action, time);
CREATE INDEX IF NOT EXISTS decisions_caller ON decisions (caller, time);
CREATE INDEX IF NOT EXISTS decisions_revision ON decisions (bundle_revision, time);
CREATE INDEX IF NOT EXISTS decisions_allow ON decisions (allow, time);
`

// migrateV2 raises a version 1 database to 2 and seals its existing rows
// into a chain. Sealing reads every column, so the version 3 column comes
// first (that is why a fresh database has trace_id before masked).
func migrateV2(ctx context.Context, tx *sql.Tx) error {
	if err := addTraceColumn(ctx, tx); err != nil {
		return err
	}
	if err := exec(ctx, tx, "migrate schema to version 2", SchemaV2); err != nil {
		return err
	}
	if err := sealExisting(ctx, tx); err != nil {
		return fmt.Errorf("seal version 1 records: %w", err)
	}
	return nil
}

// sealExisting computes the chain over the rows a version 1 database holds.
func sealExisting(ctx context.Context, tx *sql.Tx) error {
	entries, err := readAfter(ctx, tx, columnsBeforeV5, 0, -1)
	if err != nil {
		return err
	}
	prev := audit.GenesisHash
	for _, e := range entries {
		hash, err := audit.Seal(prev, e.Seq, e.Record)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE decisions SET prev_hash = ?, hash = ? WHERE seq = ?`, prev, hash, e.Seq); err != nil {
			return err
		}
		prev = hash
	}
	return nil
}
