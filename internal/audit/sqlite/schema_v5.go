package sqlite

import (
	"context"
	"database/sql"
)

// SchemaV5 records what decided: the digest of the activated bundle
// content beside its revision (two bundles may carry one revision). The
// hash chain leaves an empty digest out, so older rows keep their hashes.
// It also indexes denies only: allows are most records, so a newest-first
// scan of the time index finds them at once, and an index entry per allow
// costs every insert. And it leads the resource index with the id, as the
// subject index is (schema_v4.go): a filter on a resource type alone,
// which most records share, walks the time index newest first instead of
// sorting every record of the type.
const SchemaV5 = `ALTER TABLE decisions ADD COLUMN bundle_digest TEXT NOT NULL DEFAULT ''; -- hex SHA-256 of the activated bundle content, '' when not recorded
DROP INDEX IF EXISTS decisions_allow;
CREATE INDEX IF NOT EXISTS decisions_deny ON decisions (time) WHERE allow = 0;
DROP INDEX IF EXISTS decisions_resource;
CREATE INDEX IF NOT EXISTS decisions_resource ON decisions (resource_id, resource_type, time);
`

func addBundleDigest(ctx context.Context, tx *sql.Tx) error {
	return exec(ctx, tx, "migrate schema to version 5", SchemaV5)
}
