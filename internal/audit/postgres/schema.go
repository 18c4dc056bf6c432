package postgres

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Advisory lock keys (pg_advisory_lock(lockClass, key)): migrations,
// partition changes and retention runs each take theirs, so that replicas
// of a fleet do not race.
const (
	lockClass      = 0x50445000 // "PDP\0"
	lockMigrate    = 1
	lockPartitions = 2
	lockRetention  = 3
)

// migration is one version of the schema.
type migration struct {
	version int
	what    string
	sql     string
}

// migrations are the versions in order; a migration once released never
// changes (a later one alters what it made).
func migrations() []migration {
	return []migration{
		{1, "decisions by day, checkpoints and instances", schemaV1},
		{2, "resource plans beside decisions", schemaV2},
	}
}

// SchemaVersion is the newest schema this package knows.
const SchemaVersion = 2

// schemaV2 holds resource plans: a plan record's kind is 'plan' and its
// plan column the answer. Decisions keep kind empty and plan NULL; the hash
// chain leaves both out then, so older rows keep their hashes.
const schemaV2 = `
ALTER TABLE decisions ADD COLUMN kind text NOT NULL DEFAULT '';
ALTER TABLE decisions ADD COLUMN plan json;
COMMENT ON COLUMN decisions.kind IS 'empty for a decision, plan for a resource plan';
COMMENT ON COLUMN decisions.plan IS 'a plan record''s answer: {"kind", "condition"}; NULL for a decision';
`

// schemaV1 is the first schema; comments are read by auditors with psql
// (\d+ decisions).
const schemaV1 = `
CREATE TABLE decisions (
  instance_id     text        NOT NULL, -- the replica whose hash chain holds the record
  seq             bigint      NOT NULL, -- place in that chain, from 1
  prev_hash       text        NOT NULL, -- hash of the record before it in that chain
  hash            text        NOT NULL, -- hex SHA-256 over prev_hash and the canonical record
  decision_id     text        NOT NULL, -- UUIDv7 returned to the caller
  time            timestamptz NOT NULL, -- decision time to the microsecond; the partition key
  time_nanos      smallint    NOT NULL CHECK (time_nanos BETWEEN 0 AND 999), -- nanoseconds past time
  caller          text        NOT NULL,
  subject_type    text        NOT NULL,
  subject_id      text        NOT NULL,
  resource_type   text        NOT NULL,
  resource_id     text        NOT NULL,
  action          text        NOT NULL,
  allow           boolean     NOT NULL,
  reasons         json        NOT NULL, -- JSON array of strings
  obligations     json        NOT NULL, -- JSON object, {} when none
  input           json        NOT NULL, -- the input document Rego saw, after masking
  bundle_revision text        NOT NULL,
  bundle_digest   text        NOT NULL, -- hex SHA-256 of the activated bundle content
  entrypoint      text        NOT NULL,
  cache_hit       boolean     NOT NULL,
  latency_us      bigint      NOT NULL,
  error           text        NOT NULL,
  trace_id        text        NOT NULL,
  masked          json        NOT NULL, -- JSON array of the pointers under /input that masking changed
  mask_error      boolean     NOT NULL,
  nul_text        json,                 -- exact values of text columns that held NUL (text cannot): {"column": "value"}
  PRIMARY KEY (decision_id, time)
) PARTITION BY RANGE (time);
COMMENT ON TABLE decisions IS 'One row per decision of every replica, partitioned by day (decisions_pYYYYMMDD). Shipping is idempotent on (decision_id, time). The time to the nanosecond is time plus time_nanos.';
CREATE INDEX decisions_chain    ON decisions (instance_id, seq);
CREATE INDEX decisions_instance ON decisions (instance_id, time);
CREATE INDEX decisions_time     ON decisions (time);
CREATE INDEX decisions_subject  ON decisions (subject_id, subject_type, time);
CREATE INDEX decisions_resource ON decisions (resource_type, resource_id, time);
CREATE INDEX decisions_action   ON decisions (action, time);
CREATE INDEX decisions_caller   ON decisions (caller, time);
CREATE INDEX decisions_revision ON decisions (bundle_revision, time);
CREATE INDEX decisions_denied   ON decisions (time) WHERE NOT allow;

CREATE TABLE checkpoints (
  instance_id text        NOT NULL,
  seq         bigint      NOT NULL, -- the record vouched for
  hash        text        NOT NULL, -- its hash
  time        timestamptz NOT NULL,
  time_nanos  smallint    NOT NULL CHECK (time_nanos BETWEEN 0 AND 999),
  kind        text        NOT NULL, -- count, interval, shutdown or retention
  public_key  text        NOT NULL, -- base64 Ed25519 public key
  signature   text        NOT NULL, -- base64 signature over the canonical {hash, kind, seq, time}
  PRIMARY KEY (instance_id, seq, kind, time, time_nanos)
);
COMMENT ON TABLE checkpoints IS 'Signed checkpoints of each replica''s hash chain.';

CREATE TABLE instances (
  instance_id text        PRIMARY KEY,
  head_seq    bigint      NOT NULL, -- newest record shipped
  head_hash   text        NOT NULL,
  shipped_at  timestamptz NOT NULL  -- last shipment that advanced the head
);
COMMENT ON TABLE instances IS 'Every replica that shipped records, and where its chain stands here.';
`

// migrate applies the migrations newer than the database's version, each
// in its own transaction, holding the migration advisory lock throughout.
func migrate(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("audit database: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, $2)`, lockClass, lockMigrate); err != nil {
		return fmt.Errorf("audit database: lock for migrations: %w", err)
	}
	defer unlock(conn, lockMigrate)
	current, err := schemaVersion(ctx, conn.Conn())
	if err != nil {
		return err
	}
	if current > SchemaVersion {
		return fmt.Errorf("audit database schema version %d is newer than this binary supports (%d)", current, SchemaVersion)
	}
	for _, m := range migrations() {
		if m.version > current {
			if err := apply(ctx, conn.Conn(), m); err != nil {
				return err
			}
			log.Info("audit database migrated", "version", m.version, "change", m.what)
		}
	}
	return nil
}

// unlock releases a session advisory lock; a connection that cannot is
// closed, which releases it too, rather than going back to the pool.
func unlock(conn *pgxpool.Conn, key int) {
	if _, err := conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1, $2)`, lockClass, key); err != nil {
		_ = conn.Conn().Close(context.Background())
	}
}

func schemaVersion(ctx context.Context, conn *pgx.Conn) (int, error) {
	_, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS audit_schema (
  version    int         PRIMARY KEY,
  change     text        NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now())`)
	if err != nil {
		return 0, fmt.Errorf("audit database: schema version table: %w", err)
	}
	var v int
	if err := conn.QueryRow(ctx, `SELECT COALESCE(max(version), 0) FROM audit_schema`).Scan(&v); err != nil {
		return 0, fmt.Errorf("audit database: read schema version: %w", err)
	}
	return v, nil
}

func apply(ctx context.Context, conn *pgx.Conn, m migration) error {
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO audit_schema (version, change) VALUES ($1, $2)`, m.version, m.what)
		return err
	})
	if err != nil {
		return fmt.Errorf("audit database: migration %d (%s): %w", m.version, m.what, err)
	}
	return nil
}
