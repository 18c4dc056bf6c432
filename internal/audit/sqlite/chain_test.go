package sqlite_test

import (
	"context"
	"crypto/ed25519"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/audittest"
	"github.com/pdp-project/pdp/internal/audit/sqlite"
	"github.com/pdp-project/pdp/internal/pdp"
)

func testSigner(t testing.TB) *audit.Signer {
	t.Helper()
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return audit.NewSigner(key)
}

// chainedStore returns a store at path holding n records (appended in
// batches of 3) with a checkpoint every 4 records and the export file.
func chainedStore(t *testing.T, n int) (*sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.db")
	s := openStore(t, sqlite.Options{Path: path, Signer: testSigner(t), CheckpointEvery: 4,
		ExportPath: audit.ExportPath(path)})
	recs := audittest.NewRecords(n)
	for i := 0; i < n; i += 3 {
		if err := s.Append(context.Background(), recs[i:min(i+3, n)]); err != nil {
			t.Fatal(err)
		}
	}
	flush(t, s) // the tests tamper with decisions directly
	return s, path
}

func verify(t *testing.T, s *sqlite.Store, path string) audit.Report {
	t.Helper()
	exported, err := audit.ReadExport(audit.ExportPath(path))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(context.Background(), s, audit.VerifyOptions{Exported: exported})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return rep
}

func TestChainVerifies(t *testing.T) {
	s, path := chainedStore(t, 10)
	if _, _, err := s.Checkpoint(context.Background(), audit.CheckpointShutdown); err != nil {
		t.Fatal(err)
	}
	rep := verify(t, s, path)
	if rep.Break != nil || rep.Records != 10 || rep.Checkpoints != 4 {
		t.Fatalf("report = %+v, break %v; want 10 records, 3 checkpoints + export, no break", rep, rep.Break)
	}
}

// TestTamperDetected changes the trail behind the store's back as an
// attacker with write access to the file would, and expects Verify to name
// the record.
func TestTamperDetected(t *testing.T) {
	fields := []string{"decision_id = 'x'", "time = '2020-01-01T00:00:00.000000000Z'", "caller = 'x'",
		"subject_type = 'x'", "subject_id = 'x'", "resource_type = 'x'", "resource_id = 'x'", "action = 'x'",
		"allow = 1 - allow", `reasons = '["x"]'`, `obligations = '{}'`, `input = '{}'`, "bundle_revision = 'x'",
		"entrypoint = 'x'", "cache_hit = 1 - cache_hit", "latency_us = 1", "error = 'x'", `masked = '["/input"]'`,
		"mask_error = 1", "hash = 'x'", "prev_hash = 'x'"}
	type tc struct {
		name, sql, reason string
		seq               int64
	}
	var cases []tc
	for _, f := range fields {
		cases = append(cases, tc{"change " + f, "UPDATE decisions SET " + f + " WHERE seq = 6", "", 6})
	}
	cases = append(cases,
		tc{"delete a record", "DELETE FROM decisions WHERE seq = 5", "record missing", 5},
		tc{"swap two records", `UPDATE decisions SET seq = CASE seq WHEN 3 THEN -7 WHEN 7 THEN 3 END WHERE seq IN (3, 7);
			UPDATE decisions SET seq = 7 WHERE seq = -7`, "", 3},
		tc{"truncate the tail", "DELETE FROM decisions WHERE seq > 8; DELETE FROM checkpoints WHERE seq > 8", "tail removed", 9},
		tc{"truncate the tail and every checkpoint", "DELETE FROM decisions WHERE seq > 7; DELETE FROM checkpoints",
			"tail removed", 8},
		tc{"delete the first record", "DELETE FROM decisions WHERE seq = 1", "record missing", 1},
		tc{"forge a checkpoint", "UPDATE checkpoints SET hash = 'x' WHERE seq = 6", "signature", 6},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, path := chainedStore(t, 10)
			if _, _, err := s.Checkpoint(context.Background(), audit.CheckpointShutdown); err != nil {
				t.Fatal(err)
			}
			exec(t, rawDB(t, path), c.sql)
			b := verify(t, s, path).Break
			if b == nil {
				t.Fatal("tampering not detected")
			}
			if b.Seq != c.seq || !strings.Contains(b.Error(), c.reason) {
				t.Errorf("break = %v; want seq %d and %q", b, c.seq, c.reason)
			}
		})
	}
}

func TestRetentionKeepsChainVerifiable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	s := openStore(t, sqlite.Options{Path: path, Signer: testSigner(t), ExportPath: audit.ExportPath(path)})
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	recs := audittest.NewRecords(10)
	for i := range recs {
		recs[i].Time = base.Add(time.Duration(i) * time.Hour)
	}
	recs[4].Time = base.Add(100 * time.Hour) // out of order: the cut stops before it
	if err := s.Append(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	n, err := s.Prune(context.Background(), base.Add(6*time.Hour))
	if err != nil || n != 4 {
		t.Fatalf("Prune = %d, %v; want 4 removed", n, err)
	}
	if rep := verify(t, s, path); rep.Break != nil || rep.FirstSeq != 5 || rep.Records != 6 {
		t.Fatalf("after prune: %+v, break %v", rep, rep.Break)
	}
	exec(t, rawDB(t, path), "DELETE FROM decisions WHERE seq = 5")
	if b := verify(t, s, path).Break; b == nil || b.Seq != 5 {
		t.Fatalf("deleting the first record after the cut: break = %v, want seq 5", b)
	}
}

func TestPruneEverythingThenAppend(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	signer := testSigner(t)
	s := openStore(t, sqlite.Options{Path: path, Signer: signer})
	ctx := context.Background()
	if err := s.Append(ctx, audittest.NewRecords(3)); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Prune(ctx, time.Now().Add(time.Hour)); err != nil || n != 3 {
		t.Fatalf("Prune = %d, %v", n, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := sqlite.Open(ctx, sqlite.Options{Path: path, Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if err := s2.Append(ctx, []pdp.Record{audittest.NewRecord(4)}); err != nil {
		t.Fatal(err)
	}
	if rep := verify(t, s2, path); rep.Break != nil || rep.FirstSeq != 4 {
		t.Fatalf("report %+v, break %v", rep, rep.Break)
	}
}

func TestMigrateV1SealsExistingRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	raw := rawDB(t, path)
	exec(t, raw, sqlite.Schema+"; PRAGMA user_version = 1;")
	exec(t, raw, `INSERT INTO decisions (decision_id, time, caller, subject_type, subject_id, resource_type,
		resource_id, action, allow, reasons, obligations, input, bundle_revision, entrypoint, cache_hit, latency_us, error)
		VALUES ('a', '2026-01-01T00:00:00.000000000Z', '', 'user', 'u', 'doc', 'd', 'read', 1, '["r"]', '{}',
		'{"n": 1.5}', 'r1', 'authz/decision', 0, 10, ''),
		('b', '2026-01-01T00:00:01.000000000Z', '', 'user', 'u', 'doc', 'd', 'read', 0, '[]', '{}', '{}', 'r1',
		'authz/decision', 1, 10, '')`)
	s := openStore(t, sqlite.Options{Path: path})
	if err := s.Append(context.Background(), []pdp.Record{audittest.NewRecord(1)}); err != nil {
		t.Fatal(err)
	}
	if rep := verify(t, s, path); rep.Break != nil || rep.Records != 3 {
		t.Fatalf("report %+v, break %v", rep, rep.Break)
	}
}
